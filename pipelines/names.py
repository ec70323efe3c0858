"""Concern names from key phrases (:mod:`nlp.naming`), for the clusters an analysis found.

Only the notes closest to each cluster's centre are tagged and only their noun
phrases embedded (with the analysis' own embedder, whose cache keeps the phrase
vectors for a re-run), so naming costs little beside embedding the notes.
A cluster without a usable phrase keeps its keyword label.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

import numpy as np
from spacy.language import Language

from models.rows import ClusterRow
from nlp.embed import Embedder
from nlp.naming import (
    candidate_phrases,
    concern_name,
    embedding_features,
    key_phrases,
    name_words,
    tag_texts,
)

#: notes per cluster whose noun phrases are candidates
N_SOURCES = 4
#: key phrases in a name
N_NAME_PHRASES = 2


def name_clusters(
    rows: Sequence[ClusterRow],
    labels: np.ndarray,
    similarity: np.ndarray,
    texts: Sequence[str],
    embeddings: np.ndarray,
    themes: Sequence[str],
    embedder: Embedder,
    nlp: Language,
    exclude: Collection[str] = (),
) -> list[ClusterRow]:
    """``rows`` with planner-style names from key phrases in place of their keyword labels.

    A row whose ``label_source`` is ``"staff"`` keeps its name: staff decided it.
    Arguments as :func:`propose_names`.
    """
    keys = [row.key for row in rows if row.label_source != "staff"]
    names = propose_names(keys, labels, similarity, texts, embeddings, themes, embedder, nlp, exclude)
    return [replace(row, label=names[row.key]) if names.get(row.key) else row for row in rows]


def propose_names(
    keys: Sequence[int],
    labels: np.ndarray,
    similarity: np.ndarray,
    texts: Sequence[str],
    embeddings: np.ndarray,
    themes: Sequence[str],
    embedder: Embedder,
    nlp: Language,
    exclude: Collection[str] = (),
) -> dict[int, str]:
    """A name for each cluster in ``keys``; "" where its notes yield no usable phrase.

    Args:
        labels: (n,) cluster key per note, -1 unclustered.
        similarity: (n,) each note's similarity to its cluster's centre.
        embeddings: (n, d) raw vectors of ``texts`` from ``embedder``.
        themes: (n,) theme per note: phrases are placed in their theme's space.
        exclude: lower-case place and institution words.
    """
    centres = cluster_centres(labels, embeddings, themes, embedder)
    theme_of = np.asarray(themes)
    candidates: dict[int, list[str]] = {}
    for key in keys:
        members = np.flatnonzero(labels == key)
        central = members[np.lexsort((members, -similarity[members]))][:N_SOURCES]
        candidates[key] = candidate_phrases([texts[i] for i in central], nlp, exclude)
    # one call for every phrase: the cache writes once, the model runs full batches
    phrases = sorted({p for found in candidates.values() for p in found})
    raw = embedder.encode(phrases) if phrases else np.zeros((0, embedder.dim), dtype=np.float32)
    row_of = {p: i for i, p in enumerate(phrases)}
    theme_of_key = {key: theme_of[np.argmax(labels == key)] for key in centres}
    names = {}
    for key in keys:
        if not candidates[key]:
            names[key] = ""
            continue
        reference = embeddings[theme_of == theme_of_key[key]]
        vectors = embedding_features(raw[[row_of[p] for p in candidates[key]]], embedder.blocks, reference)
        rivals = [centres[other] for other in sorted(centres) if other != key and theme_of_key[other] == theme_of_key[key]]
        names[key] = concern_name(key_phrases(candidates[key], vectors, centres[key], top_n=N_NAME_PHRASES,
                                              rivals=np.stack(rivals) if rivals else None))
    return names


def cluster_centres(labels: np.ndarray, embeddings: np.ndarray, themes: Sequence[str], embedder: Embedder
                    ) -> dict[int, np.ndarray]:
    """Unit-length centre of each cluster in the embedding space of its theme (:func:`nlp.naming.embedding_features`)."""
    theme_of = np.asarray(themes)
    centres = {}
    for key in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == key)
        reference = embeddings[theme_of == theme_of[members[0]]]
        centre = embedding_features(embeddings[members], embedder.blocks, reference).mean(axis=0)
        centres[int(key)] = centre / max(float(np.linalg.norm(centre)), 1e-12)
    return centres


def institution_name_words(entries: Collection[str], nlp: Language) -> set[str]:
    """Lower-case name words of gazetteer entries: "Kita Regenbogen" → "regenbogen".

    The words :func:`nlp.naming.name_words` finds in each entry; an entry of one word
    is a gazetteer word already (the analysis leaves those out as a whole).
    """
    entries = sorted(entries)
    return {word for tokens in tag_texts(entries, nlp) for word in name_words(tokens)}
