"""Store: lossless round-trip, atomic transactions, optimistic locking — on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models.records import AnalysisRun, Cluster, Conference
from models.rows import AssignmentRow, ClusterRow, RunRow
from models.store import Store

# PostgreSQL text cannot hold NUL and no database holds lone surrogates; ingest's
# clean_text removes control characters anyway.
_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
_EMOJI = st.sampled_from(
    ["😀", "👩🏽‍🏫", "🇩🇪", "❤️", "Spielplätze", "Straße", "ÄÖÜäöüß", "Ǆ", "\u200b", "\r\n"]
)
_TEXT = st.one_of(
    st.text(_CHARS, min_size=1, max_size=200),
    st.lists(st.one_of(_EMOJI, st.text(_CHARS, max_size=5)), min_size=1, max_size=40).map("".join),
    st.text(_CHARS, min_size=1, max_size=3).map(lambda s: s * 4000),  # long text
).filter(bool)
_SHORT = st.one_of(st.none(), st.text(_CHARS, min_size=1, max_size=50))

_ROW = st.fixed_dictionaries(
    {
        "text": _TEXT,
        "table_label": _SHORT,
        "round": st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1)),
        "theme": st.one_of(st.none(), st.text(_CHARS, min_size=1, max_size=100)),
        "district": _SHORT,
        "stakeholder_group": _SHORT,
        "source_file": st.one_of(st.none(), st.text(_CHARS, min_size=1, max_size=500)),
        "source_position": _SHORT,
    }
)
_COLUMNS = ("text", "table_label", "round", "theme", "district", "stakeholder_group", "source_file", "source_position")
_conference_names = (f"Konferenz {i}" for i in itertools.count())


def _batch(n: int) -> dict:
    return {"source_file": "beiträge.csv", "file_sha256": "0" * 64, "n_rows": n, "n_imported": n,
            "n_duplicates": 0, "n_empty": 0}


def _add_conference(store: Store, rows: list[dict]) -> int:
    rows = [{**row, "content_hash": f"{i:064x}"} for i, row in enumerate(rows)]
    with store.transaction() as session:
        conference = store.ensure_conference(session, next(_conference_names), date="2026-03-18", city="Düren")
        store.add_batch(session, conference.id, _batch(len(rows)), rows)
        return conference.id


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_ROW, min_size=1, max_size=6))
def test_contributions_round_trip_losslessly(store: Store, rows: list[dict]) -> None:
    conference_id = _add_conference(store, rows)

    stored = store.contributions(conference_id)

    assert [{k: getattr(c, k) for k in _COLUMNS} for c in stored] == rows
    assert store.count_contributions(conference_id) == len(rows)


_JSON_KEY = st.text(_CHARS, min_size=1, max_size=20)
_FLOAT = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    keywords=st.lists(st.text(_CHARS, min_size=1, max_size=30), max_size=8),
    profile=st.dictionaries(st.sampled_from(["districts", "tables", "rounds", "groups"]),
                            st.dictionaries(_JSON_KEY, st.integers(0, 10**6), max_size=4)),
    breakdown=st.dictionaries(_JSON_KEY, _FLOAT, max_size=6),
    score=_FLOAT,
    label=st.text(_CHARS, min_size=1, max_size=300),
)
def test_cluster_json_columns_round_trip_losslessly(
    store: Store, keywords: list[str], profile: dict, breakdown: dict, score: float, label: str
) -> None:
    conference_id = _add_conference(store, [{"text": "Kita fehlt"}])
    cluster = ClusterRow(key=0, theme="Bildung und Erziehung", label=label, keywords=tuple(keywords), size=1,
                         representative_ids=(1,), profile=profile, hotspot_district=None, score=score,
                         score_breakdown=breakdown, rank=1, theme_rank=1, locked=False)

    run = store.save_run(_run(conference_id), [cluster], [])

    (stored,) = store.clusters(run.id)
    assert (stored.label, stored.keywords, stored.profile, stored.score_breakdown, stored.score) == (
        label, keywords, profile, breakdown, score)


def _run(conference_id: int, n: int = 1) -> RunRow:
    now = datetime.now(UTC)
    return RunRow(conference_id=conference_id, settings={"clustering": {"k": None}}, model_id="hashing-512",
                  started_at=now, finished_at=now, n_contributions=n, n_clusters=1,
                  n_unclustered=0, timings={"laden": 0.1})


def _cluster(key: int, rank: int) -> ClusterRow:
    return ClusterRow(key=key, theme="Arbeit", label=f"Anliegen {key}", keywords=("Jobcenter",), size=1,
                      representative_ids=(), profile={}, hotspot_district=None, score=1.0 / rank,
                      score_breakdown={"support": 1.0 / rank}, rank=rank, theme_rank=rank, locked=False)


def _assignment(contribution_id: int, cluster_key: int | None) -> AssignmentRow:
    return AssignmentRow(contribution_id=contribution_id, cluster_key=cluster_key, theme="Arbeit",
                         theme_confidence=1.0, theme_source="tabelle", districts=("Ost",), lemmas="Jobcenter",
                         similarity=0.5)


def test_exception_inside_transaction_leaves_nothing_behind(store: Store, row_counts) -> None:
    with pytest.raises(RuntimeError, match="abgebrochen"):
        with store.transaction() as session:
            conference = store.ensure_conference(session, "Abgebrochen")
            store.add_batch(session, conference.id, _batch(1), [{"text": "Kita fehlt", "content_hash": "a" * 64}])
            session.flush()
            raise RuntimeError("abgebrochen")

    assert store.get_conference("Abgebrochen") is None
    assert row_counts(store) == {"conference": 0, "import_batch": 0, "contribution": 0, "analysis_run": 0,
                                 "cluster": 0, "assignment": 0}


def test_save_run_stores_clusters_and_assignments_together(store: Store) -> None:
    conference_id = _add_conference(store, [{"text": t} for t in ("a", "b", "c")])
    ids = [c.id for c in store.contributions(conference_id)]

    run = store.save_run(
        _run(conference_id, 3), [_cluster(7, 2), _cluster(3, 1)],
        [_assignment(ids[0], 7), _assignment(ids[1], 3), _assignment(ids[2], None)],
    )

    clusters = store.clusters(run.id)
    assert [c.label for c in clusters] == ["Anliegen 3", "Anliegen 7"]  # ordered by rank
    by_label = {c.label: c.id for c in clusters}
    assert {a.contribution_id: a.cluster_id for a in store.assignments(run.id)} == {
        ids[0]: by_label["Anliegen 7"], ids[1]: by_label["Anliegen 3"], ids[2]: None}
    assert store.latest_run(conference_id).id == run.id


def test_save_run_that_fails_midway_stores_nothing(store: Store, row_counts) -> None:
    conference_id = _add_conference(store, [{"text": "a"}])
    before = row_counts(store)

    with pytest.raises(IntegrityError):
        store.save_run(_run(conference_id), [_cluster(0, 1)], [_assignment(10**6, 0)])  # no such contribution

    assert row_counts(store) == before
    assert store.latest_run(conference_id) is None


def test_second_writer_of_a_stale_cluster_gets_stale_data_error(store: Store) -> None:
    conference_id = _add_conference(store, [{"text": "a"}])
    run = store.save_run(_run(conference_id), [_cluster(0, 1)], [])
    cluster_id = store.clusters(run.id)[0].id

    with Session(store.engine) as first, Session(store.engine) as second:
        mine, theirs = first.get(Cluster, cluster_id), second.get(Cluster, cluster_id)
        assert mine.version == theirs.version == 1
        mine.label = "Kita-Plätze"
        first.commit()
        theirs.label = "Schulsozialarbeit"
        with pytest.raises(StaleDataError):
            second.commit()

    (stored,) = store.clusters(run.id)
    assert (stored.label, stored.version) == ("Kita-Plätze", 2)


def test_conferences_are_listed_in_creation_order(store: Store) -> None:
    with store.transaction() as session:
        for name in ("Düren 2025", "Düren 2026"):
            store.ensure_conference(session, name)
        again = store.ensure_conference(session, "Düren 2025")

    assert [c.name for c in store.conferences()] == ["Düren 2025", "Düren 2026"]
    assert again.id == store.get_conference("Düren 2025").id


def test_deleting_a_conference_cascades_to_its_runs(store: Store, row_counts) -> None:
    conference_id = _add_conference(store, [{"text": "a"}])
    ids = [c.id for c in store.contributions(conference_id)]
    store.save_run(_run(conference_id), [_cluster(0, 1)], [_assignment(ids[0], 0)])

    with store.transaction() as session:
        session.delete(session.get(Conference, conference_id))

    counts = row_counts(store)
    assert counts["contribution"] == counts["analysis_run"] == counts["cluster"] == counts["assignment"] == 0
    with store.transaction() as session:
        assert session.scalars(select(AnalysisRun)).all() == []


# -- sentence vectors -------------------------------------------------------


def _hash(i: int) -> str:
    return f"{i:064x}"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.lists(st.binary(min_size=12, max_size=12), min_size=1, max_size=20, unique=True))
def test_embedding_vectors_round_trip_bit_exactly(store: Store, raw: list[bytes]) -> None:
    # any 12 bytes are 3 float32 values, NaN payloads, -0.0 and denormals included
    model = f"m-{raw[0].hex()}"  # a fresh model per example: the database lives on between examples
    vectors = {_hash(i): v for i, v in enumerate(raw)}
    store.add_embedding_vectors(model, 3, vectors)

    assert store.embedding_vectors(model, list(vectors)) == vectors


def test_embedding_vectors_are_read_in_chunks_and_kept_apart_by_model(store: Store) -> None:
    vectors = {_hash(i): i.to_bytes(4, "little") for i in range(2500)}
    store.add_embedding_vectors("use", 1, vectors)
    store.add_embedding_vectors("e5", 1, {_hash(0): b"\xff" * 4})

    found = store.embedding_vectors("use", [*vectors, _hash(10**6), _hash(7)])

    assert found == vectors  # unknown hashes are left out, a repeated one is harmless
    assert store.embedding_vectors("e5", [_hash(0), _hash(1)]) == {_hash(0): b"\xff" * 4}
    assert store.embedding_vectors("use", []) == {}
    assert (store.count_embedding_vectors(), store.count_embedding_vectors("e5")) == (2501, 1)


def test_adding_a_stored_vector_again_keeps_the_first(store: Store) -> None:
    store.add_embedding_vectors("m", 1, {_hash(1): b"\x01" * 4})
    store.add_embedding_vectors("m", 1, {_hash(1): b"\x02" * 4, _hash(2): b"\x03" * 4})

    assert store.embedding_vectors("m", [_hash(1), _hash(2)]) == {_hash(1): b"\x01" * 4, _hash(2): b"\x03" * 4}


def test_a_vector_of_the_wrong_length_is_refused_and_nothing_is_stored(store: Store) -> None:
    with pytest.raises(ValueError, match="not 2 float32"):
        store.add_embedding_vectors("m", 2, {_hash(1): b"\x00" * 8, _hash(2): b"\x00" * 4})
    assert store.count_embedding_vectors() == 0


def test_two_servers_adding_the_same_vectors_at_once_both_succeed(store_url: str) -> None:
    """Two stores (two engines, like two servers) add overlapping vectors at the same moment."""
    stores = [Store(store_url), Store(store_url)]
    vectors = {_hash(i): i.to_bytes(4, "little") for i in range(3000)}
    halves = [dict(list(vectors.items())[:2000]), dict(list(vectors.items())[1000:])]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def add(store: Store, part: dict[str, bytes]) -> None:
        try:
            for _ in range(3):
                barrier.wait(timeout=30)
                store.add_embedding_vectors("m", 1, part)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=pair) for pair in zip(stores, halves, strict=True)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        assert stores[0].count_embedding_vectors("m") == 3000
        assert stores[1].embedding_vectors("m", vectors) == vectors
    finally:
        for s in stores:
            s.close()
