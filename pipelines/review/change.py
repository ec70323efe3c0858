"""The unit of work of review: one change is one transaction with version checks,
one audit event, and a snapshot of the state before it that :func:`restore` puts back.

- Clusters and measures carry a version number. A change names the version the
  person saw; when the record has moved on since, the change is refused with
  :class:`ReviewConflictError` and nothing is written (optimistic locking).
- The event's payload holds the state before the change (``before``); undo
  restores it and refreshes the derived figures of the clusters it touched;
  :func:`changed_since` tells whether a later change wrote the same records.
- A change may carry the key of the form submission that asked for it
  (``request_key``). A second change with a key already stored writes nothing and
  raises :class:`AlreadyApplied`, which names what the first one returned: a
  double click creates one record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models.records import Assignment, Cluster, ConcernLink, Measure, MeasureSource, ReviewEvent, utcnow
from pipelines.errors import InputError, ReviewConflictError
from pipelines.review.concurrency import begin_write, lock_run
from pipelines.review.derived import refresh_derived
from pipelines.review.reads import ReviewReader

logger = logging.getLogger(__name__)

MEASURE_FIELDS = (
    "title", "description", "theme", "districts", "responsible", "priority", "cost_estimate", "timeframe", "status",
    # the register (0006): an undo snapshot holds them too, so undo puts them back
    "progress", "parent_id", "weight", "milestones",
    "decision_date", "decision_committee", "decision_paper", "decision_result", "decision_note",
)
MAX_LABEL_CHARS = 300


class AlreadyApplied(Exception):  # noqa: N818 - a signal, not an error: the service answers with the first result
    """The submission's request key is already stored: ``result`` is ``["cluster" | "measure", id]`` or None."""

    def __init__(self, event_id: int, result: list[Any] | None) -> None:
        super().__init__(f"request already applied as event {event_id}")
        self.event_id = event_id
        self.result = result


