"""Built-in accounts and failed sign-ins.

- account: name (unique), e-mail (unique, links a person from the city's identity
  provider), role, argon2 password hash, disabled flag, who made it and when.
- sign_in_failure: one row per failed sign-in under ``account:NAME`` and
  ``client:ADDRESS``; the rate limit counts them, so it holds across processes.

Revision ID: 0008
Revises: 0007 (re-chained after 0007 at merge; nothing here depends on 0007)
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("email", sa.String(200), nullable=True, unique=True),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "sign_in_failure",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sign_in_failure_key", "sign_in_failure", ["key"])
    op.create_index("ix_sign_in_failure_at", "sign_in_failure", ["at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_failure_at", "sign_in_failure")
    op.drop_index("ix_sign_in_failure_key", "sign_in_failure")
    op.drop_table("sign_in_failure")
    op.drop_table("account")
