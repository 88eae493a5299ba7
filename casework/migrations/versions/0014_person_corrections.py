"""person corrections: each saved edit of a person's file with its values before and after

The audit trail holds ids and field names only; what a correction changed (before and
after, why, and the rectification request it carried out) is kept with the person in this
table, and erased with them (ON DELETE CASCADE). No existing row changes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_correction",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("rights_request_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_person_correction_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_person_correction_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_correction")),
    )
    op.create_index(
        "ix_person_correction_person", "person_correction", ["person_id", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_person_correction_person", table_name="person_correction")
    op.drop_table("person_correction")
