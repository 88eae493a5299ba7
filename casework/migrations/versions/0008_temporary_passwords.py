"""a password set by an administrator is temporary: changed at the next sign-in

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both backends: a batch copy of "worker" would trip the foreign
    # keys that point at it on SQLite.
    op.add_column(
        "worker",
        sa.Column("password_temporary", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.execute("ALTER TABLE worker DROP COLUMN password_temporary")
