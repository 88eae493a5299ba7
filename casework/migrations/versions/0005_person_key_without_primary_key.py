"""person_key without a primary key: two indexes are enough, and bulk loads build them once

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person_key", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint("pk_person_key", type_="primary")
        batch_op.create_index("ix_person_key_person", ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person_key", schema=None, recreate="always") as batch_op:
        batch_op.drop_index("ix_person_key_person")
        batch_op.create_primary_key("pk_person_key", ["person_id", "kind", "key"])
