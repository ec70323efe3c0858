"""Speed of the review workbench on a large conference. Prints a table; exits 1 when a floor is missed.

Builds a conference of N contributions (default 5,000) by recombining the demo
conference's notes with variations (another district, an opener or closer, a
different table, round and stakeholder group), analyses it with the *hashing*
embedder so that the figures measure the workbench and the database, not the
language model, then measures on this machine:

1. each review action through :class:`pipelines.review.ReviewService`
   (rename, lock, set_relevant, move, merge, split, promote, update_measure,
   undo_last; median of 5) — floor: under 200 ms;
2. each page of ``ui/app.py`` rendered with ``streamlit.testing.v1.AppTest``
   (median of 3 runs, after one warm-up run), after those actions, so that
   measures and the audit log have rows to show — floor: under 2 s.

Usage:  python scripts/benchmark_workbench.py [--n 5000] [--database-url URL] [--profile ACTION]

``--profile merge`` (or any action name) prints a cProfile of that action's runs.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CONFERENCE = "Benchmark Sozialraumkonferenz"
ACTOR = "Benchmark"
PAGE_FLOOR_S = 2.0
ACTION_FLOOR_S = 0.2

OPENERS = ["", "", "", "Wichtig: ", "Aus Sicht der Kita: ", "Schule berichtet: ", "Anmerkung Polizei: ",
           "Frage: ", "Rückmeldung Bürgerschaft – ", "Caritas: ", "Aus der Verwaltung: ", "Tischgast sagt: ",
           "Ergänzung: ", "Mehrfach genannt: ", "Von einer Mutter: ", "Seniorenbeirat: "]
CLOSERS = ["", "", "", " – dringend!", " (wurde mehrfach genannt)", " Bitte prüfen.", " Seit Jahren bekannt.",
           " Das betrifft viele Familien.", " Siehe auch Runde 1.", " Gilt auch für Senior*innen.", "!!",
           " Ggf. mit Quartiersmanagement klären.", " Auch Thema im Jugendhilfeausschuss.",
           " Wer ist zuständig?", " So die Erfahrung vor Ort."]
PLACES = ["in {d}", "bei uns in {d}", "vor allem in {d}", "auch in {d}", "{d} besonders betroffen", "z.B. {d}"]
GROUPS = ["Bürgerschaft", "Wohlfahrtsverbände", "Verwaltung", "Politik", "Schule", "Kita", "Polizei"]


def synthetic_rows(n: int, seed: int = 0) -> list[dict[str, str]]:
    """``n`` distinct contribution rows that read like table notes, derived from the demo notes.

    Each row keeps the theme (and so the table family) of the note it came from but
    may sit at another table of that theme, in another round, said by another group,
    and names a district in one of several ways.
    """
    import yaml

    with (REPO / "data" / "demo" / "sozialraumkonferenz_2026.csv").open(encoding="utf-8") as handle:
        notes = list(csv.DictReader(handle))
    gazetteer = yaml.safe_load((REPO / "data" / "districts" / "dueren.yml").read_text(encoding="utf-8"))
    districts = [d["name"] for d in gazetteer["districts"]]
    tables_of: dict[str, list[str]] = {}
    for note in notes:
        tables_of.setdefault(note["theme"], [])
        if note["table"] not in tables_of[note["theme"]]:
            tables_of[note["theme"]].append(note["table"])
    rng = random.Random(seed)
    seen: set[str] = set()
    rows: list[dict[str, str]] = []
    while len(rows) < n:
        note = rng.choice(notes)
        text = note["text"].rstrip()
        if rng.random() < 0.6:
            place = rng.choice(PLACES).format(d=rng.choice(districts))
            text = f"{text} ({place})" if rng.random() < 0.5 else f"{text}, {place}"
        text = f"{rng.choice(OPENERS)}{text}{rng.choice(CLOSERS)}"
        if rng.random() < 0.15:
            text = text.replace("Kita", "Kindertagesstätte").replace("ÖPNV", "Bus und Bahn")
        if text in seen:
            continue
        seen.add(text)
        rows.append({
            "text": text,
            "table": rng.choice(tables_of[note["theme"]]),
            "round": str(rng.randint(1, 3)),
            "theme": note["theme"] if rng.random() < 0.9 else "",
            "district": "",
            "stakeholder_group": note["stakeholder_group"] if rng.random() < 0.7 else rng.choice(GROUPS),
        })
    return rows


def build_conference(database_url: str, n: int, home: Path) -> dict[str, float]:
    """Import ``n`` synthetic notes into :data:`CONFERENCE` and analyse them with the hashing embedder."""
    from models.store import Store
    from nlp.embed import HashingEmbedder
    from pipelines.analyse import analyse_conference
    from pipelines.ingest import import_files
    from pipelines.resources import build_resources
    from pipelines.settings import load_settings

    settings = load_settings(embedding={"model": "hashing", "cache_dir": str(home / "cache")},
                             database_url=database_url)
    resources = build_resources(settings, embedder=HashingEmbedder())
    source = home / "benchmark.csv"
    rows = synthetic_rows(n)
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    store = Store(database_url)
    try:
        start = time.perf_counter()
        import_files(store, [source], CONFERENCE, resources.vocab)
        imported = time.perf_counter() - start
        start = time.perf_counter()
        run = analyse_conference(store, CONFERENCE, resources, settings)
        analysed = time.perf_counter() - start
    finally:
        store.close()
    return {"import_s": imported, "analyse_s": analysed, "clusters": run.n_clusters}


# -- pages ----------------------------------------------------------------------------


def page_scripts() -> list[Path]:
    """The page files the app registers with ``st.navigation`` (``ui/views/*.py``), in file order."""
    return sorted((REPO / "ui" / "views").glob("*.py"))


def time_pages(runs: int = 3) -> dict[str, list[float]]:
    """Render time of every page: the app entry point with each page switched to."""
    from streamlit.testing.v1 import AppTest

    timings: dict[str, list[float]] = {}
    for page in page_scripts():
        at = AppTest.from_file(str(REPO / "ui" / "app.py"), default_timeout=120)
        prepare_session(at)
        at.run()
        relative = str(page.relative_to(REPO / "ui"))
        at.switch_page(relative).run()  # warm-up: imports, caches, first queries
        if at.exception:
            raise RuntimeError(f"{relative}: {at.exception[0].message}")
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            at.run()
            samples.append(time.perf_counter() - start)
            if at.exception:
                raise RuntimeError(f"{relative}: {at.exception[0].message}")
        title = at.title[0].value if len(at.title) else "ohne Titel"
        timings[f"{page.stem} ({title})"] = samples
    return timings


def prepare_session(at: object) -> None:
    """Fill the sidebar's choices the way a person would: a name and the benchmark conference."""
    state = at.session_state  # type: ignore[attr-defined]
    state["actor"] = ACTOR
    state["conference"] = CONFERENCE


# -- review actions ----------------------------------------------------------------------


@contextmanager
def _timed(samples: list[float], profiler: cProfile.Profile | None) -> Iterator[None]:
    if profiler is not None:
        profiler.enable()
    start = time.perf_counter()
    try:
        yield
    finally:
        samples.append(time.perf_counter() - start)
        if profiler is not None:
            profiler.disable()


def time_actions(database_url: str, repeats: int = 5, profile: str | None = None) -> tuple[dict[str, list[float]], str]:
    """Time every review action ``repeats`` times on the biggest clusters (the worst case)."""
    from models.store import Store
    from pipelines.review import MeasureInput, ReviewService

    store = Store(database_url)
    service = ReviewService(store, CONFERENCE, ACTOR)
    profilers: dict[str, cProfile.Profile] = {}

    def profiler_for(action: str) -> cProfile.Profile | None:
        if action != profile:
            return None
        return profilers.setdefault(action, cProfile.Profile())

    samples: dict[str, list[float]] = {}

    def timed(action: str) -> Callable[[], object]:
        return _timed(samples.setdefault(action, []), profiler_for(action))  # type: ignore[return-value]

    by_size = sorted(service.clusters(), key=lambda c: -c.size)
    big, second, third = by_size[0], by_size[1], by_size[2]
    for i in range(repeats):
        c = service.cluster(big.id)
        with timed("rename"):
            service.rename(c.id, f"Kita-Plätze fehlen (Fassung {i})", c.version)
        c = service.cluster(big.id)
        with timed("lock"):
            service.set_locked(c.id, True, c.version)
        c = service.cluster(big.id)
        service.set_locked(c.id, False, c.version)
        c = service.cluster(big.id)
        with timed("set_relevant"):
            service.set_relevant(c.id, i % 2 == 1, c.version)
    for i in range(repeats):
        source, target = service.cluster(second.id), service.cluster(third.id)
        member = source.members[i].id
        with timed("move"):
            service.move(member, target.id, {source.id: source.version, target.id: target.version})
    for i in range(repeats):
        a, b = service.cluster(second.id), service.cluster(third.id)
        with timed("merge"):
            service.merge({a.id: a.version, b.id: b.version}, label=f"Zusammengeführt {i}")
        service.undo_last()
    for i in range(repeats):
        c = service.cluster(second.id)
        chosen = [m.id for m in c.members[: max(1, c.size // 3)]]
        with timed("split"):
            service.split(c.id, chosen, f"Abgetrennt {i}", c.version)
        service.undo_last()
    measure_ids = []
    for i in range(repeats):
        with timed("promote"):
            measure = service.promote([big.id, second.id], MeasureInput(
                title=f"Kita-Ausbau Nord-Düren {i}", description="Zwei neue Gruppen bis 2027.",
                responsible="Jugendamt", priority="hoch"))
        measure_ids.append(measure.id)
    for i, measure_id in enumerate(measure_ids):
        m = service.measure(measure_id)
        with timed("update_measure"):
            service.update_measure(m.id, MeasureInput(
                title=m.title, description=f"Zwei neue Gruppen bis 2027, Fassung {i}.", theme=m.theme,
                districts=m.districts, responsible=m.responsible, priority=m.priority, status="vorgeschlagen"),
                m.version)
    for i in range(repeats):
        c = service.cluster(third.id)
        service.rename(c.id, f"Vor dem Rückgängigmachen {i}", c.version)
        with timed("undo_last"):
            service.undo_last()
    store.close()
    report = ""
    if profile is not None and profile in profilers:
        out = io.StringIO()
        pstats.Stats(profilers[profile], stream=out).sort_stats("cumulative").print_stats(30)
        report = out.getvalue()
    return samples, report


# -- output ------------------------------------------------------------------------------


def print_table(title: str, timings: dict[str, list[float]], floor: float) -> list[str]:
    """Print median, min and max per row; return the rows over ``floor``."""
    print(f"\n{title}")
    print(f"  {'':<44} {'median':>9} {'min':>9} {'max':>9}   floor")
    missed = []
    for name, samples in timings.items():
        median = statistics.median(samples)
        ok = median < floor
        if not ok:
            missed.append(name)
        print(f"  {name:<44} {median * 1000:7.0f}ms {min(samples) * 1000:7.0f}ms {max(samples) * 1000:7.0f}ms"
              f"   {'ok' if ok else 'MISSED'} (< {floor * 1000:.0f} ms)")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="contributions in the benchmark conference")
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temp folder")
    parser.add_argument("--profile", default=None, help="print a cProfile of this review action")
    parser.add_argument("--skip-pages", action="store_true", help="time only the review actions")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="taten-bench-") as tmp:
        home = Path(tmp)
        os.environ["TATEN_HOME"] = str(home)
        url = args.database_url or f"sqlite:///{home / 'taten.sqlite'}"
        # the app reads its settings from the environment: same database, no model to load
        os.environ["TATEN_DATABASE_URL"] = url
        os.environ["TATEN_EMBEDDING__MODEL"] = "hashing"
        built = build_conference(url, args.n, home)
        print(f"conference: {args.n} contributions, {built['clusters']} clusters; backend: {url.split(':')[0]}; "
              f"cores: {os.cpu_count()}")
        print("embedding: hashing embedder (character n-grams), so these figures measure the workbench and the "
              "database, not the language model")
        print(f"set-up: import {built['import_s']:.1f} s, analyse {built['analyse_s']:.1f} s")
        # actions first: the pages are then timed with measures and an audit log to show
        actions, profile = time_actions(url, profile=args.profile)
        missed = print_table("review action (ReviewService, median of 5)", actions, ACTION_FLOOR_S)
        if profile:
            print(f"\ncProfile of {args.profile}:\n{profile}")
        if not args.skip_pages:
            missed += print_table("page render (AppTest, median of 3 after a warm-up run)", time_pages(), PAGE_FLOOR_S)
    if missed:
        print(f"\nfloor missed: {', '.join(missed)}")
        return 1
    print("\nall floors met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
