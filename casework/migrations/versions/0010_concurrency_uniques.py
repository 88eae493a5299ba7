"""uniqueness in the schema: one live holder per document, one person per import ref;
merges that point at a live person

Two desks (or two imports) running at once on PostgreSQL could both pass the service's
check and both insert: the same RUN on two live persons, every row of a file created twice,
two merges with opposite survivors (A merged into B and B into A). This revision puts the
rules where a race cannot get past them, after repairing what such races already left:

1. Merge pointers. A cycle (A -> B -> A, or longer) is broken by letting the EARLIEST merge
   of the cycle stand (``person_merge.at``; the earliest-created person when the ledger has
   no row): its survivor is live again, the later merge's ledger row is dropped, and every
   record still hanging off the other members (contacts, cases, notes, documents, ...) moves
   to that survivor, as the merge would have done. A chain (A -> B -> C) is shortened so
   every merged record points at its live survivor.
2. ``identity_document.live_key``: the number, for the one live document of each
   (type, number); a unique index on (type_key, live_key). Where several live persons
   already hold one number, the earliest-recorded document keeps it and every other holder
   is queued as a likely duplicate of that person (reason "same_document") for a supervisor
   to merge. Nobody is merged or deleted by the migration.
3. ``import_ref``: one row per imported reference (primary key). A reference held by
   several live persons stays with the earliest-created one; the others are queued as
   likely duplicates (reason "same_import_ref").

So the upgrade never fails on an office's real data: it repairs, and leaves the decisions
that need a person to the duplicate queue.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:00:00
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REF_MAX = 200

person = sa.table(
    "person",
    sa.column("id", sa.Uuid()),
    sa.column("merged_into_id", sa.Uuid()),
    sa.column("created_at", sa.DateTime()),
    sa.column("external_refs", sa.JSON()),
)
person_merge = sa.table(
    "person_merge",
    sa.column("id", sa.Uuid()),
    sa.column("survivor_id", sa.Uuid()),
    sa.column("merged_id", sa.Uuid()),
    sa.column("at", sa.DateTime()),
)
document = sa.table(
    "identity_document",
    sa.column("id", sa.Uuid()),
    sa.column("person_id", sa.Uuid()),
    sa.column("type_key", sa.String()),
    sa.column("number_norm", sa.String()),
    sa.column("live_key", sa.String()),
    sa.column("created_at", sa.DateTime()),
)
language = sa.table(
    "person_language",
    sa.column("person_id", sa.Uuid()),
    sa.column("code", sa.String()),
)
household = sa.table(
    "household_member",
    sa.column("person_id", sa.Uuid()),
    sa.column("related_person_id", sa.Uuid()),
)
person_key = sa.table(
    "person_key",
    sa.column("person_id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("key", sa.String()),
)
match_pair = sa.table(
    "match_pair",
    sa.column("id", sa.Uuid()),
    sa.column("person_a", sa.Uuid()),
    sa.column("person_b", sa.Uuid()),
    sa.column("score", sa.Float()),
    sa.column("reasons", sa.JSON()),
    sa.column("status", sa.String()),
    sa.column("found_at", sa.DateTime(timezone=True)),
)
import_ref = sa.table(
    "import_ref",
    sa.column("ref", sa.String()),
    sa.column("person_id", sa.Uuid()),
)

SPECIAL = {"person", "person_merge", "match_pair", "person_key", "identity_document"}
SPECIAL |= {"person_language", "import_ref"}
"""Tables whose rows that point at a person are handled one by one when a cycle is
broken; every other table's person columns simply move to the survivor."""


def _now(conn: sa.Connection) -> dt.datetime:
    """UTC, stored the way the models store it (naive UTC on SQLite)."""
    now = dt.datetime.now(dt.UTC)
    return now.replace(tzinfo=None) if conn.dialect.name == "sqlite" else now


# 1. Merge pointers ------------------------------------------------------------------------


def _cycles(pointers: dict[uuid.UUID, uuid.UUID]) -> list[list[uuid.UUID]]:
    """Every cycle of the merged_into graph, each as the list of its members."""
    state: dict[uuid.UUID, int] = {}  # 1 = on the current walk, 2 = done
    found = []
    for start in pointers:
        walk: list[uuid.UUID] = []
        node: uuid.UUID | None = start
        while node is not None and node in pointers and state.get(node) is None:
            state[node] = 1
            walk.append(node)
            node = pointers[node]
        if node is not None and state.get(node) == 1:
            found.append(walk[walk.index(node) :])
        for member in walk:
            state[member] = 2
    return found


