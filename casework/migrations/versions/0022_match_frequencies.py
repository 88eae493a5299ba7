"""the duplicate matcher's term frequencies kept in person_key, and their totals

Every live person gets the person_key rows that count it in the matcher's term frequencies
(kinds f.* and g.*.<nationality>: services/match_records.py); match_total holds the rows
per kind (the denominators), recounted every few minutes by the desks. Before this, each
process counted every person on record again at its first duplicate check (8 to 11
seconds at 100,000 persons) and every five minutes after.

The backfill reads the persons in chunks by id, so memory stays bounded whatever the
office's size.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from casework.services.match_records import frequency_keys, record_of, refresh_totals

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 5_000

_PERSONS = sa.text(
    "SELECT id, given_names, first_surname, second_surname, nationality, phone, phone2"
    " FROM person WHERE merged_into_id IS NULL AND id > :after ORDER BY id LIMIT :n"
)
_FIRST = sa.text(
    "SELECT id, given_names, first_surname, second_surname, nationality, phone, phone2"
    " FROM person WHERE merged_into_id IS NULL ORDER BY id LIMIT :n"
)
_DOCUMENTS = sa.text(
    "SELECT person_id, type_key, number_norm FROM identity_document WHERE person_id IN :ids"
).bindparams(sa.bindparam("ids", expanding=True))
_INSERT = sa.text("INSERT INTO person_key (person_id, kind, key) VALUES (:p, :k, :v)")


def upgrade() -> None:
    op.create_table(
        "match_total",
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_match_total")),
    )
    conn = op.get_bind()
    _backfill(conn)
    refresh_totals(conn)


def _backfill(conn: sa.Connection) -> None:
    """The frequency rows of every live person, a chunk at a time (ids as the driver
    gives them, written back as they came)."""
    after: Any = None
    while True:
        if after is None:
            people = conn.execute(_FIRST, {"n": CHUNK}).all()
        else:
            people = conn.execute(_PERSONS, {"after": after, "n": CHUNK}).all()
        if not people:
            return
        after = people[-1][0]
        docs: dict[Any, list[tuple[str, str]]] = {}
        for pid, type_key, number in conn.execute(_DOCUMENTS, {"ids": [p[0] for p in people]}):
            docs.setdefault(pid, []).append((type_key, number or ""))
        rows: list[dict[str, Any]] = []
        for pid, given, first, second, nationality, phone, phone2 in people:
            rec = record_of(
                "", given, first, second, None, None, nationality, docs.get(pid, ()), (phone, phone2)
            )
            rows.extend({"p": pid, "k": kind, "v": key} for kind, key in frequency_keys(rec))
        rows.sort(key=lambda r: (r["k"], r["v"]))  # the lookup index's order
        conn.execute(_INSERT, rows)


def downgrade() -> None:
    keys = sa.table("person_key", sa.column("kind", sa.String()))
    op.get_bind().execute(
        sa.delete(keys).where(sa.or_(keys.c.kind.like("f.%"), keys.c.kind.like("g.%")))
    )
    op.drop_table("match_total")
