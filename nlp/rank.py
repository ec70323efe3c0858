"""Ranking recurring concerns, with a breakdown that says why.

A concern recurs when it is raised *independently*: at several tables, in several
rounds, by several stakeholder groups, about several districts, at several
conferences. The score of a cluster is

    score = w_support   · ln(1 + members)
          + w_tables    · ln(distinct tables)
          + w_rounds    · ln(distinct rounds)
          + w_groups    · ln(distinct stakeholder groups)
          + w_districts · ln(distinct districts)
          + w_conferences · ln(distinct conferences)

ln(1) = 0, so a concern heard at one table only gets nothing for tables. Each term
is stored as the breakdown; they add up to the score. Ties are broken by size, then
by the smallest member id, so the ranking does not depend on input order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

COMPONENTS = ("support", "tables", "rounds", "groups", "districts", "conferences")


@dataclass(frozen=True)
class ConcernStats:
    """What the ranking needs to know about one cluster."""

    key: int
    size: int
    tables: frozenset[str] = frozenset()
    rounds: frozenset[int] = frozenset()
    groups: frozenset[str] = frozenset()
    districts: frozenset[str] = frozenset()
    conferences: frozenset[int] = frozenset()
    first_member: str = ""  # tie-breaker that does not depend on import order: the smallest content hash


@dataclass(frozen=True)
class RankedConcern:
    key: int
    rank: int
    score: float
    breakdown: dict[str, float] = field(hash=False)


def score_breakdown(stats: ConcernStats, weights: Mapping[str, float]) -> dict[str, float]:
    """The weighted terms of the score of one concern (see module docstring)."""
    distinct = {
        "support": math.log1p(stats.size),
        "tables": math.log(max(len(stats.tables), 1)),
        "rounds": math.log(max(len(stats.rounds), 1)),
        "groups": math.log(max(len(stats.groups), 1)),
        "districts": math.log(max(len(stats.districts), 1)),
        "conferences": math.log(max(len(stats.conferences), 1)),
    }
    return {name: round(weights.get(name, 0.0) * distinct[name], 6) for name in COMPONENTS}


def rank_concerns(stats: Sequence[ConcernStats], weights: Mapping[str, float]) -> list[RankedConcern]:
    """Concerns ordered by score, best first, ranks from 1."""
    scored = []
    for s in stats:
        breakdown = score_breakdown(s, weights)
        scored.append((round(sum(breakdown.values()), 6), s, breakdown))
    scored.sort(key=lambda item: (-item[0], -item[1].size, item[1].first_member, item[1].key))
    return [
        RankedConcern(key=s.key, rank=i + 1, score=score, breakdown=breakdown)
        for i, (score, s, breakdown) in enumerate(scored)
    ]


def hotspot(district_counts: Mapping[str, int], min_mentions: int = 3, min_share: float = 0.6) -> str | None:
    """The district a concern concentrates in: ≥ ``min_share`` of ≥ ``min_mentions`` mentions."""
    total = sum(district_counts.values())
    if total < min_mentions:
        return None
    district, count = min(district_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return district if count / total >= min_share else None