def _person_columns(conn: sa.Connection) -> list[tuple[str, str]]:
    """(table, column) of every foreign key to person outside the special tables."""
    inspector = sa.inspect(conn)
    out: list[tuple[str, str]] = []
    for table in inspector.get_table_names():
        if table in SPECIAL:
            continue
        for fk in inspector.get_foreign_keys(table):
            if fk["referred_table"] == "person":
                out.extend((table, column) for column in fk["constrained_columns"])
    return sorted(out)


def _fold_into(conn: sa.Connection, survivor: uuid.UUID, merged: uuid.UUID) -> None:
    """Move what still hangs off ``merged`` to ``survivor``, as a merge does."""
    both = [survivor, merged]
    conn.execute(
        sa.update(household)
        .where(household.c.related_person_id.in_(both), household.c.person_id.in_(both))
        .values(related_person_id=None)
    )
    for table, column in _person_columns(conn):
        t = sa.table(table, sa.column(column, sa.Uuid()))
        conn.execute(sa.update(t).where(t.c[column] == merged).values({column: survivor}))
    have: set[tuple[Any, Any]] = {
        (type_key, number)
        for type_key, number in conn.execute(
            sa.select(document.c.type_key, document.c.number_norm).where(
                document.c.person_id == survivor
            )
        )
    }
    for doc_id, type_key, number in conn.execute(
        sa.select(document.c.id, document.c.type_key, document.c.number_norm).where(
            document.c.person_id == merged
        )
    ).all():
        if (type_key, number) not in have:
            have.add((type_key, number))
            conn.execute(
                sa.update(document).where(document.c.id == doc_id).values(person_id=survivor)
            )
    codes = set(conn.scalars(sa.select(language.c.code).where(language.c.person_id == survivor)))
    for code in conn.scalars(sa.select(language.c.code).where(language.c.person_id == merged)):
        if code not in codes:
            conn.execute(
                sa.update(language)
                .where(language.c.person_id == merged, language.c.code == code)
                .values(person_id=survivor)
            )
    # The survivor is found under every spelling either record had.
    keys = set(
        conn.execute(
            sa.select(person_key.c.kind, person_key.c.key).where(
                person_key.c.person_id.in_([survivor, merged])
            )
        ).all()
    )
    conn.execute(sa.delete(person_key).where(person_key.c.person_id == survivor))
    if keys:
        conn.execute(
            sa.insert(person_key),
            [{"person_id": survivor, "kind": k, "key": v} for k, v in sorted(keys)],
        )
    conn.execute(
        sa.delete(match_pair).where(
            match_pair.c.status == "pending",
            sa.or_(match_pair.c.person_a == merged, match_pair.c.person_b == merged),
        )
    )


def repair_merges(conn: sa.Connection) -> None:
    pointers: dict[uuid.UUID, uuid.UUID] = dict(
        conn.execute(
            sa.select(person.c.id, person.c.merged_into_id).where(
                person.c.merged_into_id.is_not(None)
            )
        ).all()
    )
    if not pointers:
        return
    folds: list[tuple[uuid.UUID, list[uuid.UUID]]] = []
    for cycle in _cycles(pointers):
        ledger = conn.execute(
            sa.select(person_merge.c.survivor_id, person_merge.c.at, person_merge.c.id)
            .where(person_merge.c.merged_id.in_(cycle))
            .order_by(person_merge.c.at, person_merge.c.id)
        ).first()
        if ledger is not None and ledger.survivor_id in cycle:
            survivor = ledger.survivor_id
        else:
            survivor = conn.scalars(
                sa.select(person.c.id)
                .where(person.c.id.in_(cycle))
                .order_by(person.c.created_at, person.c.id)
            ).first()
        assert survivor is not None
        # The later merge, that folded the survivor away, is undone.
        conn.execute(sa.delete(person_merge).where(person_merge.c.merged_id == survivor))
        conn.execute(sa.update(person).where(person.c.id == survivor).values(merged_into_id=None))
        del pointers[survivor]
        folds.append((survivor, [m for m in cycle if m != survivor]))
    # Every merged record points straight at its live survivor.
    for start in list(pointers):
        root = pointers[start]
        seen = {start}
        while root in pointers and root not in seen:
            seen.add(root)
            root = pointers[root]
        if root != pointers[start]:
            conn.execute(sa.update(person).where(person.c.id == start).values(merged_into_id=root))
            pointers[start] = root
    for survivor, members in folds:
        for member in members:
            _fold_into(conn, survivor, member)


