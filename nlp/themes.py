"""Theme taxonomy (``data/themes.yml``) and theme inference for notes without a table theme."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

UNKNOWN_THEME = "Ohne Thema"


@dataclass(frozen=True)
class Theme:
    name: str
    aliases: tuple[str, ...]
    description: str
    examples: tuple[str, ...]

    @property
    def prototype_texts(self) -> list[str]:
        """Texts whose embeddings describe the theme: description and examples."""
        return [self.description, *self.examples]


@dataclass(frozen=True)
class Taxonomy:
    themes: tuple[Theme, ...]

    @classmethod
    def from_yaml(cls, path: Path) -> Taxonomy:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return cls(
            tuple(
                Theme(
                    name=t["name"],
                    aliases=tuple(t.get("aliases") or ()),
                    description=t.get("description", ""),
                    examples=tuple(t.get("examples") or ()),
                )
                for t in raw["themes"]
            )
        )

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.themes]

    def canonical(self, value: str | None) -> str | None:
        """The theme a free-text value names (name or alias, any case), else the value itself."""
        if value is None or not str(value).strip():
            return None
        value = str(value).strip()
        folded = value.casefold()
        for theme in self.themes:
            if folded in {theme.name.casefold(), *(a.casefold() for a in theme.aliases)}:
                return theme.name
        return value


def theme_prototypes(
    prototype_embeddings: Sequence[np.ndarray],
) -> np.ndarray:
    """(t, d) unit vectors, one per theme: the mean of its prototype texts' embeddings."""
    means = np.stack([np.asarray(e, dtype=np.float32).mean(axis=0) for e in prototype_embeddings])
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)


# The taxonomy's own texts that are least typical of their theme: a note less similar
# to its nearest theme than this share of them fits no theme (see typicality_floor).
FLOOR_QUANTILE = 0.05


def typicality_floor(prototype_embeddings: Sequence[np.ndarray], quantile: float = FLOOR_QUANTILE) -> float | None:
    """How similar a text must be to a theme to count as typical of it, measured on the taxonomy itself.

    Each description and example is compared with its own theme's prototype built
    without it (leave one out); the floor is the ``quantile`` of those similarities.
    Being the taxonomy's own measure, it follows whatever embedding model is in use.

    Args:
        prototype_embeddings: per theme, (m_t, d) embeddings of its prototype texts.

    Returns:
        The floor, or None when no theme has two texts to compare.
    """
    similarities = []
    for block in prototype_embeddings:
        vectors = np.asarray(block, dtype=np.float32)
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        if len(vectors) < 2:
            continue
        total = vectors.sum(axis=0)
        for vector in vectors:
            rest = total - vector
            similarities.append(float(vector @ rest) / max(float(np.linalg.norm(rest)), 1e-12))
    return float(np.quantile(similarities, quantile)) if similarities else None


def infer_themes(
    embeddings: np.ndarray, prototypes: np.ndarray, names: Sequence[str], temperature: float = 0.03,
    floor: float | None = None,
) -> tuple[list[str], np.ndarray]:
    """Most similar theme of each row and a confidence in [0, 1].

    The confidence is the softmax probability of the chosen theme over the cosine
    similarities to all themes (``temperature`` sharpens it). With a ``floor``
    (from :func:`typicality_floor`) "no theme" competes as one more option whose
    similarity is the floor, so a note far from every theme is unsure even when one
    theme is nearer than the others: bicycle parking is nearer to "Sicherheit" than
    to "Wohnen", but far from both. The default temperature makes the mean confidence
    (without floor) match the accuracy on the demo conference with the default
    embedding (both about 0.6 over 6 themes).

    Args:
        embeddings: (n, d) unit vectors.
        prototypes: (t, d) unit vectors from :func:`theme_prototypes`.

    Returns:
        (n,) theme names and (n,) float confidences.
    """
    if len(embeddings) == 0:
        return [], np.zeros(0, dtype=np.float32)
    similarity = np.asarray(embeddings, dtype=np.float32) @ prototypes.T
    if floor is not None:
        similarity = np.hstack([similarity, np.full((len(similarity), 1), floor, dtype=np.float32)])
    logits = (similarity - similarity.max(axis=1, keepdims=True)) / temperature
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    best = probabilities[:, : len(names)].argmax(axis=1)
    return [names[i] for i in best], probabilities[np.arange(len(best)), best].astype(np.float32)
