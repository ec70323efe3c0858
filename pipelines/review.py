"""The review service: staff correct clusters and promote them into measures.

Every business rule of the workbench lives here, so it is tested without Streamlit:

- Each change is one transaction and writes one :class:`ReviewEvent` (who, when,
  what) whose payload holds the state before the change; :meth:`ReviewService.undo_last`
  restores it.
- Clusters and measures carry a version number. A change names the version the
  person saw; when the record has moved on since, the change is refused with
  :class:`ReviewConflictError` and nothing is written (optimistic locking).
- A cluster that staff touched is marked ``reviewed``; a re-analysis keeps it, its
  identity (``concern_key``), label and members (see ``pipelines.analyse``).
- Derived figures (size, profile, keywords, score, rank) follow every change of
  membership; they are not staff edits and do not bump other clusters' versions.

Reads return frozen views, never live ORM objects.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models.records import (
    Assignment,
    Cluster,
    Conference,
    Contribution,
    Measure,
    MeasureSource,
    ReviewEvent,
    utcnow,
)
from models.queries import MEASURE_STATUSES, active_concerns, is_active, latest_run_id, measures_to_show
from models.store import Store
from nlp.keywords import class_tfidf_keywords
from nlp.rank import ConcernStats, hotspot, rank_concerns
from pipelines.errors import InputError, ReviewConflictError
from pipelines.settings import RankingSettings

logger = logging.getLogger(__name__)

PRIORITIES = ("hoch", "mittel", "niedrig")
MEASURE_FIELDS = (
    "title", "description", "theme", "districts", "responsible", "priority", "cost_estimate", "timeframe", "status",
)
MAX_LABEL_CHARS = 300
N_REPRESENTATIVES = 3

ACTION_NAMES = {
    "rename": "umbenannt",
    "merge": "zusammengeführt",
    "split": "aufgeteilt",
    "move": "Beitrag verschoben",
    "relevance": "Relevanz geändert",
    "lock": "Sperre geändert",
    "promote": "zur Maßnahme gemacht",
    "update_measure": "Maßnahme geändert",
    "undo": "rückgängig gemacht",
}


# -- views ----------------------------------------------------------------------


@dataclass(frozen=True)
class MemberView:
    """One contribution as the workbench shows it, with where it came from."""

    id: int
    text: str
    table: str | None
    round: int | None
    theme: str | None
    district: str | None
    stakeholder_group: str | None
    source_file: str | None
    source_position: str | None
    heading_path: str | None
    cluster_id: int | None = None
    similarity: float = 0.0
    districts: tuple[str, ...] = ()

    @property
    def source(self) -> str:
        """Where the note came from, in words: file, position, heading, table and round."""
        parts = [p for p in (self.source_file, self.source_position, self.heading_path) if p]
        if self.table:
            parts.append(f"Tisch {self.table}")
        if self.round is not None:
            parts.append(f"Runde {self.round}")
        return " · ".join(parts) or "–"


@dataclass(frozen=True)
class ClusterView:
    id: int
    concern_key: str | None
    theme: str
    label: str
    label_source: str
    keywords: tuple[str, ...]
    size: int
    profile: dict[str, dict[str, int]]
    hotspot: str | None
    score: float
    breakdown: dict[str, float]
    rank: int
    theme_rank: int
    locked: bool
    relevant: bool
    reviewed: bool
    version: int
    representatives: tuple[MemberView, ...] = ()
    members: tuple[MemberView, ...] = ()
    measure_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class MeasureView:
    id: int
    title: str
    description: str
    theme: str | None
    districts: tuple[str, ...]
    responsible: str | None
    priority: str | None
    cost_estimate: str | None
    timeframe: str | None
    status: str
    version: int
    created_by: str | None
    updated_by: str | None
    created_at: datetime
    updated_at: datetime
    cluster_ids: tuple[int, ...] = ()
    cluster_labels: tuple[str, ...] = ()
    sources: tuple[MemberView, ...] = ()


@dataclass(frozen=True)
class EventView:
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: int | None
    summary: str
    undone: bool


@dataclass(frozen=True)
class Overview:
    """Counts, the theme × district heatmap and the top concerns under a filter."""

    n_contributions: int
    n_tables: int
    n_districts: int
    n_clusters: int
    n_measures: int
    heatmap: dict[str, dict[str, int]]  # theme -> district -> notes naming it in that theme's concerns
    top: tuple[ClusterView, ...]
    themes: tuple[str, ...]
    districts: tuple[str, ...]
    groups: tuple[str, ...]
    rounds: tuple[int, ...]


class _Facts(NamedTuple):
    """The facts of one note that filters and counts need."""

    districts: tuple[str, ...]
    table: str | None
    round: int | None
    stakeholder_group: str | None


@dataclass(frozen=True)
class Filters:
    theme: str | None = None
    district: str | None = None
    group: str | None = None
    round: int | None = None

    def admits(self, member: MemberView | _Facts) -> bool:
        return (
            (self.district is None or self.district in member.districts)
            and (self.group is None or member.stakeholder_group == self.group)
            and (self.round is None or member.round == self.round)
        )


@dataclass(frozen=True)
class MeasureInput:
    """What staff enter for a measure; checked on the way in."""

    title: str
    description: str = ""
    theme: str | None = None
    districts: tuple[str, ...] = ()
    responsible: str | None = None
    priority: str | None = None
    cost_estimate: str | None = None
    timeframe: str | None = None
    status: str = "Entwurf"
    extra: dict[str, Any] = field(default_factory=dict)

    def checked(self) -> dict[str, Any]:
        title = self.title.strip()
        if not title:
            raise InputError("Eine Maßnahme braucht einen Titel.")
        if len(title) > 300:
            raise InputError("Der Titel ist zu lang (höchstens 300 Zeichen).")
        if self.status not in MEASURE_STATUSES:
            raise InputError(f"Unbekannter Status '{self.status}'. Erlaubt: {', '.join(MEASURE_STATUSES)}.")
        if self.priority not in (None, "", *PRIORITIES):
            raise InputError(f"Unbekannte Priorität '{self.priority}'. Erlaubt: {', '.join(PRIORITIES)}.")
        return {
            "title": title, "description": self.description.strip(), "theme": self.theme or None,
            "districts": list(dict.fromkeys(self.districts)), "responsible": _blank(self.responsible),
            "priority": _blank(self.priority), "cost_estimate": _blank(self.cost_estimate),
            "timeframe": _blank(self.timeframe), "status": self.status,
        }


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# -- the service ----------------------------------------------------------------


class ReviewService:
    """Review of one conference's latest analysis by one person.

    Args:
        store: the database.
        conference: name of an analysed conference.
        actor: the name the person entered; it goes into the audit log.
        ranking: weights for re-ranking after a change of membership.
    """

    def __init__(self, store: Store, conference: str, actor: str, ranking: RankingSettings | None = None) -> None:
        actor = actor.strip()
        if not actor:
            raise InputError("Bitte einen Namen angeben: jede Änderung wird mit Namen protokolliert.")
        self.store = store
        self.conference = conference
        self.actor = actor[:100]
        self.ranking = ranking or RankingSettings()
        with store.transaction() as session:
            record = session.scalar(select(Conference).where(Conference.name == conference))
            if record is None:
                raise InputError(f"Konferenz '{conference}' gibt es nicht.")
            self.conference_id = record.id

    # -- reads -------------------------------------------------------------------

    def run_id(self, session: Session | None = None) -> int:
        """The latest analysis run; staff review always works on it."""
        if session is None:
            with self.store.transaction() as own:
                return self.run_id(own)
        run_id = latest_run_id(session, self.conference_id)
        if run_id is None:
            raise InputError(f"Konferenz '{self.conference}' ist noch nicht analysiert. Bitte zuerst analysieren.")
        return run_id

    def clusters(
        self, theme: str | None = None, *, include_irrelevant: bool = True, with_members: bool = False
    ) -> list[ClusterView]:
        """The active concerns of the latest run (see :func:`models.queries.active_concerns`), best first.

        ``include_irrelevant`` adds the clusters marked not relevant, for the review page.
        """
        with self.store.transaction() as session:
            run_id = self.run_id(session)
            rows = active_concerns(session, run_id, theme=theme, include_irrelevant=include_irrelevant)
            members = self._members(session, run_id, [c.id for c in rows]) if with_members else {}
            reps = self._representatives(session, rows)
            measures = self._measure_ids(session, [c.id for c in rows])
            return [_cluster_view(c, reps.get(c.id, ()), members.get(c.id, ()), measures.get(c.id, ())) for c in rows]

    def cluster(self, cluster_id: int) -> ClusterView:
        """One cluster with every member and its source."""
        with self.store.transaction() as session:
            cluster = self._cluster(session, cluster_id)
            members = self._members(session, cluster.run_id, [cluster.id])
            reps = self._representatives(session, [cluster])
            measures = self._measure_ids(session, [cluster.id])
            return _cluster_view(cluster, reps.get(cluster.id, ()), members.get(cluster.id, ()),
                                 measures.get(cluster.id, ()))

    def members(self, cluster_id: int) -> list[MemberView]:
        return list(self.cluster(cluster_id).members)

    def themes(self) -> list[str]:
        with self.store.transaction() as session:
            run_id = self.run_id(session)
            return sorted({c.theme for c in active_concerns(session, run_id, include_irrelevant=True)})

    def overview(self, filters: Filters = Filters(), top: int | None = 10) -> Overview:
        """Counts and concerns of the latest run under ``filters``.

        Concerns are the active concerns, measures the measures to show (see
        :mod:`models.queries`). Counts, heatmap and the top list consider only notes
        of active concerns that pass the filters; a concern is listed when at least
        one of its notes passes. Measures are counted under theme and district.
        """
        with self.store.transaction() as session:
            run_id = self.run_id(session)
            clusters = active_concerns(session, run_id)
            members = self._member_facts(session, run_id)
            members = {c.id: members.get(c.id, []) for c in clusters}
            all_members = [m for ms in members.values() for m in ms]
            n_measures = len(measures_to_show(session, self.conference_id, theme=filters.theme,
                                              district=filters.district))
            reps = self._representatives(session, clusters)
        heatmap: dict[str, Counter[str]] = {}
        kept: list[ClusterView] = []
        passing_notes: list[_Facts] = []
        for c in clusters:
            if filters.theme is not None and c.theme != filters.theme:
                continue
            passing = [m for m in members.get(c.id, ()) if filters.admits(m)]
            if not passing:
                continue
            passing_notes.extend(passing)
            row = heatmap.setdefault(c.theme, Counter())
            for m in passing:
                row.update(m.districts)
            kept.append(_cluster_view(c, reps.get(c.id, ())))
        if filters.district is not None:
            kept.sort(key=lambda v: (-v.profile.get("districts", {}).get(filters.district, 0), v.rank))
        return Overview(
            n_contributions=len(passing_notes),
            n_tables=len({m.table for m in passing_notes if m.table}),
            n_districts=len({d for m in passing_notes for d in m.districts}),
            n_clusters=len(kept),
            n_measures=n_measures,
            heatmap={t: dict(sorted(row.items())) for t, row in sorted(heatmap.items())},
            top=tuple(kept[:top]),
            themes=tuple(sorted({c.theme for c in clusters})),
            districts=tuple(sorted({d for m in all_members for d in m.districts})),
            groups=tuple(sorted({m.stakeholder_group for m in all_members if m.stakeholder_group})),
            rounds=tuple(sorted({m.round for m in all_members if m.round is not None})),
        )

    def map_points(self, theme: str | None = None) -> list[dict[str, Any]]:
        """Contributions with their 2-D map position, cluster and label, for the cluster map."""
        with self.store.transaction() as session:
            run_id = self.run_id(session)
            query = (
                select(Assignment.contribution_id, Assignment.map_x, Assignment.map_y, Cluster.id, Cluster.label,
                       Cluster.theme, Contribution.text)
                .join(Cluster, Cluster.id == Assignment.cluster_id)
                .join(Contribution, Contribution.id == Assignment.contribution_id)
                .where(Assignment.run_id == run_id, Assignment.map_x.is_not(None))
            )
            if theme is not None:
                query = query.where(Cluster.theme == theme)
            return [
                {"id": cid, "x": x, "y": y, "cluster_id": kid, "cluster": label, "theme": t, "text": text}
                for cid, x, y, kid, label, t, text in session.execute(query.order_by(Assignment.contribution_id))
            ]

    def measures(
        self, *, status: str | None = None, theme: str | None = None, district: str | None = None
    ) -> list[MeasureView]:
        """The measures to show (every status but "abgelehnt", see :func:`models.queries.measures_to_show`).

        ``status`` asks for exactly that status, "abgelehnt" included.
        """
        with self.store.transaction() as session:
            rows = measures_to_show(session, self.conference_id, status=status, theme=theme, district=district)
            return [self._measure_view(session, m, with_sources=False) for m in rows]

    def measure(self, measure_id: int) -> MeasureView:
        with self.store.transaction() as session:
            return self._measure_view(session, self._measure(session, measure_id), with_sources=True)

    def events(self, limit: int = 50) -> list[EventView]:
        """The audit log, newest first."""
        with self.store.transaction() as session:
            rows = session.scalars(
                select(ReviewEvent).where(ReviewEvent.conference_id == self.conference_id)
                .order_by(ReviewEvent.id.desc()).limit(limit)
            )
            return [_event_view(e) for e in rows]

    # -- cluster changes -----------------------------------------------------------

    def rename(self, cluster_id: int, label: str, expected_version: int) -> ClusterView:
        label = " ".join(label.split())
        if not label:
            raise InputError("Der neue Name ist leer.")
        if len(label) > MAX_LABEL_CHARS:
            raise InputError(f"Der Name ist zu lang (höchstens {MAX_LABEL_CHARS} Zeichen).")
        with self._change("rename", "cluster", cluster_id) as change:
            cluster = change.cluster(cluster_id, expected_version)
            change.payload["from"], change.payload["to"] = cluster.label, label
            cluster.label, cluster.label_source, cluster.reviewed = label, "staff", True
        return self.cluster(cluster_id)

    def set_locked(self, cluster_id: int, locked: bool, expected_version: int) -> ClusterView:
        with self._change("lock", "cluster", cluster_id) as change:
            cluster = change.cluster(cluster_id, expected_version)
            change.payload["locked"] = locked
            cluster.locked, cluster.reviewed = locked, True
        return self.cluster(cluster_id)

    def set_relevant(self, cluster_id: int, relevant: bool, expected_version: int) -> ClusterView:
        with self._change("relevance", "cluster", cluster_id) as change:
            cluster = change.cluster(cluster_id, expected_version)
            change.payload["relevant"] = relevant
            cluster.relevant, cluster.reviewed = relevant, True
        return self.cluster(cluster_id)

    def merge(self, versions: Mapping[int, int], label: str | None = None) -> ClusterView:
        """Merge clusters into the first of ``versions`` (cluster id → version seen).

        The others are kept as merged records (for undo and the audit log); their
        members and measure links go to the target.
        """
        ids = list(versions)
        if len(ids) < 2:
            raise InputError("Zum Zusammenführen bitte mindestens zwei Cluster wählen.")
        target_id = ids[0]
        with self._change("merge", "cluster", target_id) as change:
            clusters = [change.cluster(i, versions[i]) for i in ids]
            if any(c.locked for c in clusters):
                raise InputError("Gesperrte Cluster können nicht zusammengeführt werden. Bitte zuerst entsperren.")
            target, others = clusters[0], clusters[1:]
            change.payload.update(ids=ids, labels=[c.label for c in clusters])
            other_ids = [c.id for c in others]
            change.reassign(select(Assignment.contribution_id).where(
                Assignment.run_id == target.run_id, Assignment.cluster_id.in_(other_ids)), target.id)
            change.move_measure_links(other_ids, target.id)
            for other in others:
                other.merged_into_id, other.size, other.reviewed = target.id, 0, True
            if label and label.strip():
                target.label, target.label_source = " ".join(label.split())[:MAX_LABEL_CHARS], "staff"
            target.reviewed = True
        return self.cluster(target_id)

    def split(self, cluster_id: int, member_ids: Sequence[int], label: str, expected_version: int) -> ClusterView:
        """Move the chosen members of a cluster into a new cluster named ``label``."""
        label = " ".join(label.split())
        if not label:
            raise InputError("Bitte einen Namen für den neuen Cluster angeben.")
        with self._change("split", "cluster", cluster_id) as change:
            source = change.cluster(cluster_id, expected_version)
            if source.locked:
                raise InputError("Ein gesperrter Cluster kann nicht aufgeteilt werden. Bitte zuerst entsperren.")
            members = set(change.session.scalars(select(Assignment.contribution_id).where(
                Assignment.run_id == source.run_id, Assignment.cluster_id == source.id)))
            chosen = sorted(set(member_ids))
            if not chosen or not set(chosen) <= members:
                raise InputError("Bitte Beiträge wählen, die zu diesem Cluster gehören.")
            if len(chosen) == len(members):
                raise InputError("Es müssen Beiträge im alten Cluster bleiben. Zum Umbenennen bitte 'Umbenennen' nutzen.")
            new_id = change.new_cluster(source, label).id
            change.payload.update(new_cluster_id=new_id, member_ids=chosen)
            change.reassign(chosen, new_id)
            source.reviewed = True
        return self.cluster(new_id)

    def move(self, contribution_id: int, to_cluster_id: int, versions: Mapping[int, int]) -> ClusterView:
        """Move one contribution to another cluster of the same run.

        ``versions`` holds the versions seen of the source and the target cluster.
        """
        with self._change("move", "contribution", contribution_id) as change:
            run_id = self.run_id(change.session)
            assignment = change.session.get(Assignment, (run_id, contribution_id))
            if assignment is None:
                raise InputError(f"Beitrag {contribution_id} gehört nicht zur aktuellen Analyse.")
            target = change.cluster(to_cluster_id, versions.get(to_cluster_id))
            if assignment.cluster_id == target.id:
                raise InputError("Der Beitrag gehört schon zu diesem Cluster.")
            touched = [target]
            if assignment.cluster_id is not None:
                source = change.cluster(assignment.cluster_id, versions.get(assignment.cluster_id))
                touched.append(source)
            if any(c.locked for c in touched):
                raise InputError("Gesperrte Cluster können nicht geändert werden. Bitte zuerst entsperren.")
            change.payload.update(from_cluster_id=assignment.cluster_id, to_cluster_id=target.id)
            change.reassign([contribution_id], target.id)
            for cluster in touched:
                cluster.reviewed = True
        return self.cluster(to_cluster_id)

    # -- measures ------------------------------------------------------------------

    def promote(self, cluster_ids: Sequence[int], measure: MeasureInput) -> MeasureView:
        """Create a measure from one or more clusters; the clusters count as reviewed."""
        if not cluster_ids:
            raise InputError("Bitte mindestens einen Cluster für die Maßnahme wählen.")
        values = measure.checked()
        with self._change("promote", "measure", None) as change:
            clusters = [change.cluster(i, None) for i in dict.fromkeys(cluster_ids)]
            if values["theme"] is None:
                values["theme"] = Counter(c.theme for c in clusters).most_common(1)[0][0]
            now = utcnow()
            record = Measure(conference_id=self.conference_id, created_at=now, updated_at=now,
                             created_by=self.actor, updated_by=self.actor, **values)
            change.session.add(record)
            change.session.flush()
            for cluster in clusters:
                change.session.add(MeasureSource(measure_id=record.id, cluster_id=cluster.id))
            # promoting pins the clusters for re-analyses but changes nothing staff edit in
            # them, so it must not bump their versions and refuse a colleague's pending rename
            change.session.execute(
                update(Cluster).where(Cluster.id.in_([c.id for c in clusters])).values(reviewed=True)
                .execution_options(synchronize_session=False)
            )
            change.event.target_id = record.id
            change.payload.update(measure_id=record.id, cluster_ids=[c.id for c in clusters], title=values["title"])
            change.created_measures.append(record.id)
            measure_id = record.id
        return self.measure(measure_id)

    def update_measure(self, measure_id: int, measure: MeasureInput, expected_version: int) -> MeasureView:
        values = measure.checked()
        with self._change("update_measure", "measure", measure_id) as change:
            record = change.measure(measure_id, expected_version)
            changed = {k: v for k, v in values.items() if getattr(record, k) != v}
            if not changed:
                raise InputError("Keine Änderung: die Maßnahme ist schon so gespeichert.")
            change.payload["changed"] = sorted(changed)
            for key, value in changed.items():
                setattr(record, key, value)
            record.updated_at, record.updated_by = utcnow(), self.actor
        return self.measure(measure_id)

    # -- undo ----------------------------------------------------------------------

    def undo_last(self) -> EventView:
        """Undo the newest change of this conference that is not yet undone.

        Raises:
            InputError: nothing to undo, or the change belongs to an older analysis.
            ReviewConflictError: a record changed after the event in a way undo cannot see.
        """
        with self.store.transaction() as session:
            event = session.scalar(
                select(ReviewEvent).where(ReviewEvent.conference_id == self.conference_id,
                                          ReviewEvent.undone.is_(False), ReviewEvent.action != "undo")
                .order_by(ReviewEvent.id.desc()).limit(1)
            )
            if event is None:
                raise InputError("Es gibt keine Änderung, die rückgängig gemacht werden kann.")
            before = event.payload.get("before", {})
            if before.get("run_id") not in (None, self.run_id(session)):
                raise InputError("Die letzte Änderung gehört zu einer älteren Analyse und kann nicht mehr "
                                 "rückgängig gemacht werden.")
            try:
                _restore(session, before)
                event.undone = True
                session.add(ReviewEvent(
                    conference_id=self.conference_id, actor=self.actor, at=utcnow(), action="undo",
                    target_type=event.target_type, target_id=event.target_id,
                    payload={"event_id": event.id, "action": event.action, "summary": _summary(event)},
                ))
                session.flush()
                if before.get("run_id") is not None:
                    _refresh_derived(session, before["run_id"], before.get("derived_ids", []), self.ranking)
            except StaleDataError as exc:
                raise ReviewConflictError(
                    "Rückgängig nicht möglich: jemand hat die Daten gerade geändert. Bitte neu laden.") from exc
            logger.info("%s undid event %d (%s)", self.actor, event.id, event.action)
            return _event_view(event)

    # -- internals -----------------------------------------------------------------

    def _change(self, action: str, target_type: str, target_id: int | None) -> _Change:
        return _Change(self, action, target_type, target_id)

    def _cluster(self, session: Session, cluster_id: int) -> Cluster:
        cluster = session.get(Cluster, cluster_id)
        if cluster is None or cluster.run_id != self.run_id(session):
            raise InputError(f"Cluster {cluster_id} gibt es in der aktuellen Analyse nicht. Bitte neu laden.")
        if cluster.merged_into_id is not None:
            raise ReviewConflictError(
                f"Cluster '{cluster.label}' wurde inzwischen zusammengeführt. Bitte neu laden.")
        return cluster

    def _measure(self, session: Session, measure_id: int) -> Measure:
        measure = session.get(Measure, measure_id)
        if measure is None or measure.conference_id != self.conference_id:
            raise InputError(f"Maßnahme {measure_id} gibt es nicht.")
        return measure

    def _members(self, session: Session, run_id: int, cluster_ids: Sequence[int]) -> dict[int, list[MemberView]]:
        out: dict[int, list[MemberView]] = {i: [] for i in cluster_ids}
        if not cluster_ids:
            return out
        query = (
            select(Assignment, Contribution)
            .join(Contribution, Contribution.id == Assignment.contribution_id)
            .where(Assignment.run_id == run_id, Assignment.cluster_id.in_(list(cluster_ids)))
            .order_by(Assignment.similarity.desc(), Contribution.id)
        )
        for assignment, contribution in session.execute(query):
            out[assignment.cluster_id].append(_member_view(contribution, assignment))
        return out

    def _member_facts(self, session: Session, run_id: int) -> dict[int, list[_Facts]]:
        """What the overview filters and counts, per cluster: no texts, no ORM objects (fast at 10,000s)."""
        out: dict[int, list[_Facts]] = {}
        query = (
            select(Assignment.cluster_id, Assignment.districts, Contribution.table_label, Contribution.round,
                   Contribution.stakeholder_group)
            .join(Contribution, Contribution.id == Assignment.contribution_id)
            .where(Assignment.run_id == run_id, Assignment.cluster_id.is_not(None))
        )
        for cluster_id, districts, table, round_, group in session.execute(query):
            out.setdefault(cluster_id, []).append(_Facts(tuple(districts or ()), table, round_, group))
        return out

    def _representatives(self, session: Session, clusters: Sequence[Cluster]) -> dict[int, tuple[MemberView, ...]]:
        ids = {i for c in clusters for i in c.representative_ids}
        if not ids:
            return {}
        rows = {c.id: c for c in session.scalars(select(Contribution).where(Contribution.id.in_(ids)))}
        return {c.id: tuple(_member_view(rows[i]) for i in c.representative_ids if i in rows) for c in clusters}

    def _measure_ids(self, session: Session, cluster_ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
        out: dict[int, list[int]] = {}
        if cluster_ids:
            for measure_id, cluster_id in session.execute(
                select(MeasureSource.measure_id, MeasureSource.cluster_id)
                .where(MeasureSource.cluster_id.in_(list(cluster_ids))).order_by(MeasureSource.measure_id)
            ):
                out.setdefault(cluster_id, []).append(measure_id)
        return {k: tuple(v) for k, v in out.items()}

    def _measure_view(self, session: Session, m: Measure, *, with_sources: bool) -> MeasureView:
        clusters = list(session.scalars(
            select(Cluster).join(MeasureSource, MeasureSource.cluster_id == Cluster.id)
            .where(MeasureSource.measure_id == m.id).order_by(Cluster.rank)
        ))
        sources: list[MemberView] = []
        if with_sources:
            by_run: dict[int, list[int]] = {}
            for c in clusters:
                by_run.setdefault(c.run_id, []).append(c.id)
            for run_id, ids in by_run.items():
                for members in self._members(session, run_id, ids).values():
                    sources.extend(members)
        return MeasureView(
            id=m.id, title=m.title, description=m.description, theme=m.theme, districts=tuple(m.districts or ()),
            responsible=m.responsible, priority=m.priority, cost_estimate=m.cost_estimate, timeframe=m.timeframe,
            status=m.status, version=m.version, created_by=m.created_by, updated_by=m.updated_by,
            created_at=m.created_at, updated_at=m.updated_at, cluster_ids=tuple(c.id for c in clusters),
            cluster_labels=tuple(c.label for c in clusters), sources=tuple(sources),
        )


class _Change:
    """One review change: a transaction, the version checks, the event and its undo snapshot."""

    def __init__(self, service: ReviewService, action: str, target_type: str, target_id: int | None) -> None:
        self.service = service
        self.action = action
        self.target_type = target_type
        self.target_id = target_id
        self.payload: dict[str, Any] = {}
        self.created_measures: list[int] = []
        self._snapshots: dict[str, Any] = {"clusters": {}, "measures": {}, "assignments": {},
                                           "new_clusters": [], "measure_links": []}
        self._derived: set[int] = set()

    def __enter__(self) -> _Change:
        self._transaction = self.service.store.transaction()
        self.session = self._transaction.__enter__()
        self.event = ReviewEvent(conference_id=self.service.conference_id, actor=self.service.actor, at=utcnow(),
                                 action=self.action, target_type=self.target_type, target_id=self.target_id,
                                 payload={})
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None:
            try:
                self._finish()
            except BaseException as failure:
                self._transaction.__exit__(type(failure), failure, failure.__traceback__)
                if isinstance(failure, StaleDataError):
                    raise _conflict() from failure
                raise
            self._transaction.__exit__(None, None, None)
            logger.info("%s: %s %s %s", self.service.actor, self.action, self.target_type, self._logged_target)
            return False
        self._transaction.__exit__(exc_type, exc, tb)  # rolls back
        if isinstance(exc, StaleDataError):
            raise _conflict() from exc
        return False

    def _finish(self) -> None:
        self.session.flush()
        run_id = self.service.run_id(self.session)
        _refresh_derived(self.session, run_id, sorted(self._derived), self.service.ranking)
        snapshot = {**self._snapshots, "run_id": run_id, "derived_ids": sorted(self._derived),
                    "new_measures": self.created_measures}
        self.event.payload = {**self.payload, "before": snapshot}
        self.session.add(self.event)
        self.session.flush()
        self._logged_target = self.event.target_id

    def cluster(self, cluster_id: int, expected_version: int | None) -> Cluster:
        cluster = self.service._cluster(self.session, cluster_id)
        if expected_version is not None and cluster.version != expected_version:
            raise ReviewConflictError(
                f"Cluster '{cluster.label}' wurde inzwischen von jemand anderem geändert "
                f"(Version {cluster.version} statt {expected_version}). Ihre Änderung wurde nicht gespeichert; "
                "bitte den aktuellen Stand prüfen.")
        self._snapshots["clusters"].setdefault(str(cluster.id), _cluster_state(cluster))
        return cluster

    def measure(self, measure_id: int, expected_version: int) -> Measure:
        measure = self.service._measure(self.session, measure_id)
        if measure.version != expected_version:
            raise ReviewConflictError(
                f"Maßnahme '{measure.title}' wurde inzwischen von {measure.updated_by or 'jemand anderem'} geändert "
                f"(Version {measure.version} statt {expected_version}). Ihre Änderung wurde nicht gespeichert; "
                "bitte den aktuellen Stand prüfen.")
        self._snapshots["measures"].setdefault(
            str(measure.id), {k: _jsonable(getattr(measure, k)) for k in (*MEASURE_FIELDS, "updated_by")})
        return measure

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


# -- snapshots and undo -----------------------------------------------------------

_CLUSTER_STATE = ("label", "label_source", "locked", "relevant", "reviewed", "merged_into_id")


def _cluster_state(cluster: Cluster) -> dict[str, Any]:
    return {k: getattr(cluster, k) for k in _CLUSTER_STATE}


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _restore(session: Session, before: Mapping[str, Any]) -> None:
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
    session.flush()
    for cluster_id in before.get("new_clusters", []):
        session.execute(delete(Cluster).where(Cluster.id == cluster_id))


def _refresh_derived(session: Session, run_id: int, cluster_ids: Sequence[int], ranking: RankingSettings) -> None:
    """Recompute size, profile, keywords and representatives of ``cluster_ids``, then re-rank the run.

    Written with Core updates: derived figures are no staff edit and must not bump
    versions, or two people working on different clusters would refuse each other.
    """
    if cluster_ids:
        _refresh_clusters(session, run_id, cluster_ids)
    _rerank(session, run_id, ranking)


def _refresh_clusters(session: Session, run_id: int, cluster_ids: Sequence[int]) -> None:
    rows = session.execute(
        select(Assignment.contribution_id, Assignment.cluster_id, Assignment.lemmas, Assignment.districts,
               Assignment.similarity, Contribution.table_label, Contribution.round, Contribution.stakeholder_group)
        .join(Contribution, Contribution.id == Assignment.contribution_id)
        .where(Assignment.run_id == run_id, Assignment.cluster_id.is_not(None))
        .order_by(Assignment.contribution_id)
    ).all()
    theme_of = dict(session.execute(select(Cluster.id, Cluster.theme).where(Cluster.run_id == run_id)).all())
    wanted = set(cluster_ids)
    affected_themes = {theme_of[i] for i in wanted if i in theme_of}
    # keywords are c-TF-IDF within the theme, as in the analysis
    in_themes = [r for r in rows if theme_of.get(r.cluster_id) in affected_themes]
    labels = np.array([r.cluster_id for r in in_themes], dtype=int)
    keywords = class_tfidf_keywords([r.lemmas.split() for r in in_themes], labels) if len(in_themes) else {}
    by_cluster: dict[int, list[Any]] = {}
    for r in in_themes:
        by_cluster.setdefault(r.cluster_id, []).append(r)
    for cluster_id in wanted:
        members = by_cluster.get(cluster_id, [])
        districts = Counter(d for r in members for d in r.districts)
        profile = {
            "districts": dict(sorted(districts.items())),
            "tables": dict(sorted(Counter(r.table_label for r in members if r.table_label).items())),
            "rounds": {str(k): v for k, v in sorted(Counter(r.round for r in members if r.round is not None).items())},
            "groups": dict(sorted(Counter(r.stakeholder_group for r in members if r.stakeholder_group).items())),
        }
        best = sorted(members, key=lambda r: (-r.similarity, r.contribution_id))[:N_REPRESENTATIVES]
        session.execute(
            update(Cluster).where(Cluster.id == cluster_id).values(
                size=len(members), profile=profile, hotspot_district=hotspot(districts),
                keywords=list(keywords.get(cluster_id, [])), representative_ids=[r.contribution_id for r in best],
            ).execution_options(synchronize_session=False)
        )


def _rerank(session: Session, run_id: int, ranking: RankingSettings) -> None:
    """Rank the active concerns 1..n; merged, emptied and not relevant clusters sink to the end."""
    clusters = session.execute(
        select(Cluster.id, Cluster.theme, Cluster.size, Cluster.profile).where(Cluster.run_id == run_id, is_active())
    ).all()
    first_member = dict(session.execute(
        select(Assignment.cluster_id, func.min(Assignment.contribution_id))
        .where(Assignment.run_id == run_id).group_by(Assignment.cluster_id)
    ).all())
    stats = [
        ConcernStats(
            key=c.id, size=c.size, tables=frozenset(c.profile.get("tables", {})),
            rounds=frozenset(c.profile.get("rounds", {})), groups=frozenset(c.profile.get("groups", {})),
            districts=frozenset(c.profile.get("districts", {})), conferences=frozenset({0}),
            first_member=first_member.get(c.id, 0),
        )
        for c in clusters
    ]
    theme = {c.id: c.theme for c in clusters}
    theme_counter: Counter[str] = Counter()
    for r in rank_concerns(stats, ranking.model_dump()):
        theme_counter[theme[r.key]] += 1
        session.execute(
            update(Cluster).where(Cluster.id == r.key).values(
                score=r.score, score_breakdown=r.breakdown, rank=r.rank, theme_rank=theme_counter[theme[r.key]],
            ).execution_options(synchronize_session=False)
        )
    session.execute(
        update(Cluster).where(Cluster.run_id == run_id, ~is_active())
        .values(rank=len(stats) + 1, theme_rank=0).execution_options(synchronize_session=False)
    )
    session.expire_all()


# -- view builders -------------------------------------------------------------------


def _member_view(c: Contribution, a: Assignment | None = None) -> MemberView:
    return MemberView(
        id=c.id, text=c.text, table=c.table_label, round=c.round, theme=c.theme, district=c.district,
        stakeholder_group=c.stakeholder_group, source_file=c.source_file, source_position=c.source_position,
        heading_path=c.heading_path, cluster_id=a.cluster_id if a else None,
        similarity=float(a.similarity) if a else 0.0, districts=tuple(a.districts) if a else (),
    )


def _cluster_view(
    c: Cluster, reps: Sequence[MemberView] = (), members: Sequence[MemberView] = (), measures: Sequence[int] = ()
) -> ClusterView:
    return ClusterView(
        id=c.id, concern_key=c.concern_key, theme=c.theme, label=c.label, label_source=c.label_source,
        keywords=tuple(c.keywords), size=c.size, profile={k: dict(v) for k, v in c.profile.items()},
        hotspot=c.hotspot_district, score=c.score, breakdown=dict(c.score_breakdown), rank=c.rank,
        theme_rank=c.theme_rank, locked=c.locked, relevant=c.relevant, reviewed=c.reviewed, version=c.version,
        representatives=tuple(reps), members=tuple(members), measure_ids=tuple(measures),
    )


def _summary(e: ReviewEvent) -> str:
    p = e.payload or {}
    match e.action:
        case "rename":
            return f"Cluster „{p.get('from')}“ umbenannt in „{p.get('to')}“"
        case "merge":
            return "Cluster zusammengeführt: " + ", ".join(f"„{label}“" for label in p.get("labels", []))
        case "split":
            return f"{len(p.get('member_ids', []))} Beiträge in einen neuen Cluster abgetrennt"
        case "move":
            return f"Beitrag {e.target_id} in Cluster {p.get('to_cluster_id')} verschoben"
        case "relevance":
            return f"Cluster {e.target_id} als {'relevant' if p.get('relevant') else 'nicht relevant'} markiert"
        case "lock":
            return f"Cluster {e.target_id} {'gesperrt' if p.get('locked') else 'entsperrt'}"
        case "promote":
            return f"Maßnahme „{p.get('title')}“ aus {len(p.get('cluster_ids', []))} Cluster(n) angelegt"
        case "update_measure":
            return f"Maßnahme {e.target_id} geändert: {', '.join(p.get('changed', []))}"
        case "undo":
            return f"Rückgängig: {p.get('summary')}"
    return ACTION_NAMES.get(e.action, e.action)


def _event_view(e: ReviewEvent) -> EventView:
    return EventView(id=e.id, at=e.at, actor=e.actor, action=e.action, target_type=e.target_type,
                     target_id=e.target_id, summary=_summary(e), undone=e.undone)
