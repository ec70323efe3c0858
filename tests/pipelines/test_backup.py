"""Backup and restore (``taten backup`` / ``taten restore``), within and across SQLite and PostgreSQL.

A reviewed conference (import, analysis with sentence vectors, changes through the
review service, measures with a parent) is backed up, restored into an empty
database of the same or the other backend, and compared table by table, row by row,
and by what the CLI shows.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, text
from typer.testing import CliRunner

from models import dump
from models.store import Store, create_db_engine
from pipelines.analyse import analyse_conference
from pipelines.backup import read_manifest, restore_backup, write_backup
from pipelines.cli import app
from pipelines.errors import InputError
from pipelines.ingest import import_files
from pipelines.resources import Resources
from pipelines.review import MeasureInput, ReviewService
from pipelines.settings import Settings

CONFERENCE = "Kleine Konferenz"
HEAD = dump.known_revisions()[-1]  # the newest schema of this release


@pytest.fixture
def empty_url(new_database: Callable[[str], str]) -> Callable[[str], str]:
    return new_database


def _edited(source: Path, target: Path, member: str, edit: Callable[[bytes], bytes]) -> Path:
    """A copy of the backup ``source`` with one member changed."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            new.writestr(item, edit(data) if item.filename == member else data)
    return target


def _fill(url: str, csv: Path, resources: Resources, settings: Settings) -> None:
    """A conference as staff leave it: analysed, vectors stored, reviewed, measures with a parent."""
    store = Store(url)
    try:
        settings = settings.model_copy(update={"database_url": url})
        import_files(store, [csv], CONFERENCE, resources.vocab)
        analyse_conference(store, CONFERENCE, resources, settings)
        store.add_embedding_vectors("test-modell", 2, {"ab" * 32: b"\x00\x00\x80?\x00\x00\x00@"})
        service = ReviewService(store, CONFERENCE, "Frau Albers")
        first, second, third = service.clusters(with_members=True)[:3]
        service.rename(first.id, "Spielplätze „sicher“ – 🛝", first.version)
        service.split(second.id, [second.members[0].id], "Abgespalten", second.version)
        parent = service.promote([first.id], MeasureInput(title="Spielplätze sanieren", districts=("Nord",)))
        child = service.promote([third.id], MeasureInput(title="Spielplatz Nord", description="Zeile 1\nZeile 2"))
        service.set_parent(child.id, parent.id, 2.0, child.version)
        service.undo_last()
    finally:
        store.close()


