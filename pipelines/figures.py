"""A cluster's figures and the ranking, computed one way for the analysis and for review.

The analysis describes the clusters it found (:func:`pipelines.analyse.describe_clusters`);
the review service describes them again after every change of membership
(:mod:`pipelines.review.change`). Both call :func:`cluster_figures` and
:func:`rank_clusters`, so a cluster that staff leave alone keeps the figures the
analysis gave it, and one they change gets the figures a new analysis of the same
membership would give it.

Figures of a cluster:

- ``size``: its members;
- ``profile``: how many of its notes name each district, come from each table,
  round and stakeholder group;
- ``keywords``: class-based TF-IDF over the clusters described together;
- ``representative_ids``: the members most similar to the cluster's centre;
- ``hotspot_district``: the district it concentrates in, if any.

The ranking places the active concerns (see :mod:`models.queries`) 1..n, overall
and within each theme; other clusters sink behind them with theme rank 0.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nlp.keywords import class_tfidf_keywords
from nlp.rank import ConcernStats, hotspot, rank_concerns, score_breakdown

N_REPRESENTATIVES = 3


@dataclass(frozen=True)
class MemberFacts:
    """What a cluster's figures are made of, for one member."""

    contribution_id: int
    content_hash: str  # order-free identity: ties are broken by it, never by import order
    cluster: int  # the run-local key in the analysis, the cluster id in review
    lemmas: Sequence[str]
    districts: Sequence[str]
    table: str | None
    round: int | None
    group: str | None
    similarity: float  # to the centre of its cluster, in the clustering's feature space


@dataclass(frozen=True)
class ClusterFigures:
    size: int
    profile: dict[str, dict[str, int]]
    keywords: tuple[str, ...]
    representative_ids: tuple[int, ...]
    hotspot_district: str | None
    first_member: str  # smallest content hash: the ranking's last tie-break, the same in any import order

    @classmethod
    def empty(cls) -> ClusterFigures:
        return cls(0, {"districts": {}, "tables": {}, "rounds": {}, "groups": {}}, (), (), None, 0)


@dataclass(frozen=True)
class Placing:
    """Where a cluster ranks and why."""

    score: float
    breakdown: dict[str, float]
    rank: int
    theme_rank: int


def cluster_figures(members: Sequence[MemberFacts], clusters: Iterable[int] | None = None) -> dict[int, ClusterFigures]:
    """The figures of each cluster that ``members`` belong to.

    Keywords are c-TF-IDF over all clusters present in ``members``: pass every
    clustered member of a run to get the keywords an analysis gives.

    Args:
        members: every member of the clusters to describe (and of the clusters whose
            keywords they are set against).
        clusters: describe these (an empty one gets :meth:`ClusterFigures.empty`);
            default: every cluster in ``members``.
    """
    labels = np.array([m.cluster for m in members], dtype=int)
    keywords = class_tfidf_keywords([m.lemmas for m in members], labels) if members else {}
    by_cluster: dict[int, list[MemberFacts]] = defaultdict(list)
    for m in members:
        by_cluster[m.cluster].append(m)
    wanted = sorted(by_cluster) if clusters is None else sorted(set(clusters))
    out: dict[int, ClusterFigures] = {}
    for key in wanted:
        rows = sorted(by_cluster.get(key, []), key=lambda m: m.contribution_id)
        if not rows:
            out[key] = ClusterFigures.empty()
            continue
        districts = Counter(d for m in rows for d in m.districts)
        profile = {
            "districts": dict(sorted(districts.items())),
            "tables": dict(sorted(Counter(m.table for m in rows if m.table).items())),
            "rounds": {str(k): v for k, v in sorted(Counter(m.round for m in rows if m.round is not None).items())},
            "groups": dict(sorted(Counter(m.group for m in rows if m.group).items())),
        }
        best = sorted(rows, key=lambda m: (-m.similarity, m.content_hash))[:N_REPRESENTATIVES]
        out[key] = ClusterFigures(
            size=len(rows), profile=profile, keywords=tuple(keywords.get(key, ())),
            representative_ids=tuple(m.contribution_id for m in best), hotspot_district=hotspot(districts),
            first_member=min(m.content_hash for m in rows),
        )
    return out


def concern_stats(
    key: int, size: int, profile: Mapping[str, Mapping[str, int]], first_member: str, conferences: int = 1
) -> ConcernStats:
    """What the ranking needs of one cluster, from its figures (stored or fresh).

    Args:
        conferences: at how many conferences the concern was raised (this one and the
            earlier ones it continues, see :func:`models.queries.linked_conferences`).
    """
    return ConcernStats(
        key=key, size=size, tables=frozenset(profile.get("tables", {})), rounds=frozenset(profile.get("rounds", {})),
        groups=frozenset(profile.get("groups", {})), districts=frozenset(profile.get("districts", {})),
        conferences=frozenset(range(max(conferences, 1))),
        first_member=first_member,
    )


def rank_clusters(
    stats: Sequence[ConcernStats], themes: Mapping[int, str], active: Collection[int], weights: Mapping[str, float]
) -> dict[int, Placing]:
    """Place every cluster of a run: the ``active`` ones 1..n by score, the others behind them.

    Args:
        stats: one per cluster, keyed by ``ConcernStats.key``.
        themes: cluster key → theme, for the rank within the theme.
        active: keys of the active concerns; only they are ranked.
        weights: the ranking weights (``RankingSettings.model_dump()``).

    Returns:
        key → placing. Inactive clusters get their score, rank n + 1 and theme rank 0.
    """
    ranked = rank_concerns([s for s in stats if s.key in active], weights)
    out: dict[int, Placing] = {}
    in_theme: Counter[str] = Counter()
    for r in ranked:
        in_theme[themes[r.key]] += 1
        out[r.key] = Placing(r.score, r.breakdown, r.rank, in_theme[themes[r.key]])
    for s in stats:
        if s.key not in out:
            breakdown = score_breakdown(s, weights)
            out[s.key] = Placing(round(sum(breakdown.values()), 6), breakdown, len(ranked) + 1, 0)
    return out
