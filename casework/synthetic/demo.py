"""The demo database: synthetic Migrant Office casework for demos, screenshots and benchmarks.
No real person in it.

Rows are written in bulk so that 100,000 persons take well under a minute: on a SQLite file
a second process (casework.synthetic.sqlite_bulk) inserts them while this one makes the next ones.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from casework import clock, refdata
from casework.errors import Conflict
from casework.ids import Uuid7Sequence, uuid7
from casework.models import (
    AuditEvent,
    Case,
    Consent,
    Contact,
    FollowUp,
    Guidance,
    GuidanceItem,
    IdentityDocument,
    MigrationStatusRecord,
    Note,
    OfficeSetting,
    Person,
    PersonKey,
    PersonLanguage,
    Programme,
    Referral,
    ReferralEvent,
    Worker,
)
from casework.models.enums import REFERRAL_TRANSITIONS, ReferralStatus, Role
from casework.services import keys
from casework.services.context import Context
from casework.services.match_records import record_of, refresh_totals, stored_keys
from casework.services.settings import MUNICIPALITY_KEY
from casework.synthetic import pg_bulk, sqlite_bulk
from casework.synthetic.documents import run_text
from casework.synthetic.population import (
    LANGUAGES,
    NATIONALITY_WEIGHTS,
    demo_person,
    weighted,
)
from casework.synthetic.records import desk_variant
from casework.text import alnum_upper

STATUS_WEIGHTS = {
    "no_permit": 36,
    "transit_expired": 14,
    "temporary_in_process": 16,
    "temporary": 12,
    "temporary_expired": 6,
    "permanent_in_process": 3,
    "permanent": 5,
    "refugee_applicant": 4,
    "refugee": 1,
    "unknown": 3,
}
REASONS = (
    "regularization",
    "regularization",
    "regularization",
    "health",
    "education",
    "housing",
    "work",
    "documentation",
    "social_aid",
    "children",
    "violence",
    "refuge",
)
NOTES = (
    "Consulta por pasos para solicitar residencia temporal; se explican requisitos.",
    "Viene acompañada de su hijo; necesita inscripción en CESFAM.",
    "Pregunta por matrícula escolar; se orienta sobre IPE.",
    "Refiere arriendo abusivo; se orienta sobre subsidio de arriendo.",
    "Solicita información sobre certificado de residencia en trámite vencido.",
    "Se revisa documentación; falta certificado de antecedentes apostillado.",
    "Seguimiento telefónico; no contesta.",
    "Busca trabajo formal; se deriva a OMIL.",
)
PROGRAMMES = (
    ("OFMIG", "Oficina de Migrantes"),
    ("OMIL", "Oficina Municipal de Intermediación Laboral"),
    ("CMUJER", "Centro de la Mujer"),
    ("CHCC", "Chile Crece Contigo"),
)
WORKERS = (
    ("demo", "Daniela Fuentes Araya", Role.WORKER, "OFMIG"),
    ("supervisora", "Carolina Reyes Pizarro", Role.SUPERVISOR, "OFMIG"),
    ("admin", "Administración Casework", Role.ADMIN, "OFMIG"),
    ("jmunoz", "Javier Muñoz Soto", Role.WORKER, "OFMIG"),
    ("pcontreras", "Paula Contreras Vidal", Role.WORKER, "OFMIG"),
    ("rsilva", "Rodrigo Silva Tapia", Role.WORKER, "OMIL"),
    ("mvaldes", "Macarena Valdés Ortiz", Role.WORKER, "CMUJER"),
    ("fnavarro", "Fernanda Navarro Gómez", Role.WORKER, "CHCC"),
)
REFERRAL_FINAL_WEIGHTS = {
    "draft": 3,
    "requested": 18,
    "accepted": 8,
    "in-progress": 8,
    "on-hold": 3,
    "completed": 35,
    "rejected": 8,
    "cancelled": 6,
    "failed": 6,
    "entered-in-error": 1,
}
PATHS = {
    "requested": ("requested",),
    "accepted": ("requested", "accepted"),
    "in-progress": ("requested", "accepted", "in-progress"),
    "on-hold": ("requested", "on-hold"),
    "completed": ("requested", "accepted", "in-progress", "completed"),
    "rejected": ("requested", "rejected"),
    "cancelled": ("requested", "cancelled"),
    "failed": ("requested", "accepted", "failed"),
    "entered-in-error": ("entered-in-error",),
}
CHUNK = 5_000

PERSON_T: sa.Table = Person.__table__  # type: ignore[assignment]
IDENTITYDOCUMENT_T: sa.Table = IdentityDocument.__table__  # type: ignore[assignment]
PERSONLANGUAGE_T: sa.Table = PersonLanguage.__table__  # type: ignore[assignment]
MIGRATIONSTATUSRECORD_T: sa.Table = MigrationStatusRecord.__table__  # type: ignore[assignment]
CONSENT_T: sa.Table = Consent.__table__  # type: ignore[assignment]
PERSONKEY_T: sa.Table = PersonKey.__table__  # type: ignore[assignment]
CASE_T: sa.Table = Case.__table__  # type: ignore[assignment]
CONTACT_T: sa.Table = Contact.__table__  # type: ignore[assignment]
NOTE_T: sa.Table = Note.__table__  # type: ignore[assignment]
GUIDANCE_T: sa.Table = Guidance.__table__  # type: ignore[assignment]
GUIDANCEITEM_T: sa.Table = GuidanceItem.__table__  # type: ignore[assignment]
REFERRAL_T: sa.Table = Referral.__table__  # type: ignore[assignment]
REFERRALEVENT_T: sa.Table = ReferralEvent.__table__  # type: ignore[assignment]
FOLLOWUP_T: sa.Table = FollowUp.__table__  # type: ignore[assignment]
TABLE_ORDER = (
    PERSON_T,
    IDENTITYDOCUMENT_T,
    PERSONLANGUAGE_T,
    MIGRATIONSTATUSRECORD_T,
    CONSENT_T,
    PERSONKEY_T,
    CASE_T,
    CONTACT_T,
    NOTE_T,
    GUIDANCE_T,
    GUIDANCEITEM_T,
    REFERRAL_T,
    REFERRALEVENT_T,
    FOLLOWUP_T,
)
"""Parents before children, so every flushed chunk satisfies its foreign keys."""


def _same(value: Any) -> Any:
    return value


# Value codecs. Rows are built in storage form: on SQLite the exact text SQLAlchemy's
# types would store (UUID hex, naive UTC timestamps, JSON text), so they go to the driver
# as they are; elsewhere Python values, and a Core insert converts them.
NEWID: Callable[[], Any] = Uuid7Sequence()
T: Callable[[Any], Any] = _same
D: Callable[[Any], Any] = _same
J: Callable[[Any], Any] = _same
B: Callable[[Any], Any] = _same


def _sqlite_ts(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not dt.UTC and value.utcoffset():
        value = value.astimezone(dt.UTC)
    # Every demo time derives from the UTC clock: cut the "+00:00" instead of converting.
    return value.isoformat(" ", "microseconds")[:26]


def _use_codecs(sqlite: bool) -> None:
    global NEWID, T, D, J, B
    ids = Uuid7Sequence()
    if sqlite:
        NEWID, T, J = ids.hex, _sqlite_ts, json.dumps
        D = lambda v: None if v is None else v.isoformat()  # noqa: E731
        B = lambda v: None if v is None else int(v)  # noqa: E731
    else:
        NEWID, T, D, J, B = ids, _same, _same, _same, _same


@dataclass
class DemoReport:
    people: int = 0
    duplicates: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _claim(w: _Writer, type_key: str, norm: str) -> str | None:
    """The first live record of a number claims it (``IdentityDocument.live_key``)."""
    if (type_key, norm) in w.claimed:
        return None
    w.claimed.add((type_key, norm))
    return norm


class _Writer:
    """Buffers rows per table and hands them, a chunk at a time, to a sink, parents first.

    On PostgreSQL the sink is a Core insert on the caller's connection. On SQLite rows are
    built in storage form (UUID hex, naive UTC text, JSON text) and go to the driver as
    they are: for a plain file a second process inserts them on the other core while this
    one makes the next rows (a thread would fight this one for the GIL); for an encrypted or
    in-memory database they are inserted here, on the caller's connection.
    """

    def __init__(self, sink: _Sink, order: list[sa.Table]) -> None:
        self.sink = sink
        self.buffers: dict[sa.Table, list[dict[str, Any]]] = {tbl: [] for tbl in order}
        self.claimed: set[tuple[str, str]] = set()
        """(type, number) already held live: a respelled copy's document claims nothing."""
        self.counts: dict[str, int] = {}

    def add(self, table: sa.Table, row: dict[str, Any]) -> None:
        buf = self.buffers[table]
        buf.append(row)
        if len(buf) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        for tbl, rows in self.buffers.items():
            if rows:
                self.sink.put(tbl, rows)
                self.counts[tbl.name] = self.counts.get(tbl.name, 0) + len(rows)
                self.buffers[tbl] = []

    def close(self) -> None:
        self.flush()
        self.sink.close()


