"""Sentence vectors in the database, so every server on one database uses the same ones.

An analysis reads its vectors from the store's ``embedding`` table and adds the ones
it had to embed, so a re-analysis — on this server or another one sharing the
database — embeds nothing it has embedded before and reproduces the clusters. The
disk cache under ``TATEN_HOME`` stays for work without a database (``taten
cluster``); an analysis only reads it, for vectors the database lacks (a cache
filled before the database held vectors), and copies what it finds there into the
database.

Vectors are stored as little-endian float32 bytes and come back bit-exact.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

import numpy as np

from models.store import Store
from nlp.embed import CachedEmbedder, Embedder, FallbackCache, VectorCache
from pipelines.resources import Resources

logger = logging.getLogger(__name__)

# one byte order on every machine, so a vector written on one server reads the same on all
_FLOAT32 = np.dtype("<f4")


class DatabaseVectorCache(VectorCache):
    """The vectors of one model in a :class:`Store`.

    Args:
        store: the database.
        model_id: the model whose vectors this cache holds.
        dim: length of each vector; a stored vector of another length is ignored
            (and embedded again) with a warning.
    """

    def __init__(self, store: Store, model_id: str, dim: int) -> None:
        self.store = store
        self.model_id = model_id
        self.dim = dim

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found = {}
        for key, raw in self.store.embedding_vectors(self.model_id, keys).items():
            if len(raw) != self.dim * _FLOAT32.itemsize:
                logger.warning("Ignoring stored vector %s of %r: %d bytes, expected %d float32",
                               key, self.model_id, len(raw), self.dim)
                continue
            found[key] = np.frombuffer(raw, dtype=_FLOAT32).astype(np.float32)
        return found

    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=_FLOAT32)
        if vectors.shape != (len(keys), self.dim):
            raise ValueError(f"expected ({len(keys)}, {self.dim}) vectors, got {vectors.shape}")
        if len(keys):
            self.store.add_embedding_vectors(
                self.model_id, self.dim, {k: v.tobytes() for k, v in zip(keys, vectors, strict=True)}
            )


def database_embedder(embedder: Embedder, store: Store) -> Embedder:
    """``embedder`` with its vectors read from and written to ``store``.

    A :class:`CachedEmbedder` gets a new twin whose cache is the database, falling
    back to its own cache (read only); the given one is left as it is, so one model
    loaded per server serves every store and every session. Any other embedder
    caches nothing and is returned unchanged.
    """
    if not isinstance(embedder, CachedEmbedder):
        return embedder
    cache = embedder.cache
    primary = cache.primary if isinstance(cache, FallbackCache) else cache
    if isinstance(primary, DatabaseVectorCache) and primary.store is store:
        return embedder
    database = DatabaseVectorCache(store, embedder.model_id, embedder.dim)
    return embedder.with_cache(FallbackCache(database, cache))


def with_database_vectors(resources: Resources, store: Store) -> Resources:
    """``resources`` whose embedder keeps its vectors in ``store`` (see :func:`database_embedder`)."""
    embedder = database_embedder(resources.embedder, store)
    return resources if embedder is resources.embedder else dataclasses.replace(resources, embedder=embedder)