def _tables(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every table, row by row, as the backup encodes it (timestamps in UTC)."""
    store = Store(url)
    try:
        with dump.snapshot(store.engine) as connection:
            return {t.name: list(dump.rows(connection, t, [c.name for c in t.columns]))
                    for t in dump.tables(connection)}
    finally:
        store.close()


def _cli(url: str, *args: str) -> str:
    result = CliRunner().invoke(app, ["--database", url, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _views(url: str) -> tuple[str, str]:
    return (_cli(url, "concerns", "--conference", CONFERENCE, "--top", "100"),
            _cli(url, "measures", "--conference", CONFERENCE))


@pytest.mark.parametrize("source, target", [
    ("sqlite", "sqlite"),
    pytest.param("sqlite", "postgres", marks=pytest.mark.postgres),
    pytest.param("postgres", "sqlite", marks=pytest.mark.postgres),
    pytest.param("postgres", "postgres", marks=pytest.mark.postgres),
])
def test_a_restored_backup_equals_the_original_row_by_row_and_in_the_cli(
    source: str, target: str, empty_url: Callable[[str], str], tmp_path: Path, small_conference_csv: Path,
    hashing_resources: Resources, settings: Settings,
) -> None:
    original, copy = empty_url(source), empty_url(target)
    _fill(original, small_conference_csv, hashing_resources, settings)
    out = tmp_path / "sicherung.zip"

    backed_up = _cli(original, "backup", "--out", str(out))
    assert "Sicherung von" in backed_up and f"Schemastand {HEAD}" in backed_up
    restored = _cli(copy, "restore", str(out))
    assert "wiederhergestellt" in restored

    before, after = _tables(original), _tables(copy)
    assert set(before) == set(after)
    for name in before:
        assert after[name] == before[name], name
    assert len(before["review_event"]) == 6 and len(before["measure"]) == 2 and len(before["embedding"]) >= 1
    assert _views(copy) == _views(original)

    # the ids go on after the largest one restored (PostgreSQL's sequences were reset)
    store = Store(copy)
    try:
        service = ReviewService(store, CONFERENCE, "Herr Brandt")
        cluster = service.clusters()[0]
        measure = service.promote([cluster.id], MeasureInput(title="Nach der Wiederherstellung"))
        assert measure.id == max(m["id"] for m in before["measure"]) + 1
        renamed = service.rename(cluster.id, "Neu nach Umzug", cluster.version)
        assert renamed.label == "Neu nach Umzug"
    finally:
        store.close()


@pytest.fixture
def backed_up(empty_url: Callable[[str], str], tmp_path: Path, small_conference_csv: Path,
              hashing_resources: Resources, settings: Settings) -> tuple[str, Path]:
    """A reviewed conference on SQLite and its backup (with vectors): (database URL, backup file)."""
    url = empty_url("sqlite")
    _fill(url, small_conference_csv, hashing_resources, settings)
    write_backup(url, tmp_path / "s.zip")
    return url, tmp_path / "s.zip"


def test_the_file_is_a_zip_of_json_lines_with_a_manifest_and_checksums(
    backed_up: tuple[str, Path], tmp_path: Path
) -> None:
    import hashlib

    summary = write_backup(backed_up[0], tmp_path / "ohne.zip", vectors=False)
    with zipfile.ZipFile(tmp_path / "ohne.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["format"] == "taten-backup" and manifest["schema_revision"] == HEAD
        assert manifest["source"] == "sqlite" and manifest["vectors"] is False
        names = [t["name"] for t in manifest["tables"]]
        assert "embedding" not in names
        assert names.index("conference") < names.index("contribution") < names.index("assignment")
        for table in manifest["tables"]:
            data = archive.read(table["file"])
            assert hashlib.sha256(data).hexdigest() == table["sha256"]
            assert len(data.splitlines()) == table["rows"]
        first_note = json.loads(archive.read("tables/contribution.jsonl").splitlines()[0])
        assert first_note["created_at"].endswith("+00:00")
    assert summary.rows("contribution") == 30


def test_restore_refuses_a_database_that_is_not_empty(backed_up: tuple[str, Path]) -> None:
    url, backup = backed_up
    before = _tables(url)
    result = CliRunner().invoke(app, ["--database", url, "restore", str(backup)])
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.startswith("Fehler: Die Datenbank") and "ist nicht leer (Tabelle conference: 1 Zeilen)" in line
    assert "\n" not in line
    assert _tables(url) == before


def test_restore_refuses_a_backup_of_a_newer_schema(
    backed_up: tuple[str, Path], empty_url: Callable[[str], str], tmp_path: Path
) -> None:
    new = _edited(backed_up[1], tmp_path / "neuer.zip", "manifest.json",
                  lambda data: json.dumps({**json.loads(data), "schema_revision": "0099"}).encode())
    copy = empty_url("sqlite")
    with pytest.raises(InputError, match="neueren Taten-Version.*„0099“"):
        restore_backup(new, copy)


def test_a_damaged_backup_is_refused_before_anything_is_written(
    backed_up: tuple[str, Path], empty_url: Callable[[str], str], tmp_path: Path, small_conference_csv: Path
) -> None:
    bad = _edited(backed_up[1], tmp_path / "kaputt.zip", "tables/cluster.jsonl",
                  lambda data: data.replace(b"Spielpl", b"Spielpi", 1))
    copy = empty_url("sqlite")
    with pytest.raises(InputError, match="beschädigt.*tables/cluster.jsonl"):
        restore_backup(bad, copy)
    with pytest.raises(InputError, match="keine Taten-Sicherung"):
        read_manifest(small_conference_csv)
    assert all(not rows for rows in _tables(copy).values())


def test_a_backup_of_an_older_schema_is_restored_and_migrated(
    empty_url: Callable[[str], str], tmp_path: Path
) -> None:
    old = empty_url("sqlite")
    Store(old, revision="0005").close()
    engine = create_db_engine(old)  # one row written at 0005, without today's ORM
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO conference (id, name, created_at) "
                                "VALUES (7, 'Alt', '2025-01-02 03:04:05')"))
    engine.dispose()
    summary = write_backup(old, tmp_path / "alt.zip")
    assert summary.schema_revision == "0005"
    copy = empty_url("sqlite")
    Store(copy).close()  # empty, but already at the newest schema: taken down to the backup's first
    restore_backup(tmp_path / "alt.zip", copy)
    store = Store(copy)
    try:
        assert [(c.id, c.name) for c in store.conferences()] == [(7, "Alt")]
        with store.engine.connect() as connection:
            assert dump.revision(connection) == HEAD != "0005"
    finally:
        store.close()


def test_secret_columns_are_left_out_unless_asked_for(empty_url: Callable[[str], str], tmp_path: Path) -> None:
    """A table a later release adds is backed up without its password hashes by default."""
    url = empty_url("sqlite")
    Store(url).close()
    accounts = Table("zugang", MetaData(), Column("id", Integer, primary_key=True), Column("name", String(50)),
                     Column("password_hash", String(200)))
    engine = create_db_engine(url)
    accounts.create(engine)
    with engine.begin() as connection:
        connection.execute(accounts.insert(), [{"id": 1, "name": "albers", "password_hash": "$argon2id$geheim"}])
    engine.dispose()

    plain = CliRunner().invoke(app, ["--database", url, "backup", "--out", str(tmp_path / "ohne.zip")],
                               catch_exceptions=False)
    assert plain.exit_code == 0 and "zugang.password_hash" in plain.stdout
    with_secrets = write_backup(url, tmp_path / "mit.zip", secrets=True)
    assert with_secrets.rows("zugang") == 1
    with zipfile.ZipFile(tmp_path / "ohne.zip") as archive:
        assert json.loads(archive.read("tables/zugang.jsonl")) == {"id": 1, "name": "albers"}
        assert b"argon2" not in b"".join(archive.read(n) for n in archive.namelist())
    with zipfile.ZipFile(tmp_path / "mit.zip") as archive:
        assert json.loads(archive.read("tables/zugang.jsonl"))["password_hash"] == "$argon2id$geheim"


def test_the_backup_is_one_snapshot_while_others_write(
    store_url: str, tmp_path: Path, small_conference_csv: Path, hashing_resources: Resources, settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another import commits after the conferences are read: the backup holds none of it, in no table."""
    _fill(store_url, small_conference_csv, hashing_resources, settings)
    before = {name: len(rows) for name, rows in _tables(store_url).items()}
    original_rows = dump.rows
    written: list[str] = []

    def rows_then_write(connection: Any, table: Any, columns: Any) -> Any:
        yield from original_rows(connection, table, columns)
        if table.name == "conference" and not written:  # after it: a colleague imports a second conference
            written.append(table.name)
            other = Store(store_url)
            try:
                import_files(other, [small_conference_csv], "Zweite Konferenz", hashing_resources.vocab)
            finally:
                other.close()

    monkeypatch.setattr(dump, "rows", rows_then_write)
    summary = write_backup(store_url, tmp_path / "s.zip")
    assert written == ["conference"]
    assert _tables(store_url)["conference"] != [] and len(_tables(store_url)["contribution"]) == 60  # it committed
    assert {t.name: t.rows for t in summary.tables} == before


def test_a_backup_of_a_missing_sqlite_file_is_one_german_line_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "gibt-es-nicht.sqlite"
    result = CliRunner().invoke(app, ["--database", f"sqlite:///{missing}", "backup", "--out",
                                      str(tmp_path / "s.zip")])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Fehler: Die SQLite-Datenbank „{missing}“ gibt es nicht; es gibt nichts zu sichern."
    assert not missing.exists() and not (tmp_path / "s.zip").exists()
