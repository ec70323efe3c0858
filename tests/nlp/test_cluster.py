"""Concern clustering: recovery of separated blobs, determinism, edge cases, scale path."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score

from nlp.cluster import ConcernClusterer
from nlp.embed import l2_normalise


def blobs(n: int, k: int, seed: int = 0, dim: int = 32, spread: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(n, dim) unit rows in ``k`` well-separated groups of equal size, and their truth."""
    X, y = make_blobs(n_samples=n, centers=k, n_features=dim, cluster_std=spread, center_box=(-20, 20), random_state=seed)
    return l2_normalise(X), y


def test_recovers_blobs_with_given_k() -> None:
    X, y = blobs(300, 6)
    labels = ConcernClusterer(k=6).fit_predict(X)
    assert adjusted_rand_score(y, labels) >= 0.95
    assert len(np.unique(labels)) == 6


def test_recovers_blobs_choosing_k() -> None:
    X, y = blobs(300, 6, seed=1)
    clusterer = ConcernClusterer(k=None).fit(X)
    assert adjusted_rand_score(y, clusterer.labels_) >= 0.95
    assert clusterer.n_clusters_ == 6


def test_labels_are_compact_and_centres_are_unit_mean_directions() -> None:
    X, _ = blobs(120, 4, seed=2)
    clusterer = ConcernClusterer(k=4).fit(X)
    assert sorted(np.unique(clusterer.labels_)) == list(range(clusterer.n_clusters_))
    assert clusterer.centers_.shape == (4, X.shape[1])
    for c in range(4):
        mean = X[clusterer.labels_ == c].mean(axis=0)
        np.testing.assert_allclose(clusterer.centers_[c], mean / np.linalg.norm(mean), rtol=1e-5, atol=1e-6)


def test_same_seed_gives_identical_labels() -> None:
    X, _ = blobs(400, 8, seed=3, spread=4.0)  # overlapping, so randomness could show
    first = ConcernClusterer(k=None, seed=7).fit_predict(X)
    second = ConcernClusterer(k=None, seed=7).fit_predict(X.copy())
    np.testing.assert_array_equal(first, second)


def test_single_row_is_one_cluster() -> None:
    clusterer = ConcernClusterer().fit(l2_normalise(np.ones((1, 5))))
    np.testing.assert_array_equal(clusterer.labels_, [0])
    assert clusterer.n_clusters_ == 1


def test_two_rows_do_not_crash() -> None:
    X = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    labels = ConcernClusterer().fit_predict(X)
    assert labels.shape == (2,)
    assert set(labels) <= {0, 1}
    labels_k1 = ConcernClusterer(k=1).fit_predict(X)
    np.testing.assert_array_equal(labels_k1, [0, 0])


def test_identical_rows_form_one_cluster() -> None:
    X = np.tile(l2_normalise(np.arange(1, 9, dtype=float)[None, :]), (25, 1))
    for k in (None, 3):
        clusterer = ConcernClusterer(k=k).fit(X)
        np.testing.assert_array_equal(clusterer.labels_, np.zeros(25))
        assert clusterer.n_clusters_ == 1


def test_empty_input_gives_no_clusters() -> None:
    clusterer = ConcernClusterer().fit(np.zeros((0, 4), dtype=np.float32))
    assert clusterer.labels_.shape == (0,)
    assert clusterer.n_clusters_ == 0


def test_k_above_distinct_rows_warns_and_caps() -> None:
    rows = np.eye(3, dtype=np.float32)
    X = np.repeat(rows, 4, axis=0)  # 12 rows, 3 distinct
    with pytest.warns(UserWarning, match="distinct"):
        labels = ConcernClusterer(k=10).fit_predict(X)
    assert adjusted_rand_score(np.repeat([0, 1, 2], 4), labels) == 1.0


def test_invalid_input_raises() -> None:
    with pytest.raises(ValueError):
        ConcernClusterer(k=0).fit(np.eye(3))
    with pytest.raises(ValueError):
        ConcernClusterer().fit(np.ones(3))


def test_no_collapse_into_one_big_cluster() -> None:
    X, _ = blobs(400, 8, seed=4)
    labels = ConcernClusterer(k=None).fit_predict(X)
    assert np.bincount(labels).max() / len(labels) < 0.5


def test_micro_cluster_path_recovers_blobs() -> None:
    X, y = blobs(1000, 8, seed=5)
    clusterer = ConcernClusterer(k=None, max_micro=100, exact_below=200)  # 1,000 rows go through KMeans
    labels = clusterer.fit_predict(X)
    assert adjusted_rand_score(y, labels) >= 0.9
    assert labels.shape == (1000,)


def test_micro_cluster_path_with_given_k() -> None:
    X, y = blobs(1000, 8, seed=6)
    labels = ConcernClusterer(k=8, max_micro=100, exact_below=200).fit_predict(X)
    assert adjusted_rand_score(y, labels) >= 0.9


