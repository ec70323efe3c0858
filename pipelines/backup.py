"""Backup and restore of one Taten database, SQLite or PostgreSQL, in a file that moves between them.

``taten backup --out taten-2026-11-30.zip`` reads every table in one snapshot
(:func:`models.dump.snapshot`) and writes a zip:

    manifest.json           what the file holds (below)
    tables/<table>.jsonl    one JSON object per row, column → value, in primary-key order

The manifest::

    {"format": "taten-backup", "format_version": 1,
     "taten_version": "0.1.0", "schema_revision": "0006",
     "created_at": "2026-11-30T09:00:00+00:00", "source": "sqlite" | "postgresql",
     "vectors": true, "secrets": false,
     "tables": [{"name": "conference", "file": "tables/conference.jsonl", "rows": 1,
                 "sha256": "…", "columns": {"id": "plain", "created_at": "datetime", …},
                 "left_out": []}, …]}

Tables are listed parents first. Values: timestamps ISO 8601 in UTC, bytes base64,
JSON columns as JSON. The ``embedding`` table (sentence vectors, a cache the next
analysis refills) is left out with ``--no-vectors``. Columns whose name says they
hold a secret (:data:`SECRET_COLUMN`: password hashes, tokens) are left out unless
``--with-secrets``; they are named under ``left_out``.

``taten restore FILE`` writes a backup into an *empty* database (refusing one that
holds any row, and a backup of a schema newer than this release), at the backup's
schema revision, in one transaction; then PostgreSQL's id sequences continue after
the largest id and the schema is migrated to the newest revision.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from models import dump
from models.storage_errors import display_url, sqlite_path, storage_error
from models.store import create_db_engine, migrate
from pipelines.errors import InputError, StorageError

logger = logging.getLogger(__name__)

FORMAT = "taten-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VECTOR_TABLE = "embedding"
#: columns that hold secrets (password hashes, tokens): left out unless asked for
SECRET_COLUMN = re.compile(r"(password|passwort|passwd|secret|token|pw_?hash|hash_?pw)", re.IGNORECASE)


@dataclass(frozen=True)
class TableEntry:
    name: str
    rows: int
    left_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds, or what a restore wrote."""

    path: Path
    schema_revision: str
    created_at: str
    tables: tuple[TableEntry, ...]
    vectors: bool
    secrets: bool

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def rows(self, table: str) -> int:
        return next((t.rows for t in self.tables if t.name == table), 0)


def _version() -> str:
    try:
        return metadata.version("taten")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout without install
        return "unbekannt"


def _engine(url: str) -> Any:
    try:
        return create_db_engine(url)
    except Exception as exc:
        error = storage_error(exc, url, opening=True)
        if error is None:
            raise
        raise error from exc


def _database_error(exc: Exception, url: str) -> Exception:
    error = storage_error(exc, url, opening=True)
    return exc if error is None else error


def write_backup(url: str, out: Path, *, vectors: bool = True, secrets: bool = False) -> BackupSummary:
    """Write a backup of the database at ``url`` to ``out`` (see the module docstring).

    The file is written next to ``out`` and renamed at the end, so an interrupted backup
    never leaves a file that looks complete.

    Raises:
        InputError: ``out`` cannot be written.
        StorageError: the database cannot be read, or it holds no Taten schema.
    """
    if out.is_dir():
        raise InputError(f"{out}: Das ist ein Ordner. Bitte einen Dateinamen angeben, z. B. taten-sicherung.zip.")
    if not out.parent.is_dir():
        raise InputError(f"{out}: Den Ordner {out.parent} gibt es nicht. Bitte einen vorhandenen Ordner angeben.")
    path = sqlite_path(url)
    if path is not None and not path.is_file():  # opening it would create an empty database
        raise StorageError(f"Die SQLite-Datenbank „{path}“ gibt es nicht; es gibt nichts zu sichern.")
    partial = out.with_name(out.name + ".teilweise")
    engine = _engine(url)
    entries: list[dict[str, Any]] = []
    try:
        with dump.snapshot(engine) as connection:
            revision = dump.revision(connection)
            if revision is None:
                raise StorageError(f"In der Datenbank {display_url(url)} gibt es keine Taten-Daten zum Sichern.")
            created = datetime.now(UTC).isoformat(timespec="seconds")
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for table in dump.tables(connection):
                    if table.name == VECTOR_TABLE and not vectors:
                        continue
                    left_out = [c.name for c in table.columns if not secrets and SECRET_COLUMN.search(c.name)]
                    columns = {c.name: dump.column_kind(c) for c in table.columns if c.name not in left_out}
                    name = f"tables/{table.name}.jsonl"
                    digest, n = hashlib.sha256(), 0
                    with archive.open(name, "w", force_zip64=True) as member:
                        for row in dump.rows(connection, table, columns):
                            line = (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
                            digest.update(line)
                            member.write(line)
                            n += 1
                    entries.append({"name": table.name, "file": name, "rows": n, "sha256": digest.hexdigest(),
                                    "columns": columns, "left_out": left_out})
                manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "taten_version": _version(),
                            "schema_revision": revision, "created_at": created, "source": engine.dialect.name,
                            "vectors": vectors, "secrets": secrets, "tables": entries}
                archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        partial.replace(out)
    except OSError as exc:
        raise InputError(f"{out}: Sicherung nicht schreibbar ({exc.strerror or exc}).") from exc
    except StorageError:
        raise
    except Exception as exc:
        raise _database_error(exc, url) from exc
    finally:
        partial.unlink(missing_ok=True)
        engine.dispose()
    logger.info("backup of %s: %d tables, %d rows", display_url(url), len(entries), sum(e["rows"] for e in entries))
    return _summary(out, manifest)


