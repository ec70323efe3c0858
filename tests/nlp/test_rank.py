"""Ranking recurring concerns: score breakdown, independence signals, order invariance."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.rank import COMPONENTS, ConcernStats, hotspot, rank_concerns, score_breakdown

WEIGHTS = {"support": 1.0, "tables": 1.0, "rounds": 0.5, "groups": 1.0, "districts": 0.5, "conferences": 1.0}


def test_score_equals_sum_of_breakdown() -> None:
    stats = ConcernStats(
        key=1, size=9, tables=frozenset({"A", "B", "C"}), rounds=frozenset({1, 2}),
        groups=frozenset({"Verwaltung", "Träger"}), districts=frozenset({"Ost"}), conferences=frozenset({2026}),
    )
    (ranked,) = rank_concerns([stats], WEIGHTS)
    assert set(ranked.breakdown) == set(COMPONENTS)
    assert ranked.score == pytest.approx(sum(ranked.breakdown.values()), abs=1e-6)
    assert ranked.breakdown["support"] == pytest.approx(math.log(10), abs=1e-6)
    assert ranked.breakdown["tables"] == pytest.approx(math.log(3), abs=1e-6)
    assert ranked.breakdown["rounds"] == pytest.approx(0.5 * math.log(2), abs=1e-6)


def test_single_table_concern_gets_nothing_for_tables() -> None:
    one_table = score_breakdown(ConcernStats(key=1, size=5, tables=frozenset({"A"})), WEIGHTS)
    no_table = score_breakdown(ConcernStats(key=2, size=5), WEIGHTS)
    assert one_table["tables"] == 0.0
    assert no_table["tables"] == 0.0
    assert one_table["districts"] == one_table["groups"] == 0.0


def test_missing_weight_counts_as_zero() -> None:
    stats = ConcernStats(key=1, size=4, tables=frozenset({"A", "B"}))
    assert score_breakdown(stats, {"support": 1.0})["tables"] == 0.0


def test_concern_raised_independently_outranks_equal_sized_one_table_concern() -> None:
    spread = ConcernStats(key=1, size=6, tables=frozenset({"A", "B", "C"}), groups=frozenset({"Bürger", "Träger", "Verwaltung"}), first_member="f")
    local = ConcernStats(key=2, size=6, tables=frozenset({"A"}), groups=frozenset({"Bürger"}), first_member="a")
    ranked = rank_concerns([local, spread], WEIGHTS)
    assert [r.key for r in ranked] == [1, 2]
    assert [r.rank for r in ranked] == [1, 2]
    assert ranked[0].score > ranked[1].score


def test_ties_broken_by_size_then_first_member() -> None:
    zero = {name: 0.0 for name in COMPONENTS}  # every score 0: only the tie-breaks order
    stats = [
        ConcernStats(key=1, size=3, first_member="e"),
        ConcernStats(key=2, size=3, first_member="b"),
        ConcernStats(key=3, size=8, first_member="i"),
    ]
    assert [r.key for r in rank_concerns(stats, zero)] == [3, 2, 1]


def test_hotspot_needs_enough_mentions_and_a_clear_share() -> None:
    assert hotspot({"Ost": 2}) is None
    assert hotspot({"Ost": 3}) == "Ost"
    assert hotspot({"Ost": 3, "Merken": 2}) == "Ost"  # 0.6
    assert hotspot({"Ost": 3, "Merken": 3}) is None
    assert hotspot({}) is None


concern_stats = st.builds(
    ConcernStats,
    key=st.integers(0, 10_000),
    size=st.integers(1, 50),
    tables=st.frozensets(st.sampled_from("ABCDEFG")),
    rounds=st.frozensets(st.integers(1, 3)),
    groups=st.frozensets(st.sampled_from(["Bürger", "Träger", "Verwaltung", "Politik"])),
    districts=st.frozensets(st.sampled_from(["Ost", "Merken", "Innenstadt"])),
    conferences=st.frozensets(st.integers(2024, 2026)),
    first_member=st.text("0123456789abcdef", max_size=8),
)


@settings(deadline=None, max_examples=200)
@given(st.lists(concern_stats, max_size=12, unique_by=lambda s: s.key), st.randoms(use_true_random=False))
def test_ranking_independent_of_input_order(stats: list[ConcernStats], random) -> None:
    shuffled = list(stats)
    random.shuffle(shuffled)
    assert rank_concerns(stats, WEIGHTS) == rank_concerns(shuffled, WEIGHTS)


@settings(deadline=None, max_examples=100)
@given(st.lists(concern_stats, min_size=1, max_size=12, unique_by=lambda s: s.key))
def test_ranks_are_consecutive_and_scores_non_increasing(stats: list[ConcernStats]) -> None:
    ranked = rank_concerns(stats, WEIGHTS)
    assert [r.rank for r in ranked] == list(range(1, len(stats) + 1))
    assert all(a.score >= b.score for a, b in zip(ranked, ranked[1:]))
    assert sorted(r.key for r in ranked) == sorted(s.key for s in stats)
