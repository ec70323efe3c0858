"""Concerns across conferences: which concern of this conference continues one of an earlier one.

Each concern is a centroid, the normalised mean of its members' normalised vectors.
Two passes over the cosine similarities of earlier (rows) and current (columns)
centroids:

1. **one-to-one**: the assignment with the largest total similarity
   (``scipy.optimize.linear_sum_assignment``); a pair counts only at or above
   ``threshold``. BERTopic's ``merge_models`` is greedy and many-to-one; here each
   concern continues at most one, and is continued by at most one.
2. **loose**: a concern left over from the first pass that is at least
   ``loose_threshold`` similar to one that was matched is a part of it: a current
   one left over is a *split* of its earlier concern, an earlier one left over was
   *merged* into the current concern.

Concerns of different groups (themes) are never linked: a concern continues within its theme.
Both sides are taken in the order of their keys before the assignment, so the
result does not depend on the order the concerns come in (ties included).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from nlp.embed import l2_normalise

MATCH, SPLIT, MERGE = "match", "split", "merge"


@dataclass(frozen=True)
class Link:
    """One earlier concern (row ``previous``) continued by one current concern (row ``current``)."""

    previous: int
    current: int
    similarity: float
    kind: str  # MATCH, SPLIT or MERGE


@dataclass(frozen=True)
class Matches:
    """The links found, best first within each kind, and what stayed alone."""

    links: tuple[Link, ...]
    n_previous: int
    n_current: int

    @property
    def matched(self) -> tuple[Link, ...]:
        return tuple(link for link in self.links if link.kind == MATCH)

    def continuing(self) -> set[int]:
        """Current rows that continue an earlier concern (matched or split off): "wiederkehrend"."""
        return {link.current for link in self.links}

    def vanished(self) -> set[int]:
        """Earlier rows that nothing continues: "nicht mehr genannt"."""
        return set(range(self.n_previous)) - {link.previous for link in self.links}


def centroids(embeddings: np.ndarray, labels: np.ndarray, keys: Sequence[int]) -> np.ndarray:
    """(len(keys), d) float32 unit centroids: the mean of each cluster's normalised member vectors.

    Args:
        embeddings: (n, d) member vectors.
        labels: (n,) cluster of each row.
        keys: the clusters to describe, in the order of the result.
    """
    x = l2_normalise(np.asarray(embeddings, dtype=np.float32))
    out = np.zeros((len(keys), x.shape[1] if x.ndim == 2 else 0), dtype=np.float32)
    for i, key in enumerate(keys):
        rows = labels == key
        if rows.any():
            out[i] = x[rows].mean(axis=0)
    return l2_normalise(out)


def match_concerns(
    previous: np.ndarray,
    current: np.ndarray,
    threshold: float,
    loose_threshold: float,
    previous_keys: Sequence[str] | None = None,
    current_keys: Sequence[str] | None = None,
    forced: Collection[tuple[int, int]] = (),
    refused: Collection[tuple[int, int]] = (),
    previous_groups: Sequence[str] | None = None,
    current_groups: Sequence[str] | None = None,
) -> Matches:
    """Match current concerns to earlier ones, one-to-one, then find splits and merges.

    Args:
        previous: (p, d) unit centroids of the earlier conference's concerns.
        current: (c, d) unit centroids of this conference's concerns.
        threshold: least cosine similarity of a one-to-one match.
        loose_threshold: least similarity of a split or merge (below ``threshold``
            is the point; at or above it the assignment would have taken the pair).
        previous_keys, current_keys: stable identity of each row (e.g. the concern
            key); the rows are taken in this order. Default: the row order.
        forced: (previous row, current row) pairs staff set: they are matches
            whatever their similarity, and take both rows out of the assignment.
        refused: pairs staff rejected: never linked.
        previous_groups, current_groups: e.g. the theme of each row; only rows of the
            same group are linked (``forced`` pairs excepted). Default: one group.

    Returns:
        :class:`Matches`, row numbers in the given order.
    """
    p, c = len(previous), len(current)
    if p == 0 or c == 0:
        return Matches((), p, c)
    p_order = _order(previous_keys, p)
    c_order = _order(current_keys, c)
    sims = np.asarray(previous, dtype=np.float64) @ np.asarray(current, dtype=np.float64).T  # (p, c)
    blocked = np.zeros_like(sims, dtype=bool)
    if previous_groups is not None and current_groups is not None:
        blocked = np.asarray(previous_groups, dtype=object)[:, None] != np.asarray(current_groups, dtype=object)[None, :]
    for i, j in refused:
        blocked[i, j] = True
    links: list[Link] = []
    taken_p: set[int] = set()
    taken_c: set[int] = set()
    for i, j in sorted(set(forced)):
        if i in taken_p or j in taken_c:
            continue
        links.append(Link(i, j, round(float(sims[i, j]), 6), MATCH))
        taken_p.add(i)
        taken_c.add(j)
    free_p = [i for i in p_order if i not in taken_p]
    free_c = [j for j in c_order if j not in taken_c]
    if free_p and free_c:
        sub = sims[np.ix_(free_p, free_c)]
        eligible = (sub >= threshold) & ~blocked[np.ix_(free_p, free_c)]
        # pairs below the threshold weigh nothing, so they never displace a real match
        rows, cols = linear_sum_assignment(np.where(eligible, sub, 0.0), maximize=True)
        for r, k in zip(rows, cols, strict=True):
            if eligible[r, k]:
                links.append(Link(free_p[r], free_c[k], round(float(sub[r, k]), 6), MATCH))
                taken_p.add(free_p[r])
                taken_c.add(free_c[k])
    matched_p, matched_c = set(taken_p), set(taken_c)
    loose = (sims >= loose_threshold) & ~blocked
    # a current concern left over that belongs to a matched earlier one: split off from it
    for j, i, sim in _attach([j for j in c_order if j not in matched_c], [i for i in p_order if i in matched_p],
                             lambda j, i: loose[i, j], lambda j, i: sims[i, j]):
        links.append(Link(i, j, sim, SPLIT))
    # an earlier concern left over that went into a matched current one: merged into it
    for i, j, sim in _attach([i for i in p_order if i not in matched_p], [j for j in c_order if j in matched_c],
                             lambda i, j: loose[i, j], lambda i, j: sims[i, j]):
        links.append(Link(i, j, sim, MERGE))
    kinds = {MATCH: 0, SPLIT: 1, MERGE: 2}
    links.sort(key=lambda link: (kinds[link.kind], -link.similarity, link.previous, link.current))
    return Matches(tuple(links), p, c)


def _attach(
    leftovers: Sequence[int], partners: Sequence[int], admits: Callable[[int, int], bool],
    similarity: Callable[[int, int], float],
) -> list[tuple[int, int, float]]:
    """Each leftover row's most similar admitted partner (the first in ``partners`` order on a tie)."""
    out = []
    for x in leftovers:
        candidates = [y for y in partners if admits(x, y)]
        if candidates:
            best = max(candidates, key=lambda y: similarity(x, y))
            out.append((x, best, round(float(similarity(x, best)), 6)))
    return out


def _order(keys: Sequence[str] | None, n: int) -> list[int]:
    if keys is None:
        return list(range(n))
    if len(keys) != n:
        raise ValueError(f"expected {n} keys, got {len(keys)}")
    return sorted(range(n), key=lambda i: (str(keys[i]), i))
