"""national ids also keyed by their digits, as the intake duplicate panel looks them up

A national id typed "HT-998877" was keyed only as "HT998877", while the matcher reads it as
"998877": the same number typed without its prefix at another desk was not found. New and
changed persons get both keys (services/keys.py doc_keys); this adds the digits key to the
national ids already on record.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 16:40:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NON_DIGIT = re.compile(r"[^0-9]")

document = sa.table(
    "identity_document",
    sa.column("person_id", sa.Uuid()),
    sa.column("type_key", sa.String()),
    sa.column("number_norm", sa.String()),
)
person_key = sa.table(
    "person_key",
    sa.column("person_id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("key", sa.String()),
)


def _digits_key(number: str) -> str | None:
    """The matcher's reading of a national id: its digits, when there are five or more."""
    digits = _NON_DIGIT.sub("", number)
    if len(digits) < 5:
        return None
    return (digits.lstrip("0") or digits)[:120]


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(document.c.person_id, document.c.number_norm).where(
            document.c.type_key == "national_id"
        )
    ).all()
    existing = {
        (pid, key)
        for pid, key in conn.execute(
            sa.select(person_key.c.person_id, person_key.c.key).where(person_key.c.kind == "doc")
        )
    }
    new = []
    for pid, number in rows:
        key = _digits_key(number or "")
        if key is not None and (pid, key) not in existing:
            existing.add((pid, key))
            new.append({"person_id": pid, "kind": "doc", "key": key})
    if new:
        op.bulk_insert(person_key, new)


def downgrade() -> None:
    pass  # the extra keys are harmless to an older version
