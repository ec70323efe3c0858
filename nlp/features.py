"""Clustering features: embedding blocks (centred where asked) plus lemma LSA.

Semantic embeddings alone blur concerns that share a topic but not a subject; the
lemmas that people repeat ("Spielplatz", "Beleuchtung") separate them. So the
feature vector is the weighted concatenation of

* each embedding block, centred if its model needs it and re-normalised, and
* an LSA projection (TF-IDF over content lemmas → TruncatedSVD) of the lemmas,

then L2-normalised as a whole so Euclidean and cosine geometry agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from nlp.embed import Block, l2_normalise

LSA_COMPONENTS = 100


def lemma_lsa(lemmas: Sequence[Sequence[str]], n_components: int = LSA_COMPONENTS, seed: int = 0) -> np.ndarray | None:
    """LSA vectors of lemma lists, (n, c) float32 L2-normalised, or None when too little text."""
    docs = [[lemma.lower() for lemma in doc] for doc in lemmas]
    if len(docs) < 3:
        return None
    vectorizer = TfidfVectorizer(analyzer=lambda doc: doc, min_df=2, sublinear_tf=True)
    try:
        tfidf = vectorizer.fit_transform(docs)
    except ValueError:  # empty vocabulary
        return None
    components = min(n_components, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
    if components < 2:
        return None
    svd = TruncatedSVD(n_components=components, algorithm="randomized", random_state=seed)
    return l2_normalise(svd.fit_transform(tfidf))


def build_features(
    embeddings: np.ndarray,
    blocks: Sequence[Block],
    lemmas: Sequence[Sequence[str]] | None = None,
    lexical_weight: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """The matrix the clusterer sees.

    Args:
        embeddings: (n, d) raw vectors as an embedder returned them.
        blocks: the embedder's blocks over the d columns.
        lemmas: (n,) content lemmas, for the lexical block.
        lexical_weight: weight of the lexical block relative to a weight-1 embedding block.

    Returns:
        (n, d') float32, rows of unit length.
    """
    parts = []
    for block in blocks:
        part = embeddings[:, block.start : block.stop].astype(np.float32)
        if block.center and len(part) > 1:
            part = part - part.mean(axis=0, keepdims=True)
        parts.append(l2_normalise(part) * np.sqrt(block.weight))
    if lemmas is not None and lexical_weight > 0:
        lsa = lemma_lsa(lemmas, seed=seed)
        if lsa is not None:
            parts.append(lsa * np.sqrt(lexical_weight))
    return l2_normalise(np.hstack(parts))
