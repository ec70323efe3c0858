"""Several staff at once (scripts/load_review.py) and the consistency check it ends with.

The load test runs real processes against a real database, briefly: 3 staff for 10
seconds on SQLite and on PostgreSQL. The check itself is shown to fail on each kind
of damage it is meant to find.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from load_review import run  # scripts/, put on the path by tests/conftest.py
from models.records import Cluster
from models.store import Store
from pipelines.analyse import analyse_conference
from pipelines.ingest import import_files
from pipelines.resources import Resources
from pipelines.review import ReviewService
from pipelines.review.consistency import check_consistency, review_state
from pipelines.settings import Settings

CONFERENCE = "Kleine Konferenz"


def test_three_staff_for_ten_seconds_leave_a_consistent_state(store_url: str) -> None:
    result = run(store_url, seed=1, staff=3, duration_s=10, think_s=0.1)
    print("\n".join(result.lines()))
    assert result.outcome["ok"] >= 10, result.outcome  # the staff did work, not only refusals
    assert result.outcome["deadlock"] == 0
    assert result.outcome["raw"] == 0, result.raw
    assert result.outcome["locked"] == 0, result.raw  # "database is locked" never reaches a person
    assert result.events == result.outcome["ok"]  # no decision lost, none written twice
    assert result.report.passed, result.report.failures()
    assert {c.name for c in result.report.checks} == {
        "every note in exactly one active cluster", "size equals member count", "no measure on a merged cluster",
        "audit log replays to the final state", "audit events equal successful changes"}


@pytest.fixture
def reviewed(sqlite_store: Store, small_conference_csv: Path, hashing_resources: Resources,
             settings: Settings) -> Iterator[tuple[ReviewService, object]]:
    """A small analysed conference, its state before review, and two changes made through the service."""
    import_files(sqlite_store, [small_conference_csv], CONFERENCE, hashing_resources.vocab)
    analyse_conference(sqlite_store, CONFERENCE, hashing_resources, settings)
    initial = review_state(sqlite_store, CONFERENCE)
    service = ReviewService(sqlite_store, CONFERENCE, "Frau Albers")
    first, second = service.clusters(with_members=True)[:2]
    service.rename(first.id, "Spielplätze", first.version)
    service.move(first.members[0].id, second.id, {})
    yield service, initial


def _failed(service: ReviewService, initial: object, expected_events: int | None = None) -> set[str]:
    report = check_consistency(service.store, CONFERENCE, initial=initial, expected_events=expected_events)
    return {c.name for c in report.failures()}


def test_changes_through_the_service_pass_and_replay_to_the_state_before(
        reviewed: tuple[ReviewService, object]) -> None:
    service, initial = reviewed
    assert _failed(service, initial, expected_events=2) == set()
    service.undo_last()  # an undone change and its undo cancel out
    assert _failed(service, initial, expected_events=3) == set()


def test_a_change_without_an_audit_event_breaks_the_replay(reviewed: tuple[ReviewService, object]) -> None:
    service, initial = reviewed
    cluster = service.clusters()[2]
    with service.store.transaction() as session:
        session.execute(update(Cluster).where(Cluster.id == cluster.id).values(label="heimlich umbenannt"))
    assert _failed(service, initial) == {"audit log replays to the final state"}
    assert _failed(service, None) == set()  # without the state before, only soundness can be replayed


def test_a_size_that_does_not_match_the_members_is_found(reviewed: tuple[ReviewService, object]) -> None:
    service, initial = reviewed
    cluster = service.clusters()[0]
    with service.store.transaction() as session:
        session.execute(update(Cluster).where(Cluster.id == cluster.id).values(size=cluster.size + 1))
    assert _failed(service, initial) == {"size equals member count"}


def test_a_note_in_a_merged_cluster_is_found(reviewed: tuple[ReviewService, object]) -> None:
    service, initial = reviewed
    first, second = service.clusters(with_members=True)[:2]
    with service.store.transaction() as session:
        session.execute(update(Cluster).where(Cluster.id == second.id).values(merged_into_id=first.id, size=0))
    assert "every note in exactly one active cluster" in _failed(service, initial)


def test_a_lost_or_doubled_decision_is_found_by_the_event_count(reviewed: tuple[ReviewService, object]) -> None:
    service, initial = reviewed
    assert _failed(service, initial, expected_events=3) == {"audit events equal successful changes"}
    assert _failed(service, initial, expected_events=1) == {"audit events equal successful changes"}
