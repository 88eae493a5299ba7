"""Search and intake candidates at office size, each beside the same SQL run raw.

For each kind of search (a surname typed whole, the start of one while typing, a surname
with one wrong letter, two names in any order, a surname and the first letters of a given
name, a document, a phone, a birth date) it times ``persons.search_persons`` (what the
search screen calls) and replays the very statements it sent, captured from the engine,
through a bare driver connection (``sqlite3`` or ``psycopg``) on the same database: the raw
lookup. Intake candidates (``candidates.intake_candidates``) are timed the same way, on a
desk's respelling of persons on record. Warm: each kind runs a few probes first.

Targets (issue #19): name search p95 <= 10 ms at 100k persons, <= 30 ms at 1M, and <= 2x
raw; intake candidates p95 <= 15 ms / <= 40 ms. `bench/run.py` calls `search_rows` and
`candidate_rows`; run directly, this prints the same rows.
Usage: python bench/search.py --db PATH-OR-URL [--label 100k] [--probes N]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from casework.db import CACHE_KIB, Database, open_database
from casework.models import IdentityDocument, Person, Worker
from casework.services import candidates, match_records, persons
from casework.services.context import Context
from casework.synthetic import demo
from casework.text import tokens

NAME_KINDS = (
    "surname whole",
    "surname, first 4 letters",
    "surname, one wrong letter",
    "two names, any order",
    "surname + 2 letters of a name",
)
OTHER_KINDS = ("document", "phone", "birth date dd-mm-aaaa")
KINDS = NAME_KINDS + OTHER_KINDS
SEARCH_MS = {"100k": 10.0, "1m": 30.0}
CANDIDATES_MS = {"100k": 15.0, "1m": 40.0}
WARM = 20


def probes(db: Database, n: int, seed: int = 7) -> dict[str, list[str]]:
    """What a worker would type to find ``n`` random persons on record, by kind."""
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
        out["surname whole"].append(p.first_surname)
        out["surname, first 4 letters"].append(surname[:4])
        if len(surname) >= 5:
            i = rng.randrange(1, len(surname))
            wrong = rng.choice([c for c in "aeioulnrstm" if c != surname[i]])
            out["surname, one wrong letter"].append(surname[:i] + wrong + surname[i + 1 :])
        out["two names, any order"].append(f"{surname} {given}")
        out["surname + 2 letters of a name"].append(f"{surname} {given[:2]}")
        if p.id in docs:
            out["document"].append(docs[p.id])
        if p.phone:
            out["phone"].append(p.phone)
        if p.birth_date and p.birth_date_precision == "exact":
            out["birth date dd-mm-aaaa"].append(p.birth_date.strftime("%d-%m-%Y"))
    return out


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def backend(db: Database) -> str:
    return "SQLite" if db.is_sqlite else "PostgreSQL"


def raw_connection(db: Database) -> Any:
    """A bare driver connection to the same database, outside SQLAlchemy."""
    if db.is_sqlite:
        conn = sqlite3.connect(str(db.file_path))
        conn.execute("PRAGMA query_only = 1")
        conn.execute(f"PRAGMA cache_size = {CACHE_KIB}")  # the app's page cache: a fair race
        return conn
    import psycopg

    url = db.engine.url.set(drivername="postgresql")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


class Replay:
    """Captures the SELECTs the engine sends during a call, then replays them raw."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sent: list[tuple[str, Any]] = []
        self.raw = raw_connection(db)

    def _capture(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.sent.append((statement, params))

    @contextmanager
    def capturing(self) -> Iterator[None]:
        sa.event.listen(self.db.engine, "before_cursor_execute", self._capture)
        try:
            yield
        finally:
            sa.event.remove(self.db.engine, "before_cursor_execute", self._capture)

    def timed(self, call: Callable[[], object]) -> tuple[float, float, object]:
        """(ms of ``call``, ms of its SELECTs replayed raw, what it returned)."""
        self.sent.clear()
        with self.capturing():
            start = time.perf_counter()
            result = call()
            took = (time.perf_counter() - start) * 1000
        statements = list(self.sent)
        start = time.perf_counter()
        for statement, params in statements:
            self.raw.execute(statement, params).fetchall()
        return took, (time.perf_counter() - start) * 1000, result

    def close(self) -> None:
        self.raw.close()


def figure_row(
    figure: str,
    measured: float,
    baseline: float | None,
    baseline_name: str,
    target: str,
    passed: bool | None,
    unit: str = "ms",
) -> dict[str, Any]:
    return {
        "figure": figure,
        "measured": measured,
        "unit": unit,
        "baseline": baseline,
        "baseline_name": baseline_name,
        "target": target,
        "passed": passed,
    }


def _worker(db: Database, username: str) -> Any:
    with db.read() as s:
        return s.scalar(sa.select(Worker.id).where(Worker.username == username))


def search_rows(db_url: str, label: str, n_probes: int = 300) -> list[dict[str, Any]]:
    """p50 and p95 of each kind of search beside its SQL replayed raw. ``db_url``: a path
    or a URL; ``label``: the size ("100k", "1m"), which picks the target."""
    db = open_database(db_url, upgrade=False)
    ctx = Context(db, _worker(db, "supervisora"))
    replay = Replay(db)
    limit = SEARCH_MS.get(label)
    rows = []
    try:
        for kind, texts in probes(db, n_probes).items():
            if not texts:
                continue
            for text in texts[:WARM]:
                persons.search_persons(ctx, text)
            screens, raws, found = [], [], 0
            for text in texts:
                took, raw, hits = replay.timed(lambda tx=text: persons.search_persons(ctx, tx))  # type: ignore[misc]
                screens.append(took)
                raws.append(raw)
                found += bool(hits)
            where = f"{label}, {backend(db)}"
            p95, r95 = pct(screens, 95), pct(raws, 95)
            name = kind in NAME_KINDS
            target = f"≤ {limit:g} ms and ≤ 2× raw" if limit else "≤ 2× raw"
            rows.append(
                figure_row(
                    f"search p95 {kind}, {where}",
                    p95,
                    r95,
                    f"its SQL replayed raw ({len(texts)} probes, {found / len(texts):.0%} found)",
                    target if name else "(no target)",
                    (p95 <= (limit or p95) and p95 <= 2 * r95) if name else None,
                )
            )
            if name:
                rows.append(
                    figure_row(
                        f"search p50 {kind}, {where}",
                        statistics.median(screens),
                        statistics.median(raws),
                        "its SQL replayed raw",
                        "(p95 holds the target)",
                        None,
                    )
                )
    finally:
        replay.close()
        db.dispose()
    return rows


def candidate_rows(db_url: str, label: str, n_probes: int = 500) -> list[dict[str, Any]]:
    """Intake candidates p95, warm (frequencies counted), on a desk's respelling of
    persons on record, beside the statements it sent replayed raw."""
    db = open_database(db_url, upgrade=False)
    ctx = Context(db, _worker(db, "demo"))
    replay = Replay(db)
    rng = random.Random(7)
    try:
        with db.read() as s:
            people = s.execute(
                sa.select(
                    Person.id,
                    Person.given_names,
                    Person.first_surname,
                    Person.second_surname,
                    Person.birth_date,
                    Person.sex,
                )
                .where(Person.merged_into_id.is_(None))
                .order_by(sa.func.random())
                .limit(n_probes)
            ).all()
        records = []
        for p in people:
            v = demo.desk_variant(rng, p._asdict())
            records.append(
                match_records.record_of(
                    "probe",
                    v["given_names"],
                    v["first_surname"],
                    v["second_surname"],
                    v["birth_date"],
                    p.sex,
                    None,
                )
            )
        candidates.warm(ctx)
        for rec in records[:WARM]:
            candidates.intake_candidates(ctx, rec)
        took, raws, top5 = [], [], 0
        for p, rec in zip(people, records, strict=True):
            ms, raw, found = replay.timed(lambda r=rec: candidates.intake_candidates(ctx, r))  # type: ignore[misc]
            took.append(ms)
            raws.append(raw)
            top5 += any(c.person.id == p.id for c in found)  # type: ignore[attr-defined]
    finally:
        replay.close()
        db.dispose()
    limit = CANDIDATES_MS.get(label)
    p95, r95 = pct(took, 95), pct(raws, 95)
    return [
        figure_row(
            f"intake candidates p95, {label}, {backend(db)}",
            p95,
            r95,
            f"its SQL replayed raw ({len(took)} respellings, true person in top 5:"
            f" {top5 / len(took):.1%})",
            f"≤ {limit:g} ms" if limit else "(no target)",
            p95 <= limit if limit else None,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="a demo database (path or URL)")
    parser.add_argument("--label", default="100k", help="its size: 100k or 1m (the target)")
    parser.add_argument("--probes", type=int, default=300)
    args = parser.parse_args()
    for row in search_rows(args.db, args.label, args.probes) + candidate_rows(args.db, args.label):
        base = f"{row['baseline']:.2f}" if row["baseline"] is not None else "-"
        print(f"{row['figure']:60} {row['measured']:8.2f} {base:>8}  {row['target']}")


if __name__ == "__main__":
    main()
