"""Is the review state of a conference sound? The check after several people changed it at once.

:func:`check_consistency` reads the latest analysis of a conference in one
transaction and answers, each as a named :class:`Check`:

- every note of the analysis is in exactly one cluster, and that cluster exists and
  is not merged away (a note the analysis left unclustered may stay so);
- each cluster's size equals its member count (a merged cluster: 0);
- no measure is linked to a merged or missing cluster;
- the audit log replays to the final state: undoing every change still in force, newest
  first, with the ``before`` snapshot its event holds (as :func:`~pipelines.review.change.restore`
  does, but in memory) leads back to a sound state — and, when the state before the
  changes was taken with :func:`review_state`, to exactly that state. A change that
  wrote without an event, or an event whose snapshot is wrong, breaks this chain;
- optionally, the number of audit events equals the number of changes a caller saw succeed
  (no decision lost, none written twice).

Events of an older analysis end the replay: a re-analysis starts a new state.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.queries import latest_run_id
from models.records import Assignment, Cluster, Conference, Contribution, Measure, MeasureSource, ReviewEvent
from models.store import Store
from pipelines.errors import InputError
from pipelines.review.change import cluster_state, measure_state


@dataclass
class ReviewState:
    """What review changes write, as plain values: the part of the database an event's snapshot restores.

    Attributes:
        clusters: cluster id → its staff-edited fields (label, lock, relevance, reviewed, merged into).
        assignments: note id → cluster id (None: unclustered) in the analysis.
        measures: measure id → its fields and who changed it last.
        links: measure id → the clusters it was promoted from.
    """

    run_id: int
    clusters: dict[int, dict[str, Any]] = field(default_factory=dict)
    assignments: dict[int, int | None] = field(default_factory=dict)
    measures: dict[int, dict[str, Any]] = field(default_factory=dict)
    links: dict[int, frozenset[int]] = field(default_factory=dict)

    def differences(self, other: ReviewState, limit: int = 3) -> list[str]:
        """Where ``other`` differs from this state, a few examples in words (empty when equal)."""
        found: list[str] = []
        for name in ("clusters", "assignments", "measures", "links"):
            mine, theirs = getattr(self, name), getattr(other, name)
            for key in sorted(set(mine) | set(theirs)):
                if mine.get(key, "missing") != theirs.get(key, "missing"):
                    found.append(f"{name} {key}: {mine.get(key, 'missing')} vs {theirs.get(key, 'missing')}")
        return found[:limit] + ([f"… {len(found) - limit} more"] if len(found) > limit else [])


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class ConsistencyReport:
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]


def _latest_run(session: Session, conference: str) -> tuple[int, int]:
    """(conference id, its latest analysis run id).

    Raises:
        InputError: no such conference, or it has no analysis.
    """
    conference_id = session.scalar(select(Conference.id).where(Conference.name == conference))
    if conference_id is None:
        raise InputError(f"Konferenz '{conference}' gibt es nicht.")
    run_id = latest_run_id(session, conference_id)
    if run_id is None:
        raise InputError(f"Konferenz '{conference}' ist noch nicht analysiert.")
    return int(conference_id), run_id


def _state(session: Session, conference_id: int, run_id: int) -> ReviewState:
    clusters = {c.id: cluster_state(c) for c in session.scalars(select(Cluster).where(Cluster.run_id == run_id))}
    assignments = {note: cluster for note, cluster in session.execute(
        select(Assignment.contribution_id, Assignment.cluster_id).where(Assignment.run_id == run_id))}
    measures = {m.id: measure_state(m)
                for m in session.scalars(select(Measure).where(Measure.conference_id == conference_id))}
    links: dict[int, set[int]] = {}
    for measure_id, cluster_id in session.execute(
            select(MeasureSource.measure_id, MeasureSource.cluster_id)
            .join(Measure, Measure.id == MeasureSource.measure_id).where(Measure.conference_id == conference_id)):
        links.setdefault(measure_id, set()).add(cluster_id)
    return ReviewState(run_id, clusters, assignments, measures, {m: frozenset(c) for m, c in links.items()})


def review_state(store: Store, conference: str) -> ReviewState:
    """The review state of the latest analysis of ``conference`` now (take it before a load, compare after)."""
    with store.transaction() as session:
        return _state(session, *_latest_run(session, conference))


def replay_back(state: ReviewState, payloads: list[Mapping[str, Any]]) -> ReviewState:
    """Undo, in memory, the changes whose event payloads are given (oldest first), newest first.

    The caller passes only changes still in force: an undone change and the undo that
    undid it have no net effect (an undo is refused when a change in force wrote the
    same records since).
    """
    state = copy.deepcopy(state)
    for payload in reversed(payloads):
        before = payload.get("before", {})
        for cluster_id, values in before.get("clusters", {}).items():
            state.clusters[int(cluster_id)] = dict(values)
        for note_id, cluster_id in before.get("assignments", {}).items():
            state.assignments[int(note_id)] = cluster_id
        for measure_id, cluster_ids in before.get("measure_links", []):
            state.links[int(measure_id)] = frozenset(cluster_ids)
        for measure_id, values in before.get("measures", {}).items():
            state.measures.setdefault(int(measure_id), {}).update(values)
        for measure_id in before.get("new_measures", []):
            state.measures.pop(int(measure_id), None)
            state.links.pop(int(measure_id), None)
        for cluster_id in before.get("new_clusters", []):
            state.clusters.pop(int(cluster_id), None)
    return state


def _homeless(state: ReviewState) -> list[int]:
    """Notes assigned to a cluster that does not exist or is merged away."""
    return [note for note, cluster in state.assignments.items() if cluster is not None
            and (cluster not in state.clusters or state.clusters[cluster]["merged_into_id"] is not None)]


def check_consistency(store: Store, conference: str, *, initial: ReviewState | None = None,
                      expected_events: int | None = None) -> ConsistencyReport:
    """Check the review state of the latest analysis of ``conference`` (see the module docstring).

    Args:
        initial: the state before the changes (:func:`review_state`); the replay must reach it.
        expected_events: the audit events of this analysis there should be (changes and undos that
            callers saw succeed since ``initial``).

    Raises:
        InputError: no such conference, or it has no analysis.
    """
    with store.transaction() as session:
        conference_id, run_id = _latest_run(session, conference)
        final = _state(session, conference_id, run_id)
        sizes = {c.id: c.size for c in session.scalars(select(Cluster).where(Cluster.run_id == run_id))}
        notes = int(session.scalar(select(func.count()).select_from(Contribution)
                                   .where(Contribution.conference_id == conference_id)) or 0)
        per_note = Counter(session.scalars(select(Assignment.contribution_id).where(Assignment.run_id == run_id)))
        events = list(session.execute(
            select(ReviewEvent.id, ReviewEvent.action, ReviewEvent.undone, ReviewEvent.payload)
            .where(ReviewEvent.conference_id == conference_id).order_by(ReviewEvent.id)))

    checks: list[Check] = []
    homeless = _homeless(final)
    clustered = sum(1 for c in final.assignments.values() if c is not None)
    doubled = [n for n, k in per_note.items() if k > 1]
    checks.append(Check(
        "every note in exactly one active cluster",
        not homeless and not doubled and len(per_note) == notes,
        f"{clustered} notes clustered, {len(per_note) - clustered} unclustered, {len(homeless)} in a merged or "
        f"missing cluster, {len(per_note)}/{notes} notes in the analysis, {len(doubled)} twice"))

    members = Counter(c for c in final.assignments.values() if c is not None)
    wrong = [(i, size, members[i]) for i, size in sorted(sizes.items()) if size != members[i]]
    checks.append(Check(
        "size equals member count", not wrong,
        f"{len(sizes)} clusters, {len(wrong)} off"
        + (f", e.g. cluster {wrong[0][0]}: size {wrong[0][1]}, {wrong[0][2]} members" if wrong else "")))

    on_merged = sorted((m, c) for m, cs in final.links.items() for c in cs
                       if c not in final.clusters or final.clusters[c]["merged_into_id"] is not None)
    n_links = sum(map(len, final.links.values()))
    checks.append(Check("no measure on a merged cluster", not on_merged,
                        f"{n_links} links, {len(on_merged)} on a merged or missing cluster"))

    # this analysis's events: from the newest back to the first that belongs to an older run
    ours: list[tuple[int, str, bool, Mapping[str, Any]]] = []
    for event in reversed(events):
        payload = event.payload or {}
        run = payload.get("before", {}).get("run_id")
        if event.action != "undo" and run is not None and run != run_id:
            break
        ours.append((event.id, event.action, event.undone, payload))
    ours.reverse()
    in_force = [p for _, action, undone, p in ours if action != "undo" and not undone]
    replayed = replay_back(final, in_force)
    broken = _homeless(replayed)
    detail = f"{len(ours)} events, {len(in_force)} changes in force undone in memory"
    if initial is not None:
        differences = initial.differences(replayed)
        outcome = ("reaches the state before the changes" if not differences
                   else "differs from the state before: " + "; ".join(differences))
        checks.append(Check("audit log replays to the final state", not broken and not differences,
                            f"{detail}; {outcome}"))
    else:
        checks.append(Check("audit log replays to the final state", not broken,
                            f"{detail}; {len(broken)} notes then in a merged or missing cluster"))

    if expected_events is not None:
        checks.append(Check("audit events equal successful changes", len(ours) == expected_events,
                            f"{len(ours)} events, {expected_events} changes succeeded"))
    return ConsistencyReport(tuple(checks))
