"""The two questions every view asks, answered in one place.

The command line (``taten concerns``, ``taten export``), every workbench page, the
committee view and any report show

- **the active concerns** of an analysis run: clusters that are not merged away,
  still relevant and have members, best first (:func:`active_concerns`); and
- **the measures to show** of a conference: every measure that is not rejected
  (:func:`measures_to_show`).

They read these through the functions below and nowhere else, so a merge, a
"nicht relevant" or a rejected measure changes every count in the same way.

The statuses of a measure, their order, meaning and default progress, and which of
them go before the committee (:data:`COMMITTEE_STATUSES`) are defined here too
(:data:`STATUSES`), once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from models.records import AnalysisRun, Cluster, ConcernLink, Measure



@dataclass(frozen=True)
class MeasureStatus:
    """One step of a measure's life: its name (stored as is), what it means, and the
    progress a measure has by default when it reaches it."""

    name: str
    meaning: str
    default_progress: int
    #: staff have put it forward: it belongs before the committee and into its report
    before_committee: bool


#: Every status of a measure, in the order of its life; the one place they are defined.
STATUSES = (
    MeasureStatus("Entwurf", "in Arbeit beim Amt, noch nicht vorgeschlagen", 0, False),
    MeasureStatus("vorgeschlagen", "vom Amt vorgeschlagen, noch nicht im Ausschuss", 5, True),
    MeasureStatus("im Ausschuss", "dem Ausschuss vorgelegt, Beschluss steht aus", 10, True),
    MeasureStatus("beschlossen", "vom Ausschuss beschlossen, Umsetzung noch nicht begonnen", 20, True),
    MeasureStatus("abgelehnt", "vom Ausschuss abgelehnt; bleibt im Register, wird sonst nicht gezeigt", 0, False),
    MeasureStatus("zurückgestellt", "vom Ausschuss vertagt oder zurückgestellt", 10, True),
    MeasureStatus("in Umsetzung", "wird umgesetzt", 50, True),
    MeasureStatus("umgesetzt", "abgeschlossen", 100, True),
)
STATUS_BY_NAME = {s.name: s for s in STATUSES}
MEASURE_STATUSES = tuple(s.name for s in STATUSES)
REJECTED = "abgelehnt"
SHOWN_STATUSES = tuple(s for s in MEASURE_STATUSES if s != REJECTED)
#: What goes before the committee: "vorgeschlagen" and every later status but "abgelehnt".
COMMITTEE_STATUSES = tuple(s.name for s in STATUSES if s.before_committee)


def default_progress(status: str) -> int:
    """The progress (0–100) a measure has by default in ``status``; 0 for an unknown one."""
    known = STATUS_BY_NAME.get(status)
    return 0 if known is None else known.default_progress


def latest_run_id(session: Session, conference_id: int) -> int | None:
    """The newest analysis run of a conference; every view shows that one."""
    run_id = session.scalar(select(func.max(AnalysisRun.id)).where(AnalysisRun.conference_id == conference_id))
    return None if run_id is None else int(run_id)


def is_active(*, include_irrelevant: bool = False) -> ColumnElement[bool]:
    """The condition that makes a cluster an active concern (see :func:`active_concerns`)."""
    conditions = [Cluster.merged_into_id.is_(None), Cluster.size > 0]
    if not include_irrelevant:
        conditions.append(Cluster.relevant.is_(True))
    return and_(*conditions)


def active_concerns_query(
    run_id: int, *, theme: str | None = None, include_irrelevant: bool = False
) -> Select[tuple[Cluster]]:
    """The select behind :func:`active_concerns`, for callers that add columns or joins."""
    query = select(Cluster).where(Cluster.run_id == run_id, is_active(include_irrelevant=include_irrelevant))
    if theme is not None:
        query = query.where(Cluster.theme == theme)
    return query.order_by(Cluster.rank, Cluster.id)


def active_concerns(
    session: Session, run_id: int, *, theme: str | None = None, include_irrelevant: bool = False
) -> list[Cluster]:
    """The active concerns of run ``run_id``, in rank order.

    Active: not merged into another cluster, marked relevant, at least one member.
    A merged cluster stays as a record (for undo and the audit log) with size 0; a
    cluster staff marked "nicht relevant" stays reviewable; neither is a concern.

    Args:
        theme: only this theme.
        include_irrelevant: also clusters marked not relevant (the review page
            shows them, flagged, so staff can take the decision back).
    """
    return list(session.scalars(active_concerns_query(run_id, theme=theme, include_irrelevant=include_irrelevant)))


def measures_to_show(
    session: Session, conference_id: int, *, status: str | None = None, theme: str | None = None,
    district: str | None = None,
) -> list[Measure]:
    """The measures of a conference that views show and count, oldest first.

    Without ``status``: every measure whose status is one of :data:`SHOWN_STATUSES`,
    that is every status except "abgelehnt". A rejected measure stays in the register
    and appears when ``status="abgelehnt"`` is asked for explicitly.

    Args:
        status: exactly this status (any of :data:`MEASURE_STATUSES`).
        theme: only measures of this theme.
        district: only measures that name this district.
    """
    statuses: Sequence[str] = SHOWN_STATUSES if status is None else (status,)
    query = select(Measure).where(Measure.conference_id == conference_id, Measure.status.in_(statuses))
    if theme is not None:
        query = query.where(Measure.theme == theme)
    rows = session.scalars(query.order_by(Measure.id))
    # districts is a JSON list: filtered here, the same way on SQLite and PostgreSQL
    return [m for m in rows if district is None or district in (m.districts or [])]


def register_measures(session: Session, conference_id: int) -> list[Measure]:
    """Every measure of a conference, rejected ones included, oldest first: the register as a whole
    (its export, the tree of parent and child measures and their progress)."""
    return list(session.scalars(select(Measure).where(Measure.conference_id == conference_id).order_by(Measure.id)))


def linked_conferences(session: Session, cluster_ids: Sequence[int]) -> dict[int, int]:
    """At how many conferences each cluster's concern was raised: 1, plus the most of any earlier
    concern it continues (``concern_link``, rejected links left out). The ranking's "conferences" term."""
    out: dict[int, int] = {}

    def count(ids: list[int], seen: frozenset[int]) -> dict[int, int]:
        found: dict[int, int] = {i: 1 for i in ids}
        if not ids:
            return found
        earlier: dict[int, list[int]] = {}
        for cluster_id, previous_id in session.execute(
            select(ConcernLink.cluster_id, ConcernLink.previous_cluster_id)
            .where(ConcernLink.cluster_id.in_(ids), ConcernLink.rejected.is_(False))
        ):
            if previous_id not in seen:
                earlier.setdefault(cluster_id, []).append(previous_id)
        wanted = sorted({p for ps in earlier.values() for p in ps})
        deeper = count(wanted, seen | frozenset(ids)) if wanted else {}
        for cluster_id, previous in earlier.items():
            found[cluster_id] = 1 + max(deeper.get(p, 1) for p in previous)
        return found

    out.update(count(list(cluster_ids), frozenset()))
    return out
