"""name_variant: the typo index of search, filled from the name tokens already on record

Each distinct name token of person_key (kind "name") gets a row for itself and, when it has
four letters or more, one per spelling with one letter left out (services/keys.py
``variants``): "Gonzales" then finds González and "Jhon" finds John. The table is shared by
every person with a token, so it holds the distinct tokens only (a few tens of thousands of
rows for 100,000 persons). No existing row changes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEAR_MIN = 4  # as services/keys.py when this was written
BATCH = 5_000

person_key = sa.table(
    "person_key",
    sa.column("kind", sa.String()),
    sa.column("key", sa.String()),
)


def _variants(token: str) -> set[str]:
    out = {token}
    if len(token) >= NEAR_MIN:
        out |= {token[:i] + token[i + 1 :] for i in range(len(token))}
    return out


def upgrade() -> None:
    name_variant = op.create_table(
        "name_variant",
        sa.Column("variant", sa.String(length=120), nullable=False),
        sa.Column("token", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("variant", "token", name=op.f("pk_name_variant")),
    )
    op.create_index("ix_name_variant_token", "name_variant", ["token"], unique=False)
    conn = op.get_bind()
    names = conn.scalars(
        sa.select(person_key.c.key).where(person_key.c.kind == "name").distinct()
    ).all()
    rows = sorted({(v, tok) for tok in names for v in _variants(tok)})
    for start in range(0, len(rows), BATCH):
        conn.execute(
            sa.insert(name_variant),
            [{"variant": v, "token": tok} for v, tok in rows[start : start + BATCH]],
        )


def downgrade() -> None:
    op.drop_index("ix_name_variant_token", table_name="name_variant")
    op.drop_table("name_variant")
