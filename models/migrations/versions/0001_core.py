"""Core schema: conferences, contributions, analysis runs, clusters.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conference",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("date", sa.String(10)),
        sa.Column("city", sa.String(100)),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conference_id", sa.Integer, sa.ForeignKey("conference.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source_file", sa.String(500), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("n_rows", sa.Integer, nullable=False),
        sa.Column("n_imported", sa.Integer, nullable=False),
        sa.Column("n_duplicates", sa.Integer, nullable=False),
        sa.Column("n_empty", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "contribution",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conference_id", sa.Integer, sa.ForeignKey("conference.id", ondelete="CASCADE"), nullable=False),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batch.id", ondelete="SET NULL")),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("table_label", sa.String(50)),
        sa.Column("round", sa.Integer),
        sa.Column("theme", sa.String(100)),
        sa.Column("district", sa.String(100)),
        sa.Column("stakeholder_group", sa.String(100)),
        sa.Column("source_file", sa.String(500)),
        sa.Column("source_position", sa.String(200)),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("conference_id", "content_hash"),
    )
    op.create_index("ix_contribution_conference_id", "contribution", ["conference_id"])
    op.create_table(
        "analysis_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conference_id", sa.Integer, sa.ForeignKey("conference.id", ondelete="CASCADE"), nullable=False),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("model_id", sa.String(300), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=False),
        sa.Column("n_contributions", sa.Integer, nullable=False),
        sa.Column("n_clusters", sa.Integer, nullable=False),
        sa.Column("n_unclustered", sa.Integer, nullable=False),
        sa.Column("timings", sa.JSON, nullable=False),
    )
    op.create_index("ix_analysis_run_conference_id", "analysis_run", ["conference_id"])
    op.create_table(
        "cluster",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("analysis_run.id", ondelete="CASCADE"), nullable=False),
        sa.Column("theme", sa.String(100), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("keywords", sa.JSON, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("representative_ids", sa.JSON, nullable=False),
        sa.Column("profile", sa.JSON, nullable=False),
        sa.Column("hotspot_district", sa.String(100)),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("score_breakdown", sa.JSON, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("theme_rank", sa.Integer, nullable=False),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_cluster_run_id", "cluster", ["run_id"])
    op.create_table(
        "assignment",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("analysis_run.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("contribution_id", sa.Integer, sa.ForeignKey("contribution.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("cluster_id", sa.Integer, sa.ForeignKey("cluster.id", ondelete="SET NULL")),
        sa.Column("theme", sa.String(100), nullable=False),
        sa.Column("theme_confidence", sa.Float, nullable=False),
        sa.Column("theme_source", sa.String(20), nullable=False),
        sa.Column("districts", sa.JSON, nullable=False),
        sa.Column("lemmas", sa.Text, nullable=False),
        sa.Column("similarity", sa.Float, nullable=False),
    )
    op.create_index("ix_assignment_contribution_id", "assignment", ["contribution_id"])
    op.create_index("ix_assignment_cluster_id", "assignment", ["cluster_id"])


def downgrade() -> None:
    for table in ("assignment", "cluster", "analysis_run", "contribution", "import_batch", "conference"):
        op.drop_table(table)
