"""The permission matrix (issue #12, point 5): every public service call × every kind of
actor, on one person of the OFMIG programme, expected allowed (A) or refused (R, a
NotAllowed). A refused call writes nothing (no audit row, no changed row); an allowed
per-person read writes its one view row. A public service call missing from the table
fails the test, and so does an entry for a call that no longer exists.

Columns, in order (the person is OFMIG's, with a case of the desk worker ``desk_own``):

- ``nobody``: no one signed in;          - ``gone``: a deactivated OFMIG desk worker;
- ``desk_own``: the person's own worker;  - ``desk_other``: an OMIL desk worker;
- ``sup_own``: OFMIG's supervisor;       - ``sup_other``: OMIL's supervisor;
- ``office``: an office-wide supervisor (of a third programme);  - ``admin``: the administrator.

``S`` marks a call whose outcome depends on the state, not the actor (setting up an empty
database): it is refused for every actor in this (set-up, non-empty) world, writing nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from casework import clock
from casework.db import Database
from casework.errors import CaseworkError, NotAllowed
from casework.models import AuditEvent, Base, Case, MatchPair, PersonMerge
from casework.services import (
    assignment,
    audit_log,
    auth,
    candidates,
    case_lifecycle,
    cases,
    catalogue,
    desk,
    duplicate_queue,
    followups,
    gate,
    guidance,
    import_visits,
    importing,
    match_records,
    merge,
    panel,
    person_edit,
    person_file,
    persons,
    referrals,
    reports,
    retention,
    rights,
    sessions,
    settings,
    staff,
    sync_conflicts,
    sync_pull,
)
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data, schedule_follow_up
from .test_read_gate import service_calls

COLUMNS = ("nobody", "gone", "desk_own", "desk_other", "sup_own", "sup_other", "office", "admin")

SIGNED_IN = "RRAAAAAA"
"""Any active signed-in worker: the desk's own work."""
GATED = "RRARARAR"
"""A read or a write of the person's file without a reason: their own worker, their
programme's supervisor and an office-wide supervisor (services/gate.py ``read_person``,
``write_person``)."""
SUPERVISES = "RRRRARAR"
"""Acting on the person: the supervisor of their programme, or an office-wide one."""
SUPERVISORS = "RRRRAAAR"
"""A supervisor's list, each in their own scope (another programme's sees its own)."""
ADMIN = "RRRRRRRA"
IMPORTERS = "RRRRAAAA"
"""Bringing in an office's lists: supervisors and the administrator (who sets the office up)."""
OPEN = "AAAAAAAA"
"""Before signing in: staff lookups and reference data only, no person's data."""
STATE = "SSSSSSSS"

PASSWORD = "una clave larga y buena"
NOW = dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)


@dataclass
class World:
    database: Database
    actors: dict[str, Context]
    admin: Context
    desk: Context
    sup: Context
    person_id: uuid.UUID
    case_id: uuid.UUID
    folder: Path
    serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def person(self) -> tuple[uuid.UUID, uuid.UUID]:
        """A fresh OFMIG person (case of ``desk``), for a call that changes or ends one."""
        n = next(self.serial)
        data = person_data(
            given_names=f"Persona{n:03d}", documents=[{"type": "passport", "number": f"MX{n:06d}"}]
        )
        made = persons.register_intake(self.desk, intake_data(data), allow_likely=True)
        return made.person_id, made.case_id

    def request(self, kind: str, person_id: uuid.UUID | None = None) -> uuid.UUID:
        pid = person_id or self.person()[0]
        req = rights.register(self.desk, {"person_id": pid, "kind": kind})
        if kind != "blocking":
            rights.confirm_identity(self.sup, req.id)
        return req.id


def _closed_case(w: World) -> uuid.UUID:
    case = w.person()[1]
    case_lifecycle.close(w.desk, case, {"outcome": "goal_reached"})
    return case


def _held_case(w: World) -> uuid.UUID:
    case = w.person()[1]
    case_lifecycle.hold(w.desk, case, {"reason": "Viaje"})
    return case


def _worker(
    admin: Context, username: str, programme: str, role: str, wide: bool = False
) -> Context:
    made = staff.create_worker(
        admin,
        {
            "username": username,
            "full_name": f"Persona {username}",
            "programme_code": programme,
            "role": role,
            "office_wide": wide,
        },
    )
    return Context(admin.db, made.id)