class Change:
    """One review change: a transaction, the version checks, the event and its undo snapshot.

    Used as ``with Change(service, action, target_type, target_id) as change:``; the body
    edits records through it, and on leaving the block the derived figures are
    refreshed, the event is written and everything is committed together — or,
    when the body raises, nothing is.
    """

    def __init__(self, service: ReviewReader, action: str, target_type: str, target_id: int | None,
                 request_key: str | None = None, *, session: Session | None = None) -> None:
        self.service = service
        #: a change that joins ``session``'s transaction (several changes, one commit: the decision import);
        #: the caller took the locks and checked the request key, and commits or rolls back itself
        self.joined = session
        self.request_key = request_key or None
        self.action = action
        self.target_type = target_type
        self.target_id = target_id
        self.payload: dict[str, Any] = {}
        self.created_measures: list[int] = []
        self._snapshots: dict[str, Any] = {"clusters": {}, "measures": {}, "assignments": {},
                                           "new_clusters": [], "measure_links": [], "links": {}, "new_links": []}
        self._derived: set[int] = set()
        #: reads what the change returns, in its transaction after the derived figures, before the commit:
        #: read after the commit, a colleague's merge or undo in between would report a saved change as failed
        self.view: Callable[[Session], Any] | None = None
        self.result: Any = None

    def __enter__(self) -> Change:
        self.event = ReviewEvent(conference_id=self.service.conference_id, actor=self.service.actor, at=utcnow(),
                                 action=self.action, target_type=self.target_type, target_id=self.target_id,
                                 payload={}, request_key=self.request_key)
        if self.joined is not None:
            self.session = self.joined
            return self
        self._transaction = self.service.store.transaction()
        self.session = self._transaction.__enter__()
        try:
            # the same locks in the same order for every change, before it reads what it decides on
            begin_write(self.session)
            lock_run(self.session, self.service.run_id(self.session))
            # under the locks: of two submissions with one key, the second sees the first's event
            done = None if self.request_key is None else self.session.scalar(
                select(ReviewEvent).where(ReviewEvent.request_key == self.request_key))
            if done is not None:
                raise AlreadyApplied(done.id, (done.payload or {}).get("result"))
        except BaseException as exc:
            self._transaction.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if self.joined is not None:  # the caller's transaction commits or rolls back
            if exc is None:
                self._finish()
            return False
        if exc is None:
            try:
                self._finish()
            except BaseException as failure:
                self._transaction.__exit__(type(failure), failure, failure.__traceback__)
                if isinstance(failure, StaleDataError):
                    raise _conflict() from failure
                raise
            self._transaction.__exit__(None, None, None)
            self.service.commits = getattr(self.service, "commits", 0) + 1
            logger.info("%s: %s %s %s", self.service.actor, self.action, self.target_type, self._logged_target)
            return False
        self._transaction.__exit__(exc_type, exc, tb)  # rolls back
        if isinstance(exc, StaleDataError):
            raise _conflict() from exc
        return False

    def _finish(self) -> None:
        self.session.flush()
        run_id = self.service.run_id(self.session)
        refresh_derived(self.session, run_id, sorted(self._derived), self.service.ranking)
        snapshot = {**self._snapshots, "run_id": run_id, "derived_ids": sorted(self._derived),
                    "new_measures": self.created_measures}
        redo_of = getattr(self.service, "redo_of", None)
        if redo_of is not None:
            undo = self.session.get(ReviewEvent, redo_of)
            if undo is None or undo.undone:
                raise InputError("Diese Änderung wurde schon wiederhergestellt.")
            undo.undone = True  # the undo is itself undone: the change is back
            self.payload["redo_of"] = redo_of
        self.event.payload = {**self.payload, "before": snapshot}
        self.session.add(self.event)
        self.session.flush()
        self._logged_target = self.event.target_id
        if self.view is not None:
            self.result = self.view(self.session)
            kind = {"ClusterView": "cluster", "MeasureView": "measure"}.get(type(self.result).__name__)
            if kind is not None:  # what a second submission with the same key answers
                self.event.payload = {**self.event.payload, "result": [kind, self.result.id]}
                self.session.flush()

    def cluster(self, cluster_id: int, expected_version: int | None) -> Cluster:
        cluster = self.service.cluster_record(self.session, cluster_id)
        if expected_version is not None and cluster.version != expected_version:
            raise ReviewConflictError(
                f"Cluster '{cluster.label}' wurde inzwischen von jemand anderem geändert "
                f"(Version {cluster.version} statt {expected_version}). Ihre Änderung wurde nicht gespeichert; "
                "bitte den aktuellen Stand prüfen.")
        self._snapshots["clusters"].setdefault(str(cluster.id), cluster_state(cluster))
        return cluster

    def measure(self, measure_id: int, expected_version: int) -> Measure:
        measure = self.service.measure_record(self.session, measure_id)
        if measure.version != expected_version:
            raise ReviewConflictError(
                f"Maßnahme '{measure.title}' wurde inzwischen von {measure.updated_by or 'jemand anderem'} geändert "
                f"(Version {measure.version} statt {expected_version}). Ihre Änderung wurde nicht gespeichert; "
                "bitte den aktuellen Stand prüfen.")
        self._snapshots["measures"].setdefault(str(measure.id), measure_state(measure))
        return measure

    def link(self, link_id: int) -> ConcernLink:
        """A link of a concern of the latest run to an earlier conference's concern, with its state kept for undo."""
        link = self.session.get(ConcernLink, link_id)
        run_id = self.service.run_id(self.session)
        cluster = None if link is None else self.session.get(Cluster, link.cluster_id)
        if link is None or cluster is None or cluster.run_id != run_id:
            raise InputError(f"Zuordnung {link_id} gibt es in der aktuellen Analyse nicht. Bitte neu laden.")
        self._snapshots["links"].setdefault(str(link.id), {k: getattr(link, k) for k in _LINK_STATE})
        return link

    def new_link(self, link: ConcernLink) -> ConcernLink:
        self.session.add(link)
        self.session.flush()
        self._snapshots["new_links"].append(link.id)
        return link

    def reassign(self, contribution_ids: Iterable[int] | Any, cluster_id: int) -> None:
        """Point the given contributions (ids or a select of ids) at ``cluster_id``."""
        run_id = self.service.run_id(self.session)
        rows = self.session.execute(
            select(Assignment.contribution_id, Assignment.cluster_id).where(
                Assignment.run_id == run_id,
                Assignment.contribution_id.in_(contribution_ids))
        ).all()
        for contribution_id, old in rows:
            self._snapshots["assignments"].setdefault(str(contribution_id), old)
            if old is not None:
                self._derived.add(old)
        self.session.execute(
            update(Assignment)
            .where(Assignment.run_id == run_id, Assignment.contribution_id.in_([r[0] for r in rows]))
            .values(cluster_id=cluster_id)
        )
        self._derived.add(cluster_id)

    def move_measure_links(self, from_ids: Sequence[int], to_id: int) -> None:
        """Measures promoted from ``from_ids`` now point at ``to_id``; undo restores their links."""
        measure_ids = set(self.session.scalars(
            select(MeasureSource.measure_id).where(MeasureSource.cluster_id.in_(from_ids))))
        for measure_id in sorted(measure_ids):
            links = list(self.session.scalars(select(MeasureSource.cluster_id).where(
                MeasureSource.measure_id == measure_id)))
            self._snapshots["measure_links"].append([measure_id, links])
            kept = {c for c in links if c not in from_ids} | {to_id}
            self.session.execute(delete(MeasureSource).where(MeasureSource.measure_id == measure_id))
            self.session.add_all(MeasureSource(measure_id=measure_id, cluster_id=c) for c in sorted(kept))
        self.session.flush()

    def new_cluster(self, source: Cluster, label: str) -> Cluster:
        new = Cluster(
            run_id=source.run_id, theme=source.theme, label=label[:MAX_LABEL_CHARS], keywords=[], size=0,
            representative_ids=[], profile={}, hotspot_district=None, score=0.0, score_breakdown={},
            rank=0, theme_rank=0, locked=False, label_source="staff", relevant=True, reviewed=True,
        )
        self.session.add(new)
        self.session.flush()
        new.concern_key = f"split-{new.id}"
        self._snapshots["new_clusters"].append(new.id)
        return new


