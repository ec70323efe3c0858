"""Measures (Maßnahmen), their source clusters, and the review audit log.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "measure",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conference_id", sa.Integer, sa.ForeignKey("conference.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("theme", sa.String(100)),
        sa.Column("districts", sa.JSON, nullable=False),
        sa.Column("responsible", sa.String(200)),
        sa.Column("priority", sa.String(20)),
        sa.Column("cost_estimate", sa.String(100)),
        sa.Column("timeframe", sa.String(100)),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_measure_conference_id", "measure", ["conference_id"])
    op.create_table(
        "measure_source",
        sa.Column("measure_id", sa.Integer, sa.ForeignKey("measure.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("cluster_id", sa.Integer, sa.ForeignKey("cluster.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_table(
        "review_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conference_id", sa.Integer, sa.ForeignKey("conference.id", ondelete="CASCADE"), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("target_type", sa.String(30), nullable=False),
        sa.Column("target_id", sa.Integer),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_index("ix_review_event_conference_id", "review_event", ["conference_id"])


def downgrade() -> None:
    for table in ("review_event", "measure_source", "measure"):
        op.drop_table(table)