# 2 and 3. Unique documents and import refs --------------------------------------------------


def _queue(conn: sa.Connection, pairs: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]]) -> None:
    """Pending duplicate pairs, unless the pair is already in the queue (in any state)."""
    if not pairs:
        return
    known = set(conn.execute(sa.select(match_pair.c.person_a, match_pair.c.person_b)).all())
    now = _now(conn)
    rows = [
        {
            "id": uuid.uuid4(),
            "person_a": a,
            "person_b": b,
            "score": 1.0,
            "reasons": [reason],
            "status": "pending",
            "found_at": now,
        }
        for (a, b), reason in sorted(pairs.items())
        if (a, b) not in known
    ]
    if rows:
        conn.execute(sa.insert(match_pair), rows)


def _pair(x: uuid.UUID, y: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return (x, y) if x < y else (y, x)


def claim_documents(conn: sa.Connection) -> None:
    ranked = (
        sa.select(
            document.c.id,
            sa.func.row_number()
            .over(
                partition_by=(document.c.type_key, document.c.number_norm),
                order_by=(document.c.created_at, document.c.id),
            )
            .label("rn"),
        )
        .select_from(document.join(person, person.c.id == document.c.person_id))
        .where(person.c.merged_into_id.is_(None))
        .subquery()
    )
    conn.execute(
        sa.update(document)
        .where(document.c.id.in_(sa.select(ranked.c.id).where(ranked.c.rn == 1)))
        .values(live_key=document.c.number_norm)
    )
    holder = document.alias("holder")
    rows = conn.execute(
        sa.select(holder.c.person_id, document.c.person_id, document.c.type_key)
        .select_from(
            document.join(person, person.c.id == document.c.person_id).join(
                holder,
                sa.and_(
                    holder.c.type_key == document.c.type_key,
                    holder.c.live_key == document.c.number_norm,
                ),
            )
        )
        .where(
            person.c.merged_into_id.is_(None),
            document.c.live_key.is_(None),
            holder.c.person_id != document.c.person_id,
        )
    ).all()
    _queue(
        conn,
        {
            _pair(a, b): {"code": "same_document", "params": {"type": type_key}}
            for a, b, type_key in rows
        },
    )


def claim_refs(conn: sa.Connection) -> None:
    holders: dict[str, uuid.UUID] = {}
    pairs: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = {}
    for pid, refs in conn.execute(
        sa.select(person.c.id, person.c.external_refs)
        .where(person.c.merged_into_id.is_(None))
        .order_by(person.c.created_at, person.c.id)
    ):
        for ref in refs or []:
            if not isinstance(ref, str) or not ref or len(ref) > REF_MAX:
                continue
            first = holders.setdefault(ref, pid)
            if first != pid:
                pairs[_pair(first, pid)] = {"code": "same_import_ref", "params": {}}
    rows = [{"ref": ref, "person_id": pid} for ref, pid in holders.items()]
    for start in range(0, len(rows), 5000):
        conn.execute(sa.insert(import_ref), rows[start : start + 5000])
    _queue(conn, pairs)


def upgrade() -> None:
    conn = op.get_bind()
    repair_merges(conn)
    op.add_column("identity_document", sa.Column("live_key", sa.String(length=40), nullable=True))
    claim_documents(conn)
    op.create_index(
        "uq_identity_document_live", "identity_document", ["type_key", "live_key"], unique=True
    )
    op.create_table(
        "import_ref",
        sa.Column("ref", sa.String(length=REF_MAX), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_import_ref_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_import_ref")),
    )
    op.create_index(op.f("ix_import_ref_person_id"), "import_ref", ["person_id"], unique=False)
    claim_refs(conn)


def downgrade() -> None:
    op.drop_index(op.f("ix_import_ref_person_id"), table_name="import_ref")
    op.drop_table("import_ref")
    op.drop_index("uq_identity_document_live", table_name="identity_document")
    op.execute("ALTER TABLE identity_document DROP COLUMN live_key")
