"""Stable cluster identity and review state; import provenance and batch reports.

- cluster: ``concern_key`` (stable across analysis runs), ``label_source``
  ("auto" or "staff"), ``relevant`` (staff may mark a cluster not relevant),
  ``merged_into_id`` (a cluster merged into another one of the same run).
  ``reviewed`` (staff touched it: a re-analysis keeps it and its members).
- assignment: ``map_x``/``map_y``, a 2-D projection for the workbench's map.
- review_event: ``undone`` (the last change can be undone).
- measure: who created and last changed it.
- contribution: ``heading_path`` (where in a document a note stood) and
  ``mentioned_districts`` (districts found in the raw text before pseudonymisation).
- import_batch: ``n_failed`` and a per-file ``report``.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cluster", sa.Column("concern_key", sa.String(36)))
    op.add_column("cluster", sa.Column("label_source", sa.String(10), nullable=False, server_default="auto"))
    op.add_column("cluster", sa.Column("relevant", sa.Boolean, nullable=False, server_default=sa.true()))
    op.add_column("cluster", sa.Column("merged_into_id", sa.Integer))
    op.add_column("cluster", sa.Column("reviewed", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("assignment", sa.Column("map_x", sa.Float))
    op.add_column("assignment", sa.Column("map_y", sa.Float))
    op.create_index("ix_cluster_concern_key", "cluster", ["concern_key"])
    op.add_column("review_event", sa.Column("undone", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("measure", sa.Column("created_by", sa.String(100)))
    op.add_column("measure", sa.Column("updated_by", sa.String(100)))
    op.add_column("contribution", sa.Column("heading_path", sa.String(500)))
    op.add_column("contribution", sa.Column("mentioned_districts", sa.JSON))
    op.add_column("import_batch", sa.Column("n_failed", sa.Integer, nullable=False, server_default="0"))
    op.add_column("import_batch", sa.Column("report", sa.JSON))


def downgrade() -> None:
    op.drop_index("ix_cluster_concern_key", "cluster")
    for table, column in (
        ("cluster", "concern_key"), ("cluster", "label_source"), ("cluster", "relevant"),
        ("cluster", "merged_into_id"), ("cluster", "reviewed"), ("assignment", "map_x"), ("assignment", "map_y"),
        ("review_event", "undone"), ("measure", "created_by"),
        ("measure", "updated_by"), ("contribution", "heading_path"), ("contribution", "mentioned_districts"),
        ("import_batch", "n_failed"), ("import_batch", "report"),
    ):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