@pytest.fixture
def world(
    database: Database,
    admin: WorkerOut,
    worker: WorkerOut,
    supervisor: WorkerOut,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    # Passwords are hashed dozens of times here: a cheap argon2, the same code around it.
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    admin_ctx = Context(database, admin.id)
    settings.set_municipality(admin_ctx, {"code": "13101", "version": 0})
    desk = Context(database, worker.id)
    made = persons.register_intake(desk, intake_data())
    staff.create_programme(admin_ctx, {"code": "OMIL", "name": "OMIL"})
    # The office-wide supervisor's own programme is a third one: what she records (a case
    # of hers) must not put the person in OMIL's scope.
    staff.create_programme(admin_ctx, {"code": "DIR", "name": "Dirección"})
    gone = _worker(admin_ctx, "sefue", "OFMIG", "worker")
    assert gone.actor_id is not None
    staff.set_active(admin_ctx, gone.actor_id, False)
    actors = {
        "nobody": Context(database),
        "gone": gone,
        "desk_own": desk,
        "desk_other": _worker(admin_ctx, "omil", "OMIL", "worker"),
        "sup_own": Context(database, supervisor.id),
        "sup_other": _worker(admin_ctx, "supomil", "OMIL", "supervisor"),
        "office": _worker(admin_ctx, "jefa", "DIR", "supervisor", wide=True),
        "admin": admin_ctx,
    }
    return World(
        database,
        actors,
        admin_ctx,
        desk,
        actors["sup_own"],
        made.person_id,
        made.case_id,
        tmp_path,
    )


# How to call each service ----------------------------------------------------------------

Call = Callable[[Context, World, Any], object]


@dataclass(frozen=True)
class Cell:
    expected: str
    call: Call
    prepare: Callable[[World], Any] = lambda w: None
    """Fresh arguments for each call (a new person, request, pair...), made as their own
    worker or supervisor before the call under test."""
    views: int = 1
    """View rows an allowed per-person read writes (one per person it reads)."""


def _omil(w: World) -> uuid.UUID:
    return next(p.id for p in staff.programmes(w.admin) if p.code == "OMIL")


def _ofmig_staff(w: World) -> uuid.UUID:
    """A new OFMIG worker with one case, whose work a supervisor or the admin moves."""
    made = staff.create_worker(
        w.admin,
        {"username": f"ofmig{next(w.serial)}", "full_name": "Nueva", "programme_code": "OFMIG"},
    )
    n = next(w.serial)
    data = person_data(
        given_names=f"Persona{n:03d}", documents=[{"type": "passport", "number": f"MX{n:06d}"}]
    )
    persons.register_intake(Context(w.database, made.id), intake_data(data), allow_likely=True)
    return made.id


def _transfer(w: World) -> uuid.UUID:
    """A fresh OFMIG case's request to move to OMIL, made by its worker."""
    return assignment.request_transfer(
        w.desk, w.person()[1], {"to_programme_id": _omil(w), "reason": "Busca empleo"}
    )


def _closed_past(w: World) -> uuid.UUID:
    """A fresh person whose only case closed six years ago: due for retention review."""
    _pid, case_id = w.person()
    with w.database.write() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.opened_at = NOW - dt.timedelta(days=365 * 6 + 30)
        case.status = "closed"
        case.closed_at = NOW - dt.timedelta(days=365 * 6)
        case.closing_reason = "Objetivos cumplidos"
    return case_id


def _pair(w: World) -> uuid.UUID:
    a, b = w.person()[0], w.person()[0]
    with w.database.write() as s:
        row = MatchPair(person_a=min(a, b), person_b=max(a, b), score=0.9, reasons=[])
        s.add(row)
        s.flush()
        return row.id


def _sync_conflict(w: World) -> uuid.UUID:
    """An open sync conflict: a note the desk worker wrote offline, refused by the server."""
    from casework.ids import uuid7
    from casework.models import SyncConflict

    pid = w.person()[0]
    with w.database.write() as s:
        row = SyncConflict(
            id=uuid7(),
            command_id=uuid7(),
            seq=1,
            desk_id=uuid7(),
            desk_name="Operativo",
            worker_id=w.desk.actor_id,
            command="persons.add_note",
            payload={"kwargs": {"person_id": str(pid), "data": {"text": "Nota."}}},
            records=[str(pid)],
            person_id=pid,
            kind="conflict",
            code="person_blocked",
            occurred_at=NOW,
        )
        s.add(row)
        s.flush()
        return row.id


def _merged(w: World) -> uuid.UUID:
    """A merge of two fresh OFMIG persons, to undo."""
    a, b = w.person()[0], w.person()[0]
    merge.merge(w.sup, a, b)
    with w.database.read() as s:
        return s.scalars(sa.select(PersonMerge.id).where(PersonMerge.merged_id == b)).one()


def _follow_up(w: World) -> uuid.UUID:
    return schedule_follow_up(
        w.desk, w.person_id, {"due_on": dt.date(2026, 12, 1), "what": "Llamar"}
    )


def _referral(w: World) -> uuid.UUID:
    return referrals.create(
        w.desk, w.person_id, {"destination": "cesfam", "reason": "Salud", "request_now": False}
    )


def _guidance(w: World) -> uuid.UUID:
    pid = w.person()[0]
    return guidance.start(w.desk, pid, {"route_id": "humanitarian_pregnancy"})


def _consent(w: World) -> uuid.UUID:
    return persons.record_consent(w.desk, w.person_id, {"purpose": "statistics"})


def _csv(w: World) -> Path:
    n = next(w.serial)
    path = w.folder / f"import{n}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"nombres,primer_apellido\nImportada{n},Pérez{n}\n",
        encoding="utf-8",
    )
    return path


def _phone(w: World) -> dict[str, Any]:
    with w.database.read() as s:
        from casework.models import Person

        current = s.get(Person, w.person_id)
        assert current is not None
        return {"phone": {"base": current.phone, "new": f"9{next(w.serial):08d}"}}


def _new_staff(w: World) -> uuid.UUID:
    made = staff.create_worker(
        w.admin,
        {
            "username": f"nuevo{next(w.serial)}",
            "full_name": "Nuevo",
            "role": "worker",
            "programme_code": "OFMIG",
        },
    )
    return made.id


