"""Every table of a database as plain rows: read in one snapshot, written back into an empty database.

The tables are *reflected* from the database, not taken from :mod:`models.records`,
so a backup holds whatever the schema at its revision has (a table a later
migration adds is included without a change here), and a restore writes into the
schema of the backup's revision before it is migrated to the newest.

Values are made JSON-ready by the kind of their column (:func:`column_kind`):
timestamps as ISO 8601 in UTC (SQLite keeps them without a zone; Taten writes UTC),
bytes as base64, JSON columns as they are.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Connection, Engine, LargeBinary, MetaData, Table, func, insert, select, text, update
from sqlalchemy.types import Date, DateTime

from models.store import alembic_config, current_revision, revision_of

ALEMBIC_TABLE = "alembic_version"
_CHUNK = 1000


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only connection that sees one moment of the database for the whole block.

    PostgreSQL: one ``REPEATABLE READ READ ONLY`` transaction. SQLite: one explicit
    read transaction, which in WAL mode sees the file as of its first read while
    writers go on.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            with connection.begin():
                connection.execute(text("SET TRANSACTION READ ONLY"))
                yield connection
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("BEGIN")  # pysqlite starts no transaction for reads by itself
        try:
            yield connection
        finally:
            connection.rollback()


def tables(connection: Connection) -> list[Table]:
    """The tables of the database in foreign-key order (parents first), without Alembic's own."""
    metadata = MetaData()
    metadata.reflect(connection)
    return [t for t in metadata.sorted_tables if t.name != ALEMBIC_TABLE]


#: The Alembic revision the schema is at (None: no Taten schema), read in the caller's snapshot.
revision = revision_of


def column_kind(column: Any) -> str:
    """How a column's values travel: ``datetime``, ``date``, ``bytes``, ``json`` or ``plain``."""
    kind = column.type
    if isinstance(kind, DateTime):
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, LargeBinary):
        return "bytes"
    if isinstance(kind, JSON):
        return "json"
    return "plain"


def encode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    if kind == "date":
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def decode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    return value


def count(connection: Connection, table: Table) -> int:
    return int(connection.scalar(select(func.count()).select_from(table)) or 0)


def rows(connection: Connection, table: Table, columns: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The rows of ``table`` (only ``columns``), encoded, in primary-key order, streamed."""
    chosen = [table.c[name] for name in columns]
    kinds = {c.name: column_kind(c) for c in chosen}
    order = list(table.primary_key.columns) or chosen
    result = connection.execution_options(stream_results=True, yield_per=_CHUNK).execute(
        select(*chosen).order_by(*order))
    for row in result.mappings():
        yield {name: encode(row[name], kinds[name]) for name in kinds}


def insert_rows(connection: Connection, table: Table, encoded: Iterable[Mapping[str, Any]]) -> int:
    """Insert encoded rows into ``table``; returns how many.

    A column that refers to its own table (a measure's parent) is written after all
    rows are in, so the order of the rows does not matter.
    """
    kinds = {c.name: column_kind(c) for c in table.columns}
    own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    key = [c.name for c in table.primary_key.columns]
    later: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    n = 0
    for row in encoded:
        values = {name: decode(value, kinds[name]) for name, value in row.items()}
        if own and any(values.get(name) is not None for name in own):
            later.append({**{k: values[k] for k in key}, **{name: values[name] for name in own}})
            values.update({name: None for name in own})
        batch.append(values)
        n += 1
        if len(batch) >= _CHUNK:
            connection.execute(insert(table), batch)
            batch = []
    if batch:
        connection.execute(insert(table), batch)
    for values in later:
        connection.execute(update(table).where(*(table.c[k] == values[k] for k in key))
                           .values({name: values[name] for name in own}))
    return n


def reset_sequences(connection: Connection, restored: Iterable[Table]) -> None:
    """After rows came in with their ids, PostgreSQL's id sequences continue after the largest id.

    SQLite needs nothing: it takes the largest id plus one.
    """
    if connection.dialect.name != "postgresql":
        return
    for table in restored:
        for column in table.primary_key.columns:
            sequence = connection.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                         {"t": table.name, "c": column.name})
            if sequence is None:
                continue
            largest = connection.scalar(select(func.max(column)))
            if largest is None:
                connection.execute(text("SELECT setval(:s, 1, false)"), {"s": sequence})
            else:
                connection.execute(text("SELECT setval(:s, :v, true)"), {"s": sequence, "v": int(largest)})


def known_revisions() -> list[str]:
    """This release's schema revisions, oldest first."""
    return [s.revision for s in reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions()))]


def set_empty_schema(engine: Engine, target: str) -> None:
    """Bring the schema of an *empty* database to revision ``target``, up or down.

    The caller has checked that no table holds a row, so a downgrade loses nothing.
    """
    current = current_revision(engine)
    if current == target:
        return
    order = known_revisions()
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        if current is not None and current in order and order.index(current) > order.index(target):
            command.downgrade(config, target)
        else:
            command.upgrade(config, target)
