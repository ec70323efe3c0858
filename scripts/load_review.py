"""Several staff reviewing one conference at once: a load test. Prints figures; exits 1 when a floor is missed.

Imports the demo conference, analyses it with the *hashing* embedder (fast; the
figures measure the review service and the database, not a language model), then
starts N processes, each one member of staff with its own :class:`ReviewService`,
that act on the conference at once for ``--duration`` seconds (or ``--actions``
actions each): rename, merge, split, move, relevance, lock, promote,
update_measure, undo — each with the versions that person saw. Before each action a
person reads the clusters (and measures) as the workbench page would, sometimes
keeps an older read (a page left open), and pauses a random think time (mean
``--think`` seconds, exponential; 0, the default, acts as fast as the database allows).

Prints actions/s, p50/p95 latency of the service calls, actions done, conflicts
refused (``ReviewConflictError``, German message), other refusals, retries absorbed,
deadlocks, "database is locked" that reached a person, raw errors (anything but a
``TatenError``), lost decisions (successes without an audit event), and the check of
:mod:`pipelines.review.consistency` afterwards: every note in one active cluster, sizes
equal member counts, no measure on a merged cluster, the audit log replays back to the
state before the load, one audit event per successful action.

Floors: 0 deadlocks, 0 raw errors, 0 "locked" reaching a person, 0 lost decisions, the
check passes; ``--p95-ms`` adds a latency floor.

Usage:
    python scripts/load_review.py --backend postgres --staff 10 --duration 300 --think 2 --p95-ms 300
    python scripts/load_review.py --backend sqlite --staff 3 --duration 60 --think 2
    python scripts/load_review.py --backend postgres --seed 1 2 3 --staff 6 --actions 50   # as fast as it goes

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from local_postgres import postgres_bin, throwaway_postgres  # noqa: E402

DEMO_CSV = REPO / "data" / "demo" / "sozialraumkonferenz_2026.csv"
CONFERENCE = "Lasttest Sozialraumkonferenz"
ACTIONS = {"rename": 3, "merge": 2, "split": 2, "move": 3, "relevance": 1, "lock": 1, "promote": 2,
           "update_measure": 2, "undo": 2}
STALE_READ = 0.3  # share of actions taken on a view read before the previous action


# -- database ---------------------------------------------------------------------------


def fresh_postgres_database(server_url: str, seed: int) -> str:
    import psycopg

    name = f"load_{seed}_{int(time.time() * 1000) % 10**9}"
    with psycopg.connect(server_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def build_conference(url: str, home: Path, csv: Path = DEMO_CSV) -> None:
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
        import_files(store, [csv], CONFERENCE, resources.vocab)
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


def person(index: int, url: str, seed: int, n_actions: int | None, duration_s: float | None, think_s: float,
           barrier: Any, results: Any) -> None:
    """One member of staff: ``n_actions`` random actions, or as many as fit in ``duration_s`` seconds.

    Puts a dict of outcomes on ``results``.
    """
    from models.store import Store
    from pipelines.errors import InputError, ReviewConflictError, StorageError, TatenError
    from pipelines.review import ReviewService
    from pipelines.review.concurrency import RETRIES, transient_kind

    rng = random.Random(seed * 1000 + index)
    store = Store(url)
    service = ReviewService(store, CONFERENCE, f"Person {index + 1}")
    outcome: Counter[str] = Counter()
    latencies: list[float] = []
    raw: list[str] = []
    barrier.wait()
    end = None if duration_s is None else time.monotonic() + duration_s
    view: tuple[list[Any], list[Any]] | None = None
    count = 0
    while time.monotonic() < end if end is not None else count < (n_actions or 0):
        count += 1
        if think_s > 0:  # reading the page, deciding, clicking
            pause = rng.expovariate(1 / think_s)
            time.sleep(pause if end is None else max(0.0, min(pause, end - time.monotonic())))
            if end is not None and time.monotonic() >= end:
                break
        action = rng.choices(list(ACTIONS), weights=list(ACTIONS.values()))[0]
        start = None
        try:
            if view is None or rng.random() >= STALE_READ:
                view = _read(service)
            start = time.perf_counter()
            done = _act(service, rng, action, *view)
        except ReviewConflictError:
            outcome["conflict"] += 1
        except InputError:
            outcome["input"] += 1
        except StorageError as exc:  # German, but a busy database is to be retried, not shown
            outcome["other_refusal"] += 1
            if "gesperrt" in str(exc):
                outcome["locked"] += 1
            raw.append(f"{action}: StorageError: {str(exc)[:200]}")
        except TatenError:
            outcome["other_refusal"] += 1
        except Exception as exc:  # what would reach a person raw
            outcome["raw"] += 1
            if transient_kind(exc) == "deadlock":
                outcome["deadlock"] += 1
            if "locked" in str(exc):
                outcome["locked"] += 1
            raw.append(f"{action}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            if len(raw) <= 2:
                traceback.print_exc()
        else:
            if done is None:
                outcome["nothing_to_do"] += 1
                continue
            outcome["ok"] += 1
            outcome[f"ok_{action}"] += 1
        if start is not None:
            latencies.append(time.perf_counter() - start)
    store.close()
    results.put({"outcome": dict(outcome), "latencies": latencies, "raw": raw, "retries": dict(RETRIES)})


# -- one run ----------------------------------------------------------------------------


@dataclass
class LoadResult:
    """The figures of one load run (see :func:`run`)."""

    staff: int
    elapsed_s: float
    outcome: Counter[str]
    retries: Counter[str]
    latencies_s: list[float]
    raw: list[str]
    report: Any = None  # pipelines.review.consistency.ConsistencyReport
    events: int = 0
    p95_floor_ms: float | None = None

    @property
    def attempted(self) -> int:
        return len(self.latencies_s)

    def percentile_ms(self, q: int) -> float:
        """The ``q``-th percentile (5, 10 … 95) of the action latencies in ms."""
        if len(self.latencies_s) < 2:
            return 1000 * (self.latencies_s[0] if self.latencies_s else 0.0)
        return statistics.quantiles(self.latencies_s, n=20)[q // 5 - 1] * 1000

    @property
    def lost(self) -> int:
        """Actions a person saw succeed that left no audit event."""
        return max(0, self.outcome["ok"] - self.events)

    def floors(self) -> dict[str, bool]:
        floors = {"0 deadlocks": self.outcome["deadlock"] == 0, "0 raw errors": self.outcome["raw"] == 0,
                  "0 'locked' reaching a person": self.outcome["locked"] == 0, "0 lost decisions": self.lost == 0,
                  "consistent": self.report is not None and self.report.passed}
        if self.p95_floor_ms is not None:
            floors[f"p95 < {self.p95_floor_ms:g} ms"] = self.percentile_ms(95) < self.p95_floor_ms
        return floors

    @property
    def passed(self) -> bool:
        return all(self.floors().values())

    def lines(self) -> list[str]:
        o = self.outcome
        out = [
            f"  actions/s            {self.attempted / self.elapsed_s:8.1f}   ({self.attempted} attempted by "
            f"{self.staff} staff in {self.elapsed_s:.1f} s, {o['nothing_to_do']} skipped: nothing to act on)",
            f"  latency p50 / p95    {self.percentile_ms(50):8.1f} / {self.percentile_ms(95):.1f} ms",
            f"  succeeded            {o['ok']:8d}   "
            + ", ".join(f"{k[3:]} {v}" for k, v in sorted(o.items()) if k.startswith("ok_")),
            f"  conflicts refused    {o['conflict']:8d}   (ReviewConflictError, German message)",
            f"  input refused        {o['input']:8d}   (InputError: locked cluster, nothing to undo …)",
            f"  other refusals       {o['other_refusal']:8d}   (another TatenError)",
            f"  retries absorbed     {sum(self.retries.values()):8d}   {dict(self.retries) or ''}",
            f"  deadlocks            {o['deadlock']:8d}",
            f"  'locked' to a person {o['locked']:8d}",
            f"  raw errors           {o['raw']:8d}",
            f"  lost decisions       {self.lost:8d}   ({self.events} audit events)",
        ]
        out += [f"    {line}" for line in self.raw[:10]]
        if self.report is not None:
            out += [f"  {'ok  ' if c.passed else 'FAIL'} {c.name}: {c.detail}" for c in self.report.checks]
        out += [f"  floor {'met   ' if met else 'MISSED'} {name}" for name, met in self.floors().items()]
        return out


def run(url: str, seed: int, staff: int, n_actions: int | None = None, duration_s: float | None = None,
        think_s: float = 0.0, csv: Path = DEMO_CSV, p95_floor_ms: float | None = None) -> LoadResult:
    """Build the conference on ``url``, let ``staff`` processes act on it at once, check the result.

    Each person does ``n_actions`` actions, or acts for ``duration_s`` seconds when given.
    """
    from models.store import Store
    from pipelines.review.consistency import check_consistency, review_state

    home = Path(tempfile.mkdtemp(prefix="taten-load-"))
    try:
        start = time.perf_counter()
        build_conference(url, home, csv)
        print(f"conference built in {time.perf_counter() - start:.1f} s ({url.split('@')[-1]})")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    store = Store(url)
    try:
        initial = review_state(store, CONFERENCE)
    finally:
        store.close()
    context = mp.get_context("spawn")
    barrier, results = context.Barrier(staff + 1), context.Queue()
    workers = [context.Process(target=person, args=(i, url, seed, n_actions, duration_s, think_s, barrier, results),
                               daemon=True) for i in range(staff)]
    for worker in workers:
        worker.start()
    barrier.wait()
    start = time.perf_counter()
    reports = [results.get() for _ in workers]
    elapsed = time.perf_counter() - start
    for worker in workers:
        worker.join()
    result = LoadResult(staff, elapsed, Counter(), Counter(), [], [], p95_floor_ms=p95_floor_ms)
    for report in reports:
        result.outcome.update(report["outcome"])
        result.retries.update(report["retries"])
        result.latencies_s += report["latencies"]
        result.raw += report["raw"]
    store = Store(url)
    try:
        result.report = check_consistency(store, CONFERENCE, initial=initial, expected_events=result.outcome["ok"])
        result.events = count_events(store)
    finally:
        store.close()
    return result


def count_events(store: Any) -> int:
    from sqlalchemy import func, select

    from models.records import ReviewEvent

    with store.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(ReviewEvent)) or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", help="PostgreSQL server URL; a fresh database is created on it per run")
    parser.add_argument("--seed", type=int, nargs="+", default=[1], help="one run per seed")
    parser.add_argument("--staff", "--processes", type=int, default=6, dest="staff",
                        help="simulated staff, one process each")
    parser.add_argument("--duration", type=float, help="seconds each person acts (instead of --actions)")
    parser.add_argument("--actions", type=int, default=50, help="actions per person (without --duration)")
    parser.add_argument("--think", type=float, default=0.0, help="mean pause before each action in seconds")
    parser.add_argument("--p95-ms", type=float, help="latency floor: p95 below this many ms")
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
            with throwaway_postgres(prefix="taten-load-pg-") as url:
                yield url

    passed = True
    with server() as server_url:
        for seed in args.seed:
            folder = Path(tempfile.mkdtemp(prefix="taten-load-db-"))
            try:
                url = (f"sqlite:///{folder / 'taten.sqlite'}" if server_url is None
                       else fresh_postgres_database(server_url, seed))
                result = run(url, seed, args.staff, None if args.duration else args.actions, args.duration,
                             args.think, p95_floor_ms=args.p95_ms)
                print(f"seed {seed}, {args.backend}: {args.staff} staff, "
                      + (f"{args.duration:g} s" if args.duration else f"{args.actions} actions each")
                      + f", think {args.think:g} s (mean)")
                print("\n".join(result.lines()))
                passed &= result.passed
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    print("all floors met" if passed else "FLOOR MISSED")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
