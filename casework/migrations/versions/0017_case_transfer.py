"""case transfer: requests to move a case to another programme, and their decision

One row per request; at most one pending per case (a partial unique index, on SQLite and
PostgreSQL alike). Reassigning a case within its programme needs no table: it changes the
case's worker and is audited. No existing row changes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_transfer",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("from_programme_id", sa.Uuid(), nullable=False),
        sa.Column("to_programme_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("to_worker_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'accepted', 'declined', 'withdrawn')",
            name=op.f("ck_case_transfer_state"),
        ),
        sa.CheckConstraint(
            "(state = 'pending') = (decided_at IS NULL)",
            name=op.f("ck_case_transfer_decided_iff_not_pending"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_file.id"],
            name=op.f("fk_case_transfer_case_id_case_file"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_programme_id"],
            ["programme.id"],
            name=op.f("fk_case_transfer_from_programme_id_programme"),
        ),
        sa.ForeignKeyConstraint(
            ["to_programme_id"],
            ["programme.id"],
            name=op.f("fk_case_transfer_to_programme_id_programme"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["worker.id"], name=op.f("fk_case_transfer_requested_by_worker")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["worker.id"], name=op.f("fk_case_transfer_decided_by_worker")
        ),
        sa.ForeignKeyConstraint(
            ["to_worker_id"], ["worker.id"], name=op.f("fk_case_transfer_to_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_transfer")),
    )
    op.create_index("ix_case_transfer_case_id", "case_transfer", ["case_id"], unique=False)
    op.create_index(
        "ix_case_transfer_to_state", "case_transfer", ["to_programme_id", "state"], unique=False
    )
    op.create_index(
        "uq_case_transfer_pending",
        "case_transfer",
        ["case_id"],
        unique=True,
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("uq_case_transfer_pending", table_name="case_transfer")
    op.drop_index("ix_case_transfer_to_state", table_name="case_transfer")
    op.drop_index("ix_case_transfer_case_id", table_name="case_transfer")
    op.drop_table("case_transfer")
