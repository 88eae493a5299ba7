"""covering indexes for the supervisor's counts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:09:22.647606
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_worker_status"))
        batch_op.create_index(
            "ix_case_worker_status", ["worker_id", "status", "last_activity_at"], unique=False
        )

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_kind_time", ["kind", "occurred_at", "worker_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_kind_time")

    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index("ix_case_worker_status")
        batch_op.create_index(
            batch_op.f("ix_case_worker_status"), ["worker_id", "status"], unique=False
        )
