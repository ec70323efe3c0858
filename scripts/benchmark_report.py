"""Speed of the reports on a large conference. Prints a table; exits 1 when a floor is missed.

Builds the benchmark conference of :mod:`benchmark_workbench` (N notes recombined from
the demo conference, default 5,000, analysed with the *hashing* embedder), promotes
M measures (default 50) with status "vorgeschlagen" from the best concerns, then
times on this machine reading the report (:func:`pipelines.bericht.load_bericht`)
and writing each format — DOCX, PDF, HTML, OParl (with its PDF) — floor: under 30 s each.

Usage:  python scripts/benchmark_report.py [--n 5000] [--measures 50] [--out FOLDER]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from benchmark_workbench import CONFERENCE, build_conference  # noqa: E402

FLOOR_S = 30.0
THEMES_OF_MEASURES = ("Jugendamt", "Sozialamt", "Jobcenter", "Amt für Stadtentwicklung", "Ordnungsamt")


def promote_measures(database_url: str, n: int) -> int:
    from models.store import Store
    from pipelines.review import MeasureInput, ReviewService

    store = Store(database_url)
    try:
        service = ReviewService(store, CONFERENCE, "Benchmark")
        clusters = service.clusters(include_irrelevant=False)
        for i in range(n):
            cluster = clusters[i % len(clusters)]
            districts = tuple(list(cluster.profile.get("districts", {}))[:2])
            service.promote([cluster.id], MeasureInput(
                title=f"Maßnahme {i + 1}: {cluster.label}", description=f"Antwort auf „{cluster.label}“.",
                districts=districts, responsible=THEMES_OF_MEASURES[i % len(THEMES_OF_MEASURES)],
                cost_estimate=f"{(i + 1) * 10_000:,} €".replace(",", "."), status="vorgeschlagen"))
        return len(clusters)
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--measures", type=int, default=50)
    parser.add_argument("--out", type=Path, default=None, help="keep the files in this folder")
    args = parser.parse_args()

    from models.store import Store
    from pipelines.bericht import load_bericht
    from pipelines.bericht.write import SUFFIXES, write_report
    from pipelines.example_data import EXAMPLE_MARK

    with tempfile.TemporaryDirectory(prefix="taten-bench-report-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'bench.sqlite'}"
        start = time.perf_counter()
        built = build_conference(url, args.n, home)
        concerns = promote_measures(url, args.measures)
        print(f"Konferenz: {args.n} Beiträge, {concerns} Anliegen, {args.measures} Maßnahmen "
              f"(Aufbau {time.perf_counter() - start:.1f} s; Analyse {built['analyse_s']:.1f} s)")
        out = args.out or home / "out"
        out.mkdir(parents=True, exist_ok=True)
        store = Store(url)
        timings: dict[str, float] = {}
        try:
            start = time.perf_counter()
            bericht = load_bericht(store, CONFERENCE, notice=f"{EXAMPLE_MARK}: Benchmark")
            timings["lesen"] = time.perf_counter() - start
            for fmt, suffix in SUFFIXES.items():
                start = time.perf_counter()
                write_report(bericht, fmt, out / f"bericht_{fmt}{suffix}")
                timings[fmt] = time.perf_counter() - start
        finally:
            store.close()
        print(f"{'Schritt':<8} {'Sekunden':>9}  Datei")
        for step, seconds in timings.items():
            files = sorted(out.glob(f"bericht_{step}.*"))
            size = ", ".join(f"{f.suffix} {f.stat().st_size / 1024:,.0f} KiB" for f in files)
            print(f"{step:<8} {seconds:>9.2f}  {size}")
        missed = [step for step, seconds in timings.items() if seconds >= FLOOR_S]
        if missed:
            print(f"Zu langsam (≥ {FLOOR_S:.0f} s): {', '.join(missed)}")
            return 1
        print(f"Alle Formate unter {FLOOR_S:.0f} s.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