def test_up_to_exact_below_rows_no_seed_matters() -> None:
    """Point-by-point linkage has no KMeans, so the seed (and the floats that could tip one) cannot
    move the clusters; above the limit the micro-clusters depend on it."""
    X = l2_normalise(np.random.default_rng(8).normal(size=(900, 16)))  # no structure: every choice is close

    assert np.array_equal(ConcernClusterer(k=8, seed=0).fit_predict(X), ConcernClusterer(k=8, seed=5).fit_predict(X))
    micro = [ConcernClusterer(k=8, seed=s, exact_below=100, max_micro=60).fit_predict(X) for s in range(4)]
    assert any(not np.array_equal(micro[0], other) for other in micro[1:])


def test_predict_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        ConcernClusterer().predict(np.eye(3))


def test_predict_assigns_training_rows_to_their_cluster() -> None:
    X, _ = blobs(200, 5, seed=8)
    clusterer = ConcernClusterer(k=5).fit(X)
    np.testing.assert_array_equal(clusterer.predict(X), clusterer.labels_)


@settings(deadline=None, max_examples=25)
@given(
    arrays(
        np.float32, st.tuples(st.integers(1, 30), st.integers(2, 6)),
        elements=st.floats(-1, 1, allow_nan=False, width=32),
    ),
    st.one_of(st.none(), st.integers(1, 5)),
)
def test_same_input_twice_gives_same_labels(X: np.ndarray, k: int | None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = ConcernClusterer(k=k).fit_predict(X)
        second = ConcernClusterer(k=k).fit_predict(X.copy())
    np.testing.assert_array_equal(first, second)
    assert first.shape == (len(X),)
    if len(first):
        assert sorted(np.unique(first)) == list(range(first.max() + 1))


def test_memory_stays_linear_beyond_20000_points() -> None:
    import tracemalloc

    X, _ = blobs(25_000, 12, seed=9, dim=32, spread=3.0)
    tracemalloc.start()
    labels = ConcernClusterer(k=None).fit_predict(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert labels.shape == (25_000,)
    # one n × n float64 matrix would be 5 GB; the data itself is 3.2 MB
    assert peak < 150 * 1024**2, f"peak {peak / 1024**2:.0f} MB"


def _keys(n: int) -> np.ndarray:
    return np.array([f"{i * 7919 % 100003:08d}" for i in range(n)])


@pytest.mark.parametrize("k", [None, 8])
@pytest.mark.parametrize("with_keys", [True, False])
def test_row_order_does_not_change_the_partition(k: int | None, with_keys: bool) -> None:
    X, _ = blobs(600, 8, seed=4, spread=4.0)  # overlapping: an order-dependent method would show it
    keys = _keys(len(X))
    first = ConcernClusterer(k=k).fit_predict(X, keys if with_keys else None)
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(len(X))
        labels = np.empty(len(X), dtype=int)
        labels[order] = ConcernClusterer(k=k).fit_predict(X[order], keys[order] if with_keys else None)
        np.testing.assert_array_equal(labels, first)  # same process: identical, numbering included


@pytest.mark.parametrize("k", [None, 8])
def test_float_noise_far_below_any_signal_keeps_the_partition(k: int | None) -> None:
    X, _ = blobs(600, 8, seed=5, spread=4.0)
    keys = _keys(len(X))
    first = ConcernClusterer(k=k).fit_predict(X, keys)
    rng = np.random.default_rng(0)
    for sigma in (1e-6, 1e-5):
        for _ in range(3):
            noisy = X + rng.normal(0.0, sigma, X.shape).astype(np.float32)
            labels = ConcernClusterer(k=k).fit_predict(noisy, keys)
            assert labels.max() == first.max(), f"σ={sigma}: number of clusters changed"
            assert adjusted_rand_score(first, labels) >= 0.99, f"σ={sigma}"


def test_keys_must_match_the_rows() -> None:
    X, _ = blobs(20, 2, seed=1)
    with pytest.raises(ValueError, match="one entry per row"):
        ConcernClusterer(k=2).fit(X, keys=["a"] * 3)


def test_automatic_k_counts_groups_of_at_least_two_percent() -> None:
    """Four concerns of 100 notes, and five splinters of 6 notes (1.4 % each) at the edge of the first:
    the automatic k counts the four and the splinters join their broad concern; at a 1 % share each
    splinter would count as a concern of its own."""
    rng = np.random.default_rng(5)
    broad = l2_normalise(rng.normal(size=(4, 32)))
    splinters = l2_normalise(broad[0] + l2_normalise(rng.normal(size=(5, 32))))
    sizes = [100] * 4 + [6] * 5
    X = l2_normalise(np.vstack([c + rng.normal(scale=0.05, size=(s, 32))
                                for c, s in zip(np.vstack([broad, splinters]), sizes, strict=True)]))
    truth = np.repeat([0, 1, 2, 3, 0, 0, 0, 0, 0], sizes)
    default = ConcernClusterer(k=None).fit(X)
    assert default.n_clusters_ == 4
    assert adjusted_rand_score(truth, default.labels_) == pytest.approx(1.0)
    assert ConcernClusterer(k=None, count_frac=0.01).fit(X).n_clusters_ == 9
