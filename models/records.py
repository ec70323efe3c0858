"""The domain records of Taten, mapped to tables with SQLAlchemy.

Conference ─< Contribution
Conference ─< AnalysisRun ─< Cluster
AnalysisRun ─< Assignment >─ Contribution   (per-run NLP results and cluster membership)
Conference ─< Measure >─< Cluster           (via MeasureSource)
Measure ─< Measure                           (parent and child measures)
Conference ─< ReviewEvent                   (audit log of staff decisions)
Cluster ─< ConcernLink >─ Cluster             (a concern continuing one of an earlier conference)
Embedding                                   (sentence vectors by model id and text hash)
Account, SignInFailure                      (built-in sign-in: accounts, failed attempts)

Lists and mappings (keywords, profiles, score breakdowns) are JSON columns, so the
same schema works on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base; its metadata is the schema that migrations produce."""


class Conference(Base):
    __tablename__ = "conference"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    date: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    # The database deletes contributions with their conference (ON DELETE CASCADE);
    # without passive_deletes the ORM would first set their conference_id to NULL.
    contributions: Mapped[list[Contribution]] = relationship(back_populates="conference", passive_deletes=True)


class ImportBatch(Base):
    """One imported file: what came in, from where, with what result."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    source_file: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    n_rows: Mapped[int] = mapped_column(Integer)
    n_imported: Mapped[int] = mapped_column(Integer)
    n_duplicates: Mapped[int] = mapped_column(Integer)
    n_empty: Mapped[int] = mapped_column(Integer)
    n_failed: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Contribution(Base):
    """One note from a table: the unit everything else refers back to."""

    __tablename__ = "contribution"
    __table_args__ = (UniqueConstraint("conference_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    table_label: Mapped[str | None] = mapped_column(String(50))
    round: Mapped[int | None] = mapped_column(Integer)
    theme: Mapped[str | None] = mapped_column(String(100))
    district: Mapped[str | None] = mapped_column(String(100))
    stakeholder_group: Mapped[str | None] = mapped_column(String(100))
    source_file: Mapped[str | None] = mapped_column(String(500))
    source_position: Mapped[str | None] = mapped_column(String(200))
    heading_path: Mapped[str | None] = mapped_column(String(500))
    # districts named in the raw text, found before pseudonymisation masks addresses
    mentioned_districts: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    conference: Mapped[Conference] = relationship(back_populates="contributions")


class AnalysisRun(Base):
    """One pass of the pipeline over a conference, with the settings it used."""

    __tablename__ = "analysis_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    model_id: Mapped[str] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    n_contributions: Mapped[int] = mapped_column(Integer)
    n_clusters: Mapped[int] = mapped_column(Integer)
    n_unclustered: Mapped[int] = mapped_column(Integer)
    timings: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)

    clusters: Mapped[list[Cluster]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="Cluster.rank"
    )


class Cluster(Base):
    """A concern: contributions within one theme that say the same thing."""

    __tablename__ = "cluster"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("analysis_run.id", ondelete="CASCADE"), index=True)
    theme: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(300))
    keywords: Mapped[list[str]] = mapped_column(JSON)
    size: Mapped[int] = mapped_column(Integer)
    representative_ids: Mapped[list[int]] = mapped_column(JSON)
    profile: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON)
    hotspot_district: Mapped[str | None] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    score_breakdown: Mapped[dict[str, float]] = mapped_column(JSON)
    rank: Mapped[int] = mapped_column(Integer)
    theme_rank: Mapped[int] = mapped_column(Integer)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # stable identity of a concern across analysis runs; staff decisions follow it
    concern_key: Mapped[str | None] = mapped_column(String(36), index=True)
    label_source: Mapped[str] = mapped_column(String(10), default="auto")  # "auto" | "staff"
    relevant: Mapped[bool] = mapped_column(Boolean, default=True)
    merged_into_id: Mapped[int | None] = mapped_column(Integer)
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    run: Mapped[AnalysisRun] = relationship(back_populates="clusters")

    __mapper_args__ = {"version_id_col": version}


class Assignment(Base):
    """Per-run analysis of one contribution: lemmas, districts, theme, cluster."""

    __tablename__ = "assignment"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_run.id", ondelete="CASCADE"), primary_key=True
    )
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("cluster.id", ondelete="SET NULL"), index=True
    )
    theme: Mapped[str] = mapped_column(String(100))
    theme_confidence: Mapped[float] = mapped_column(Float)
    theme_source: Mapped[str] = mapped_column(String(20))
    districts: Mapped[list[str]] = mapped_column(JSON)
    lemmas: Mapped[str] = mapped_column(Text)
    similarity: Mapped[float] = mapped_column(Float)
    map_x: Mapped[float | None] = mapped_column(Float)
    map_y: Mapped[float | None] = mapped_column(Float)


class Measure(Base):
    """A proposed measure (Maßnahme) derived from one or more clusters."""

    __tablename__ = "measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    theme: Mapped[str | None] = mapped_column(String(100))
    districts: Mapped[list[str]] = mapped_column(JSON, default=list)
    responsible: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[str | None] = mapped_column(String(20))
    cost_estimate: Mapped[str | None] = mapped_column(String(100))
    timeframe: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30), default="Entwurf")
    # the register (0006): progress 0–100, the parent measure and this one's weight in its progress,
    # milestones as a JSON list of {"date": "YYYY-MM-DD", "title", "text"}, the committee's decision
    progress: Mapped[int] = mapped_column(Integer, default=0)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("measure.id", ondelete="SET NULL"), index=True)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    milestones: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    decision_date: Mapped[str | None] = mapped_column(String(10))
    decision_committee: Mapped[str | None] = mapped_column(String(200))
    decision_paper: Mapped[str | None] = mapped_column(String(100), index=True)
    decision_result: Mapped[str | None] = mapped_column(String(100))
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))
    updated_by: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class MeasureSource(Base):
    """Which cluster a measure was promoted from."""

    __tablename__ = "measure_source"

    measure_id: Mapped[int] = mapped_column(
        ForeignKey("measure.id", ondelete="CASCADE"), primary_key=True
    )
    cluster_id: Mapped[int] = mapped_column(
        ForeignKey("cluster.id", ondelete="CASCADE"), primary_key=True
    )


class ReviewEvent(Base):
    """One staff decision, for the audit log and undo."""

    __tablename__ = "review_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    action: Mapped[str] = mapped_column(String(50))
    target_type: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the key of the form submission that wrote this event; a second submission with it writes nothing
    request_key: Mapped[str | None] = mapped_column(String(100), unique=True, index=True)


class Embedding(Base):
    """The sentence vector of one text under one model, shared by every analysis on this database.

    A pure cache keyed by content: ``text_hash`` is the sha256 hex of the text as
    embedded, ``vector`` its ``dim`` float32 values as little-endian bytes (bit-exact).
    Rows are only added, never changed, so servers sharing the database share vectors.
    """

    __tablename__ = "embedding"

    model_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConcernLink(Base):
    """A concern of a conference that continues a concern of an earlier conference of the same city.

    ``kind``: "match" (one-to-one), "split" (one of several the earlier concern split
    into) or "merge" (one of several earlier concerns this one took in). ``source``:
    "auto" (the analysis found it) or "staff" (set by hand). Staff decisions are
    ``confirmed`` or ``rejected``; a rejected link stays for the audit log and the
    next analysis, and counts for nothing. The concern keys let a re-analysis carry
    the decisions over to the clusters that continue these.
    """

    __tablename__ = "concern_link"
    __table_args__ = (UniqueConstraint("cluster_id", "previous_cluster_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("cluster.id", ondelete="CASCADE"), index=True)
    previous_cluster_id: Mapped[int] = mapped_column(ForeignKey("cluster.id", ondelete="CASCADE"), index=True)
    previous_conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    concern_key: Mapped[str | None] = mapped_column(String(36))
    previous_concern_key: Mapped[str | None] = mapped_column(String(36))
    similarity: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(10), default="auto")
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    rejected: Mapped[bool] = mapped_column(Boolean, default=False)


class Account(Base):
    """A built-in account for offices without an identity provider (see ``pipelines.accounts``).

    ``password_hash`` is an argon2 hash; ``email`` links a person signed in through the
    city's identity provider to this account's role.
    """

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str | None] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(30))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SignInFailure(Base):
    """One failed sign-in, counted per account (``account:NAME``) and per client (``client:ADDRESS``).

    Kept in the database, so the limit holds across server processes.
    """

    __tablename__ = "sign_in_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(250), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