def _summary(path: Path, manifest: dict[str, Any]) -> BackupSummary:
    tables = tuple(TableEntry(t["name"], t["rows"], tuple(t.get("left_out", ()))) for t in manifest["tables"])
    return BackupSummary(path, manifest["schema_revision"], manifest["created_at"], tables,
                         manifest["vectors"], manifest["secrets"])


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a backup file, checked for format and for every table file's sha256.

    Raises:
        InputError: the file is missing, no Taten backup, of a newer format, or damaged.
    """
    damaged = f"{path.name}: Die Sicherung ist beschädigt oder unvollständig"
    if path.is_file() and not zipfile.is_zipfile(path):
        raise InputError(f"{path.name}: Das ist keine Taten-Sicherung (keine Zip-Datei).")
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                manifest = json.loads(archive.read(MANIFEST))
            except KeyError:
                raise InputError(f"{path.name}: Das ist keine Taten-Sicherung (manifest.json fehlt).") from None
            if manifest.get("format") != FORMAT:
                raise InputError(f"{path.name}: Das ist keine Taten-Sicherung.")
            if manifest.get("format_version", 0) > FORMAT_VERSION:
                raise InputError(f"{path.name}: Die Sicherung hat ein neueres Format "
                                 f"({manifest.get('format_version')}); bitte Taten aktualisieren.")
            for table in manifest["tables"]:
                digest = hashlib.sha256()
                with archive.open(table["file"]) as member:
                    for block in iter(lambda: member.read(1 << 20), b""):
                        digest.update(block)
                if digest.hexdigest() != table["sha256"]:
                    raise InputError(f"{damaged} (Prüfsumme von {table['file']} stimmt nicht).")
    except FileNotFoundError:
        raise InputError(f"{path}: Datei nicht gefunden.") from None
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"{damaged} ({type(exc).__name__}).") from exc
    except OSError as exc:
        raise InputError(f"{path}: Datei nicht lesbar ({exc.strerror or exc}).") from exc
    return manifest


def _lines(archive: zipfile.ZipFile, name: str) -> Iterator[dict[str, Any]]:
    with archive.open(name) as member:
        for line in io.TextIOWrapper(member, encoding="utf-8"):
            if line.strip():
                yield json.loads(line)


def restore_backup(path: Path, url: str) -> BackupSummary:
    """Write the backup at ``path`` into the empty database at ``url``; all or nothing.

    Raises:
        InputError: the file is no readable backup, its schema is newer than this release,
            the database is not empty, or a row does not fit (a column left out of the backup).
        StorageError: the database cannot be reached or written.
    """
    manifest = read_manifest(path)
    revision = manifest["schema_revision"]
    known = dump.known_revisions()
    if revision not in known:
        raise InputError(
            f"{path.name}: Die Sicherung stammt aus einer neueren Taten-Version (Schemastand „{revision}“, "
            f"diese Version kennt bis „{known[-1]}“). Bitte Taten aktualisieren und dann wiederherstellen.")
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            if dump.revision(connection) not in (None, *known):
                raise StorageError(f"Die Datenbank {display_url(url)} hat den Schemastand einer neueren "
                                   "Taten-Version. Bitte in eine leere Datenbank wiederherstellen.")
            filled = [(t.name, n) for t in dump.tables(connection) if (n := dump.count(connection, t))]
        if filled:
            name, n = filled[0]
            raise InputError(f"Die Datenbank {display_url(url)} ist nicht leer (Tabelle {name}: {n} Zeilen). "
                             "Bitte in eine leere Datenbank wiederherstellen.")
        dump.set_empty_schema(engine, revision)
        with zipfile.ZipFile(path) as archive, engine.begin() as connection:
            targets = {t.name: t for t in dump.tables(connection)}
            written = []
            for entry in manifest["tables"]:
                table = targets.get(entry["name"])
                if table is None:
                    raise InputError(f"{path.name}: Die Tabelle {entry['name']} der Sicherung gibt es im Schema "
                                     f"„{revision}“ nicht; die Sicherung passt nicht zu ihrem Schemastand.")
                try:
                    dump.insert_rows(connection, table, _lines(archive, entry["file"]))
                except Exception as exc:
                    if entry.get("left_out") and "null" in str(exc).lower():
                        raise InputError(
                            f"{path.name}: Die Tabelle {entry['name']} braucht die Spalten "
                            f"{', '.join(entry['left_out'])}, die nicht gesichert wurden. Bitte eine Sicherung "
                            "mit --with-secrets verwenden.") from exc
                    raise
                written.append(table)
            dump.reset_sequences(connection, written)
        migrate(engine)
    except (InputError, StorageError):
        raise
    except Exception as exc:
        raise _database_error(exc, url) from exc
    finally:
        engine.dispose()
    logger.info("restored %s into %s", path.name, display_url(url))
    return _summary(path, manifest)
