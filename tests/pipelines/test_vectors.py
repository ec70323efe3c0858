"""Sentence vectors in the database: exact round trip, no re-embedding, shared between servers."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from models.records import AnalysisRun
from models.store import Store
from nlp.embed import CachedEmbedder, EmbeddingCache, FallbackCache, HashingEmbedder
from nlp.text import clean_text, text_hash
from pipelines import analyse as analyse_module
from pipelines.analyse import analyse_conference
from pipelines.errors import TatenError
from pipelines.ingest import import_files
from pipelines.resources import Resources
from pipelines.settings import Settings
from pipelines.vectors import DatabaseVectorCache, database_embedder, with_database_vectors

CONFERENCE = "Kleine Konferenz"


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__(64)
        self.embedded: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return super().encode(texts)


def _server(resources: Resources, disk: Path) -> tuple[Resources, CountingEmbedder]:
    """What one server holds: its own model (counting what it embeds) and its own disk cache."""
    inner = CountingEmbedder()
    return dataclasses.replace(resources, embedder=CachedEmbedder(inner, disk, text_hash)), inner


def _memberships(store: Store, run: AnalysisRun) -> set[frozenset[str]]:
    texts = {c.id: c.text for c in store.contributions(run.conference_id)}
    groups: dict[int | None, set[str]] = {}
    for a in store.assignments(run.id):
        groups.setdefault(a.cluster_id, set()).add(texts[a.contribution_id])
    return {frozenset(g) for g in groups.values()}


def _texts(store: Store) -> list[str]:
    conference = store.get_conference(CONFERENCE)
    return [clean_text(c.text) for c in store.contributions(conference.id)]


def test_database_cache_round_trips_vectors_bit_exactly(store: Store) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((1200, 7)).astype(np.float32)
    vectors[0] = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-45, np.finfo(np.float32).max]
    keys = [text_hash(f"Notiz {i}") for i in range(len(vectors))]
    DatabaseVectorCache(store, "m", 7).put(keys, vectors)

    found = DatabaseVectorCache(store, "m", 7).get(keys[::-1])

    assert set(found) == set(keys)
    again = np.stack([found[k] for k in keys])
    assert again.dtype == np.float32
    assert again.tobytes() == vectors.tobytes()


def test_database_cache_ignores_vectors_of_another_length(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    DatabaseVectorCache(store, "m", 2).put(["a"], np.ones((1, 2), dtype=np.float32))

    assert DatabaseVectorCache(store, "m", 3).get(["a"]) == {}
    assert "expected 3 float32" in caplog.text
    with pytest.raises(ValueError, match=r"expected \(1, 3\)"):
        DatabaseVectorCache(store, "m", 3).put(["b"], np.ones((1, 2), dtype=np.float32))


def test_a_second_analysis_embeds_nothing_new(
    store: Store, small_conference_csv: Path, hashing_resources: Resources, settings: Settings
) -> None:
    resources, inner = _server(hashing_resources, settings.embedding_cache_dir)
    import_files(store, [small_conference_csv], CONFERENCE, resources.vocab)
    analyse_conference(store, CONFERENCE, resources, settings)
    texts = _texts(store)
    assert set(texts) <= set(inner.embedded)
    assert len(inner.embedded) == len(set(inner.embedded))  # nothing embedded twice
    stored = store.count_embedding_vectors(inner.model_id)
    assert stored == len(inner.embedded)

    inner.embedded.clear()
    analyse_conference(store, CONFERENCE, resources, settings)

    assert inner.embedded == []
    assert store.count_embedding_vectors(inner.model_id) == stored
    # the analysis's vectors went to the database, not to this server's disk cache
    assert not EmbeddingCache(settings.embedding_cache_dir, inner.model_id).folder.exists()
    # the configured embedder is left as it was: one model per server serves every store
    assert isinstance(resources.embedder, CachedEmbedder)
    assert isinstance(resources.embedder.cache, EmbeddingCache)


def test_another_server_on_the_same_database_reuses_the_vectors_and_the_clusters(
    store_url: str, tmp_path: Path, small_conference_csv: Path, hashing_resources: Resources, settings: Settings
) -> None:
    first_store = Store(store_url)
    first, first_inner = _server(hashing_resources, tmp_path / "server-1")
    import_files(first_store, [small_conference_csv], CONFERENCE, first.vocab)
    first_run = analyse_conference(first_store, CONFERENCE, first, settings)
    first_store.close()

    second_store = Store(store_url)
    second, second_inner = _server(hashing_resources, tmp_path / "server-2")
    try:
        second_run = analyse_conference(second_store, CONFERENCE, second, settings)
        assert first_inner.embedded and second_inner.embedded == []
        assert _memberships(second_store, second_run) == _memberships(second_store, first_run)
        cached = database_embedder(second.embedder, second_store)
        texts = _texts(second_store)
        assert cached.encode(texts).tobytes() == first_inner.encode(texts).tobytes()
        assert (cached.last_hits, cached.last_misses) == (len(texts), 0)
    finally:
        second_store.close()


def test_vectors_only_on_this_servers_disk_are_copied_into_the_database(
    sqlite_store: Store, small_conference_csv: Path, hashing_resources: Resources, settings: Settings
) -> None:
    resources, inner = _server(hashing_resources, settings.embedding_cache_dir)
    import_files(sqlite_store, [small_conference_csv], CONFERENCE, resources.vocab)
    texts = _texts(sqlite_store)
    resources.embedder.encode(texts)  # filled before the database held vectors
    inner.embedded.clear()

    analyse_conference(sqlite_store, CONFERENCE, resources, settings)

    assert set(inner.embedded).isdisjoint(texts)  # at most the theme descriptions are new
    assert len(sqlite_store.embedding_vectors(inner.model_id, [text_hash(t) for t in texts])) == len(set(texts))


def test_a_failed_analysis_stores_no_run_and_only_whole_vectors(
    store: Store, small_conference_csv: Path, hashing_resources: Resources, settings: Settings,
    row_counts, monkeypatch: pytest.MonkeyPatch,
) -> None:
    resources, inner = _server(hashing_resources, settings.embedding_cache_dir)
    import_files(store, [small_conference_csv], CONFERENCE, resources.vocab)
    before = row_counts(store)

    def broken(*_args: object, **_kwargs: object) -> list[dict]:
        raise RuntimeError("Festplatte voll")

    monkeypatch.setattr(analyse_module, "describe_clusters", broken)
    with pytest.raises(TatenError, match="'beschreiben'"):
        analyse_conference(store, CONFERENCE, resources, settings)

    assert row_counts(store) == before
    # the vectors are a pure cache keyed by content: each one whole and right
    keys = [text_hash(t) for t in inner.embedded]
    stored = store.embedding_vectors(inner.model_id, keys)
    assert len(stored) == store.count_embedding_vectors() == len(set(keys))
    assert b"".join(stored[k] for k in keys) == HashingEmbedder(64).encode(inner.embedded).tobytes()


def test_database_embedder_wraps_only_caching_embedders_and_only_once(
    sqlite_store: Store, hashing_resources: Resources, tmp_path: Path
) -> None:
    plain = HashingEmbedder(64)
    assert database_embedder(plain, sqlite_store) is plain
    assert with_database_vectors(hashing_resources, sqlite_store) is hashing_resources

    cached = CachedEmbedder(plain, tmp_path, text_hash)
    once = database_embedder(cached, sqlite_store)
    assert isinstance(once, CachedEmbedder) and isinstance(once.cache, FallbackCache)
    assert isinstance(once.cache.primary, DatabaseVectorCache) and once.cache.fallback is cached.cache
    assert database_embedder(once, sqlite_store) is once
