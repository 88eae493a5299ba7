"""a row version on every record a desk edits: person, case, referral, follow-up, guidance,
guidance item and consent

Every ORM UPDATE of these rows checks the version it read and bumps it (SQLAlchemy's
version_id_col, casework/models/base.py VersionMixin): a write based on a stale copy fails
instead of silently replacing what another desk saved. Rows already on record start at 1.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "person",
    "case_file",
    "referral",
    "follow_up",
    "guidance",
    "guidance_item",
    "consent",
)


def upgrade() -> None:
    # Plain ALTER TABLE on both backends (NOT NULL with a default is allowed on SQLite): a
    # batch copy of "person" or "case_file" would trip the foreign keys that point at them.
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN version')
