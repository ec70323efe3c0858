"""Alembic migrations: an older database opens, is upgraded, and keeps its data."""

from __future__ import annotations

from sqlalchemy import inspect

from models.records import Base
from models.store import Store, current_revision


def test_opening_a_0001_database_upgrades_it_to_0002_and_keeps_its_data(store_url: str) -> None:
    old = Store(store_url, revision="0001")
    with old.transaction() as session:
        conference = old.ensure_conference(session, "Sozialraumkonferenz 2025", date="2025-03-12", city="Düren")
        old.add_batch(session, conference.id,
                      {"source_file": "alt.csv", "file_sha256": "f" * 64, "n_rows": 2, "n_imported": 2,
                       "n_duplicates": 0, "n_empty": 0},
                      [{"text": "Spielplätze sind kaputt 🛝", "content_hash": "1" * 64, "round": 1},
                       {"text": "Straße zu laut", "content_hash": "2" * 64, "district": "Ost"}])
    assert current_revision(old.engine) == "0001"
    assert "measure" not in inspect(old.engine).get_table_names()
    old.close()

    upgraded = Store(store_url)
    try:
        assert current_revision(upgraded.engine) == "0002"
        tables = set(inspect(upgraded.engine).get_table_names())
        assert {"measure", "measure_source", "review_event"} <= tables
        conference = upgraded.get_conference("Sozialraumkonferenz 2025")
        assert (conference.date, conference.city) == ("2025-03-12", "Düren")
        stored = upgraded.contributions(conference.id)
        assert [(c.text, c.round, c.district) for c in stored] == [
            ("Spielplätze sind kaputt 🛝", 1, None), ("Straße zu laut", None, "Ost")]
    finally:
        upgraded.close()


def test_migrated_schema_has_every_table_and_column_of_the_records(store: Store) -> None:
    inspector = inspect(store.engine)

    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name


def test_opening_a_current_database_again_is_harmless(store_url: str) -> None:
    first = Store(store_url)
    with first.transaction() as session:
        first.ensure_conference(session, "Einmal")
    first.close()

    second = Store(store_url)
    try:
        assert current_revision(second.engine) == "0002"
        assert [c.name for c in second.conferences()] == ["Einmal"]
    finally:
        second.close()