def _destination(w: World) -> str:
    return catalogue.add_destination(
        w.admin, {"name_es": f"Fundación {next(w.serial)}", "service_area": "legal"}
    ).key


def _staff_with_password(w: World) -> str:
    name = f"clave{next(w.serial)}"
    staff.add_worker(
        w.admin,
        {
            "username": name,
            "full_name": "Con Clave",
            "programme_code": "OFMIG",
            "password": PASSWORD,
        },
    )
    return name


def _token(w: World) -> str:
    """A sign-in token of the desk worker (``casework signin``), for the calls that use one."""
    return auth.issue_token(w.desk)[0]


def _probe(w: World) -> Any:
    return match_records.record_of(
        "intake", "", "", None, None, None, None, [("passport", "VE1234567")]
    )


P = "P"  # shorthand in the table below: the world's person

MATRIX: dict[str, Cell] = {
    # The audit trail and its names.
    "audit_log.events": Cell(
        "RRRRARAA", lambda c, w, _: audit_log.events(c, person_id=w.person_id)
    ),
    "audit_log.person_names": Cell(
        "RRRRAAAA", lambda c, w, _: audit_log.person_names(c, {w.person_id})
    ),
    "audit_log.staff_names": Cell(
        "RRRRAAAA", lambda c, w, _: audit_log.staff_names(c, {w.person_id})
    ),
    # Signing in: before anyone is signed in, by nature.
    "auth.authenticate": Cell(
        OPEN, lambda c, w, name: auth.authenticate(c, name, PASSWORD), _staff_with_password
    ),
    "auth.can_choose_first_password": Cell(
        OPEN,
        lambda c, w, _: auth.can_choose_first_password(c, w.admin.actor_id),  # type: ignore[arg-type]
    ),
    "auth.choose_first_password": Cell(
        STATE,
        lambda c, w, _: auth.choose_first_password(c, w.admin.actor_id, PASSWORD),  # type: ignore[arg-type]
        lambda w: _staff_with_password(w),
    ),
    "auth.has_password": Cell(OPEN, lambda c, w, _: auth.has_password(c, w.desk.actor_id)),  # type: ignore[arg-type]
    # Command-line sign-in tokens: issued to who signed in; the token itself is the proof.
    "auth.issue_token": Cell(SIGNED_IN, lambda c, w, _: auth.issue_token(c)),
    "auth.token_sign_in": Cell(OPEN, lambda c, w, tok: auth.token_sign_in(c, tok), _token),
    "auth.revoke_token": Cell(OPEN, lambda c, w, tok: auth.revoke_token(c, tok), _token),
    "auth.set_password": Cell(
        ADMIN, lambda c, w, wid: auth.set_password(c, wid, PASSWORD), _new_staff
    ),
    # The file and its parts: the read gate.
    "cases.current_case": Cell(GATED, lambda c, w, _: cases.current_case(c, w.person_id)),
    "assignment.case_assignment": Cell(
        GATED, lambda c, w, _: assignment.case_assignment(c, w.person_id)
    ),
    "assignment.reassign_case": Cell(
        SUPERVISES,
        lambda c, w, case: assignment.reassign_case(
            c, case, {"to_worker_id": w.sup.actor_id, "base_worker_id": w.desk.actor_id}
        ),
        lambda w: w.person()[1],
    ),
    "assignment.workload": Cell(
        "RRRRARAA",
        lambda c, w, _: assignment.workload(c, w.desk.actor_id),  # type: ignore[arg-type]
    ),
    "assignment.reassign_work": Cell(
        "RRRRARAA",
        lambda c, w, wid: assignment.reassign_work(c, wid, {"to_worker_id": w.sup.actor_id}),
        lambda w: _ofmig_staff(w),
    ),
    "assignment.request_transfer": Cell(
        GATED,
        lambda c, w, case: assignment.request_transfer(
            c, case, {"to_programme_id": _omil(w), "reason": "Busca empleo"}
        ),
        lambda w: w.person()[1],
    ),
    "assignment.pending_transfers": Cell(
        SIGNED_IN, lambda c, w, _: assignment.pending_transfers(c)
    ),
    "assignment.pending_count": Cell(SIGNED_IN, lambda c, w, _: assignment.pending_count(c)),
    "assignment.receivers": Cell(
        "RRRRRAAR", lambda c, w, tid: assignment.receivers(c, tid), lambda w: _transfer(w)
    ),
    "assignment.accept_transfer": Cell(
        "RRRRRAAR",
        lambda c, w, tid: assignment.accept_transfer(
            c, tid, {"to_worker_id": w.actors["desk_other"].actor_id, "version": 1}
        ),
        lambda w: _transfer(w),
    ),
    "assignment.decline_transfer": Cell(
        "RRRRRAAR",
        lambda c, w, tid: assignment.decline_transfer(c, tid, {"reason": "No", "version": 1}),
        lambda w: _transfer(w),
    ),
    "assignment.withdraw_transfer": Cell(
        GATED, lambda c, w, tid: assignment.withdraw_transfer(c, tid, 1), lambda w: _transfer(w)
    ),
    "cases.set_flags": Cell(
        GATED,
        lambda c, w, case: cases.set_flags(c, case, ["children"]),
        lambda w: w.person()[1],
    ),
    # The case's life: its worker, their programme's supervisor, an office-wide one.
    "case_lifecycle.current": Cell(GATED, lambda c, w, _: case_lifecycle.current(c, w.person_id)),
    "case_lifecycle.close": Cell(
        GATED,
        lambda c, w, case: case_lifecycle.close(c, case, {"outcome": "goal_reached"}),
        lambda w: w.person()[1],
    ),
    "case_lifecycle.reopen": Cell(
        GATED,
        lambda c, w, case: case_lifecycle.reopen(c, case, {"reason": "Volvió"}),
        _closed_case,
    ),
    "case_lifecycle.hold": Cell(
        GATED,
        lambda c, w, case: case_lifecycle.hold(c, case, {"reason": "Viaje"}),
        lambda w: w.person()[1],
    ),
    "case_lifecycle.resume": Cell(
        GATED, lambda c, w, case: case_lifecycle.resume(c, case), _held_case
    ),
    "person_file.access": Cell(SIGNED_IN, lambda c, w, _: person_file.access(c, w.person_id)),
    "person_file.get_person": Cell(GATED, lambda c, w, _: person_file.get_person(c, w.person_id)),
    "person_file.open_file": Cell(GATED, lambda c, w, _: person_file.open_file(c, w.person_id)),
    "person_file.timeline": Cell(GATED, lambda c, w, _: person_file.timeline(c, w.person_id)),
    "followups.for_person": Cell(GATED, lambda c, w, _: followups.for_person(c, w.person_id)),
    "guidance.for_person": Cell(GATED, lambda c, w, _: guidance.for_person(c, w.person_id)),
    "guidance.get": Cell(GATED, lambda c, w, gid: guidance.get(c, gid), _guidance),
    "referrals.for_person": Cell(GATED, lambda c, w, _: referrals.for_person(c, w.person_id)),
    "referrals.get": Cell(GATED, lambda c, w, rid: referrals.get(c, rid), _referral),
    "rights.blocked": Cell(GATED, lambda c, w, _: rights.blocked(c, w.person_id)),
    # Writes that open (or join) a case of the writer's programme: the file's reason.
    "persons.record_contact": Cell(
        GATED, lambda c, w, _: persons.record_contact(c, w.person_id, {"reasons": ["health"]})
    ),
    "referrals.create": Cell(
        GATED,
        lambda c, w, _: referrals.create(
            c, w.person_id, {"destination": "cesfam", "reason": "Salud", "request_now": False}
        ),
    ),
    "guidance.start": Cell(
        GATED,
        lambda c, w, pid: guidance.start(c, pid, {"route_id": "humanitarian_pregnancy"}),
        lambda w: w.person()[0],
    ),
    "guidance.open_route": Cell(
        GATED,
        lambda c, w, pid: guidance.open_route(c, pid, {"route_id": "humanitarian_pregnancy"}),
        lambda w: w.person()[0],
    ),
    # Reference data and the catalogue.
    "catalogue.destinations": Cell(OPEN, lambda c, w, _: catalogue.destinations(c)),
    "catalogue.destination": Cell(OPEN, lambda c, w, _: catalogue.destination(c, "cesfam")),
    "catalogue.local_destinations": Cell(OPEN, lambda c, w, _: catalogue.local_destinations(c)),
    "catalogue.add_destination": Cell(
        ADMIN,
        lambda c, w, _: catalogue.add_destination(
            c, {"name_es": f"ONG {next(w.serial)}", "service_area": "legal"}
        ),
    ),
    "catalogue.update_destination": Cell(
        ADMIN,
        lambda c, w, key: catalogue.update_destination(
            c, key, {"name_es": "Otro nombre", "service_area": "legal"}
        ),
        _destination,
    ),
    "catalogue.set_destination_active": Cell(
        ADMIN, lambda c, w, key: catalogue.set_destination_active(c, key, False), _destination
    ),
    # Duplicates.
    "candidates.intake_candidates": Cell(
        SIGNED_IN, lambda c, w, probe: candidates.intake_candidates(c, probe), _probe
    ),
    "candidates.warm": Cell(SIGNED_IN, lambda c, w, _: candidates.warm(c)),
    "duplicate_queue.scan": Cell(
        "RRRRAAAR", lambda c, w, _: duplicate_queue.scan(c, min_score=0.99)
    ),
    "duplicate_queue.queue": Cell(SUPERVISORS, lambda c, w, _: duplicate_queue.queue(c)),
    # The desk's own scan (any signed-in desk fills the supervisors' queue; counts only).
    "duplicate_queue.scan_due": Cell(SIGNED_IN, lambda c, w, _: duplicate_queue.scan_due(c)),
    "duplicate_queue.last_finished": Cell(
        SIGNED_IN, lambda c, w, _: duplicate_queue.last_finished(c)
    ),
    "duplicate_queue.auto_scan": Cell(
        SIGNED_IN, lambda c, w, _: duplicate_queue.auto_scan(c, "manual", min_score=0.99)
    ),
    "duplicate_queue.not_same": Cell(
        SUPERVISES, lambda c, w, pair: duplicate_queue.not_same(c, pair), _pair
    ),
    "sync_conflicts.open_conflicts": Cell(
        SUPERVISORS, lambda c, w, _: sync_conflicts.open_conflicts(c)
    ),
    "sync_conflicts.get": Cell(
        SUPERVISES, lambda c, w, cid: sync_conflicts.get(c, cid), _sync_conflict
    ),
    "sync_conflicts.resolve": Cell(
        SUPERVISES,
        lambda c, w, cid: sync_conflicts.resolve(c, cid, {"action": "theirs"}),
        _sync_conflict,
    ),
    "merge.compare": Cell(
        GATED,
        lambda c, w, ab: merge.compare(c, *ab),
        lambda w: (w.person()[0], w.person()[0]),
        views=2,
    ),
    "candidates.typed_candidates": Cell(
        SIGNED_IN,
        lambda c, w, _: candidates.typed_candidates(
            c, candidates.Typed(documents=(("passport", "VE1234567"),))
        ),
    ),
    "merge.merge": Cell(
        SUPERVISES,
        lambda c, w, ab: merge.merge(c, *ab),
        lambda w: (w.person()[0], w.person()[0]),
    ),
    "merge.preview": Cell(
        SUPERVISES,
        lambda c, w, ab: merge.preview(c, *ab),
        lambda w: (w.person()[0], w.person()[0]),
    ),
    "merge.recent": Cell(SUPERVISORS, lambda c, w, _: merge.recent(c)),
    "merge.undo": Cell(SUPERVISES, lambda c, w, mid: merge.undo(c, mid), _merged),
    # Set-up of an empty database: refused here whoever asks.
    "staff.first_run": Cell(
        STATE,
        lambda c, w, _: staff.first_run(
            c, {"code": "XX", "name": "X"}, {"username": "x1", "full_name": "X"}
        ),
    ),
    # Every other write to the person's file: the same rule (gate.write_person), the
    # file's reason outside the writer's caseload and programme, for admins too.
    "followups.schedule": Cell(
        GATED,
        lambda c, w, _: schedule_follow_up(
            c, w.person_id, {"due_on": dt.date(2026, 12, 1), "what": "Llamar"}
        ),
    ),
    "followups.close": Cell(
        GATED, lambda c, w, fu: followups.close(c, fu, {"status": "missed"}), _follow_up
    ),
    "followups.reschedule": Cell(
        GATED,
        lambda c, w, fu: followups.reschedule(c, fu, dt.date(2026, 12, 9)),
        _follow_up,
    ),
    # The worker's own due list.
    "followups.due_for_worker": Cell(SIGNED_IN, lambda c, w, _: followups.due_for_worker(c)),
    "guidance.set_item": Cell(
        GATED,
        lambda c, w, gk: guidance.set_item(c, gk[0], {"item_key": gk[1], "state": "explained"}),
        lambda w: (gid := _guidance(w), guidance.get(w.desk, gid).items[0].item_key),
    ),
    "guidance.set_application": Cell(
        GATED, lambda c, w, gid: guidance.set_application(c, gid, "SOL-1"), _guidance
    ),
    "guidance.schedule_deadline": Cell(
        GATED,
        lambda c, w, gid: guidance.schedule_deadline(c, gid, "additional_documents"),
        _guidance,
    ),
    # Importing a list of persons: supervisors and the administrator.
    "importing.import_persons": Cell(
        IMPORTERS, lambda c, w, path: importing.import_persons(c, path), _csv
    ),
    "importing.preview": Cell(IMPORTERS, lambda c, w, path: importing.preview(c, path), _csv),
    # Bringing in an office's history: supervisors and the administrator.
    "import_visits.import_visits": Cell(
        IMPORTERS, lambda c, w, path: import_visits.import_visits(c, path), _csv
    ),
    "persons.add_document": Cell(
        GATED,
        lambda c, w, _: persons.add_document(
            c, w.person_id, {"type": "passport", "number": f"AD{next(w.serial):06d}"}
        ),
    ),
    "persons.add_note": Cell(
        GATED, lambda c, w, _: persons.add_note(c, w.person_id, {"text": "Nota."})
    ),
    "persons.change_status": Cell(
        GATED, lambda c, w, _: persons.change_status(c, w.person_id, {"status": "no_permit"})
    ),
    "persons.record_consent": Cell(
        GATED,
        lambda c, w, _: persons.record_consent(c, w.person_id, {"purpose": "statistics"}),
    ),
    "persons.revoke_consent": Cell(
        GATED, lambda c, w, cid: persons.revoke_consent(c, cid), _consent
    ),
    "persons.update_person": Cell(
        GATED, lambda c, w, change: persons.update_person(c, w.person_id, change), _phone
    ),
    "person_edit.form": Cell(GATED, lambda c, w, _: person_edit.form(c, w.person_id)),
    "person_edit.save": Cell(
        GATED,
        lambda c, w, change: person_edit.save(c, w.person_id, {"person": change}),
        _phone,
    ),
    "persons.register_intake": Cell(
        SIGNED_IN,
        lambda c, w, n: persons.register_intake(
            c,
            intake_data(
                person_data(
                    given_names=f"Nueva{n}",
                    documents=[{"type": "passport", "number": f"NI{n:06d}"}],
                )
            ),
            allow_likely=True,
        ),
        lambda w: next(w.serial),
    ),
    "persons.documents_race": Cell(OPEN, lambda c, w, _: persons.documents_race(c, ()).__enter__()),
    "referrals.move": Cell(
        GATED, lambda c, w, rid: referrals.move(c, rid, {"to": "cancelled"}), _referral
    ),
    "referrals.waiting": Cell(SIGNED_IN, lambda c, w, _: referrals.waiting(c)),
    # The screens' read models: what the calls they assemble allow.
    "desk.day": Cell(SIGNED_IN, lambda c, w, _: desk.day(c)),
    "desk.rights_register": Cell(SUPERVISORS, lambda c, w, _: desk.rights_register(c)),
    # An administrator reads the period only (the queue's names are the supervisors').
    "desk.retention_review": Cell("RRRRAAAA", lambda c, w, _: desk.retention_review(c)),
    "desk.staff_lists": Cell(ADMIN, lambda c, w, _: desk.staff_lists(c)),
    "desk.trail_page": Cell("RRRRARAA", lambda c, w, _: desk.trail_page(c, person="VE1234567")),
    # Recognising a person: any signed-in worker, nobody else.
    "persons.search_persons": Cell(
        SIGNED_IN, lambda c, w, _: persons.search_persons(c, "VE1234567")
    ),
    "persons.recent_persons": Cell(SIGNED_IN, lambda c, w, _: persons.recent_persons(c)),
    "persons.names": Cell(SIGNED_IN, lambda c, w, _: persons.names(c, {w.person_id})),
    "rights.find_person": Cell(SIGNED_IN, lambda c, w, _: rights.find_person(c, "VE1234567")),
    # The anonymised Panel release: supervisors and administrators.
    "panel.prepare": Cell("RRRRAAAA", lambda c, w, _: panel.prepare(c, "2026-Q3", k=5)),
    "panel.export": Cell(
        "RRRRAAAA",
        lambda c, w, _: panel.export(c, "2026-Q3", w.folder / f"p{next(w.serial)}", k=5),
    ),
    # The caseload: supervisors, in their scope; not administrators.
    "reports.caseload": Cell(SUPERVISORS, lambda c, w, _: reports.caseload(c)),
    "reports.drill": Cell(SUPERVISORS, lambda c, w, _: reports.drill(c, "intakes")),
    # Retention.
    "retention.policies": Cell(OPEN, lambda c, w, _: retention.policies(c)),
    "retention.set_policy": Cell(
        ADMIN,
        lambda c, w, _: retention.set_policy(c, {"record_type": "closed_case", "months": 60}),
    ),
    "retention.review_queue": Cell(SUPERVISORS, lambda c, w, _: retention.review_queue(c)),
    "retention.keep": Cell(
        SUPERVISES, lambda c, w, case: retention.keep(c, case, "Juicio pendiente"), _closed_past
    ),
    "retention.anonymise": Cell(
        SUPERVISES, lambda c, w, case: retention.anonymise(c, case), _closed_past
    ),
    # Rights requests: the desk takes them; the person's supervisors handle them.
    "rights.register": Cell(
        SIGNED_IN,
        lambda c, w, _: rights.register(c, {"person_id": w.person_id, "kind": "objection"}),
    ),
    "rights.register+identity_checked": Cell(
        SUPERVISES,
        lambda c, w, _: rights.register(
            c, {"person_id": w.person_id, "kind": "objection", "identity_checked": True}
        ),
    ),
    "rights.confirm_identity": Cell(
        SUPERVISES,
        lambda c, w, req: rights.confirm_identity(c, req),
        lambda w: rights.register(w.desk, {"person_id": w.person_id, "kind": "access"}).id,
    ),
    "rights.due": Cell(SUPERVISORS, lambda c, w, _: rights.due(c)),
    "rights.extend": Cell(
        SUPERVISES, lambda c, w, req: rights.extend(c, req), lambda w: w.request("access")
    ),
    "rights.refuse": Cell(
        SUPERVISES,
        lambda c, w, req: rights.refuse(c, req, {"ground": "public_function", "note": "Art. 8."}),
        lambda w: w.request("objection"),
    ),
    "rights.answer": Cell(
        SUPERVISES,
        lambda c, w, req: rights.answer(c, req, {"note": "Hecho."}),
        lambda w: w.request("objection"),
    ),
    "rights.lift_block": Cell(
        SUPERVISES,
        lambda c, w, req: rights.lift_block(c, req, {"note": "Resuelto."}),
        lambda w: w.request("blocking"),
    ),
    "rights.acting_on": Cell(
        SUPERVISES,
        lambda c, w, req: rights.acting_on(c, req),
        lambda w: w.request("rectification"),
    ),
    "rights.answer_access": Cell(
        SUPERVISES,
        lambda c, w, req: rights.answer_access(c, req),
        lambda w: w.request("access", w.person_id),
    ),
    "rights.answer_access_to": Cell(
        SUPERVISES,
        lambda c, w, req: rights.answer_access_to(c, req, w.folder / "answers"),
        lambda w: w.request("access", w.person_id),
    ),
    "rights.erase": Cell(
        SUPERVISES, lambda c, w, req: rights.erase(c, req), lambda w: w.request("erasure")
    ),
    "rights.compact": Cell(SIGNED_IN, lambda c, w, _: rights.compact(c)),
    # Staff: administrators; looking a colleague up needs a signed-in worker, except by
    # username at the sign-in itself.
    "staff.is_empty": Cell(OPEN, lambda c, w, _: staff.is_empty(c)),
    "staff.find_worker": Cell(OPEN, lambda c, w, _: staff.find_worker(c, "dfuentes")),
    # Leaving the desk (issue #15, point 6): the signed-in worker's own session.
    "sessions.sign_out": Cell(SIGNED_IN, lambda c, w, _: sessions.sign_out(c)),
    "sessions.record_lock": Cell(SIGNED_IN, lambda c, w, _: sessions.record_lock(c, 10)),
    "sessions.unlock": Cell(
        # With a password, the worker unlocks with it (auth.authenticate's cell); without
        # one, only where nobody has a password, and here someone has.
        STATE,
        lambda c, w, _: sessions.unlock(c, PASSWORD),
        lambda w: _staff_with_password(w),
    ),
    "settings.office_settings": Cell(SIGNED_IN, lambda c, w, _: settings.office_settings(c)),
    "settings.municipality": Cell(SIGNED_IN, lambda c, w, _: settings.municipality(c)),
    # The municipality set at the world's start (the Panel's releases made here name it).
    "settings.set_municipality": Cell(
        ADMIN,
        lambda c, w, version: settings.set_municipality(c, {"code": "13101", "version": version}),
        lambda w: settings.office_settings(w.admin).municipality_version,
    ),
    "settings.set_idle_lock": Cell(
        ADMIN,
        lambda c, w, version: settings.set_idle_lock(
            c, {"minutes": 5 + next(w.serial) % 50, "version": version}
        ),
        lambda w: settings.office_settings(w.admin).version,
    ),
    "staff.sign_in": Cell(
        STATE,
        lambda c, w, _: staff.sign_in(c, w.desk.actor_id),  # type: ignore[arg-type]
        lambda w: _staff_with_password(w),
    ),
    "staff.get_worker": Cell(
        SIGNED_IN,
        lambda c, w, _: staff.get_worker(c, w.desk.actor_id),  # type: ignore[arg-type]
    ),
    "staff.list_workers": Cell(SIGNED_IN, lambda c, w, _: staff.list_workers(c)),
    "staff.list_programmes": Cell(SIGNED_IN, lambda c, w, _: staff.list_programmes(c)),
    "staff.staff": Cell(ADMIN, lambda c, w, _: staff.staff(c)),
    "staff.programmes": Cell(ADMIN, lambda c, w, _: staff.programmes(c)),
    "staff.create_programme": Cell(
        ADMIN,
        lambda c, w, _: staff.create_programme(
            c, {"code": f"P{next(w.serial)}", "name": "Programa"}
        ),
    ),
    "staff.create_worker": Cell(
        ADMIN,
        lambda c, w, _: staff.create_worker(
            c,
            {
                "username": f"cw{next(w.serial)}",
                "full_name": "Otra Persona",
                "programme_code": "OFMIG",
            },
        ),
    ),
    "staff.add_worker": Cell(
        ADMIN,
        lambda c, w, _: staff.add_worker(
            c,
            {
                "username": f"aw{next(w.serial)}",
                "full_name": "Otra",
                "programme_code": "OFMIG",
                "password": PASSWORD,
            },
        ),
    ),
    "staff.change_worker": Cell(
        ADMIN,
        lambda c, w, wid: staff.change_worker(
            c, wid, {"full_name": "Jefa", "role": "supervisor", "office_wide": True}
        ),
        _new_staff,
    ),
    "staff.set_active": Cell(ADMIN, lambda c, w, wid: staff.set_active(c, wid, False), _new_staff),
    "staff.reset_password": Cell(
        ADMIN, lambda c, w, wid: staff.reset_password(c, wid, {"password": PASSWORD}), _new_staff
    ),
    "staff.unlock": Cell(ADMIN, lambda c, w, wid: staff.unlock(c, wid), _new_staff),
    # A new desk's first copy of the whole office: supervisors and administrators.
    "sync_pull.copy_office": Cell(
        IMPORTERS, lambda c, w, _: sync_pull.copy_office(c, Path(tempfile.mkdtemp()) / "d.db")
    ),
    "staff.rename_programme": Cell(
        ADMIN,
        lambda c, w, _: staff.rename_programme(
            c, staff.programmes(w.admin)[0].id, {"name": f"Oficina {next(w.serial)}"}
        ),
    ),
}
"""Every public service call (and ``rights.register`` with ``identity_checked``), with its
outcome per column of :data:`COLUMNS`."""

