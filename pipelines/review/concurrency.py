"""Several people changing one analysis at once: one lock order, and bounded retries.

Every review change (and undo) takes the same locks in the same order before it
reads anything it decides on:

1. on SQLite, ``BEGIN IMMEDIATE``: the one write lock of the file, taken at the
   start, so a transaction never has to upgrade a read lock (which fails at once
   with "database is locked" instead of waiting);
2. on PostgreSQL, the row of the analysis run, ``FOR NO KEY UPDATE``: one lock per
   run that every change of that run queues on, so changes of one run run one
   after another and inserts that reference the run (a split's new cluster) still go;
3. the cluster rows of the run in id order (:func:`~pipelines.review.derived.lock_clusters`).

Because everything a change checks (versions, membership, merged state) is read
after these locks, it sees what the change before it committed. What can still
fail is transient — a deadlock with a writer outside review, a serialisation
failure, SQLite's busy timeout — and :func:`retried` runs the change again a few
times with growing, jittered pauses before it refuses it with a German
:class:`ReviewConflictError`.
"""

from __future__ import annotations

import functools
import logging
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from models.records import AnalysisRun
from pipelines.errors import ReviewConflictError
from pipelines.review.derived import lock_clusters

logger = logging.getLogger(__name__)

ATTEMPTS = 6
BASE_DELAY_S = 0.02
MAX_DELAY_S = 0.5
# deadlock_detected, serialization_failure, lock_not_available
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})

#: transient failures absorbed by a retry in this process, by kind (read by scripts/load_review.py)
RETRIES: Counter[str] = Counter()

F = TypeVar("F", bound=Callable[..., Any])


def begin_write(session: Session) -> None:
    """Start ``session``'s transaction as a writer; call before its first statement.

    On SQLite this takes the file's write lock now (``BEGIN IMMEDIATE``), waiting up
    to the driver's busy timeout; on PostgreSQL nothing is needed here.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))


def lock_run(session: Session, run_id: int) -> None:
    """Take the locks every review change of ``run_id`` takes, in the one order: run row, then clusters by id."""
    session.execute(select(AnalysisRun.id).where(AnalysisRun.id == run_id).with_for_update(key_share=True))
    lock_clusters(session, run_id)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]


def transient_kind(exc: BaseException) -> str | None:
    """``"deadlock"``, ``"serialization"``, ``"lock_timeout"`` or ``"sqlite_busy"`` when ``exc`` is worth a retry."""
    for error in _chain(exc):
        sqlstate = getattr(error, "sqlstate", None)
        if sqlstate in TRANSIENT_SQLSTATES:
            return {"40P01": "deadlock", "40001": "serialization", "55P03": "lock_timeout"}[sqlstate]
        if isinstance(error, sqlite3.OperationalError) and ("locked" in str(error) or "busy" in str(error)):
            return "sqlite_busy"
    return None


def retried(method: F) -> F:
    """Run a write of :class:`~pipelines.review.service.ReviewService` again on a transient failure.

    At most :data:`ATTEMPTS` runs, with exponential pauses and full jitter between
    them. A failure after the change was committed (in the read that follows it) is
    never retried, so a change is never applied twice.

    Raises:
        ReviewConflictError: still failing after the last attempt (German, for the person).
    """

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, ATTEMPTS + 1):
            committed = getattr(self, "commits", 0)
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:
                kind = transient_kind(exc)
                if kind is None or getattr(self, "commits", 0) != committed:
                    raise
                if attempt == ATTEMPTS:
                    logger.warning("%s: %s gave up after %d attempts (%s)", self.actor, method.__name__,
                                   attempt, kind)
                    raise ReviewConflictError(
                        "Die Datenbank war gerade durch gleichzeitige Änderungen anderer belegt; Ihre Änderung "
                        f"wurde nach {ATTEMPTS} Versuchen nicht gespeichert. Bitte gleich noch einmal versuchen."
                    ) from exc
                RETRIES[kind] += 1
                delay = random.uniform(0, min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (attempt - 1)))
                logger.info("%s: %s hit a %s, attempt %d again in %.3f s", self.actor, method.__name__, kind,
                            attempt + 1, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    return wrapper  # type: ignore[return-value]
