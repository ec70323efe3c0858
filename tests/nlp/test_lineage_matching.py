"""Matching concerns across conferences: one-to-one above a threshold, splits and merges, any input order."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.embed import l2_normalise
from nlp.lineage import MATCH, MERGE, SPLIT, centroids, match_concerns


def _topics(n: int, d: int = 32, seed: int = 0) -> np.ndarray:
    return l2_normalise(np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32))


def _near(x: np.ndarray, noise: float, seed: int) -> np.ndarray:
    return l2_normalise(x + noise * np.random.default_rng(seed).normal(size=x.shape).astype(np.float32))


def test_continuing_concerns_match_one_to_one_and_the_rest_is_new_or_vanished() -> None:
    topics = _topics(8)
    previous = topics[[0, 1, 2, 3, 4]]  # 3 and 4 vanish
    current = _near(topics[[2, 0, 1, 5, 6]], 0.2, 1)  # 5 and 6 are new

    matches = match_concerns(previous, current, threshold=0.6, loose_threshold=0.45)

    assert {(m.previous, m.current) for m in matches.matched} == {(0, 1), (1, 2), (2, 0)}
    assert matches.continuing() == {0, 1, 2}
    assert matches.vanished() == {3, 4}
    assert all(m.similarity >= 0.6 for m in matches.matched)


def test_one_to_one_takes_the_best_total_not_the_greedy_pair() -> None:
    # current 0 is closest to previous 0, but previous 0 is the only partner current 1 has above the threshold
    previous = l2_normalise(np.array([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0]], dtype=np.float32))
    current = l2_normalise(np.array([[0.95, 0.3, 0.0], [0.9, -0.44, 0.0]], dtype=np.float32))

    matches = match_concerns(previous, current, threshold=0.7, loose_threshold=0.6)

    assert {(m.previous, m.current) for m in matches.matched} == {(0, 1), (1, 0)}


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_a_second_looser_pass_finds_splits_and_merges() -> None:
    topics = _topics(4, seed=3)
    half = _unit(topics[0] + 0.9 * topics[1])  # between 0 and 1
    previous = np.vstack([topics[0], topics[2], _unit(topics[2] + 0.8 * topics[3])])
    current = np.vstack([_unit(topics[0] + 0.2 * topics[1]), half, topics[2]])

    matches = match_concerns(previous, current, threshold=0.9, loose_threshold=0.6)

    assert {(m.previous, m.current) for m in matches.matched} == {(0, 0), (1, 2)}
    assert {(m.previous, m.current) for m in matches.links if m.kind == SPLIT} == {(0, 1)}
    assert {(m.previous, m.current) for m in matches.links if m.kind == MERGE} == {(2, 2)}
    assert matches.vanished() == set()


def test_an_empty_earlier_conference_makes_everything_new() -> None:
    current = _topics(3)
    empty = np.zeros((0, current.shape[1]), dtype=np.float32)

    matches = match_concerns(empty, current, threshold=0.5, loose_threshold=0.4)
    backwards = match_concerns(current, empty, threshold=0.5, loose_threshold=0.4)

    assert matches.links == () and matches.continuing() == set() and matches.vanished() == set()
    assert backwards.vanished() == {0, 1, 2}


def test_staff_decisions_force_and_refuse_pairs() -> None:
    topics = _topics(3, seed=5)
    matches = match_concerns(topics, topics, threshold=0.9, loose_threshold=0.8, forced={(0, 2)}, refused={(1, 1)})

    pairs = {(m.previous, m.current, m.kind) for m in matches.links}
    assert (0, 2, MATCH) in pairs and (1, 1, MATCH) not in pairs
    assert not any(m.previous == 1 and m.current == 1 for m in matches.links)


def test_centroids_are_unit_means_of_normalised_members() -> None:
    x = np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 5.0]], dtype=np.float32)
    c = centroids(x, np.array([7, 7, 9]), [9, 7])

    np.testing.assert_allclose(c, [[0.0, 1.0], [np.sqrt(0.5), np.sqrt(0.5)]], atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 9), st.integers(2, 9))
def test_matching_ignores_input_order(seed: int, p: int, c: int) -> None:
    rng = np.random.default_rng(seed)
    topics = _topics(p + c, d=8, seed=seed)
    previous = topics[:p]
    current = _near(topics[rng.integers(0, p + c, size=c)], 0.3, seed)
    previous_keys = [f"p{i}" for i in range(p)]
    current_keys = [f"c{j}" for j in range(c)]
    pp, cp = rng.permutation(p), rng.permutation(c)

    plain = match_concerns(previous, current, 0.6, 0.4, previous_keys, current_keys)
    shuffled = match_concerns(previous[pp], current[cp], 0.6, 0.4,
                              [previous_keys[i] for i in pp], [current_keys[j] for j in cp])

    def named(matches, pk, ck):  # noqa: ANN001, ANN202
        return {(pk[m.previous], ck[m.current], m.kind) for m in matches.links}

    assert named(plain, previous_keys, current_keys) == named(
        shuffled, [previous_keys[i] for i in pp], [current_keys[j] for j in cp])
