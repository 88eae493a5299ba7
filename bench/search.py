"""Search at office size: p50/p95 of each kind of search beside the same SQL run raw.

For each kind (a surname typed whole, the start of one while typing, a surname with one
wrong letter, two names in any order, a document, a phone, a birth date) it times
``services.search.find`` (the ranked ids and what matched) and ``persons.search_persons``
(what the screen calls: that plus the rows shown), then replays the very SQL statements
``find`` sent, captured from the engine, through the sqlite3 module on the same file: the
raw lookup. Prints figures; asserts nothing; never runs in the test suite.

Target (issue #19): name search p95 <= 10 ms at 100k persons and <= 2x the raw SQL.
Usage: python bench/search.py [--people N] [--db PATH] [--probes N]
(build the 100k demo once into a file and pass it with --db).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from casework.db import open_database
from casework.models import IdentityDocument, NameVariant, Person, PersonKey, Worker
from casework.services import persons, search
from casework.services.context import Context
from casework.synthetic import demo
from casework.text import tokens

KINDS = (
    "surname, whole",
    "surname, first 4 letters",
    "surname, one wrong letter",
    "two names, any order",
    "document",
    "phone",
    "birth date dd-mm-aaaa",
)


def probes(db: Any, n: int, seed: int = 7) -> dict[str, list[str]]:
    rng = random.Random(seed)
    with db.read() as s:
        people = s.execute(
            sa.select(
                Person.id,
                Person.given_names,
                Person.first_surname,
                Person.birth_date,
                Person.birth_date_precision,
                Person.phone,
            )
            .where(Person.merged_into_id.is_(None))
            .order_by(sa.func.random())
            .limit(n)
        ).all()
        docs = dict(
            s.execute(
                sa.select(IdentityDocument.person_id, IdentityDocument.number_norm).where(
                    IdentityDocument.person_id.in_([p.id for p in people])
                )
            ).all()
        )
    out: dict[str, list[str]] = {k: [] for k in KINDS}
    for p in people:
        surname = tokens(p.first_surname)[0]
        given = tokens(p.given_names)[0]
        out["surname, whole"].append(p.first_surname)
        out["surname, first 4 letters"].append(surname[:4])
        if len(surname) >= 5:
            i = rng.randrange(1, len(surname))
            wrong = rng.choice([c for c in "aeioulnrstm" if c != surname[i]])
            out["surname, one wrong letter"].append(surname[:i] + wrong + surname[i + 1 :])
        out["two names, any order"].append(f"{surname} {given}")
        if p.id in docs:
            out["document"].append(docs[p.id])
        if p.phone:
            out["phone"].append(p.phone)
        if p.birth_date and p.birth_date_precision == "exact":
            out["birth date dd-mm-aaaa"].append(p.birth_date.strftime("%d-%m-%Y"))
    return out


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--db", help="an existing demo database to reuse, or where to build one")
    parser.add_argument("--probes", type=int, default=300)
    args = parser.parse_args()
    path = Path(args.db) if args.db else Path(tempfile.mkdtemp()) / "search.db"
    size_before = path.stat().st_size if path.exists() else 0
    t = time.perf_counter()
    db = open_database(str(path))  # upgrades an older file (0013 fills the typo index)
    print(f"open (and upgrade): {time.perf_counter() - t:.1f} s")
    with db.read() as s:
        existing = s.scalar(sa.select(sa.func.count()).select_from(Person)) or 0
    if not existing:
        t = time.perf_counter()
        demo.generate(Context(db), args.people)
        print(f"demo --people {args.people:,}: {time.perf_counter() - t:.1f} s")
    with db.read() as s:
        worker = s.scalar(sa.select(Worker.id).where(Worker.username == "supervisora"))
        total = s.scalar(sa.select(sa.func.count()).select_from(Person))
        key_rows = s.scalar(sa.select(sa.func.count()).select_from(PersonKey))
        variant_rows = s.scalar(sa.select(sa.func.count()).select_from(NameVariant))
        tokens_known = s.scalar(
            sa.select(sa.func.count()).where(NameVariant.variant == NameVariant.token)
        )
    print(f"persons on record: {total:,}; person_key rows: {key_rows:,}")
    print(f"name_variant rows: {variant_rows:,} for {tokens_known:,} distinct name tokens")
    if size_before:
        print(f"file: {size_before / 2**20:.1f} MiB before opening")
    print(f"file: {path.stat().st_size / 2**20:.1f} MiB now")

    ctx = Context(db, worker)
    sent: list[tuple[str, Any]] = []

    @sa.event.listens_for(db.engine, "before_cursor_execute")
    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, params))

    raw = sqlite3.connect(str(path))
    raw.execute("PRAGMA query_only = 1")

    def replay(statements: list[tuple[str, Any]]) -> None:
        for statement, params in statements:
            raw.execute(statement, params).fetchall()

    print(
        f"\n{'search':28} {'n':>4} {'find p50':>9} {'p95':>7} {'raw p50':>8} {'p95':>7}"
        f" {'ratio':>6} {'screen p95':>10} {'found':>6}"
    )
    for kind, texts in probes(db, args.probes).items():
        if not texts:
            continue
        for text in texts[:20]:  # warm the caches
            persons.search_persons(ctx, text)
        finds, raws, screens, found = [], [], [], 0
        for text in texts:
            with db.read() as s:
                sent.clear()
                start = time.perf_counter()
                hits = search.find(s, text, 30)
                finds.append((time.perf_counter() - start) * 1000)
                statements = list(sent)
            found += bool(hits)
            raws.append(timed(lambda st=statements: replay(st)))  # type: ignore[misc]
            screens.append(timed(lambda tx=text: persons.search_persons(ctx, tx)))  # type: ignore[misc]
        f95, r95 = pct(finds, 95), pct(raws, 95)
        print(
            f"{kind:28} {len(texts):4} {statistics.median(finds):7.2f}ms {f95:5.2f}ms"
            f" {statistics.median(raws):6.2f}ms {r95:5.2f}ms {f95 / r95:5.2f}x"
            f" {pct(screens, 95):8.2f}ms {found / len(texts):6.0%}"
        )
    raw.close()


if __name__ == "__main__":
    main()