NOT_CALLED = {
    "candidates.matcher": "a helper taking the caller's open session (the term frequencies of "
    "the office), called inside other services after their own check",
    "outbox.refuse_offline": "the offline check itself, called first by the online-only calls "
    "(tests/test_sync_offline.py)",
    "outbox.replay": "applies a command the desk already recorded, as the worker who ran it "
    "there: the command's own service checks the worker (tests/test_sync_push.py)",
}


def test_every_public_service_call_is_in_the_matrix() -> None:
    calls = set(service_calls())
    listed = {name.split("+")[0] for name in MATRIX} | set(NOT_CALLED)
    assert calls - listed == set(), "add these service calls to the permission matrix"
    assert listed - calls == set(), "these matrix entries name no service call"
    assert all(len(cell.expected) == len(COLUMNS) for cell in MATRIX.values())


# Checking ----------------------------------------------------------------------------------


class Watch:
    """Whether anything was written. On SQLite one connection kept open reads
    ``PRAGMA data_version``, which changes when any other connection commits a change; on
    PostgreSQL every row of every table is hashed."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.conn = database.engine.raw_connection() if database.is_sqlite else None

    def state(self) -> Any:
        if self.conn is not None:
            cur = self.conn.cursor()
            cur.execute("PRAGMA data_version")
            return cur.fetchone()[0]
        digest = hashlib.sha256()
        with self.database.read() as s:
            for table in Base.metadata.sorted_tables:
                for row in s.execute(sa.select(table).order_by(*table.primary_key.columns)):
                    digest.update(repr(tuple(row)).encode())
        return digest.hexdigest()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def _trail(database: Database) -> int:
    with database.read() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0)


def _views(database: Database, worker_id: uuid.UUID | None) -> int:
    with database.read() as s:
        return int(
            s.scalar(
                sa.select(sa.func.count()).where(
                    AuditEvent.action == "view",
                    AuditEvent.entity == "person",
                    AuditEvent.worker_id == worker_id,
                )
            )
            or 0
        )


def _check(w: World, watch: Watch, name: str, cell: Cell, who: str, expected: str) -> None:
    args = cell.prepare(w)
    ctx = w.actors[who]
    where = f"{name} as {who}"
    if expected == "A":
        views = _views(w.database, ctx.actor_id)
        cell.call(ctx, w, args)
        if name.split("+")[0] in gate.PERSON_READS:
            after = _views(w.database, ctx.actor_id)
            assert after == views + cell.views, f"{where}: an allowed read writes its view rows"
        return
    trail, before = _trail(w.database), watch.state()
    kind = NotAllowed if expected == "R" else CaseworkError
    with pytest.raises(kind):
        cell.call(ctx, w, args)
    assert watch.state() == before, f"{where}: a refused call changed a row"
    assert _trail(w.database) == trail, f"{where}: a refused call wrote to the trail"


def _run(world: World, names: list[str]) -> None:
    watch = Watch(world.database)
    clock.freeze(NOW)
    try:
        before = watch.state()  # the watch sees a write when there is one
        persons.add_note(world.desk, world.person_id, {"text": "Vino a la oficina."})
        assert watch.state() != before
        for name in names:
            cell = MATRIX[name]
            for who, expected in zip(COLUMNS, cell.expected, strict=True):
                _check(world, watch, name, cell, who, expected)
    finally:
        clock.freeze(None)
        watch.close()


def test_the_matrix(world: World, request: pytest.FixtureRequest) -> None:
    names = list(MATRIX)
    if "postgres" in request.node.name:
        names = REPRESENTATIVE  # one pass of a subset keeps the suite fast
    _run(world, names)


REPRESENTATIVE = [
    "person_file.open_file",
    "persons.record_contact",
    "persons.search_persons",
    "referrals.waiting",
    "reports.caseload",
    "audit_log.events",
    "retention.review_queue",
    "rights.due",
    "rights.confirm_identity",
    "rights.register+identity_checked",
    "rights.erase",
    "merge.merge",
    "staff.change_worker",
]


def test_scope_is_what_each_supervisor_sees(world: World) -> None:
    """Allowed is not everything: a supervisor's lists hold their programme's persons only,
    the office-wide supervisor's everyone's, and an administrator reads ids, not names."""
    other = world.actors["sup_other"]
    omil_person = persons.register_intake(
        world.actors["desk_other"],
        intake_data(person_data(documents=[{"type": "passport", "number": "OM000001"}])),
        allow_likely=True,
    ).person_id
    rights.register(world.desk, {"person_id": world.person_id, "kind": "access"})
    rights.register(world.actors["desk_other"], {"person_id": omil_person, "kind": "access"})
    assert {r.person_id for r in rights.due(world.sup)} == {world.person_id}
    assert {r.person_id for r in rights.due(other)} == {omil_person}
    assert {r.person_id for r in rights.due(world.actors["office"])} == {
        world.person_id,
        omil_person,
    }
    both = {world.person_id, omil_person}
    # Names only in scope; a person on record outside it is "" (not shown), never absent
    # (absent means erased).
    named = audit_log.person_names(other, both)
    assert {p for p, name in named.items() if name} == {omil_person}
    assert named[world.person_id] == ""
    office_names = audit_log.person_names(world.actors["office"], both)
    assert set(office_names) == both and all(office_names.values())
    assert audit_log.person_names(world.admin, both) == dict.fromkeys(both, "")
    mine = {r.person_id for r in reports.drill(world.sup, "intakes")}
    assert mine == {world.person_id}
    assert {r.person_id for r in reports.drill(world.actors["office"], "intakes")} == both
    # The trail of another programme's person is refused; one's own programme is read.
    with pytest.raises(NotAllowed):
        audit_log.events(other, person_id=world.person_id)
    assert {e.person_id for e in audit_log.events(other)} <= {omil_person, None}
