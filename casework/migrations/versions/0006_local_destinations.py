"""the office's own referral destinations, beside the shipped catalogue

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "local_destination",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("service_area", sa.String(length=30), nullable=False),
        sa.Column("name_es", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("when_es", sa.String(length=500), nullable=False),
        sa.Column("when_en", sa.String(length=500), nullable=False),
        sa.Column("typical_outcome_es", sa.String(length=500), nullable=False),
        sa.Column("typical_outcome_en", sa.String(length=500), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("contact_es", sa.String(length=500), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["worker.id"], name=op.f("fk_local_destination_created_by_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_destination")),
        sa.UniqueConstraint("key", name=op.f("uq_local_destination_key")),
    )


def downgrade() -> None:
    op.drop_table("local_destination")
