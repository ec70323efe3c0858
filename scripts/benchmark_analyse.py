"""Speed and memory of `analyse` on large realistic conferences. Prints figures; asserts nothing.

Builds N distinct contributions from the demo conference's notes (each note with a
different district, opener and closer, so every text is new to the embedding cache),
then measures, on this machine:

1. the default embedding's raw encoding throughput (sentences/s, no cache);
2. a cold ``analyse`` (lemmatise, embed, cluster, rank, store; no vectors stored) of N;
3. a warm re-run of the same analysis (vectors read from the database);
4. a re-run as another server would do it: a second store on the same database and
   an empty disk cache;
5. the database's size per 10,000 notes: the SQLite file, or PostgreSQL's
   ``pg_total_relation_size`` of the embedding table;
6. optionally (``--big``) peak memory (max RSS) of import + analyse of a larger
   conference in a fresh process.

Usage:  python scripts/benchmark_analyse.py [--n 10000] [--big 50000] [--model use+e5]
                                            [--database-url postgresql+psycopg://…/empty] [--no-raw]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
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


def counting(inner):  # noqa: ANN001, ANN201 - imports stay inside the functions that need them
    """``inner`` behind a wrapper that counts the texts it embeds (``.embedded``)."""
    from nlp.embed import Embedder

    class Counting(Embedder):
        def __init__(self) -> None:
            self.model_id, self.embedded = inner.model_id, 0

        @property
        def dim(self) -> int:
            return inner.dim

        @property
        def blocks(self):  # noqa: ANN202
            return inner.blocks

        def encode(self, texts):  # noqa: ANN001, ANN202
            self.embedded += len(texts)
            return inner.encode(texts)

    return Counting()


def database_size(store, n: int) -> str:  # noqa: ANN001
    """Bytes the database takes, scaled to 10,000 notes."""
    from sqlalchemy import text

    per = 10_000 / n
    with store.engine.connect() as connection:
        if store.engine.dialect.name == "postgresql":
            table = connection.scalar(text("SELECT pg_total_relation_size('embedding')"))
            whole = connection.scalar(text("SELECT pg_database_size(current_database())"))
            return (f"PostgreSQL: embedding table {table * per / 2**20:.1f} MiB, "
                    f"whole database {whole * per / 2**20:.1f} MiB per 10,000 notes")
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            table = connection.scalar(text(
                "SELECT SUM(pgsize) FROM dbstat WHERE name IN ('embedding', 'sqlite_autoindex_embedding_1')"))
        except Exception:  # noqa: BLE001 - dbstat is a compile-time option of SQLite
            table = None
    whole = Path(store.url.removeprefix("sqlite:///")).stat().st_size
    share = f"embedding table {table * per / 2**20:.1f} MiB, " if table else ""
    return f"SQLite: {share}file {whole * per / 2**20:.1f} MiB per 10,000 notes"


def memberships(store, run) -> set[frozenset[int]]:  # noqa: ANN001
    """The run's clusters as sets of contribution ids (independent of cluster ids)."""
    groups: dict[int | None, set[int]] = {}
    for a in store.assignments(run.id):
        groups.setdefault(a.cluster_id, set()).add(a.contribution_id)
    return {frozenset(g) for g in groups.values()}


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
    parser.add_argument("--database-url", default=None,
                        help="an empty database to analyse in (default: a SQLite file in a temporary folder)")
    parser.add_argument("--no-raw", action="store_true", help="skip the raw encoding figure")
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

        from nlp.embed import CachedEmbedder
        from nlp.text import text_hash

        inner = counting(resources.embedder.inner)  # type: ignore[attr-defined]
        inner.encode(texts[:64])  # warm up the model (threads, allocations)
        raw = None
        if not args.no_raw:
            start = time.perf_counter()
            inner.encode(texts)
            raw = time.perf_counter() - start

        def server(disk: Path):  # noqa: ANN202
            return dataclasses.replace(resources, embedder=CachedEmbedder(inner, disk, text_hash))

        source = home / "bench.csv"
        write_csv(rows, source)
        url = args.database_url or settings.db_url
        store = Store(url)
        import_files(store, [source], "Benchmark", resources.vocab)
        figures = []
        for name, this_store, this_server in (
            ("cold analyse", store, server(home / "disk-1")),
            ("warm re-run", store, server(home / "disk-1")),
            ("another server", Store(url), server(home / "disk-2")),
        ):
            before = inner.embedded
            start = time.perf_counter()
            run = analyse_conference(this_store, "Benchmark", this_server, settings)
            figures.append((name, time.perf_counter() - start, inner.embedded - before,
                            run, memberships(this_store, run)))
        size = database_size(store, args.n)

    print(f"model: {resources.embedder.model_id}   contributions: {args.n}   cores: {os.cpu_count()}   "
          f"database: {store.engine.dialect.name}")
    if raw is not None:
        print(f"raw encoding           {raw:7.1f} s   {args.n / raw:8.0f} sentences/s")
    cold = figures[0][1]
    for name, seconds, embedded, run, groups in figures:
        if name == "cold analyse":
            share = f"= {raw / cold:.0%} of raw encoding throughput   " if raw is not None else ""
            print(f"{name:22} {seconds:7.1f} s   {args.n / seconds:8.0f} contributions/s   {share}"
                  f"clusters: {run.n_clusters}   texts embedded: {embedded}")
        else:
            print(f"{name:22} {seconds:7.1f} s   {cold / seconds:5.1f}x faster than cold   "
                  f"texts embedded: {embedded}   same clusters: {groups == figures[0][4]}")
        print("  stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in run.timings.items()))
    print(f"database size          {size}")
    if args.big:
        with tempfile.TemporaryDirectory() as tmp:
            command = [sys.executable, __file__, "--child", str(args.big), "--home", tmp]
            if args.model:
                command += ["--model", args.model]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        print(f"{args.big} contributions (fresh process): {out}")


if __name__ == "__main__":
    main()
