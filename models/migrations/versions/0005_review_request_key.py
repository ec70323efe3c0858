"""Idempotent review changes: a form submission carries a key, and a second
submission with the same key (a double click, a resent request) writes nothing.

- review_event.request_key: the key of the submission that wrote the event, or
  NULL for changes made without one (CLI, scripts, older rows). Unique: NULLs
  are distinct on SQLite and PostgreSQL alike, so only keyed events collide.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_event") as batch:
        batch.add_column(sa.Column("request_key", sa.String(100), nullable=True))
        batch.create_index("ix_review_event_request_key", ["request_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("review_event") as batch:
        batch.drop_index("ix_review_event_request_key")
        batch.drop_column("request_key")
