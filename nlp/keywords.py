"""Cluster descriptions: class-based TF-IDF keywords, representatives, a German label."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer


def class_tfidf_keywords(
    lemmas: Sequence[Sequence[str]], labels: np.ndarray, top_n: int = 8
) -> dict[int, list[str]]:
    """Keywords of each cluster by class-based TF-IDF (as BERTopic's c-TF-IDF).

    Each cluster is one document of all its members' lemmas, each lemma counted once
    per member (so a term many people used beats one person's repetition); a term's
    weight is its frequency in the cluster times ``log(1 + A / f)``, with A the
    average number of terms per cluster and f the term's frequency over all clusters.

    Args:
        lemmas: (n,) content lemmas per contribution.
        labels: (n,) cluster per contribution, -1 for unclustered.

    Returns:
        cluster → up to ``top_n`` lemmas, strongest first (ties alphabetical).
    """
    clusters = sorted(int(c) for c in np.unique(labels) if c >= 0)
    docs = [[t for i in np.flatnonzero(labels == c) for t in dict.fromkeys(lemmas[i])] for c in clusters]
    if not clusters or not any(docs):
        return {c: [] for c in clusters}
    vectorizer = CountVectorizer(analyzer=lambda doc: doc, lowercase=False)
    counts = vectorizer.fit_transform(docs).toarray().astype(float)
    terms = vectorizer.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    average = counts.sum() / len(clusters)
    idf = np.log1p(average / np.maximum(counts.sum(axis=0), 1))
    weights = tf * idf
    keywords = {}
    for row, cluster in enumerate(clusters):
        order = sorted(np.flatnonzero(weights[row] > 0), key=lambda j: (-weights[row, j], terms[j]))
        keywords[cluster] = [str(terms[j]) for j in order[:top_n]]
    return keywords


def representatives(X: np.ndarray, members: np.ndarray, top_n: int = 3) -> np.ndarray:
    """Indices (into X) of the ``top_n`` members closest to their cluster's mean direction.

    Args:
        X: (n, d) normalised features.
        members: indices of one cluster's rows.
    """
    if len(members) == 0:
        return members
    centre = X[members].mean(axis=0)
    similarity = X[members] @ centre
    order = np.lexsort((members, -similarity))
    return members[order[:top_n]]


def default_label(keywords: Sequence[str], max_terms: int = 3, exclude: Collection[str] = ()) -> str:
    """A readable German label from keywords, nouns (capitalised lemmas) first.

    Args:
        exclude: lower-case words to leave out (district names: the cluster's
            district profile shows them already, the label should say *what*).

    >>> default_label(["fehlen", "Kita-Platz", "Nord-Düren", "Erzieher"])
    'Kita-Platz, Nord-Düren und Erzieher'
    >>> default_label(["fehlen", "Kita-Platz", "Nord-Düren", "Erzieher"], exclude={"nord-düren"})
    'Kita-Platz, Erzieher und fehlen'
    """
    keywords = [k for k in keywords if k.lower() not in exclude] or list(keywords)
    nouns = [k for k in keywords if k[:1].isupper()]
    chosen = (nouns + [k for k in keywords if k not in nouns])[:max_terms]
    if not chosen:
        return "Ohne Schlagworte"
    if len(chosen) == 1:
        return chosen[0]
    return ", ".join(chosen[:-1]) + " und " + chosen[-1]
