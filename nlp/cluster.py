"""Concern clustering: a deterministic, scalable estimator with scikit-learn's contract.

Algorithm (:class:`ConcernClusterer`):

1. Up to ``max_direct`` points, Ward agglomeration on the points themselves; above
   that, KMeans first compresses them into ``n_micro`` micro-clusters and Ward
   merges the centroids. Memory stays linear in n beyond ``max_direct``
   (the Ward tree is quadratic only in ``min(n, max_direct)``).
2. The number of clusters is ``k`` when given; otherwise the cut of the Ward tree
   with the best silhouette among 2 … ``max_k`` (a fixed-seed sample of at most
   2,000 points keeps that linear too).
3. A few KMeans iterations started from the Ward centroids sharpen the borders;
   every point gets a cluster (nothing is left as noise).

Ward never collapses everything into one cluster the way average linkage can,
and with a fixed seed the labels are identical run to run.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import pairwise_distances, silhouette_score

logger = logging.getLogger(__name__)


class ConcernClusterer:
    """Cluster row vectors into concerns.

    Args:
        k: number of clusters; None chooses it (silhouette over the Ward tree).
        seed: random state of every randomised step.
        max_k: upper bound when choosing k.
        max_direct: largest n clustered without micro-clusters.
        n_micro: number of micro-clusters above ``max_direct``.
        refine: run KMeans from the Ward centroids.

    Attributes:
        labels_: (n,) int cluster of each row, 0 … n_clusters_-1.
        n_clusters_: number of clusters found.
        centers_: (n_clusters_, d) mean of each cluster.
    """

    def __init__(
        self, k: int | None = None, seed: int = 0, max_k: int = 40, max_direct: int = 2500,
        n_micro: int = 400, refine: bool = True,
    ) -> None:
        self.k = k
        self.seed = seed
        self.max_k = max_k
        self.max_direct = max_direct
        self.n_micro = n_micro
        self.refine = refine

    def fit(self, X: np.ndarray) -> ConcernClusterer:
        """Cluster ``X`` (n, d) float32, rows normalised."""
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n, d), got shape {X.shape}")
        if self.k is not None and self.k < 1:
            raise ValueError(f"k must be at least 1, got {self.k}")
        n = len(X)
        n_distinct = len(np.unique(X.round(6), axis=0)) if n else 0
        if n_distinct <= 1:
            self.labels_ = np.zeros(n, dtype=int)
            self.n_clusters_ = int(n > 0)
            self.centers_ = X[:1].astype(np.float32)
            return self

        if n > self.max_direct:
            micro = KMeans(n_clusters=min(self.n_micro, n_distinct), n_init=1, random_state=self.seed)
            micro_labels = micro.fit_predict(X)
            points, point_of = micro.cluster_centers_, micro_labels
        else:
            points, point_of = X, np.arange(n)

        tree = linkage(points, method="ward")
        k = self._choose_k(tree, points, n_distinct) if self.k is None else min(self.k, n_distinct)
        if self.k is not None and self.k > n_distinct:
            warnings.warn(f"asked for {self.k} clusters, only {n_distinct} distinct texts", stacklevel=2)
            logger.warning("asked for %d clusters, only %d distinct texts", self.k, n_distinct)
        labels = (fcluster(tree, t=k, criterion="maxclust") - 1)[point_of]
        labels = _compact(labels)
        if self.refine and labels.max() > 0:
            labels = self._refine(X, labels)
        self.labels_ = _canonical_order(labels)
        self.n_clusters_ = int(self.labels_.max()) + 1
        self.centers_ = np.stack([X[self.labels_ == c].mean(axis=0) for c in range(self.n_clusters_)]).astype(np.float32)
        return self

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).labels_

    def _choose_k(self, tree: np.ndarray, points: np.ndarray, n_distinct: int) -> int:
        upper = min(self.max_k, n_distinct - 1, len(points) - 1)
        if upper < 2:
            return min(2, n_distinct)
        rng = np.random.default_rng(self.seed)
        sample = np.sort(rng.choice(len(points), size=min(len(points), 2000), replace=False))
        distances = pairwise_distances(points[sample])  # once, not once per k
        best_k, best_score = 2, -np.inf
        for k in range(2, upper + 1):
            labels = fcluster(tree, t=k, criterion="maxclust")[sample]
            if len(np.unique(labels)) < 2:
                continue
            score = silhouette_score(distances, labels, metric="precomputed")
            if score > best_score + 1e-9:
                best_k, best_score = k, score
        return best_k

    def _refine(self, X: np.ndarray, labels: np.ndarray) -> np.ndarray:
        centers = np.stack([X[labels == c].mean(axis=0) for c in range(labels.max() + 1)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            refined = KMeans(n_clusters=len(centers), init=centers, n_init=1, max_iter=20, random_state=self.seed).fit_predict(X)
        # KMeans may empty a cluster; keep the Ward answer then.
        return refined if len(np.unique(refined)) == len(centers) else labels

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Nearest cluster centre of each row of ``X``."""
        if not hasattr(self, "centers_"):
            raise NotFittedError("ConcernClusterer is not fitted yet; call fit(X) first")
        return np.argmax(np.asarray(X, dtype=np.float32) @ self.centers_.T, axis=1)


def _compact(labels: np.ndarray) -> np.ndarray:
    _, compact = np.unique(labels, return_inverse=True)
    return compact


def _canonical_order(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters by first appearance, so equal partitions get equal labels."""
    order = {}
    for label in labels:
        order.setdefault(int(label), len(order))
    return np.array([order[int(label)] for label in labels], dtype=int)
