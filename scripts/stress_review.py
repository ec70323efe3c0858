"""Several people reviewing one conference at once. Prints figures; exits 1 when a floor is missed.

Imports the demo conference, analyses it with the *hashing* embedder (fast; the
figures measure the review service and the database, not a language model), then
starts P processes, each one person with its own :class:`ReviewService`, that
together start M random review actions each: rename, merge, split, move,
relevance, lock, promote, update_measure, undo. Before each action a person reads
the clusters (and measures) as the workbench page would, sometimes keeps an older
read (a page left open), and acts on what it saw, with the versions it saw.

Prints actions/s, p50/p95 latency of the service calls, actions done, refused
(conflict, input), retries absorbed, deadlocks and raw errors that reached the
person, and a consistency check of the database afterwards.

Floors: 0 deadlocks, 0 raw errors (anything but a ``TatenError``), and the check passes:
- every note of the analysis in exactly one cluster that is not merged away;
- each cluster's size equals its member count (merged ones: 0);
- audit events equal the actions that succeeded;
- no measure linked to a merged cluster.

Usage:
    python scripts/stress_review.py --backend sqlite --seed 1 [--processes 6] [--actions 50]
    python scripts/stress_review.py --backend postgres --seed 1 [--database-url postgresql+psycopg://…]

Without ``--database-url``, ``--backend postgres`` starts a throwaway server on a
free loopback port (Debian's initdb/pg_ctl, as user postgres when root) and
removes it afterwards; each run uses a fresh database.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from local_postgres import postgres_bin, throwaway_postgres  # noqa: E402

DEMO_CSV = REPO / "data" / "demo" / "sozialraumkonferenz_2026.csv"
CONFERENCE = "Stresstest Sozialraumkonferenz"
ACTIONS = {"rename": 3, "merge": 2, "split": 2, "move": 3, "relevance": 1, "lock": 1, "promote": 2,
           "update_measure": 2, "undo": 2}
STALE_READ = 0.3  # share of actions taken on a view read before the previous action


# -- database ---------------------------------------------------------------------------


def fresh_postgres_database(server_url: str, seed: int) -> str:
    import psycopg

    name = f"stress_{seed}_{int(time.time() * 1000) % 10**9}"
    with psycopg.connect(server_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def build_conference(url: str, home: Path) -> None:
    from models.store import Store
    from nlp.embed import HashingEmbedder
    from pipelines.analyse import analyse_conference
    from pipelines.ingest import import_files
    from pipelines.resources import build_resources
    from pipelines.settings import load_settings

    settings = load_settings(embedding={"model": "hashing", "cache_dir": str(home / "cache")}, database_url=url)
    resources = build_resources(settings, embedder=HashingEmbedder())
    store = Store(url)
    try:
        import_files(store, [DEMO_CSV], CONFERENCE, resources.vocab)
        analyse_conference(store, CONFERENCE, resources, settings)
    finally:
        store.close()


# -- one person -------------------------------------------------------------------------


def _read(service: Any) -> tuple[list[Any], list[Any]]:
    return service.clusters(with_members=True), service.measures()


def _act(service: Any, rng: random.Random, action: str, clusters: list[Any], measures: list[Any]) -> Any:
    """One action on what the person saw; returns None when the view offers nothing to do it on."""
    from pipelines.review import MeasureInput

    if not clusters:
        return None
    if action == "rename":
        c = rng.choice(clusters)
        return service.rename(c.id, f"{c.label.split(' #')[0]} #{rng.randrange(1000)}", c.version)
    if action == "relevance":
        c = rng.choice(clusters)
        return service.set_relevant(c.id, not c.relevant, c.version)
    if action == "lock":
        c = rng.choice(clusters)
        return service.set_locked(c.id, not c.locked, c.version)
    if action == "merge":
        by_theme: dict[str, list[Any]] = {}
        for c in clusters:
            by_theme.setdefault(c.theme, []).append(c)
        groups = [cs for cs in by_theme.values() if len(cs) >= 2]
        if not groups:
            return None
        pair = rng.sample(rng.choice(groups), 2)
        return service.merge({c.id: c.version for c in pair})
    if action == "split":
        candidates = [c for c in clusters if len(c.members) >= 2]
        if not candidates:
            return None
        c = rng.choice(candidates)
        chosen = rng.sample([m.id for m in c.members], rng.randint(1, len(c.members) - 1))
        return service.split(c.id, chosen, f"Teil von {c.label[:40]}", c.version)
    if action == "move":
        sources = [c for c in clusters if len(c.members) >= 2]
        if not sources or len(clusters) < 2:
            return None
        source = rng.choice(sources)
        target = rng.choice([c for c in clusters if c.id != source.id])
        note = rng.choice(source.members)
        return service.move(note.id, target.id, {source.id: source.version, target.id: target.version})
    if action == "promote":
        chosen = rng.sample(clusters, min(len(clusters), rng.randint(1, 2)))
        return service.promote([c.id for c in chosen], MeasureInput(title=f"Maßnahme zu {chosen[0].label[:60]}"))
    if action == "update_measure":
        if not measures:
            return None
        m = rng.choice(measures)
        return service.update_measure(
            m.id, MeasureInput(title=m.title, description=f"Stand {rng.randrange(10**6)}", status=m.status), m.version)
    if action == "undo":
        return service.undo_last()
    raise ValueError(action)


def person(index: int, url: str, seed: int, n_actions: int, barrier: Any, results: Any) -> None:
    """One member of staff: ``n_actions`` random actions; puts a dict of outcomes on ``results``."""
    from models.store import Store
    from pipelines.errors import InputError, ReviewConflictError, TatenError
    from pipelines.review import ReviewService
    from pipelines.review.concurrency import RETRIES, transient_kind

    rng = random.Random(seed * 1000 + index)
    store = Store(url)
    service = ReviewService(store, CONFERENCE, f"Person {index + 1}")
    outcome: Counter[str] = Counter()
    latencies: list[float] = []
    raw: list[str] = []
    barrier.wait()
    view = _read(service)
    for _ in range(n_actions):
        if rng.random() >= STALE_READ:
            view = _read(service)
        action = rng.choices(list(ACTIONS), weights=list(ACTIONS.values()))[0]
        start = time.perf_counter()
        try:
            done = _act(service, rng, action, *view)
        except ReviewConflictError:
            outcome["conflict"] += 1
        except InputError:
            outcome["input"] += 1
        except TatenError:
            outcome["other_refusal"] += 1
        except Exception as exc:  # what would reach a person raw
            outcome["raw"] += 1
            if transient_kind(exc) == "deadlock":
                outcome["deadlock"] += 1
            raw.append(f"{action}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            if len(raw) <= 2:
                traceback.print_exc()
        else:
            if done is None:
                outcome["nothing_to_do"] += 1
                continue
            outcome["ok"] += 1
            outcome[f"ok_{action}"] += 1
        latencies.append(time.perf_counter() - start)
    store.close()
    results.put({"outcome": dict(outcome), "latencies": latencies, "raw": raw, "retries": dict(RETRIES)})


# -- the check --------------------------------------------------------------------------


def consistency(url: str, successes: int) -> dict[str, tuple[bool, str]]:
    from sqlalchemy import func, select

    from models.records import Assignment, Cluster, Contribution, MeasureSource, ReviewEvent
    from models.store import Store
    from pipelines.review import ReviewService

    store = Store(url)
    try:
        service = ReviewService(store, CONFERENCE, "Prüfung")
        with store.transaction() as session:
            run_id = service.run_id(session)
            clusters = {c.id: c for c in session.scalars(select(Cluster).where(Cluster.run_id == run_id))}
            assignments = session.execute(select(Assignment.contribution_id, Assignment.cluster_id)
                                          .where(Assignment.run_id == run_id)).all()
            notes = session.scalar(select(func.count()).select_from(Contribution)
                                   .where(Contribution.conference_id == service.conference_id))
            events = session.scalar(select(func.count()).select_from(ReviewEvent)
                                    .where(ReviewEvent.conference_id == service.conference_id))
            links = session.execute(select(MeasureSource.measure_id, MeasureSource.cluster_id)).all()
        per_note = Counter(a.contribution_id for a in assignments)
        homeless = [a for a in assignments if a.cluster_id is not None
                    and (a.cluster_id not in clusters or clusters[a.cluster_id].merged_into_id is not None)]
        clustered = sum(1 for a in assignments if a.cluster_id is not None)
        members = Counter(a.cluster_id for a in assignments if a.cluster_id is not None)
        wrong_size = [(c.id, c.size, members[c.id]) for c in clusters.values() if c.size != members[c.id]]
        on_merged = [(m, c) for m, c in links if c not in clusters or clusters[c].merged_into_id is not None]
        return {
            "every note in exactly one active cluster": (
                not homeless and len(per_note) == notes and max(per_note.values()) == 1,
                f"{clustered} notes clustered, {notes - clustered} unclustered, {len(homeless)} in a merged "
                f"or missing cluster, {len(per_note)}/{notes} notes with one assignment"),
            "size equals member count": (
                not wrong_size, f"{len(clusters)} clusters, {len(wrong_size)} off" +
                (f" e.g. id {wrong_size[0][0]}: size {wrong_size[0][1]}, {wrong_size[0][2]} members"
                 if wrong_size else "")),
            "audit events equal successful actions": (events == successes, f"{events} events, {successes} actions"),
            "no measure on a merged cluster": (not on_merged, f"{len(links)} links, {len(on_merged)} on merged"),
        }
    finally:
        store.close()


# -- main -------------------------------------------------------------------------------


def run(url: str, seed: int, processes: int, n_actions: int) -> bool:
    home = Path(tempfile.mkdtemp(prefix="taten-stress-"))
    try:
        start = time.perf_counter()
        build_conference(url, home)
        print(f"conference built in {time.perf_counter() - start:.1f} s ({url.split('@')[-1]})")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    context = mp.get_context("spawn")
    barrier, results = context.Barrier(processes + 1), context.Queue()
    workers = [context.Process(target=person, args=(i, url, seed, n_actions, barrier, results), daemon=True)
               for i in range(processes)]
    for worker in workers:
        worker.start()
    barrier.wait()
    start = time.perf_counter()
    reports = [results.get() for _ in workers]
    elapsed = time.perf_counter() - start
    for worker in workers:
        worker.join()
    outcome: Counter[str] = Counter()
    retries: Counter[str] = Counter()
    latencies: list[float] = []
    raw: list[str] = []
    for report in reports:
        outcome.update(report["outcome"])
        retries.update(report["retries"])
        latencies += report["latencies"]
        raw += report["raw"]
    attempted = len(latencies)
    p50, p95 = (statistics.quantiles(latencies, n=20)[i] * 1000 for i in (9, 18)) if len(latencies) > 1 else (0, 0)
    print(f"seed {seed}: {processes} processes × {n_actions} actions, {elapsed:.1f} s")
    print(f"  actions/s            {attempted / elapsed:8.1f}   ({attempted} attempted, "
          f"{outcome['nothing_to_do']} skipped: nothing to act on)")
    print(f"  latency p50 / p95    {p50:8.1f} / {p95:.1f} ms")
    print(f"  succeeded            {outcome['ok']:8d}   " +
          ", ".join(f"{k[3:]} {v}" for k, v in sorted(outcome.items()) if k.startswith("ok_")))
    print(f"  conflicts refused    {outcome['conflict']:8d}   (ReviewConflictError, German message)")
    print(f"  input refused        {outcome['input']:8d}   (InputError: locked cluster, nothing to undo …)")
    print(f"  retries absorbed     {sum(retries.values()):8d}   {dict(retries) or ''}")
    print(f"  deadlocks            {outcome['deadlock']:8d}")
    print(f"  raw errors           {outcome['raw']:8d}")
    for line in raw[:10]:
        print(f"    {line}")
    checks = consistency(url, outcome["ok"])
    for name, (passed, detail) in checks.items():
        print(f"  {'ok  ' if passed else 'FAIL'} {name}: {detail}")
    return outcome["deadlock"] == 0 and outcome["raw"] == 0 and all(p for p, _ in checks.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", help="PostgreSQL server URL; a fresh database is created on it per run")
    parser.add_argument("--seed", type=int, nargs="+", default=[1], help="one run per seed")
    parser.add_argument("--processes", type=int, default=6)
    parser.add_argument("--actions", type=int, default=50, help="actions per process")
    args = parser.parse_args()

    @contextmanager
    def server() -> Iterator[str | None]:
        if args.backend == "sqlite":
            yield None
        elif args.database_url:
            yield args.database_url
        else:
            if postgres_bin() is None:
                sys.exit("PostgreSQL is not installed (apt-get install postgresql), or pass --database-url")
            with throwaway_postgres(prefix="taten-stress-pg-") as url:
                yield url

    passed = True
    with server() as server_url:
        for seed in args.seed:
            folder = Path(tempfile.mkdtemp(prefix="taten-stress-db-"))
            try:
                url = (f"sqlite:///{folder / 'taten.sqlite'}" if server_url is None
                       else fresh_postgres_database(server_url, seed))
                passed &= run(url, seed, args.processes, args.actions)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    print("all floors met" if passed else "FLOOR MISSED")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