def _conflict() -> ReviewConflictError:
    return ReviewConflictError(
        "Jemand hat diesen Datensatz gerade geändert. Ihre Änderung wurde nicht gespeichert; "
        "bitte neu laden und den aktuellen Stand prüfen.")


_LINK_STATE = ("kind", "source", "confirmed", "rejected")
_CLUSTER_STATE = ("label", "label_source", "locked", "relevant", "reviewed", "merged_into_id")


def cluster_state(cluster: Cluster) -> dict[str, Any]:
    return {k: getattr(cluster, k) for k in _CLUSTER_STATE}


def measure_state(measure: Measure) -> dict[str, Any]:
    """The fields of a measure an undo snapshot holds, JSON-ready."""
    return {k: _jsonable(getattr(measure, k)) for k in (*MEASURE_FIELDS, "updated_by")}


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def touched(payload: Mapping[str, Any]) -> set[tuple[str, int]]:
    """The records a change wrote, as (German kind, id): clusters, measures, notes moved."""
    before = payload.get("before", {})
    return ({("Cluster", int(i)) for i in [*before.get("clusters", {}), *before.get("new_clusters", [])]}
            | {("Maßnahme", int(i)) for i in [*before.get("measures", {}), *before.get("new_measures", [])]}
            | {("Beitrag", int(i)) for i in before.get("assignments", {})}
            | {("Zuordnung", int(i)) for i in [*before.get("links", {}), *before.get("new_links", [])]})


def changed_since(session: Session, event: ReviewEvent) -> list[str]:
    """Records of ``event`` that a later change still in force also wrote, in German ("Cluster 4")."""
    mine = touched(event.payload or {})
    later = session.scalars(select(ReviewEvent.payload).where(
        ReviewEvent.conference_id == event.conference_id, ReviewEvent.id > event.id,
        ReviewEvent.undone.is_(False), ReviewEvent.action != "undo"))
    overlap: set[tuple[str, int]] = set()
    for payload in later:
        overlap |= mine & touched(payload or {})
    return [f"{kind} {ident}" for kind, ident in sorted(overlap)]


def restore(session: Session, before: Mapping[str, Any]) -> None:
    """Put back the state a change recorded before it ran."""
    for cluster_id, state in before.get("clusters", {}).items():
        cluster = session.get(Cluster, int(cluster_id))
        if cluster is not None:
            for key, value in state.items():
                setattr(cluster, key, value)
    for contribution_id, cluster_id in before.get("assignments", {}).items():
        session.execute(
            update(Assignment)
            .where(Assignment.run_id == before["run_id"], Assignment.contribution_id == int(contribution_id))
            .values(cluster_id=cluster_id)
        )
    for measure_id, links in before.get("measure_links", []):
        session.execute(delete(MeasureSource).where(MeasureSource.measure_id == measure_id))
        session.add_all(MeasureSource(measure_id=measure_id, cluster_id=c) for c in links)
    for measure_id, state in before.get("measures", {}).items():
        measure = session.get(Measure, int(measure_id))
        if measure is not None:
            for key, value in state.items():
                setattr(measure, key, value)
            measure.updated_at = utcnow()
    for measure_id in before.get("new_measures", []):
        measure = session.get(Measure, measure_id)
        if measure is not None:
            session.delete(measure)
    for link_id, state in before.get("links", {}).items():
        link = session.get(ConcernLink, int(link_id))
        if link is not None:
            for key, value in state.items():
                setattr(link, key, value)
    for link_id in before.get("new_links", []):
        session.execute(delete(ConcernLink).where(ConcernLink.id == link_id))
    session.flush()
    for cluster_id in before.get("new_clusters", []):
        session.execute(delete(Cluster).where(Cluster.id == cluster_id))
