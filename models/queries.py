"""The two questions every view asks, answered in one place.

The command line (``taten concerns``, ``taten export``), every workbench page, the
committee view and any report show

- **the active concerns** of an analysis run: clusters that are not merged away,
  still relevant and have members, best first (:func:`active_concerns`); and
- **the measures to show** of a conference: every measure that is not rejected
  (:func:`measures_to_show`).

They read these through the functions below and nowhere else, so a merge, a
"nicht relevant" or a rejected measure changes every count in the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from models.records import AnalysisRun, Cluster, Measure

MEASURE_STATUSES = ("Entwurf", "vorgeschlagen", "beschlossen", "in Umsetzung", "umgesetzt", "abgelehnt")
REJECTED = "abgelehnt"
SHOWN_STATUSES = tuple(s for s in MEASURE_STATUSES if s != REJECTED)


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

    Without ``status``: every measure whose status is one of :data:`SHOWN_STATUSES`
    ("Entwurf", "vorgeschlagen", "beschlossen", "in Umsetzung", "umgesetzt"), that
    is every status except "abgelehnt". A rejected measure stays in the register
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
