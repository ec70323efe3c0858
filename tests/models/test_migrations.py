"""Alembic migrations: an older database opens, is upgraded, and keeps its data."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from models.records import Base
from models.store import Store, alembic_config, current_revision


def test_opening_a_0001_database_upgrades_it_to_head_and_keeps_its_data(store_url: str) -> None:
    old = Store(store_url, revision="0001")
    # written with the 0001 schema's own columns: today's records have more
    with old.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO conference (id, name, date, city, created_at)"
            " VALUES (1, 'Sozialraumkonferenz 2025', '2025-03-12', 'Düren', '2025-03-12 00:00:00+00')")
        connection.exec_driver_sql(
            "INSERT INTO import_batch (id, conference_id, source_file, file_sha256, n_rows, n_imported,"
            " n_duplicates, n_empty, created_at) VALUES (1, 1, 'alt.csv', 'f', 2, 2, 0, 0, '2025-03-12 00:00:00+00')")
        connection.exec_driver_sql(
            "INSERT INTO contribution (id, conference_id, batch_id, text, content_hash, round, district, created_at)"
            " VALUES (1, 1, 1, 'Spielplätze sind kaputt 🛝', '1', 1, NULL, '2025-03-12 00:00:00+00'),"
            " (2, 1, 1, 'Straße zu laut', '2', NULL, 'Ost', '2025-03-12 00:00:00+00')")
    assert current_revision(old.engine) == "0001"
    assert "measure" not in inspect(old.engine).get_table_names()
    old.close()

    upgraded = Store(store_url)
    try:
        assert current_revision(upgraded.engine) == "0008"
        tables = set(inspect(upgraded.engine).get_table_names())
        assert {"measure", "measure_source", "review_event", "embedding"} <= tables
        conference = upgraded.get_conference("Sozialraumkonferenz 2025")
        assert (conference.date, conference.city) == ("2025-03-12", "Düren")
        stored = upgraded.contributions(conference.id)
        assert [(c.text, c.round, c.district) for c in stored] == [
            ("Spielplätze sind kaputt 🛝", 1, None), ("Straße zu laut", None, "Ost")]
        assert all(c.heading_path is None and c.mentioned_districts is None for c in stored)
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
        assert current_revision(second.engine) == "0008"
        assert [c.name for c in second.conferences()] == ["Einmal"]
    finally:
        second.close()


def test_a_0002_cluster_gets_review_defaults_on_upgrade(store_url: str) -> None:
    old = Store(store_url, revision="0002")
    with old.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO conference (id, name, created_at) VALUES (1, 'K', '2026-01-01 00:00:00+00')")
        connection.exec_driver_sql(
            "INSERT INTO analysis_run (id, conference_id, settings, model_id, started_at, finished_at,"
            " n_contributions, n_clusters, n_unclustered, timings) VALUES (1, 1, '{}', 'm',"
            " '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00', 0, 1, 0, '{}')")
        connection.exec_driver_sql(
            "INSERT INTO cluster (id, run_id, theme, label, keywords, size, representative_ids, profile,"
            " score, score_breakdown, rank, theme_rank, locked, version) VALUES (1, 1, 'Wohnen', 'Mieten',"
            " '[]', 0, '[]', '{}', 0, '{}', 1, 1, false, 1)")
    old.close()

    upgraded = Store(store_url)
    try:
        [cluster] = upgraded.clusters(1)
        assert (cluster.label_source, cluster.relevant, cluster.merged_into_id, cluster.concern_key) == (
            "auto", True, None, None)
    finally:
        upgraded.close()


def test_a_0003_database_gets_an_empty_embedding_table_and_keeps_its_data(store_url: str) -> None:
    old = Store(store_url, revision="0003")
    with old.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO conference (id, name, created_at) VALUES (1, 'K', '2026-01-01 00:00:00+00')")
    assert "embedding" not in inspect(old.engine).get_table_names()
    old.close()

    upgraded = Store(store_url)
    try:
        assert current_revision(upgraded.engine) == "0008"
        assert [c.name for c in upgraded.conferences()] == ["K"]
        assert upgraded.count_embedding_vectors() == 0
        primary_key = inspect(upgraded.engine).get_pk_constraint("embedding")["constrained_columns"]
        assert primary_key == ["model_id", "text_hash"]
        upgraded.add_embedding_vectors("m", 2, {"a" * 64: b"\x00" * 8})
        assert upgraded.embedding_vectors("m", ["a" * 64]) == {"a" * 64: b"\x00" * 8}
    finally:
        upgraded.close()


def test_downgrading_0004_drops_only_the_embedding_table(store_url: str) -> None:
    store = Store(store_url)
    store.add_embedding_vectors("m", 1, {"a" * 64: b"\x00" * 4})
    config = alembic_config()
    try:
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0003")
        tables = set(inspect(store.engine).get_table_names())
        assert "embedding" not in tables and {"conference", "measure"} <= tables
        assert current_revision(store.engine) == "0003"
    finally:
        store.close()


def test_0005_adds_a_unique_request_key_and_keeps_the_audit_log(store_url: str) -> None:
    old = Store(store_url, revision="0004")
    with old.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO conference (id, name, created_at) VALUES (1, 'K', '2025-03-12 00:00:00+00')")
        connection.exec_driver_sql(
            "INSERT INTO review_event (id, conference_id, actor, at, action, target_type, payload, undone)"
            " VALUES (1, 1, 'Anna', '2025-03-12 00:00:00+00', 'rename', 'cluster', '{}', false)")
    old.close()

    upgraded = Store(store_url)
    try:
        assert current_revision(upgraded.engine) == "0008"
        indexes = {i["name"]: i for i in inspect(upgraded.engine).get_indexes("review_event")}
        assert indexes["ix_review_event_request_key"]["unique"]
        with upgraded.engine.begin() as connection:
            assert connection.exec_driver_sql("SELECT actor, request_key FROM review_event").all() == [("Anna", None)]
            # NULLs stay distinct: changes without a key never collide
            connection.exec_driver_sql(
                "INSERT INTO review_event (id, conference_id, actor, at, action, target_type, payload, undone)"
                " VALUES (2, 1, 'Bernd', '2025-03-12 00:00:00+00', 'lock', 'cluster', '{}', false)")
        config = alembic_config()
        with upgraded.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        assert "request_key" not in {c["name"] for c in inspect(upgraded.engine).get_columns("review_event")}
    finally:
        upgraded.close()


def test_0006_gives_old_measures_the_default_progress_of_their_status_and_downgrades(store_url: str) -> None:
    old = Store(store_url, revision="0005")
    with old.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO conference (id, name, created_at) VALUES (1, 'K', '2025-03-12 00:00:00+00')")
        for ident, status in ((1, "Entwurf"), (2, "beschlossen"), (3, "umgesetzt")):
            connection.exec_driver_sql(
                "INSERT INTO measure (id, conference_id, title, description, districts, status, created_at,"
                f" updated_at, version) VALUES ({ident}, 1, 'M{ident}', '', '[]', '{status}',"
                " '2025-03-12 00:00:00+00', '2025-03-12 00:00:00+00', 1)")
    old.close()

    upgraded = Store(store_url)
    try:
        assert current_revision(upgraded.engine) == "0008"
        with upgraded.engine.begin() as connection:
            rows = connection.exec_driver_sql(
                "SELECT id, progress, weight, parent_id, milestones, decision_paper FROM measure ORDER BY id").all()
        assert [(r[0], r[1], float(r[2]), r[3], r[4], r[5]) for r in rows] == [
            (1, 0, 1.0, None, None, None), (2, 20, 1.0, None, None, None), (3, 100, 1.0, None, None, None)]
        with upgraded.engine.begin() as connection:  # a parent deleted leaves its children without one
            connection.exec_driver_sql("UPDATE measure SET parent_id = 1 WHERE id = 2")
            connection.exec_driver_sql("DELETE FROM measure WHERE id = 1")
            assert connection.exec_driver_sql("SELECT parent_id FROM measure WHERE id = 2").scalar() is None
        config = alembic_config()
        with upgraded.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0005")
        columns = {c["name"] for c in inspect(upgraded.engine).get_columns("measure")}
        assert "progress" not in columns and "decision_paper" not in columns and "title" in columns
    finally:
        upgraded.close()


def test_0008_adds_empty_account_tables_to_a_0007_database_and_downgrades(store_url: str) -> None:
    old = Store(store_url, revision="0007")
    with old.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO conference (id, name, created_at) VALUES (1, 'K', '2025-03-12 00:00:00+00')")
    old.close()

    upgraded = Store(store_url)
    try:
        assert current_revision(upgraded.engine) == "0008"
        tables = set(inspect(upgraded.engine).get_table_names())
        assert {"account", "sign_in_failure"} <= tables
        with upgraded.engine.begin() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM account").scalar() == 0
            assert connection.exec_driver_sql("SELECT name FROM conference").scalar() == "K"
        config = alembic_config()
        with upgraded.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0007")
        tables = set(inspect(upgraded.engine).get_table_names())
        assert "account" not in tables and "sign_in_failure" not in tables and "conference" in tables
    finally:
        upgraded.close()