class _Sink(Protocol):
    def put(self, table: sa.Table, rows: list[dict[str, Any]]) -> None: ...

    def close(self) -> None: ...


class _CopySink:
    """PostgreSQL: COPY on the caller's connection, indexes built once at the end."""

    def __init__(self, conn: sa.Connection, tables: list[sa.Table]) -> None:
        self.load = pg_bulk.CopyLoad(conn, tables)

    def put(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        self.load.insert(table, rows)

    def close(self) -> None:
        self.load.finish()


def _driver_chunk(table: sa.Table, rows: list[dict[str, Any]]) -> tuple[str, list[tuple[Any, ...]]]:
    """Rows in storage form as one driver-level ``executemany``: the SQL and the tuples."""
    names = ", ".join(rows[0])
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(rows[0]))})'
    return sql, [tuple(r.values()) for r in rows]


class _InlineSink:
    """SQLite on the caller's connection (an encrypted or in-memory database)."""

    def __init__(self, conn: sa.Connection, tables: list[str]) -> None:
        self.load = sqlite_bulk.BulkLoad(conn.connection.dbapi_connection, tables, rebuild=tables)

    def put(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        self.load.insert(*_driver_chunk(table, rows))

    def close(self) -> None:
        self.load.finish()


class _ProcessSink:
    """SQLite rows written by a process of its own (``sqlite_bulk``), through a pipe."""

    def __init__(self, path: Path, tables: list[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "casework.synthetic.sqlite_bulk", str(path), *tables],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.process.stdin is not None
        self.pipe = self.process.stdin

    def put(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        try:
            sqlite_bulk.write_frame(self.pipe, _driver_chunk(table, rows))
        except OSError:  # the writer died: close() says why
            self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            sqlite_bulk.write_frame(self.pipe, None)
            self.pipe.close()
        assert self.process.stdout is not None
        answer = self.process.stdout.read()
        self.process.wait()
        try:
            outcome = json.loads(answer)
        except ValueError:
            outcome = {"outcome": "error", "detail": f"exit status {self.process.returncode}"}
        if outcome["outcome"] == "not_empty":
            raise Conflict("demo_needs_empty")
        if outcome["outcome"] != "ok":
            raise RuntimeError(f"demo data not written: {outcome['detail']}")


def generate(
    ctx: Context,
    people: int,
    *,
    seed: int = 2026,
    duplicate_rate: float = 0.03,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoReport:
    """Fill an empty database with ``people`` synthetic persons and their casework."""
    import time

    started = time.perf_counter()
    rng = random.Random(seed)
    today = today or clock.today()
    now = clock.now()
    report = DemoReport()
    sqlite = ctx.db.is_sqlite
    _use_codecs(sqlite)
    with ctx.db.engine.begin() as conn:
        if conn.scalar(sa.select(sa.func.count()).select_from(Person.__table__)):
            raise Conflict("demo_needs_empty")
        prog_ids, worker_ids = _organisation(conn)
    admin_id = worker_ids["admin"]
    if sqlite:
        prog_ids = {k: v.hex for k, v in prog_ids.items()}
        worker_ids = {k: v.hex for k, v in worker_ids.items()}
    desk_workers = [
        worker_ids[u] for u, _, role, code in WORKERS if role is not Role.ADMIN and code == "OFMIG"
    ]
    other_programmes = [
        (prog_ids[code], worker_ids[u]) for u, _, _, code in WORKERS if code != "OFMIG"
    ]
    order = list(TABLE_ORDER)
    tables = [tbl.name for tbl in order]
    with contextlib.ExitStack() as stack:
        path = ctx.db.file_path
        sink: _Sink
        if sqlite and path is not None and not ctx.db.encrypted:
            sink = _ProcessSink(path, tables)
        else:
            conn = stack.enter_context(ctx.db.engine.begin())
            if sqlite:
                conn.exec_driver_sql("PRAGMA cache_size = -400000")  # 400 MB while loading
                sink = _InlineSink(conn, tables)
            else:
                sink = _CopySink(conn, order)
        writer = _Writer(sink, order)
        pick_nat = weighted(rng, NATIONALITY_WEIGHTS)
        pick_status = weighted(rng, STATUS_WEIGHTS)
        pick_ref = weighted(rng, REFERRAL_FINAL_WEIGHTS)
        destinations = [d for d in refdata.destinations() if d.key != "other"]
        routes = list(refdata.routes())
        run_body = 24_000_000
        produced = 0
        pending_dupes: list[dict[str, Any]] = []
        while produced < people:
            if pending_dupes and rng.random() < 0.5:
                person = pending_dupes.pop()
                report.duplicates += 1
            else:
                person = demo_person(rng, pick_nat, today, NEWID)
                if rng.random() < 0.45 and person["age"] >= 18:
                    run_body += rng.randrange(1, 40)
                    person["docs"].append(("run", run_text(run_body)))
                if rng.random() < duplicate_rate:
                    pending_dupes.append(desk_variant(rng, person, NEWID))
            _write_person(
                writer,
                rng,
                person,
                now,
                today,
                pick_status,
                desk_workers,
                other_programmes,
                prog_ids,
                pick_ref,
                destinations,
                routes,
            )
            produced += 1
            if progress is not None and produced % 1000 == 0:
                progress(produced, people)
        writer.close()
    with ctx.db.engine.begin() as conn:
        keys.fill_vocabulary(conn)  # the typo index of the names just loaded
        refresh_totals(conn)  # the duplicate matcher's denominators
        conn.execute(
            sa.insert(AuditEvent),
            [
                {
                    "id": uuid7(),
                    "at": now,
                    "worker_id": admin_id,
                    "action": "demo",
                    "entity": "database",
                    "entity_id": None,
                    "person_id": None,
                    "details": {"people": people, "seed": seed},
                }
            ],
        )
    report.rows = dict(writer.counts)
    report.people = produced
    report.seconds = time.perf_counter() - started
    if progress is not None:
        progress(people, people)
    return report


DEMO_MUNICIPALITY = "13101"
"""Santiago's CUT code: the demo office's municipality on record."""
DEMO_PASSWORD = "casework-demo"
"""Password of every demo worker but "demo" itself (synthetic data only)."""


def _organisation(conn: sa.Connection) -> tuple[dict[str, Any], dict[str, Any]]:
    from casework.services.auth import hash_password

    demo_hash = hash_password(DEMO_PASSWORD)
    prog_ids: dict[str, Any] = dict(conn.execute(sa.select(Programme.code, Programme.id)).all())
    for code, name in PROGRAMMES:
        if code not in prog_ids:
            prog_ids[code] = uuid7()
            conn.execute(
                sa.insert(Programme),
                [
                    {
                        "id": prog_ids[code],
                        "code": code,
                        "name": name,
                        "active": True,
                        "created_at": clock.now(),
                    }
                ],
            )
    worker_ids: dict[str, Any] = dict(conn.execute(sa.select(Worker.username, Worker.id)).all())
    for username, full_name, role, code in WORKERS:
        if username not in worker_ids:
            worker_ids[username] = uuid7()
            conn.execute(
                sa.insert(Worker),
                [
                    {
                        "id": worker_ids[username],
                        "username": username,
                        "full_name": full_name,
                        "role": role.value,
                        "programme_id": prog_ids[code],
                        "active": True,
                        "created_at": clock.now(),
                        "last_seen_at": None,
                        # The desk worker opens without a prompt; the others sign in with
                        # the documented demo password, to try supervisor and admin screens.
                        "password_hash": None if username == "demo" else demo_hash,
                    }
                ],
            )
    # The demo office is Santiago's: its Panel statistics can be exported at once.
    if (
        conn.scalar(sa.select(OfficeSetting.value).where(OfficeSetting.key == MUNICIPALITY_KEY))
        is None
    ):
        conn.execute(
            sa.insert(OfficeSetting),
            [{"key": MUNICIPALITY_KEY, "value": DEMO_MUNICIPALITY, "updated_at": clock.now()}],
        )
    return prog_ids, worker_ids


def _when(rng: random.Random, now: dt.datetime, max_days: int = 540) -> dt.datetime:
    return now - dt.timedelta(days=rng.randrange(max_days), minutes=rng.randrange(8 * 60))


def _write_person(
    w: _Writer,
    rng: random.Random,
    p: dict[str, Any],
    now: dt.datetime,
    today: dt.date,
    pick_status: Callable[[], str],
    desk_workers: list[uuid.UUID],
    other_programmes: list[tuple[uuid.UUID, uuid.UUID]],
    prog_ids: dict[str, uuid.UUID],
    pick_ref: Callable[[], str],
    destinations: list[refdata.Destination],
    routes: list[refdata.Route],
) -> None:
    pid = p["id"]
    worker = rng.choice(desk_workers)
    first_seen = _when(rng, now)
    first_seen_text = T(first_seen)
    status = pick_status() if p["nationality"] != "CHL" else "chilean"
    if status not in {c.key for c in refdata.MIGRATION_STATUSES}:
        status = "unknown"
    w.add(
        PERSON_T,
        {
            "id": pid,
            "created_at": first_seen_text,
            "updated_at": first_seen_text,
            "given_names": p["given_names"],
            "first_surname": p["first_surname"],
            "second_surname": p["second_surname"],
            "social_name": None,
            "sex": p["sex"],
            "gender_identity": None,
            "birth_date": D(p["birth_date"]),
            "birth_date_precision": "exact" if p["birth_date"] else "unknown",
            "nationality": p["nationality"],
            "birth_country": p["nationality"],
            "phone": p["phone"],
            "phone2": None,
            "email": None,
            "address": None,
            "commune_code": p["commune"],
            "civil_status": None,
            "schooling": None,
            "interpreter_needed": B(p["nationality"] in ("HTI", "CHN") and rng.random() < 0.6),
            "arrival_date": D(first_seen.date() - dt.timedelta(days=rng.randrange(30, 2000))),
            "current_status": status,
            "stats_opt_out": B(rng.random() < 0.01),
            "sort_name": keys.sort_name(p["first_surname"], p["second_surname"], p["given_names"]),
            "external_refs": J([]),
            "created_by": worker,
            "merged_into_id": None,
        },
    )
    norms = []
    for type_key, number in p["docs"]:
        norm = number if type_key == "run" else alnum_upper(number)
        norms.append(norm)
        w.add(
            IDENTITYDOCUMENT_T,
            {
                "id": NEWID(),
                "created_at": first_seen_text,
                "person_id": pid,
                "type_key": type_key,
                "number": number,
                "number_norm": norm,
                "live_key": _claim(w, type_key, norm),
                "issuing_country": None,
                "expires_on": D(None),
            },
        )
    for i, code in enumerate(LANGUAGES.get(p["nationality"], ("es",))):
        w.add(
            PERSONLANGUAGE_T,
            {"id": NEWID(), "person_id": pid, "code": code, "is_primary": B(i == 0)},
        )
    w.add(
        MIGRATIONSTATUSRECORD_T,
        {
            "id": NEWID(),
            "person_id": pid,
            "status": status,
            "subcategory": None,
            "dependent": B(None),
            "valid_until": D(None),
            "sermig_application": None,
            "certificate_expires_on": D(None),
            "entry_date": D(None),
            "entry_authorised": B(status not in ("no_permit",)),
            "tum": B(None),
            "voluntary_declaration_on": D(None),
            "biometric_registration": B(None),
            "expulsion_order": B(status == "no_permit" and rng.random() < 0.03),
            "refuge_requested": B(status.startswith("refugee")),
            "note": None,
            "recorded_at": first_seen_text,
            "recorded_by": worker,
        },
    )
    w.add(
        CONSENT_T,
        {
            "id": NEWID(),
            "person_id": pid,
            "purpose": "case_management",
            "destination_key": None,
            "granted": B(True),
            "given_by": "person" if p["age"] >= 14 else "representative",
            "representative_name": None if p["age"] >= 14 else "Madre",
            "language": "ht" if p["nationality"] == "HTI" else "es",
            "notice_version": "1",
            "recorded_at": first_seen_text,
            "recorded_by": worker,
            "revoked_at": T(None),
        },
    )
    person_keys = keys.person_keys(
        p["given_names"],
        p["first_surname"],
        p["second_surname"],
        None,
        zip((d[0] for d in p["docs"]), norms, strict=True),
    )
    person_keys |= stored_keys(
        record_of(
            pid,
            p["given_names"],
            p["first_surname"],
            p["second_surname"],
            p["birth_date"],
            p["sex"],
            p["nationality"],
            zip((d[0] for d in p["docs"]), norms, strict=True),
            (p["phone"],),
        )
    )
    for kind, key in person_keys:
        w.add(PERSONKEY_T, {"person_id": pid, "kind": kind, "key": key})
    programmes = [(prog_ids["OFMIG"], worker)]
    if rng.random() < 0.15:
        programmes.append(rng.choice(other_programmes))
    for prog, pw in programmes:
        case_id = NEWID()
        n_contacts = 1 + int(rng.expovariate(0.9))
        times = sorted(
            [first_seen]
            + [first_seen + (now - first_seen) * rng.random() for _ in range(n_contacts - 1)]
        )
        closed = rng.random() < 0.2 and times[-1] < now - dt.timedelta(days=60)
        w.add(
            CASE_T,
            {
                "id": case_id,
                "person_id": pid,
                "programme_id": prog,
                "worker_id": pw,
                "status": "closed" if closed else "open",
                "priority": 2,
                "flags": J(["children"] if p["age"] < 18 else []),
                "opened_at": T(times[0]),
                "closed_at": T(times[-1] + dt.timedelta(days=30) if closed else None),
                "closing_reason": "Objetivos cumplidos" if closed else None,
                "last_activity_at": T(times[-1]),
            },
        )
        for i, at in enumerate(times):
            w.add(
                CONTACT_T,
                {
                    "id": NEWID(),
                    "created_at": T(at),
                    "person_id": pid,
                    "case_id": case_id,
                    "worker_id": pw,
                    "programme_id": prog,
                    "kind": "intake" if i == 0 else "follow_up",
                    "channel": "desk" if rng.random() < 0.8 else "phone",
                    "occurred_at": T(at),
                    "reasons": J(rng.sample(REASONS, k=rng.randint(1, 2))),
                    "note": rng.choice(NOTES) if rng.random() < 0.6 else None,
                    "interpreter_language": "ht"
                    if p["nationality"] == "HTI" and rng.random() < 0.5
                    else None,
                },
            )
        if rng.random() < 0.1:
            w.add(
                NOTE_T,
                {
                    "id": NEWID(),
                    "created_at": T(times[-1]),
                    "person_id": pid,
                    "case_id": case_id,
                    "worker_id": pw,
                    "text": rng.choice(NOTES),
                },
            )
    case_id = None
    if routes and rng.random() < 0.4:
        _guidance(w, rng, pid, worker, first_seen, now, today, routes)
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
        _referral(w, rng, pid, worker, first_seen, now, today, pick_ref, destinations, case_id)
    if rng.random() < 0.15:
        due = today + dt.timedelta(days=rng.randint(-20, 30))
        w.add(
            FOLLOWUP_T,
            {
                "id": NEWID(),
                "created_at": first_seen_text,
                "person_id": pid,
                "case_id": None,
                "referral_id": None,
                "guidance_id": None,
                "worker_id": worker,
                "due_on": D(due),
                "what": "Llamar para saber si obtuvo hora en el CESFAM",
                "status": "pending",
                "completed_at": T(None),
                "outcome": None,
            },
        )


def _guidance(
    w: _Writer,
    rng: random.Random,
    pid: uuid.UUID,
    worker: uuid.UUID,
    first_seen: dt.datetime,
    now: dt.datetime,
    today: dt.date,
    routes: list[refdata.Route],
) -> None:
    route = rng.choice(routes)
    gid = NEWID()
    at = first_seen + (now - first_seen) * rng.random() * 0.5
    w.add(
        GUIDANCE_T,
        {
            "id": gid,
            "created_at": T(at),
            "person_id": pid,
            "case_id": None,
            "worker_id": worker,
            "route_id": route.id,
            "sermig_application": f"{rng.randrange(10**7, 10**8)}" if rng.random() < 0.4 else None,
            "next_step": None,
            "next_step_on": D(None),
            "closed": B(False),
        },
    )
    states = ("explained", "gathered", "submitted", "resolved")
    reached = rng.randrange(len(states) + 1)
    items = [(f"step:{s.key}", "step") for s in route.steps] + [
        (f"doc:{d.key}", "document") for d in route.documents
    ]
    for pos, (key, kind) in enumerate(items):
        state = (
            states[min(reached, len(states)) - 1] if reached and rng.random() < 0.8 else "pending"
        )
        w.add(
            GUIDANCEITEM_T,
            {
                "id": NEWID(),
                "guidance_id": gid,
                "item_key": key,
                "kind": kind,
                "position": pos,
                "state": state,
                "updated_at": T(at),
                "updated_by": worker,
            },
        )
    if route.deadlines and rng.random() < 0.5:
        deadline = rng.choice(route.deadlines)
        due = today + dt.timedelta(days=rng.randint(-15, deadline.days))
        w.add(
            FOLLOWUP_T,
            {
                "id": NEWID(),
                "created_at": T(at),
                "person_id": pid,
                "case_id": None,
                "referral_id": None,
                "guidance_id": gid,
                "worker_id": worker,
                "due_on": D(due),
                "what": deadline.text_es[:300],
                "status": "pending",
                "completed_at": T(None),
                "outcome": None,
            },
        )


def _referral(
    w: _Writer,
    rng: random.Random,
    pid: uuid.UUID,
    worker: uuid.UUID,
    first_seen: dt.datetime,
    now: dt.datetime,
    today: dt.date,
    pick_ref: Callable[[], str],
    destinations: list[refdata.Destination],
    case_id: uuid.UUID | None,
) -> None:
    dest = rng.choice(destinations)
    final = pick_ref()
    rid = NEWID()
    created = first_seen + (now - first_seen) * rng.random()
    path = PATHS.get(final, ())
    t = created
    events: list[tuple[str | None, str, dt.datetime]] = [(None, "draft", t)]
    prev = "draft"
    requested_at = completed_at = None
    for step in path:
        assert (
            ReferralStatus(step) in REFERRAL_TRANSITIONS[ReferralStatus(prev)]
            or step == "entered-in-error"
        )
        t = t + (now - t) * rng.random() * 0.5
        events.append((prev, step, t))
        if step == "requested":
            requested_at = t
        if step == "completed":
            completed_at = t
        prev = step
    outcome = {
        "completed": rng.choice(("resolved", "resolved", "partially_resolved")),
        "rejected": "not_eligible",
        "failed": rng.choice(("no_show", "no_response")),
        "cancelled": "withdrawn",
    }.get(final)
    declined_by = rng.choice(("person", "provider")) if final == "rejected" else None
    w.add(
        REFERRAL_T,
        {
            "id": rid,
            "created_at": T(created),
            "person_id": pid,
            "case_id": case_id,
            "worker_id": worker,
            "service_area": dest.service_area,
            "destination_key": dest.key,
            "reason": f"Derivación a {dest.name_es}",
            "urgency": "urgent" if rng.random() < 0.1 else "normal",
            "status": final,
            "outcome": outcome,
            "declined_by": declined_by,
            "decline_reason": "No cumple requisitos de residencia" if declined_by else None,
            "requested_at": T(requested_at),
            "completed_at": T(completed_at),
            "consent_override_by": None,
            "updated_at": T(t),
        },
    )
    w.add(
        CONSENT_T,
        {
            "id": NEWID(),
            "person_id": pid,
            "purpose": "share_with_destination",
            "destination_key": dest.key,
            "granted": B(True),
            "given_by": "person",
            "representative_name": None,
            "language": "es",
            "notice_version": "1",
            "recorded_at": T(created),
            "recorded_by": worker,
            "revoked_at": T(None),
        },
    )
    for frm, to, at in events:
        w.add(
            REFERRALEVENT_T,
            {
                "id": NEWID(),
                "referral_id": rid,
                "from_status": frm,
                "to_status": to,
                "at": T(at),
                "worker_id": worker,
                "note": None,
            },
        )
    if requested_at is not None:
        due = requested_at.date() + dt.timedelta(days=14)
        still_open = final in ("requested", "accepted", "in-progress", "on-hold")
        closed_at = max(t, requested_at)

        def follow_up(due_on: dt.date, done: bool, outcome: str | None) -> None:
            w.add(
                FOLLOWUP_T,
                {
                    "id": NEWID(),
                    "created_at": T(requested_at),
                    "person_id": pid,
                    "case_id": case_id,
                    "referral_id": rid,
                    "guidance_id": None,
                    "worker_id": worker,
                    "due_on": D(due_on),
                    "what": f"Derivación a {dest.name_es}: ¿hubo respuesta?"[:300],
                    "status": "done" if done else "pending",
                    "completed_at": T(closed_at if done else None),
                    "outcome": outcome,
                },
            )

        if still_open and due < today - dt.timedelta(days=10) and rng.random() < 0.85:
            # A desk that keeps up: the first check was made, the next one is scheduled.
            follow_up(due, True, "Sigue en espera; se vuelve a consultar")
            due = today + dt.timedelta(days=rng.randint(-7, 21))
        follow_up(due, not still_open, None if still_open else "Respuesta recibida")
