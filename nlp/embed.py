"""Sentence embeddings: swappable embedders, their combination, and a disk cache.

Every embedder returns row-aligned float32 vectors. A vector may be made of
*blocks* (the parts of a combined embedder); each block is L2-normalised on its own
and says whether it should be centred before clustering (e5 should: its vectors
share a large common direction). Centring depends on the set being clustered, so
it is done in :mod:`nlp.features`, never here: cached vectors stay raw.

Embedders:

* :class:`HashingEmbedder` — the trivial default: character n-gram hashing, no
  model. Fast and deterministic; used by tests and as a fallback.
* :class:`SentenceTransformerEmbedder` — any ``SentenceTransformer`` (by name,
  local folder, or built from modules such as :mod:`nlp.usem`).
* :class:`ConcatEmbedder` — blocks of several embedders side by side.
* :class:`CachedEmbedder` — wraps one and remembers vectors by (model id, text
  hash) in a :class:`VectorCache`, so a re-run embeds only new text.

Caches: :class:`EmbeddingCache` keeps vectors on disk (for work without a
database, such as ``taten cluster``); a database-backed cache lives in
``pipelines`` (this package knows no database); :class:`FallbackCache` reads one
cache first and another where it has nothing.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

logger = logging.getLogger(__name__)

USE_ID = "use"
E5_ID = "e5"
COMBINED_ID = "use+e5"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Block:
    """A part of an embedding vector: columns ``[start, stop)``."""

    name: str
    start: int
    stop: int
    center: bool = False
    weight: float = 1.0


def l2_normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


class Embedder(ABC):
    """Base of all embedders.

    Attributes:
        model_id: identifies the vectors (cache key, provenance in each run).
        blocks: the parts of each vector; one block by default.
    """

    model_id: str = "base"

    @property
    @abstractmethod
    def dim(self) -> int:
        """Length of each vector."""

    @property
    def blocks(self) -> tuple[Block, ...]:
        return (Block(self.model_id, 0, self.dim),)

    @abstractmethod
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``.

        Returns:
            (n, dim) float32; each block L2-normalised.
        """

    def encode_with_progress(
        self, texts: Sequence[str], progress: Progress | None = None, chunk: int = 512
    ) -> np.ndarray:
        """:meth:`encode` in chunks, calling ``progress(done, total)`` after each."""
        if progress is None or len(texts) <= chunk:
            vectors = self.encode(texts)
            if progress is not None:
                progress(len(texts), len(texts))
            return vectors
        parts = []
        for start in range(0, len(texts), chunk):
            parts.append(self.encode(texts[start : start + chunk]))
            progress(min(start + chunk, len(texts)), len(texts))
        return np.vstack(parts).astype(np.float32)


