"""The read side of review: every view of the latest analysis that the workbench shows.

Concerns and measures come from :mod:`models.queries` (the active concerns, the
measures to show), so every page counts what the command line and the exports count.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.queries import active_concerns, latest_run_id, measures_to_show, register_measures
from models.records import Assignment, Cluster, Conference, Contribution, Measure, MeasureSource, ReviewEvent
from models.store import Store
from pipelines.auth import Principal, as_principal
from pipelines.errors import InputError, ReviewConflictError
from pipelines.lineage import Lineage, VanishedConcern, earlier_choices, lineage_of, vanished_concerns
from pipelines.review.register import Node, rolled_up
from pipelines.review.views import (
    ClusterView,
    EventView,
    FieldChange,
    Filters,
    MeasureView,
    Milestone,
    MemberView,
    NoteFacts,
    Overview,
    cluster_view,
    event_view,
    member_view,
)
from pipelines.settings import RankingSettings

logger = logging.getLogger(__name__)


#: what :func:`~pipelines.review.views.member_view` reads of a contribution, as plain columns
_MEMBER_COLUMNS = (Contribution.id, Contribution.text, Contribution.table_label, Contribution.round, Contribution.theme,
                   Contribution.district, Contribution.stakeholder_group, Contribution.source_file,
                   Contribution.source_position, Contribution.heading_path)


class ReviewReader:
    """Reads of one conference's latest analysis, for one person.

    Args:
        store: the database.
        conference: name of an analysed conference.
        actor: the signed-in person (:class:`~pipelines.auth.Principal`; every change checks its
            role), or a plain name: someone without sign-in (the command line, sign-in off), who
            has the rights of Leitung (see :mod:`pipelines.auth`). The name goes into the audit log.
        ranking: weights for re-ranking after a change of membership.
    """

    def __init__(self, store: Store, conference: str, actor: str | Principal,
                 ranking: RankingSettings | None = None) -> None:
        self.principal = as_principal(actor)
        actor = self.principal.name.strip()
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
            members = self.members_of(session, run_id, [c.id for c in rows]) if with_members else {}
            reps = self._representatives(session, rows)
            measures = self._measure_ids(session, [c.id for c in rows])
            return [cluster_view(c, reps.get(c.id, ()), members.get(c.id, ()), measures.get(c.id, ())) for c in rows]

    def lineage(self, cluster_ids: Sequence[int] | None = None) -> dict[int, Lineage]:
        """Where each concern of the latest run stands across conferences: "neu" or "wiederkehrend",
        the earlier concerns it continues with their sizes and measures (:func:`pipelines.lineage.lineage_of`).

        Args:
            cluster_ids: these clusters; default: every active concern, flagged ones included.
        """
        with self.store.transaction() as session:
            if cluster_ids is None:
                cluster_ids = [c.id for c in active_concerns(session, self.run_id(session), include_irrelevant=True)]
            return lineage_of(session, list(cluster_ids))

    def vanished(self) -> list[VanishedConcern]:
        """The earlier conference's concerns that no concern of the latest run continues: "nicht mehr genannt"."""
        with self.store.transaction() as session:
            return vanished_concerns(session, self.conference_id, self.run_id(session))

    def earlier_choices(self) -> dict[int, str]:
        """The earlier conference's concerns a concern can be linked to by hand: cluster id → name."""
        with self.store.transaction() as session:
            return dict(earlier_choices(session, self.conference_id))

    def cluster(self, cluster_id: int) -> ClusterView:
        """One cluster with every member and its source."""
        with self.store.transaction() as session:
            return self.cluster_in(session, cluster_id)

    def cluster_in(self, session: Session, cluster_id: int) -> ClusterView:
        """:meth:`cluster` read in ``session`` (a change reads its result before it commits)."""
        cluster = self.cluster_record(session, cluster_id)
        members = self.members_of(session, cluster.run_id, [cluster.id])
        reps = self._representatives(session, [cluster])
        measures = self._measure_ids(session, [cluster.id])
        return cluster_view(cluster, reps.get(cluster.id, ()), members.get(cluster.id, ()),
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
        passing_notes: list[NoteFacts] = []
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
            kept.append(cluster_view(c, reps.get(c.id, ())))
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
        self, *, status: str | None = None, theme: str | None = None, district: str | None = None,
        responsible: str | None = None, search: str | None = None,
    ) -> list[MeasureView]:
        """The measures to show (every status but "abgelehnt", see :func:`models.queries.measures_to_show`).

        ``status`` asks for exactly that status, "abgelehnt" included; ``responsible``
        for exactly that office; ``search`` for words in title, description or Drucksachen-Nr.
        """
        with self.store.transaction() as session:
            rows = measures_to_show(session, self.conference_id, status=status, theme=theme, district=district)
            tree = self._tree(session)
            return [self._measure_view(session, m, with_sources=False, tree=tree) for m in rows
                    if _matches(m, responsible, search)]

    def register(
        self, *, status: str | None = None, theme: str | None = None, district: str | None = None,
        responsible: str | None = None, search: str | None = None,
    ) -> list[MeasureView]:
        """The whole register under the same filters as :meth:`measures`, rejected measures included
        (what the CSV and XLSX exports hold)."""
        if status is not None:
            return self.measures(status=status, theme=theme, district=district, responsible=responsible,
                                 search=search)
        with self.store.transaction() as session:
            rows = register_measures(session, self.conference_id)
            tree = self._tree(session)
            return [self._measure_view(session, m, with_sources=False, tree=tree) for m in rows
                    if (theme is None or m.theme == theme) and (district is None or district in (m.districts or []))
                    and _matches(m, responsible, search)]

    def measure_history(self, measure_id: int) -> list[FieldChange]:
        """Every change of every field of a measure, oldest first, from the audit log.

        Old values come from the state the change recorded before it ran (the undo
        snapshot), new ones from what it wrote; a change taken back is marked ``undone``.
        Creating the measure lists the fields it was created with (old: None).
        """
        with self.store.transaction() as session:
            self.measure_record(session, measure_id)
            events = session.scalars(
                select(ReviewEvent).where(ReviewEvent.conference_id == self.conference_id,
                                          ReviewEvent.target_type == "measure", ReviewEvent.target_id == measure_id,
                                          ReviewEvent.action != "undo").order_by(ReviewEvent.id))
            out: list[FieldChange] = []
            for e in events:
                payload = e.payload or {}
                new = payload.get("values") or {}
                old = (payload.get("before") or {}).get("measures", {}).get(str(measure_id), {})
                for field in sorted(new, key=_field_order):
                    before = None if e.action == "promote" else old.get(field)
                    if e.action == "promote" and new[field] in (None, "", []):
                        continue  # created empty: nothing to tell
                    if before != new[field]:
                        out.append(FieldChange(event_id=e.id, at=e.at, actor=e.actor, action=e.action, field=field,
                                               old=before, new=new[field], undone=e.undone))
            return out

    def measure(self, measure_id: int) -> MeasureView:
        with self.store.transaction() as session:
            return self.measure_in(session, measure_id)

    def measure_in(self, session: Session, measure_id: int) -> MeasureView:
        """:meth:`measure` read in ``session``."""
        return self._measure_view(session, self.measure_record(session, measure_id), with_sources=True)

    def events(self, limit: int = 50) -> list[EventView]:
        """The audit log, newest first."""
        with self.store.transaction() as session:
            rows = session.scalars(
                select(ReviewEvent).where(ReviewEvent.conference_id == self.conference_id)
                .order_by(ReviewEvent.id.desc()).limit(limit)
            )
            return [event_view(e) for e in rows]

    # -- records and queries shared with the changes ------------------------------

    def cluster_record(self, session: Session, cluster_id: int) -> Cluster:
        """The live record of an active-or-flagged cluster of the latest run; merged ones are refused."""
        cluster = session.get(Cluster, cluster_id)
        if cluster is None or cluster.run_id != self.run_id(session):
            raise InputError(f"Cluster {cluster_id} gibt es in der aktuellen Analyse nicht. Bitte neu laden.")
        if cluster.merged_into_id is not None:
            raise ReviewConflictError(
                f"Cluster '{cluster.label}' wurde inzwischen zusammengeführt. Bitte neu laden.")
        return cluster

    def measure_record(self, session: Session, measure_id: int) -> Measure:
        """The live record of a measure of this conference."""
        measure = session.get(Measure, measure_id)
        if measure is None or measure.conference_id != self.conference_id:
            raise InputError(f"Maßnahme {measure_id} gibt es nicht.")
        return measure

    def members_of(self, session: Session, run_id: int, cluster_ids: Sequence[int]) -> dict[int, list[MemberView]]:
        out: dict[int, list[MemberView]] = {i: [] for i in cluster_ids}
        if not cluster_ids:
            return out
        # plain columns, no ORM objects: a page reads every member of every cluster, often; the row
        # carries the attribute names member_view reads of a contribution and an assignment
        query = (
            select(*_MEMBER_COLUMNS, Assignment.cluster_id, Assignment.similarity, Assignment.districts)
            .join(Contribution, Contribution.id == Assignment.contribution_id)
            .where(Assignment.run_id == run_id, Assignment.cluster_id.in_(list(cluster_ids)))
            .order_by(Assignment.similarity.desc(), Contribution.id)
        )
        for row in session.execute(query):
            out[row.cluster_id].append(member_view(row, row))
        return out

    def _member_facts(self, session: Session, run_id: int) -> dict[int, list[NoteFacts]]:
        """What the overview filters and counts, per cluster: no texts, no ORM objects (fast at 10,000s)."""
        out: dict[int, list[NoteFacts]] = {}
        query = (
            select(Assignment.cluster_id, Assignment.districts, Contribution.table_label, Contribution.round,
                   Contribution.stakeholder_group)
            .join(Contribution, Contribution.id == Assignment.contribution_id)
            .where(Assignment.run_id == run_id, Assignment.cluster_id.is_not(None))
        )
        for cluster_id, districts, table, round_, group in session.execute(query):
            out.setdefault(cluster_id, []).append(NoteFacts(tuple(districts or ()), table, round_, group))
        return out

    def _representatives(self, session: Session, clusters: Sequence[Cluster]) -> dict[int, tuple[MemberView, ...]]:
        ids = {i for c in clusters for i in c.representative_ids}
        if not ids:
            return {}
        rows = {c.id: c for c in session.execute(select(*_MEMBER_COLUMNS).where(Contribution.id.in_(ids)))}
        return {c.id: tuple(member_view(rows[i]) for i in c.representative_ids if i in rows) for c in clusters}

    def _measure_ids(self, session: Session, cluster_ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
        out: dict[int, list[int]] = {}
        if cluster_ids:
            for measure_id, cluster_id in session.execute(
                select(MeasureSource.measure_id, MeasureSource.cluster_id)
                .where(MeasureSource.cluster_id.in_(list(cluster_ids))).order_by(MeasureSource.measure_id)
            ):
                out.setdefault(cluster_id, []).append(measure_id)
        return {k: tuple(v) for k, v in out.items()}

    def _tree(self, session: Session) -> tuple[dict[int, float], dict[int, tuple[int, ...]]]:
        """The rolled-up progress of every measure of the conference, and each one's children."""
        rows = register_measures(session, self.conference_id)
        nodes = {m.id: Node(m.parent_id, float(m.weight if m.weight is not None else 1.0), int(m.progress or 0),
                            m.status) for m in rows}
        children: dict[int, list[int]] = {}
        for m in rows:
            if m.parent_id is not None:
                children.setdefault(m.parent_id, []).append(m.id)
        return rolled_up(nodes), {k: tuple(v) for k, v in children.items()}

    def _measure_view(self, session: Session, m: Measure, *, with_sources: bool,
                      tree: tuple[dict[int, float], dict[int, tuple[int, ...]]] | None = None) -> MeasureView:
        clusters = list(session.scalars(
            select(Cluster).join(MeasureSource, MeasureSource.cluster_id == Cluster.id)
            .where(MeasureSource.measure_id == m.id).order_by(Cluster.rank)
        ))
        totals, children = tree if tree is not None else self._tree(session)
        sources: list[MemberView] = []
        if with_sources:
            by_run: dict[int, list[int]] = {}
            for c in clusters:
                by_run.setdefault(c.run_id, []).append(c.id)
            for run_id, ids in by_run.items():
                for members in self.members_of(session, run_id, ids).values():
                    sources.extend(members)
        return MeasureView(
            id=m.id, title=m.title, description=m.description, theme=m.theme, districts=tuple(m.districts or ()),
            responsible=m.responsible, priority=m.priority, cost_estimate=m.cost_estimate, timeframe=m.timeframe,
            status=m.status, version=m.version, created_by=m.created_by, updated_by=m.updated_by,
            created_at=m.created_at, updated_at=m.updated_at, cluster_ids=tuple(c.id for c in clusters),
            cluster_labels=tuple(c.label for c in clusters), sources=tuple(sources),
            progress=int(m.progress or 0), progress_total=totals.get(m.id, float(m.progress or 0)),
            parent_id=m.parent_id, weight=float(m.weight if m.weight is not None else 1.0),
            child_ids=children.get(m.id, ()),
            milestones=tuple(Milestone(x.get("date", ""), x.get("title", ""), x.get("text", ""))
                             for x in (m.milestones or [])),
            decision_date=m.decision_date, decision_committee=m.decision_committee, decision_paper=m.decision_paper,
            decision_result=m.decision_result, decision_note=m.decision_note,
        )


_FIELDS = ("title", "description", "theme", "districts", "responsible", "priority", "cost_estimate", "timeframe",
           "status", "progress", "parent_id", "weight", "milestones", "decision_date", "decision_committee",
           "decision_paper", "decision_result", "decision_note")


def _field_order(field: str) -> int:
    return _FIELDS.index(field) if field in _FIELDS else len(_FIELDS)


def _matches(m: Measure, responsible: str | None, search: str | None) -> bool:
    if responsible is not None and (m.responsible or "") != responsible:
        return False
    if search:
        haystack = " ".join((m.title, m.description or "", m.decision_paper or "", m.responsible or "")).casefold()
        return all(word in haystack for word in search.casefold().split())
    return True
