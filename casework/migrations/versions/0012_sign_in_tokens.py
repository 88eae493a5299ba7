"""command-line sign-in tokens: the hash of each short-lived token, its worker and expiry

``casework signin`` writes a random token to an owner-only file; this table keeps only its
SHA-256, whose worker it is, until when, and whether ``casework signout`` (or a new
password) revoked it. No existing row changes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_token",
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_sign_in_token_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_token_token_hash")),
    )
    op.create_index(
        op.f("ix_sign_in_token_worker_id"), "sign_in_token", ["worker_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_in_token_worker_id"), table_name="sign_in_token")
    op.drop_table("sign_in_token")