class HashingEmbedder(Embedder):
    """Character n-gram hashing: no model, deterministic, for tests and fallbacks."""

    def __init__(self, n_features: int = 512) -> None:
        self.n_features = n_features
        self.model_id = f"hashing-{n_features}"
        self._vectorizer = HashingVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), n_features=n_features,
            alternate_sign=False, norm="l2", lowercase=True,
        )

    @property
    def dim(self) -> int:
        return self.n_features

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalise(self._vectorizer.transform(list(texts)).toarray())


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model.

    Args:
        model: a loaded ``SentenceTransformer``.
        model_id: name for caches and provenance.
        prompt: prefix given to every text (e5 wants ``"query: "``).
        center: whether this model's vectors should be centred before clustering.
    """

    def __init__(
        self, model: object, model_id: str, *, prompt: str = "", center: bool = False,
        batch_size: int = 16,
    ) -> None:
        self.model = model
        self.model_id = model_id
        self.prompt = prompt
        self.center = center
        self.batch_size = batch_size
        self._dim = int(model.get_embedding_dimension())  # type: ignore[attr-defined]

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def blocks(self) -> tuple[Block, ...]:
        return (Block(self.model_id, 0, self.dim, center=self.center),)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(  # type: ignore[attr-defined]
            list(texts), prompt=self.prompt or None, batch_size=self.batch_size,
            convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False,
        )
        return l2_normalise(vectors)


class ConcatEmbedder(Embedder):
    """Several embedders side by side, each its own block with a clustering weight."""

    def __init__(self, parts: Sequence[tuple[Embedder, float]]) -> None:
        if not parts:
            raise ValueError("ConcatEmbedder needs at least one part")
        self.parts = list(parts)
        self.model_id = "+".join(f"{e.model_id}*{w:g}" for e, w in self.parts)

    @property
    def dim(self) -> int:
        return sum(e.dim for e, _ in self.parts)

    @property
    def blocks(self) -> tuple[Block, ...]:
        blocks, offset = [], 0
        for embedder, weight in self.parts:
            for b in embedder.blocks:
                blocks.append(Block(b.name, offset + b.start, offset + b.stop, b.center, b.weight * weight))
            offset += embedder.dim
        return tuple(blocks)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.hstack([e.encode(texts) for e, _ in self.parts]).astype(np.float32)


class VectorCache(ABC):
    """Where a :class:`CachedEmbedder` keeps vectors: text key → (dim,) float32 vector.

    A cache holds the vectors of one model (``model_id``). Vectors come back exactly
    as they were put (the same float32 bits).
    """

    model_id: str

    @abstractmethod
    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors of ``keys``; keys without one are left out."""

    @abstractmethod
    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Remember ``vectors`` (n, dim) float32 under ``keys`` (n,)."""


class FallbackCache(VectorCache):
    """Reads ``primary`` first and ``fallback`` for what it lacks; writes only ``primary``.

    Vectors found only in the fallback are copied into the primary, so the primary
    ends up holding every vector it handed out.
    """

    def __init__(self, primary: VectorCache, fallback: VectorCache) -> None:
        if primary.model_id != fallback.model_id:
            raise ValueError(f"caches of different models: {primary.model_id!r} and {fallback.model_id!r}")
        self.model_id = primary.model_id
        self.primary = primary
        self.fallback = fallback

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found = self.primary.get(keys)
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if missing:
            recovered = self.fallback.get(missing)
            if recovered:
                self.primary.put(list(recovered), np.stack(list(recovered.values())))
                found.update(recovered)
        return found

    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        self.primary.put(keys, vectors)


class EmbeddingCache(VectorCache):
    """Vectors on disk by (model id, text hash), in append-only ``.npz`` shards.

    Each run that embeds new texts adds one shard (written to a temporary file and
    renamed, so a crash never leaves half a shard); many shards are compacted.
    """

    MAX_SHARDS = 16

    def __init__(self, folder: Path, model_id: str) -> None:
        slug = re.sub(r"[^A-Za-z0-9_.+-]", "_", model_id)[:150]
        self.model_id = model_id
        self.folder = Path(folder) / slug
        self._vectors: dict[str, np.ndarray] | None = None

    def _load(self) -> dict[str, np.ndarray]:
        if self._vectors is None:
            self._vectors = {}
            for shard in sorted(self.folder.glob("shard-*.npz")):
                try:
                    with np.load(shard) as data:
                        self._vectors.update(zip(data["keys"].tolist(), data["vectors"], strict=True))
                except (OSError, ValueError, KeyError):
                    logger.warning("Ignoring unreadable embedding cache shard %s", shard)
        return self._vectors

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        vectors = self._load()
        return {k: vectors[k] for k in keys if k in vectors}

    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        if not len(keys):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write(np.asarray(keys), vectors)
        self._load().update(zip(keys, vectors, strict=True))
        shards = sorted(self.folder.glob("shard-*.npz"))
        if len(shards) > self.MAX_SHARDS:
            everything = self._load()
            self._write(np.asarray(list(everything)), np.stack(list(everything.values())))
            for shard in shards:
                shard.unlink(missing_ok=True)

    def _write(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        handle, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        os.close(handle)
        with open(tmp, "wb") as out:
            np.savez(out, keys=keys, vectors=np.asarray(vectors, dtype=np.float32))
        existing = {p.name for p in self.folder.glob("shard-*.npz")}
        index = len(existing)
        while f"shard-{index:06d}.npz" in existing:
            index += 1
        os.replace(tmp, self.folder / f"shard-{index:06d}.npz")


class CachedEmbedder(Embedder):
    """Wraps an embedder; embeds only texts whose (model id, hash) is not cached.

    Args:
        inner: the embedder doing the work.
        cache: a :class:`VectorCache` of ``inner``'s model, or a folder: the disk
            cache there (one sub-folder per model id).
        hash_text: text → key; the caller's content hash.

    Attributes:
        last_hits, last_misses: texts of the last call found in the cache / embedded.
        hits, misses: the same, summed over every call.

    Raises:
        ValueError: ``cache`` holds another model's vectors.
    """

    def __init__(self, inner: Embedder, cache: VectorCache | Path, hash_text: Callable[[str], str]) -> None:
        if not isinstance(cache, VectorCache):
            cache = EmbeddingCache(cache, inner.model_id)
        if cache.model_id != inner.model_id:
            raise ValueError(f"a cache of {cache.model_id!r} cannot serve {inner.model_id!r}")
        self.inner = inner
        self.model_id = inner.model_id
        self.cache = cache
        self.hash_text = hash_text
        self.last_hits = self.last_misses = 0
        self.hits = self.misses = 0

    def with_cache(self, cache: VectorCache) -> CachedEmbedder:
        """The same model and keys over another cache (this one is left as it is)."""
        return CachedEmbedder(self.inner, cache, self.hash_text)

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def blocks(self) -> tuple[Block, ...]:
        return self.inner.blocks

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_with_progress(texts, None)

    def encode_with_progress(
        self, texts: Sequence[str], progress: Progress | None = None, chunk: int = 512
    ) -> np.ndarray:
        """Vectors of ``texts``; only uncached texts are embedded (and counted in ``progress``)."""
        keys = [self.hash_text(t) for t in texts]
        known = self.cache.get(keys)
        missing = list(dict.fromkeys(k for k in keys if k not in known))
        self.last_hits, self.last_misses = len(keys) - len(missing), len(missing)
        self.hits += self.last_hits
        self.misses += self.last_misses
        if missing:
            first_text = {k: t for k, t in zip(keys, texts, strict=True)}
            fresh = self.inner.encode_with_progress([first_text[k] for k in missing], progress, chunk)
            self.cache.put(missing, fresh)
            known.update(zip(missing, fresh, strict=True))
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([known[k] for k in keys]).astype(np.float32)


def load_embedder(name: str, *, e5_dir: Path, batch_size: int = 16) -> Embedder:
    """The embedder a setting names.

    Args:
        name: ``"use+e5"``, ``"use"``, ``"e5"``, ``"hashing"``, or any
            sentence-transformers model name or local folder.
        e5_dir: where the converted multilingual-e5-small lives (see
            :mod:`nlp.e5_convert`).

    Raises:
        FileNotFoundError: the e5 folder or a named local model does not exist.
        OSError: sentence-transformers cannot load the model offline.
    """
    if name == "hashing":
        return HashingEmbedder()
    if name == USE_ID:
        return _use_embedder(batch_size)
    if name == E5_ID:
        return _e5_embedder(e5_dir, batch_size)
    if name == COMBINED_ID:
        return ConcatEmbedder([(_use_embedder(batch_size), 1.0), (_e5_embedder(e5_dir, batch_size), 1.0)])
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(name, device="cpu")
    return SentenceTransformerEmbedder(model, model_id=name, batch_size=batch_size)


def _use_embedder(batch_size: int) -> SentenceTransformerEmbedder:
    from nlp.usem import USE_MODEL_ID, build_usem_model

    return SentenceTransformerEmbedder(build_usem_model(), USE_MODEL_ID, batch_size=max(batch_size, 256))


def _e5_embedder(folder: Path, batch_size: int) -> SentenceTransformerEmbedder:
    from sentence_transformers import SentenceTransformer

    from nlp.e5_convert import E5_MODEL_ID

    if not (Path(folder) / "modules.json").exists():
        raise FileNotFoundError(f"multilingual-e5-small not converted yet: {folder}")
    model = SentenceTransformer(str(folder), device="cpu")
    return SentenceTransformerEmbedder(
        model, E5_MODEL_ID, prompt="query: ", center=True, batch_size=batch_size
    )
