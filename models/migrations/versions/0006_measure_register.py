"""The measure register: progress, parent and child measures, milestones, the committee's decision.

- measure.progress: 0–100; existing measures get their status's default
  (the statuses and their defaults are in ``models.queries.STATUSES``).
- measure.parent_id (→ measure, ON DELETE SET NULL) and measure.weight (default 1):
  a parent's progress is the weighted mean of its children's.
- measure.milestones: a JSON list of {"date", "title", "text"}; NULL reads as none.
- measure.decision_date / _committee / _paper (Drucksachen-Nr., indexed: the decision
  import finds measures by it) / _result / _note.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# the defaults of models.queries.STATUSES when this revision was written; a migration keeps its own copy
DEFAULT_PROGRESS = {"vorgeschlagen": 5, "im Ausschuss": 10, "beschlossen": 20, "zurückgestellt": 10,
                    "in Umsetzung": 50, "umgesetzt": 100}


def upgrade() -> None:
    with op.batch_alter_table("measure") as batch:
        batch.add_column(sa.Column("progress", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("parent_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("weight", sa.Float, nullable=False, server_default="1"))
        batch.add_column(sa.Column("milestones", sa.JSON, nullable=True))
        batch.add_column(sa.Column("decision_date", sa.String(10), nullable=True))
        batch.add_column(sa.Column("decision_committee", sa.String(200), nullable=True))
        batch.add_column(sa.Column("decision_paper", sa.String(100), nullable=True))
        batch.add_column(sa.Column("decision_result", sa.String(100), nullable=True))
        batch.add_column(sa.Column("decision_note", sa.Text, nullable=True))
        batch.create_foreign_key("fk_measure_parent_id_measure", "measure", ["parent_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_index("ix_measure_parent_id", ["parent_id"])
        batch.create_index("ix_measure_decision_paper", ["decision_paper"])
    measure = sa.table("measure", sa.column("status", sa.String), sa.column("progress", sa.Integer))
    for status, progress in DEFAULT_PROGRESS.items():
        op.execute(measure.update().where(measure.c.status == status).values(progress=progress))


def downgrade() -> None:
    with op.batch_alter_table("measure") as batch:
        batch.drop_index("ix_measure_decision_paper")
        batch.drop_index("ix_measure_parent_id")
        batch.drop_constraint("fk_measure_parent_id_measure", type_="foreignkey")
        for column in ("decision_note", "decision_result", "decision_paper", "decision_committee", "decision_date",
                       "milestones", "weight", "parent_id", "progress"):
            batch.drop_column(column)
