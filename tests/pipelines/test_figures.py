"""A cluster's figures and the ranking: the one description the analysis and review share."""

from __future__ import annotations

import pytest

from pipelines.figures import ClusterFigures, MemberFacts, cluster_figures, concern_stats, rank_clusters
from pipelines.settings import RankingSettings


def _member(cid: int, cluster: int, similarity: float, *, lemmas=("Kita-Platz",), districts=(), table=None,
            round_=None, group=None) -> MemberFacts:
    # the content hash sorts in the opposite order of the id: ties must follow the hash
    return MemberFacts(contribution_id=cid, content_hash=f"{1000 - cid:04d}", cluster=cluster, lemmas=lemmas, districts=districts, table=table,
                       round=round_, group=group, similarity=similarity)


def test_figures_count_districts_tables_rounds_and_groups() -> None:
    members = [
        _member(1, 0, 0.9, districts=("Ost", "Nord-Düren"), table="1", round_=1, group="Politik"),
        _member(2, 0, 0.8, districts=("Ost",), table="2", round_=1, group="Politik"),
        _member(3, 0, 0.7, districts=("Ost",), table="2", round_=2),
        _member(4, 1, 0.9, lemmas=("Tafel",)),
    ]

    [kita, tafel] = cluster_figures(members).values()

    assert kita.size == 3 and tafel.size == 1
    assert kita.profile == {"districts": {"Nord-Düren": 1, "Ost": 3}, "tables": {"1": 1, "2": 2},
                            "rounds": {"1": 2, "2": 1}, "groups": {"Politik": 2}}
    assert kita.hotspot_district == "Ost" and kita.first_member == "0997"
    assert kita.keywords == ("Kita-Platz",) and tafel.keywords == ("Tafel",)


def test_representatives_are_the_most_similar_members_ties_by_content_hash() -> None:
    members = [_member(7, 0, 0.5), _member(3, 0, 0.9), _member(5, 0, 0.5), _member(9, 0, 0.1)]

    assert cluster_figures(members)[0].representative_ids == (3, 7, 5)


def test_a_cluster_without_members_gets_empty_figures() -> None:
    figures = cluster_figures([_member(1, 0, 0.9)], clusters=[0, 4])

    assert figures[4] == ClusterFigures.empty()
    assert figures[0].size == 1


def test_only_active_clusters_are_ranked_the_others_sink_with_theme_rank_zero() -> None:
    weights = RankingSettings().model_dump()
    stats = [
        concern_stats(10, 4, {"tables": {"1": 2, "2": 2}}, first_member="a"),
        concern_stats(11, 9, {"tables": {"1": 5, "2": 2, "3": 2}}, first_member="b"),  # not relevant
        concern_stats(12, 2, {}, first_member="c"),
        concern_stats(13, 3, {}, first_member="d"),
    ]
    themes = {10: "Arbeit", 11: "Arbeit", 12: "Wohnen", 13: "Arbeit"}

    placings = rank_clusters(stats, themes, active={10, 12, 13}, weights=weights)

    assert [placings[k].rank for k in (10, 13, 12)] == [1, 2, 3]
    assert [placings[k].theme_rank for k in (10, 13, 12)] == [1, 2, 1]
    assert (placings[11].rank, placings[11].theme_rank) == (4, 0)
    assert placings[11].score == pytest.approx(sum(placings[11].breakdown.values()))
