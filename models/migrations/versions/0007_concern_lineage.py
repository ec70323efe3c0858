"""Concerns across conferences: concern_link ties a concern to the one of an earlier conference it continues.

- concern_link (cluster → earlier cluster): similarity of their centroids, kind
  ("match", "split", "merge"), source ("auto", "staff"), staff's confirmed/rejected,
  and both concern keys, so a re-analysis carries staff decisions over.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "concern_link",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conference_id", sa.Integer, sa.ForeignKey("conference.id", ondelete="CASCADE"), nullable=False),
        sa.Column("cluster_id", sa.Integer, sa.ForeignKey("cluster.id", ondelete="CASCADE"), nullable=False),
        sa.Column("previous_cluster_id", sa.Integer, sa.ForeignKey("cluster.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("previous_conference_id", sa.Integer, sa.ForeignKey("conference.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("concern_key", sa.String(36), nullable=True),
        sa.Column("previous_concern_key", sa.String(36), nullable=True),
        sa.Column("similarity", sa.Float, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("confirmed", sa.Boolean, nullable=False),
        sa.Column("rejected", sa.Boolean, nullable=False),
        sa.UniqueConstraint("cluster_id", "previous_cluster_id"),
    )
    op.create_index("ix_concern_link_conference_id", "concern_link", ["conference_id"])
    op.create_index("ix_concern_link_cluster_id", "concern_link", ["cluster_id"])
    op.create_index("ix_concern_link_previous_cluster_id", "concern_link", ["previous_cluster_id"])


def downgrade() -> None:
    op.drop_table("concern_link")
