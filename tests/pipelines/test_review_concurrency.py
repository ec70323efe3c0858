"""Two people changing one analysis at once, on PostgreSQL, each race interleaved on purpose.

Each test runs two :class:`ReviewService` objects, each on its own :class:`Store`
(its own connections, as two workbench processes would). Person A's change is held
inside its transaction, after it took its locks (``hold``), until person B's change
is seen waiting for a lock in ``pg_stat_activity``; then A commits and B goes on.
So B always decides on what A committed, never on what it saw before.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

import pipelines.review.change as change_module
import pipelines.review.service as service_module
from models.records import ReviewEvent
from models.store import Store
from pipelines.analyse import analyse_conference
from pipelines.errors import ReviewConflictError
from pipelines.ingest import import_files
from pipelines.resources import Resources
from pipelines.review import ClusterView, MeasureInput, ReviewService
from pipelines.review import concurrency
from pipelines.review.consistency import check_consistency
from pipelines.settings import Settings

CONFERENCE = "Kleine Konferenz"


_databases = iter(range(10**6))


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    """A fresh database on the session's PostgreSQL server."""
    import psycopg

    name = f"race{next(_databases)}_{int(time.time() * 1000) % 10**8}"
    with psycopg.connect(postgres_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def two_people(
    pg_url: str, small_conference_csv: Path, hashing_resources: Resources, settings: Settings
) -> Iterator[tuple[ReviewService, ReviewService]]:
    first, second = Store(pg_url), Store(pg_url)
    import_files(first, [small_conference_csv], CONFERENCE, hashing_resources.vocab)
    analyse_conference(first, CONFERENCE, hashing_resources, settings)
    yield ReviewService(first, CONFERENCE, "Frau Albers"), ReviewService(second, CONFERENCE, "Herr Brandt")
    first.close()
    second.close()


class Hold:
    """Stops the change running in thread ``"A"`` just before it writes its derived figures and event."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.inside, self.go = threading.Event(), threading.Event()
        for module in (change_module, service_module):
            original = module.refresh_derived

            def held(*args: Any, _original: Callable[..., None] = original) -> None:
                if threading.current_thread().name == "A" and not self.go.is_set():
                    self.inside.set()
                    assert self.go.wait(30), "the test never let A go on"
                _original(*args)

            monkeypatch.setattr(module, "refresh_derived", held)


@pytest.fixture
def hold(monkeypatch: pytest.MonkeyPatch) -> Hold:
    return Hold(monkeypatch)


class Outcome:
    def __init__(self) -> None:
        self.value: Any = None
        self.error: BaseException | None = None


def _start(name: str, call: Callable[[], Any]) -> tuple[threading.Thread, Outcome]:
    outcome = Outcome()

    def run() -> None:
        try:
            outcome.value = call()
        except BaseException as exc:  # handed to the test thread
            outcome.error = exc

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread, outcome


def _waiting_for_a_lock(store: Store, at_least: int = 1, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    with store.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )).scalar_one()
            conn.rollback()
            if waiting >= at_least:
                return
            time.sleep(0.02)
    raise AssertionError("B never waited for A's lock")


@contextmanager
def race(hold: Hold, a: Callable[[], Any], b: Callable[[], Any], b_store: Store) -> Iterator[tuple[Outcome, Outcome]]:
    """A takes its locks and stops; B starts and waits for them; A commits; B goes on."""
    thread_a, outcome_a = _start("A", a)
    assert hold.inside.wait(30), "A never reached its change"
    thread_b, outcome_b = _start("B", b)
    _waiting_for_a_lock(b_store)
    hold.go.set()
    thread_a.join(30)
    thread_b.join(30)
    assert not thread_a.is_alive() and not thread_b.is_alive()
    yield outcome_a, outcome_b


def _check(service: ReviewService) -> None:
    """The check scripts/load_review.py ends with: notes in active clusters, sizes, measure links, replay."""
    report = check_consistency(service.store, CONFERENCE)
    assert report.passed, report.failures()


def _events(service: ReviewService) -> list[ReviewEvent]:
    with service.store.transaction() as session:
        return list(session.scalars(select(ReviewEvent).order_by(ReviewEvent.id)))


def _two_of_one_theme(service: ReviewService) -> tuple[ClusterView, ClusterView, ClusterView]:
    """Two clusters of one theme and a third, with at least two members, elsewhere."""
    clusters = service.clusters(with_members=True)
    by_theme: dict[str, list[ClusterView]] = {}
    for cluster in clusters:
        by_theme.setdefault(cluster.theme, []).append(cluster)
    x, y = next(cs for cs in by_theme.values() if len(cs) >= 2)[:2]
    z = next(c for c in clusters if c.id not in (x.id, y.id) and len(c.members) >= 2)
    return x, y, z


@pytest.mark.postgres
def test_two_people_renaming_different_clusters_both_succeed(
    two_people: tuple[ReviewService, ReviewService], hold: Hold
) -> None:
    albers, brandt = two_people
    first, second = albers.clusters()[:2]
    with race(hold, lambda: albers.rename(first.id, "Spielplätze", first.version),
              lambda: brandt.rename(second.id, "Busanbindung", second.version), brandt.store) as (a, b):
        assert a.error is None and b.error is None, (a.error, b.error)
    assert albers.cluster(first.id).label == "Spielplätze"
    assert albers.cluster(second.id).label == "Busanbindung"
    assert [e.action for e in _events(albers)] == ["rename", "rename"]
    _check(albers)


@pytest.mark.postgres
def test_two_moves_at_once_leave_every_size_equal_to_its_members(
    two_people: tuple[ReviewService, ReviewService], hold: Hold
) -> None:
    albers, brandt = two_people
    x, y, z = _two_of_one_theme(albers)
    from_z, from_x = z.members[0].id, x.members[0].id
    # B names no versions: both moves go through, and each must count what the other did
    with race(hold, lambda: albers.move(from_z, x.id, {}), lambda: brandt.move(from_x, z.id, {}),
              brandt.store) as (a, b):
        assert a.error is None and b.error is None, (a.error, b.error)
    assert albers.cluster(x.id).size == len(x.members)
    assert albers.cluster(z.id).size == len(z.members)
    assert from_z in {m.id for m in albers.cluster(x.id).members}
    assert from_x in {m.id for m in albers.cluster(z.id).members}
    _check(albers)


@pytest.mark.postgres
def test_a_move_into_a_cluster_being_merged_is_refused_and_the_note_stays(
    two_people: tuple[ReviewService, ReviewService], hold: Hold
) -> None:
    albers, brandt = two_people
    x, y, z = _two_of_one_theme(albers)
    note = z.members[0].id
    with race(hold, lambda: albers.merge({x.id: x.version, y.id: y.version}),
              lambda: brandt.move(note, y.id, {z.id: z.version, y.id: y.version}), brandt.store) as (a, b):
        assert a.error is None
        assert isinstance(b.error, ReviewConflictError)
    assert note in {m.id for m in albers.cluster(z.id).members}
    assert [e.action for e in _events(albers)] == ["merge"]
    _check(albers)


@pytest.mark.postgres
def test_a_measure_cannot_be_promoted_from_a_cluster_being_merged(
    two_people: tuple[ReviewService, ReviewService], hold: Hold
) -> None:
    albers, brandt = two_people
    x, y, _ = _two_of_one_theme(albers)
    with race(hold, lambda: albers.merge({x.id: x.version, y.id: y.version}),
              lambda: brandt.promote([y.id], MeasureInput(title="Mehr Spielplätze")), brandt.store) as (a, b):
        assert a.error is None
        assert isinstance(b.error, ReviewConflictError)
    assert albers.measures() == []
    _check(albers)


@pytest.mark.postgres
def test_a_measure_promoted_while_its_cluster_is_merged_follows_it(
    two_people: tuple[ReviewService, ReviewService], hold: Hold
) -> None:
    albers, brandt = two_people
    x, y, _ = _two_of_one_theme(albers)
    with race(hold, lambda: albers.promote([y.id], MeasureInput(title="Mehr Spielplätze")),
              lambda: brandt.merge({x.id: x.version, y.id: y.version}), brandt.store) as (a, b):
        assert a.error is None and b.error is None, (a.error, b.error)
    (measure,) = albers.measures()
    assert albers.measure(measure.id).cluster_ids == (x.id,)
    _check(albers)


@pytest.mark.postgres
def test_one_person_undoing_in_two_windows_at_once_undoes_two_changes(
    two_people: tuple[ReviewService, ReviewService], hold: Hold
) -> None:
    albers, brandt = two_people
    other_window = ReviewService(brandt.store, CONFERENCE, albers.actor)  # undo acts on one's own changes
    first, second = albers.clusters()[:2]
    albers.rename(first.id, "Spielplätze", first.version)
    albers.rename(second.id, "Busanbindung", second.version)
    with race(hold, albers.undo_last, other_window.undo_last, brandt.store) as (a, b):
        assert a.error is None and b.error is None, (a.error, b.error)
    assert {a.value.id, b.value.id} == {e.id for e in _events(albers) if e.action == "rename"}
    assert albers.cluster(first.id).label == first.label
    assert albers.cluster(second.id).label == second.label
    events = _events(albers)
    assert [e.action for e in events] == ["rename", "rename", "undo", "undo"]
    assert all(e.undone for e in events[:2])


@pytest.mark.postgres
def test_a_real_deadlock_with_another_writer_is_retried(
    two_people: tuple[ReviewService, ReviewService], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer outside review takes the locks the other way round; the review change is retried."""
    albers, brandt = two_people
    monkeypatch.setattr(concurrency, "RETRIES", concurrency.RETRIES.__class__())
    cluster = albers.clusters()[0]
    run_id = albers.run_id()
    last = max(c.id for c in albers.clusters(include_irrelevant=True))
    with brandt.store.engine.connect() as other:
        other.execute(text("SET deadlock_timeout = '10s'"))  # the review side detects the deadlock
        other.execute(text("UPDATE cluster SET reviewed = reviewed WHERE id = :id"), {"id": last})
        thread, outcome = _start("A", lambda: albers.rename(cluster.id, "Spielplätze", cluster.version))
        _waiting_for_a_lock(brandt.store)
        other.execute(text("SELECT id FROM analysis_run WHERE id = :id FOR UPDATE"), {"id": run_id})
        other.commit()
        thread.join(30)
    assert outcome.error is None, outcome.error
    assert concurrency.RETRIES["deadlock"] >= 1
    assert albers.cluster(cluster.id).label == "Spielplätze"
    assert [e.action for e in _events(albers)] == ["rename"]


# -- the retry itself, without a database ---------------------------------------------------


class _Person:
    actor = "Frau Albers"
    commits = 0

    def __init__(self, failures: list[BaseException]) -> None:
        self.failures = failures
        self.calls = 0

    @concurrency.retried
    def change(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        self.commits += 1
        return "gespeichert"


def _deadlock() -> OperationalError:
    import psycopg.errors

    return OperationalError("UPDATE cluster …", {}, psycopg.errors.DeadlockDetected("deadlock detected"))


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(concurrency.time, "sleep", lambda _s: None)


def test_a_transient_failure_is_retried(no_sleep: None) -> None:
    busy = OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
    person = _Person([_deadlock(), busy])
    assert person.change() == "gespeichert"
    assert person.calls == 3


def test_after_the_bound_the_person_gets_a_german_conflict(no_sleep: None) -> None:
    person = _Person([_deadlock() for _ in range(concurrency.ATTEMPTS)])
    with pytest.raises(ReviewConflictError, match="gleichzeitige Änderungen anderer") as info:
        person.change()
    assert person.calls == concurrency.ATTEMPTS
    assert isinstance(info.value.__cause__, OperationalError)


def test_other_failures_and_failures_after_a_commit_are_not_retried(no_sleep: None) -> None:
    person = _Person([OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: cluster"))])
    with pytest.raises(OperationalError):
        person.change()
    assert person.calls == 1

    class ReadFails(_Person):
        @concurrency.retried
        def change(self) -> str:
            self.calls += 1
            self.commits += 1  # the change is in; the read after it fails
            raise _deadlock()

    person = ReadFails([])
    with pytest.raises(OperationalError):
        person.change()
    assert person.calls == 1


# -- SQLite: one writer at a time, taken at the start ------------------------------------------


@pytest.fixture
def two_people_on_sqlite(
    tmp_path: Path, small_conference_csv: Path, hashing_resources: Resources, settings: Settings
) -> Iterator[tuple[ReviewService, ReviewService]]:
    url = f"sqlite:///{tmp_path / 'taten.sqlite'}"
    first, second = Store(url), Store(url)
    import_files(first, [small_conference_csv], CONFERENCE, hashing_resources.vocab)
    analyse_conference(first, CONFERENCE, hashing_resources, settings)
    yield ReviewService(first, CONFERENCE, "Frau Albers"), ReviewService(second, CONFERENCE, "Herr Brandt")
    first.close()
    second.close()


def test_on_sqlite_a_promote_from_a_cluster_being_merged_waits_and_is_refused(
    two_people_on_sqlite: tuple[ReviewService, ReviewService], hold: Hold
) -> None:
    """B's change takes the write lock before it reads, so it decides on A's merge.

    SQLite shows no waiting writer, so B gets half a second to reach its wait. Had B
    read before taking the lock (a deferred transaction), it would have seen Y unmerged
    in that time and linked its measure to a cluster that is merged away (promoting
    bumps no version, so no version check would have caught it).
    """
    albers, brandt = two_people_on_sqlite
    x, y, _ = _two_of_one_theme(albers)
    thread_a, a = _start("A", lambda: albers.merge({x.id: x.version, y.id: y.version}))
    assert hold.inside.wait(30)
    thread_b, b = _start("B", lambda: brandt.promote([y.id], MeasureInput(title="Mehr Spielplätze")))
    time.sleep(0.5)
    hold.go.set()
    thread_a.join(30)
    thread_b.join(30)
    assert a.error is None
    assert isinstance(b.error, ReviewConflictError)
    assert albers.measures() == []
    _check(albers)


def test_on_sqlite_a_change_starts_with_begin_immediate(
    two_people_on_sqlite: tuple[ReviewService, ReviewService]
) -> None:
    from sqlalchemy import event

    albers, _ = two_people_on_sqlite
    cluster = albers.clusters()[0]
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement.strip())

    event.listen(albers.store.engine, "before_cursor_execute", record)
    try:
        albers.rename(cluster.id, "Spielplätze", cluster.version)
    finally:
        event.remove(albers.store.engine, "before_cursor_execute", record)
    assert statements[0] == "BEGIN IMMEDIATE"
