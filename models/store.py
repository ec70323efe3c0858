"""Persistence: one :class:`Store` per database, SQLite by default, PostgreSQL by URL.

Every write goes through :meth:`Store.transaction`, so a failed import or analysis
leaves the database as it was. Opening a store migrates the schema to the newest
Alembic revision, so a later release opens an older database.

Failures while opening the store or inside a transaction (server unreachable, file
not a database, read-only, locked, disk full, a schema newer than this release)
are raised as :class:`~models.errors.StorageError` with a German message; see
:mod:`models.storage_errors`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from models.errors import StorageError
from models.records import (
    AnalysisRun,
    Assignment,
    Cluster,
    ConcernLink,
    Conference,
    Contribution,
    Embedding,
    ImportBatch,
    MeasureSource,
    utcnow,
)
from models.rows import AssignmentRow, ClusterRow, LinkRow, RunRow
from models.storage_errors import sqlite_path, storage_error

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_INSERT_CHUNK = 2000
# bound parameters per IN query: below SQLite's old limit of 999 and PostgreSQL's 65535
_IN_CHUNK = 900
# Seconds to wait for a PostgreSQL server: an unknown or unreachable host fails fast
# instead of hanging the CLI or the workbench; a URL may set its own connect_timeout.
CONNECT_TIMEOUT_S = 5


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys and WAL, its folder is created.

    PostgreSQL connections give up after :data:`CONNECT_TIMEOUT_S` seconds.
    """
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    connect_args: dict[str, Any] = {}
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    engine = create_engine(url, connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema of ``engine`` up to ``revision``.

    Raises:
        StorageError: the database carries a revision this release does not know
            (written by a newer Taten).
    """
    config = alembic_config()
    with engine.begin() as connection:
        current = revision_of(connection)
        known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
        if current is not None and current not in known:
            raise StorageError(
                f"Die Datenbank hat den Schemastand „{current}“ einer neueren Taten-Version; diese Version "
                "kennt ihn nicht. Bitte Taten aktualisieren oder eine andere Datenbank wählen."
            )
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def revision_of(connection: Connection) -> str | None:
    """The Alembic revision the schema seen through ``connection`` is at (None: no Taten schema)."""
    return MigrationContext.configure(connection).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return revision_of(connection)


class Store:
    """Access to one Taten database.

    Args:
        url: SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://…``).
        revision: schema revision to migrate to on open; tests use older ones.
    """

    def __init__(self, url: str, *, revision: str = "head") -> None:
        """Open (and migrate) the database.

        Raises:
            StorageError: it cannot be reached, opened, read or migrated (German message).
        """
        self.url = url
        engine: Engine | None = None
        try:
            engine = create_db_engine(url)
            migrate(engine, revision)
        except Exception as exc:
            if engine is not None:
                engine.dispose()
            error = storage_error(exc, url, opening=True)
            if error is None or error is exc:
                raise
            raise error from exc
        self.engine = engine
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed together or not at all.

        Raises:
            StorageError: the database failed underneath (locked, full, read-only,
                connection lost); other errors of the body pass unchanged.
        """
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException as exc:
            try:
                session.rollback()
            except Exception:  # the connection is gone: report what broke, not the rollback
                logger.debug("rollback failed", exc_info=True)
            error = storage_error(exc, self.url) if isinstance(exc, Exception) else None
            if error is None or error is exc:
                raise
            raise error from exc
        finally:
            session.close()

    # -- conferences -------------------------------------------------------

    def get_conference(self, name: str) -> Conference | None:
        with self.transaction() as session:
            return session.scalar(select(Conference).where(Conference.name == name))

    def ensure_conference(
        self, session: Session, name: str, *, date: str | None = None, city: str | None = None
    ) -> Conference:
        conference = session.scalar(select(Conference).where(Conference.name == name))
        if conference is None:
            conference = Conference(name=name, date=date, city=city)
            session.add(conference)
            session.flush()
        return conference

    def conferences(self) -> list[Conference]:
        with self.transaction() as session:
            return list(session.scalars(select(Conference).order_by(Conference.id)))

    # -- contributions -----------------------------------------------------

    def known_hashes(self, session: Session, conference_id: int) -> set[str]:
        rows = session.scalars(
            select(Contribution.content_hash).where(Contribution.conference_id == conference_id)
        )
        return set(rows)

    def add_batch(
        self, session: Session, conference_id: int, batch: dict[str, Any], rows: Sequence[dict[str, Any]]
    ) -> ImportBatch:
        """Insert one import batch and its new contribution rows in ``session``."""
        record = ImportBatch(conference_id=conference_id, **batch)
        session.add(record)
        session.flush()
        values = [{**row, "conference_id": conference_id, "batch_id": record.id} for row in rows]
        for start in range(0, len(values), _INSERT_CHUNK):
            session.execute(insert(Contribution), values[start : start + _INSERT_CHUNK])
        return record

    def contributions(self, conference_id: int) -> list[Contribution]:
        with self.transaction() as session:
            query = (
                select(Contribution)
                .where(Contribution.conference_id == conference_id)
                .order_by(Contribution.id)
            )
            return list(session.scalars(query))

    def count_contributions(self, conference_id: int) -> int:
        with self.transaction() as session:
            query = select(func.count()).where(Contribution.conference_id == conference_id)
            return int(session.scalar(query) or 0)

    # -- analysis runs -----------------------------------------------------

    def save_run(
        self,
        run: RunRow,
        clusters: Sequence[ClusterRow],
        assignments: Iterable[AssignmentRow],
        links: Sequence[LinkRow] = (),
    ) -> AnalysisRun:
        """Store a finished analysis in one transaction.

        Args:
            run: the run's figures and settings.
            clusters: its clusters; ``assignments`` name them by ``key``. A cluster with
                a ``previous_id`` continues that cluster of an earlier run: measures
                promoted from that one now point at this one.
            assignments: one per contribution of the run.
            links: its clusters' links to concerns of an earlier conference (``concern_link``).
        """
        with self.transaction() as session:
            record = AnalysisRun(**run.columns())
            session.add(record)
            session.flush()
            ids: dict[int, int] = {}
            for cluster in clusters:
                row = Cluster(run_id=record.id, **cluster.columns())
                session.add(row)
                session.flush()
                ids[cluster.key] = row.id
                if cluster.previous_id is not None:
                    session.execute(
                        update(MeasureSource)
                        .where(MeasureSource.cluster_id == cluster.previous_id)
                        .values(cluster_id=row.id)
                    )
            values = [
                {
                    **a.columns(),
                    "run_id": record.id,
                    "cluster_id": None if a.cluster_key is None else ids[a.cluster_key],
                }
                for a in assignments
            ]
            for start in range(0, len(values), _INSERT_CHUNK):
                session.execute(insert(Assignment), values[start : start + _INSERT_CHUNK])
            session.add_all(ConcernLink(conference_id=run.conference_id, cluster_id=ids[link.cluster_key],
                                        **link.columns()) for link in links)
            return record

    def latest_run(self, conference_id: int) -> AnalysisRun | None:
        with self.transaction() as session:
            query = (
                select(AnalysisRun)
                .where(AnalysisRun.conference_id == conference_id)
                .order_by(AnalysisRun.id.desc())
                .limit(1)
            )
            return session.scalar(query)

    def clusters(self, run_id: int) -> list[Cluster]:
        with self.transaction() as session:
            query = select(Cluster).where(Cluster.run_id == run_id).order_by(Cluster.rank)
            return list(session.scalars(query))

    def assignments(self, run_id: int) -> list[Assignment]:
        with self.transaction() as session:
            query = (
                select(Assignment)
                .where(Assignment.run_id == run_id)
                .order_by(Assignment.contribution_id)
            )
            return list(session.scalars(query))

    # -- sentence vectors --------------------------------------------------

    def embedding_vectors(self, model_id: str, text_hashes: Iterable[str]) -> dict[str, bytes]:
        """The stored vectors of ``text_hashes`` under ``model_id``: text hash → float32 bytes.

        Hashes without a stored vector are left out. Read in chunks, so any number works.
        """
        wanted = list(dict.fromkeys(text_hashes))
        found: dict[str, bytes] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), _IN_CHUNK):
                query = select(Embedding.text_hash, Embedding.vector).where(
                    Embedding.model_id == model_id,
                    Embedding.text_hash.in_(wanted[start : start + _IN_CHUNK]),
                )
                found.update((h, bytes(v)) for h, v in connection.execute(query))
        return found

    def add_embedding_vectors(self, model_id: str, dim: int, vectors: Mapping[str, bytes]) -> None:
        """Store vectors (text hash → ``dim`` float32 values as bytes) in one transaction.

        Idempotent: a vector that is already stored stays as it is (``INSERT … ON
        CONFLICT DO NOTHING``), so two servers adding the same vectors at once both
        succeed. Rows go in sorted by hash, so concurrent writers take PostgreSQL's row
        locks in the same order and cannot deadlock.

        Raises:
            ValueError: a vector is not ``dim`` float32 values long.
        """
        wrong = [h for h, v in vectors.items() if len(v) != 4 * dim]
        if wrong:
            raise ValueError(f"{len(wrong)} vectors are not {dim} float32 values long, e.g. {wrong[0]}")
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            statement = postgresql.insert(Embedding)
        elif dialect == "sqlite":
            statement = sqlite.insert(Embedding)
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise NotImplementedError(f"no idempotent insert for {dialect}")
        statement = statement.on_conflict_do_nothing(index_elements=["model_id", "text_hash"])
        created = utcnow()
        rows = [
            {"model_id": model_id, "text_hash": h, "dim": dim, "vector": vectors[h], "created_at": created}
            for h in sorted(vectors)
        ]
        with self.engine.begin() as connection:
            for start in range(0, len(rows), _INSERT_CHUNK):
                connection.execute(statement, rows[start : start + _INSERT_CHUNK])

    def count_embedding_vectors(self, model_id: str | None = None) -> int:
        """How many vectors are stored (under ``model_id``, or all)."""
        query = select(func.count()).select_from(Embedding)
        if model_id is not None:
            query = query.where(Embedding.model_id == model_id)
        with self.engine.connect() as connection:
            return int(connection.scalar(query) or 0)
