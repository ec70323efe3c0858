"""Speed and memory of `analyse` on large realistic conferences. Prints figures; asserts nothing.

Builds N distinct contributions from the demo conference's notes (each note with a
different district, opener and closer, so every text is new to the embedding cache),
then measures, on this machine:

1. the default embedding's raw encoding throughput (sentences/s, no cache);
2. a cold ``analyse`` (lemmatise, embed, cluster, rank, store; empty cache) of N;
3. a warm re-run of the same analysis (cache filled);
4. optionally (``--big``) peak memory (max RSS) of import + analyse of a larger
   conference in a fresh process.

Usage:  python scripts/benchmark_analyse.py [--n 10000] [--big 50000] [--model use+e5]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

OPENERS = ["", "Wichtig: ", "Aus Sicht der Kita: ", "Schule berichtet: ", "Anmerkung Polizei: ", "Frage: ",
           "Rückmeldung Bürgerschaft – ", "Caritas: ", "Aus der Verwaltung: ", "Tischgast sagt: ", "Ergänzung: "]
CLOSERS = ["", " – dringend!", " (wurde mehrfach genannt)", " Bitte prüfen.", " Seit Jahren bekannt.",
           " Das betrifft viele Familien.", " Siehe auch Runde 1.", " Gilt auch für Senior*innen.", "!!",
           " Ggf. mit Quartiersmanagement klären."]


def synthetic_rows(n: int, seed: int = 0) -> list[dict[str, str]]:
    """n distinct contribution rows derived from the demo notes."""
    import yaml

    with (REPO / "data" / "demo" / "sozialraumkonferenz_2026.csv").open(encoding="utf-8") as handle:
        notes = list(csv.DictReader(handle))
    gazetteer = yaml.safe_load((REPO / "data" / "districts" / "dueren.yml").read_text(encoding="utf-8"))
    districts = [d["name"] for d in gazetteer["districts"]]
    rng = random.Random(seed)
    seen: set[str] = set()
    rows = []
    while len(rows) < n:
        note = rng.choice(notes)
        district = rng.choice(districts)
        text = f"{rng.choice(OPENERS)}{note['text']}{rng.choice(CLOSERS)} ({district})"
        if text in seen:
            continue
        seen.add(text)
        rows.append({"text": text, "table": note["table"], "round": note["round"], "theme": note["theme"],
                     "district": "", "stakeholder_group": note["stakeholder_group"]})
    return rows


def write_csv(rows: list[dict[str, str]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_once(n: int, model: str, home: Path) -> dict[str, float]:
    """Import and analyse n contributions in this process (for the memory run)."""
    import os

    os.environ["TATEN_HOME"] = str(home)
    from models.store import Store
    from pipelines.analyse import analyse_conference
    from pipelines.ingest import import_files
    from pipelines.resources import build_resources
    from pipelines.settings import load_settings

    settings = load_settings(embedding={"model": model})
    source = home / "big.csv"
    write_csv(synthetic_rows(n, seed=1), source)
    store = Store(settings.db_url)
    resources = build_resources(settings)
    resources.embedder.encode(["Warmlaufen des Modells"])
    loaded = peak_rss_mb()
    start = time.perf_counter()
    import_files(store, [source], "Benchmark", resources.vocab)
    imported = time.perf_counter() - start
    start = time.perf_counter()
    analyse_conference(store, "Benchmark", resources, settings)
    return {"import_s": imported, "analyse_s": time.perf_counter() - start,
            "rss_after_model_load_mb": loaded, "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=0, help="also measure peak memory for this many (e.g. 50000)")
    parser.add_argument("--model", default=None)
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    import os

    e5_dir = os.environ.get("TATEN_EMBEDDING__E5_DIR") or str(REPO / ".taten" / "models" / "multilingual-e5-small")
    os.environ["TATEN_EMBEDDING__E5_DIR"] = e5_dir
    if args.child:
        figures = run_once(args.child, args.model or "use+e5", args.home)
        print(" ".join(f"{k}={v:.1f}" for k, v in figures.items()))
        return

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["TATEN_HOME"] = str(home)
        from models.store import Store
        from pipelines.analyse import analyse_conference
        from pipelines.ingest import import_files
        from pipelines.resources import build_resources
        from pipelines.settings import load_settings

        overrides = {"embedding": {"model": args.model}} if args.model else {}
        settings = load_settings(**overrides)
        resources = build_resources(settings)
        rows = synthetic_rows(args.n)
        texts = [r["text"] for r in rows]

        inner = resources.embedder.inner  # type: ignore[attr-defined]
        inner.encode(texts[:64])  # warm up the model (threads, allocations)
        start = time.perf_counter()
        inner.encode(texts)
        raw = time.perf_counter() - start

        source = home / "bench.csv"
        write_csv(rows, source)
        store = Store(settings.db_url)
        import_files(store, [source], "Benchmark", resources.vocab)
        start = time.perf_counter()
        cold_run = analyse_conference(store, "Benchmark", resources, settings)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        warm_run = analyse_conference(store, "Benchmark", resources, settings)
        warm = time.perf_counter() - start

    print(f"model: {resources.embedder.model_id}   contributions: {args.n}   cores: {os.cpu_count()}")
    print(f"raw encoding           {raw:7.1f} s   {args.n / raw:8.0f} sentences/s")
    print(f"cold analyse           {cold:7.1f} s   {args.n / cold:8.0f} contributions/s   "
          f"= {raw / cold:.0%} of raw encoding throughput   clusters: {cold_run.n_clusters}")
    print(f"  stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in cold_run.timings.items()))
    print(f"warm re-run            {warm:7.1f} s   {cold / warm:5.1f}x faster than cold")
    print(f"  stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in warm_run.timings.items()))
    if args.big:
        with tempfile.TemporaryDirectory() as tmp:
            command = [sys.executable, __file__, "--child", str(args.big), "--home", tmp]
            if args.model:
                command += ["--model", args.model]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        print(f"{args.big} contributions (fresh process): {out}")


if __name__ == "__main__":
    main()
