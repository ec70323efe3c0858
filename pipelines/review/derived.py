"""Derived figures follow every change of membership: size, profile, keywords,
representatives (:func:`pipelines.figures.cluster_figures`) and the ranking
(:func:`pipelines.figures.rank_clusters`), the same functions the analysis uses.

They are written with Core updates, one statement per step, on rows locked in id
order: derived figures are no staff edit and must not bump versions (or two people
working on different clusters would refuse each other), and two changes that
re-rank the same run at once wait for each other instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.orm import Session

from models.queries import is_active, linked_conferences
from models.records import Assignment, Cluster, Contribution
from pipelines.figures import MemberFacts, cluster_figures, concern_stats, rank_clusters
from pipelines.settings import RankingSettings

_CLUSTERS = Cluster.__table__


def lock_clusters(session: Session, run_id: int) -> None:
    """Lock every cluster row of the run, in id order (PostgreSQL; SQLite locks the whole file).

    Every change re-ranks the whole run, so it needs all of its rows; taking them
    in one fixed order is what keeps two changes from deadlocking.
    """
    session.execute(select(Cluster.id).where(Cluster.run_id == run_id).order_by(Cluster.id).with_for_update())


def refresh_derived(session: Session, run_id: int, cluster_ids: Sequence[int], ranking: RankingSettings) -> None:
    """Recompute the figures of ``cluster_ids`` from their members, then re-rank the run."""
    lock_clusters(session, run_id)
    if cluster_ids:
        refresh_clusters(session, run_id, cluster_ids)
    rerank(session, run_id, ranking)


def refresh_clusters(session: Session, run_id: int, cluster_ids: Sequence[int]) -> None:
    """Size, profile, hotspot, keywords and representatives of ``cluster_ids``, in one update.

    Keywords are c-TF-IDF against every cluster of the run, as in the analysis, so
    a cluster gets the keywords a new analysis of the same membership would give it.
    """
    rows = session.execute(
        select(Assignment.contribution_id, Contribution.content_hash, Assignment.cluster_id, Assignment.lemmas,
               Assignment.districts, Assignment.similarity, Contribution.table_label, Contribution.round, Contribution.stakeholder_group)
        .join(Contribution, Contribution.id == Assignment.contribution_id)
        .where(Assignment.run_id == run_id, Assignment.cluster_id.is_not(None))
        .order_by(Assignment.contribution_id)
    ).all()
    members = [
        MemberFacts(contribution_id=r.contribution_id, content_hash=r.content_hash, cluster=r.cluster_id, lemmas=r.lemmas.split(),
                    districts=tuple(r.districts or ()), table=r.table_label, round=r.round,
                    group=r.stakeholder_group, similarity=float(r.similarity))
        for r in rows
    ]
    figures = cluster_figures(members, cluster_ids)
    _update_by_id(session, run_id, {
        cluster_id: {"size": f.size, "profile": f.profile, "hotspot_district": f.hotspot_district,
                     "keywords": list(f.keywords), "representative_ids": list(f.representative_ids)}
        for cluster_id, f in figures.items()
    })


def rerank(session: Session, run_id: int, ranking: RankingSettings) -> None:
    """Rank the active concerns of the run 1..n; merged, emptied and not relevant clusters sink behind them.

    One update of the clusters whose score or place changed.
    """
    clusters = session.execute(
        select(Cluster.id, Cluster.theme, Cluster.size, Cluster.profile, is_active().label("active"),
               Cluster.score, Cluster.score_breakdown, Cluster.rank, Cluster.theme_rank)
        .where(Cluster.run_id == run_id)
    ).all()
    first_member = dict(session.execute(
        select(Assignment.cluster_id, func.min(Contribution.content_hash))
        .join(Contribution, Contribution.id == Assignment.contribution_id)
        .where(Assignment.run_id == run_id, Assignment.cluster_id.is_not(None)).group_by(Assignment.cluster_id)
    ).all())
    conferences = linked_conferences(session, [c.id for c in clusters])
    placings = rank_clusters(
        [concern_stats(c.id, c.size, c.profile, first_member.get(c.id) or "", conferences.get(c.id, 1))
         for c in clusters],
        {c.id: c.theme for c in clusters}, {c.id for c in clusters if c.active}, ranking.model_dump(),
    )
    stored = {c.id: {"score": c.score, "score_breakdown": c.score_breakdown, "rank": c.rank,
                     "theme_rank": c.theme_rank} for c in clusters}
    placed = {cluster_id: {"score": p.score, "score_breakdown": p.breakdown, "rank": p.rank, "theme_rank": p.theme_rank}
              for cluster_id, p in placings.items()}
    # only the clusters whose placing moved: a change of one cluster mostly shifts a few ranks
    _update_by_id(session, run_id, {i: v for i, v in placed.items() if v != stored.get(i)})
    session.expire_all()


def _update_by_id(session: Session, run_id: int, values: Mapping[int, Mapping[str, Any]]) -> None:
    """One UPDATE that gives each cluster of ``values`` its own column values.

    Args:
        values: cluster id → column → value; every cluster names the same columns.
    """
    if not values:
        return
    ids = sorted(values)
    columns = list(values[ids[0]])
    assignments = {
        name: case({i: literal(values[i][name], _CLUSTERS.c[name].type) for i in ids},
                   value=_CLUSTERS.c.id, else_=_CLUSTERS.c[name])
        for name in columns
    }
    session.execute(update(_CLUSTERS).where(_CLUSTERS.c.run_id == run_id, _CLUSTERS.c.id.in_(ids)).values(assignments))
