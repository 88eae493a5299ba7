"""office-wide supervisors: an explicit, audited attribute of a worker

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both backends: a batch copy of "worker" would trip the foreign
    # keys that point at it on SQLite. Nobody is office-wide until an administrator says so.
    op.add_column(
        "worker",
        sa.Column("office_wide", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.execute("ALTER TABLE worker DROP COLUMN office_wide")
