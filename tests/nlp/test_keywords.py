"""Cluster descriptions: class-based TF-IDF keywords, representatives, German labels."""

from __future__ import annotations

import numpy as np

from nlp.embed import l2_normalise
from nlp.keywords import class_tfidf_keywords, default_label, representatives


def test_distinctive_term_ranks_above_term_common_to_all_clusters() -> None:
    lemmas = [
        ["Spielplatz", "fehlen", "Kind"],
        ["Spielplatz", "fehlen"],
        ["Bus", "fehlen", "Abend"],
        ["Bus", "fehlen"],
        ["Arzt", "fehlen"],
        ["Arzt", "fehlen", "Termin"],
    ]
    labels = np.array([0, 0, 1, 1, 2, 2])
    keywords = class_tfidf_keywords(lemmas, labels)
    assert [keywords[c][0] for c in (0, 1, 2)] == ["Spielplatz", "Bus", "Arzt"]
    for c in (0, 1, 2):
        # "fehlen" is as frequent as the distinctive term inside each cluster, but everywhere.
        assert keywords[c].index("fehlen") > 0


def test_keywords_only_use_the_clusters_own_terms() -> None:
    lemmas = [["Spielplatz"], ["Spielplatz", "Schaukel"], ["Bus"], ["Bus", "Haltestelle"]]
    keywords = class_tfidf_keywords(lemmas, np.array([0, 0, 1, 1]))
    assert set(keywords[0]) == {"Spielplatz", "Schaukel"}
    assert set(keywords[1]) == {"Bus", "Haltestelle"}


def test_keywords_ignore_unclustered_rows_and_respect_top_n() -> None:
    lemmas = [["a1", "a2", "a3", "a4"], ["b1"], ["Lärm", "Lärm"]]
    keywords = class_tfidf_keywords(lemmas, np.array([0, 1, -1]), top_n=2)
    assert set(keywords) == {0, 1}
    assert len(keywords[0]) == 2
    assert "Lärm" not in keywords[0] + keywords[1]


def test_keyword_ties_are_alphabetical() -> None:
    keywords = class_tfidf_keywords([["Zebra", "Affe", "Maus"], ["Bus"]], np.array([0, 1]))
    assert keywords[0] == ["Affe", "Maus", "Zebra"]


def test_keywords_of_clusters_without_lemmas_are_empty() -> None:
    assert class_tfidf_keywords([[], []], np.array([0, 1])) == {0: [], 1: []}
    assert class_tfidf_keywords([], np.array([], dtype=int)) == {}


def test_representatives_are_members_nearest_centroid() -> None:
    # Symmetric around (1, 0, 0): the mean direction is row 0, rows 3 and 4 are farthest.
    X = l2_normalise(
        np.array(
            [
                [1.0, 0.0, 0.0],
                [1.0, 0.2, 0.0],
                [1.0, -0.2, 0.0],
                [1.0, 0.0, 0.5],
                [1.0, 0.0, -0.5],
                [1.0, 0.0, 0.0],  # not a member: never chosen, however close
            ]
        )
    )
    members = np.array([0, 1, 2, 3, 4])
    chosen = representatives(X, members, top_n=3)
    assert chosen[0] == 0
    assert set(chosen) == {0, 1, 2}
    assert set(representatives(X, members, top_n=10)) == set(members)


def test_representatives_return_indices_into_x() -> None:
    X = l2_normalise(np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.1], [1.0, -0.1], [0.0, 1.0]]))
    chosen = representatives(X, np.array([1, 2, 3]), top_n=1)
    np.testing.assert_array_equal(chosen, [1])


def test_representatives_of_empty_cluster() -> None:
    assert len(representatives(np.eye(3), np.array([], dtype=int))) == 0


def test_default_label_prefers_capitalised_lemmas_and_joins_with_und() -> None:
    assert default_label(["fehlen", "Spielplatz", "dunkel", "Beleuchtung"]) == "Spielplatz, Beleuchtung und fehlen"
    assert default_label(["Kita", "OGS"]) == "Kita und OGS"


def test_default_label_respects_max_terms_and_single_term() -> None:
    assert default_label(["Bus", "Abend", "Haltestelle", "Fahrplan"], max_terms=2) == "Bus und Abend"
    assert default_label(["fehlen"]) == "fehlen"


def test_default_label_without_keywords() -> None:
    assert default_label([]) == "Ohne Schlagworte"
