"""duplicate queue and panel release ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:39:55.509584
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "panel_release",
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("municipality", sa.String(length=120), nullable=False),
        sa.Column("schema_version", sa.String(length=20), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("revision_of", sa.Uuid(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["released_by"], ["worker.id"], name=op.f("fk_panel_release_released_by_worker")
        ),
        sa.ForeignKeyConstraint(
            ["revision_of"],
            ["panel_release.id"],
            name=op.f("fk_panel_release_revision_of_panel_release"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_release")),
    )
    with op.batch_alter_table("panel_release", schema=None) as batch_op:
        batch_op.create_index("ix_panel_release_period", ["period", "released_at"], unique=False)

    op.create_table(
        "match_pair",
        sa.Column("person_a", sa.Uuid(), nullable=False),
        sa.Column("person_b", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status = 'pending' OR (decided_by IS NOT NULL AND decided_at IS NOT NULL)",
            name=op.f("ck_match_pair_decision_recorded"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'not_same', 'merged')", name=op.f("ck_match_pair_status")
        ),
        sa.CheckConstraint("person_a < person_b", name=op.f("ck_match_pair_ordered")),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["worker.id"], name=op.f("fk_match_pair_decided_by_worker")
        ),
        sa.ForeignKeyConstraint(
            ["person_a"], ["person.id"], name=op.f("fk_match_pair_person_a_person")
        ),
        sa.ForeignKeyConstraint(
            ["person_b"], ["person.id"], name=op.f("fk_match_pair_person_b_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_pair")),
        sa.UniqueConstraint("person_a", "person_b", name="uq_match_pair_persons"),
    )
    with op.batch_alter_table("match_pair", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_pair_person_b"), ["person_b"], unique=False)
        batch_op.create_index("ix_match_pair_queue", ["status", "score"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("match_pair", schema=None) as batch_op:
        batch_op.drop_index("ix_match_pair_queue")
        batch_op.drop_index(batch_op.f("ix_match_pair_person_b"))

    op.drop_table("match_pair")
    with op.batch_alter_table("panel_release", schema=None) as batch_op:
        batch_op.drop_index("ix_panel_release_period")

    op.drop_table("panel_release")
