"""`casework import visits`: a sheet of attentions (one row per visit: the person's columns
plus date, reasons, programme, referral destination and note) onto the persons' timelines.

Who: supervisors and the administrator (it writes history into files of any programme).

The person of a row (:func:`_resolve_persons`, all the person logic in one place):
- one on record when identity is certain: the row's ``ref`` already imported, the same
  person cells (fingerprint) already imported, or the same document (type, number) held
  live by a person on record;
- the same person for repeated rows of one person in the file (same ref, same document or
  same person cells);
- else a new person, created as ``import persons`` creates one; likely duplicates are left
  to the duplicate scan the caller runs after the import (never merged here).

Each visit becomes what the desk would have recorded: a contact (``follow_up``, channel
``desk``) at noon local time of its date, in the person's case of its programme -- an open
case that was already open that day, else a *history case* created closed (opened at the
first imported visit, closed at the last, reason ``import``, no outcome, its worker the
importer), so nobody's caseload fills with open cases from years ago; and, when the row
names a destination of the catalogue, a referral ``completed`` with outcome ``unknown``
(made and over; what came of it is not known), with no follow-up.

A visit is keyed by the row's person (ref or person cells), its date and a digest of its
cells, held in ``import_ref`` as ``visit:<digest>``: a re-run creates no visit twice, nor do
two runs at once (the key is claimed with INSERT .. ON CONFLICT DO NOTHING, which waits on
the other run's uncommitted claim). Rows are written in batches of :data:`BATCH`, each its
own transaction, with progress and cancel between batches.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import itertools
import re
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework import clock, refdata
from casework.i18n import current_language
from casework.ids import uuid7
from casework.models import (
    AuditEvent,
    Case,
    Contact,
    ImportRef,
    LocalDestination,
    Person,
    Programme,
    Referral,
    ReferralEvent,
    RightsRequest,
    Worker,
)
from casework.models.enums import CaseStatus, ContactKind, ReferralStatus, Role
from casework.models.security import RequestStatus, RightKind
from casework.services import importing, locking
from casework.services.context import Context, audit
from casework.services.import_read import open_source
from casework.services.import_types import (
    ImportFileError,
    ImportReport,
    Issue,
    Problem,
    Progress,
    ReadOptions,
    RowResult,
    SourceInfo,
)
from casework.services.outbox import online_only
from casework.text import fold

BATCH = 500
"""Rows per transaction: desks keep saving between batches."""
VISIT_KEY = "visit:"
HISTORY_REASON = "import"
"""``closing_reason`` of a case created closed to hold imported history."""
CHANNEL = "desk"
"""An office's sheet records attentions at its desk; no "import" channel exists in the
code list (codes.toml ``contact_channels``), and none is needed: the audit row says import."""
REFERRAL_OUTCOME = "unknown"
"""codes.toml ``referral_outcomes``: "Sin información"."""
NOTE_MAX = 20_000

ProgressFn = Callable[[Progress], None]


# What the rows say ----------------------------------------------------------------------


@dataclass
class VisitFields:
    """One row's visit, from ``RowResult.visit``."""

    date: dt.date | None
    date_text: str
    reasons: list[str]
    """Codes of codes.toml ``contact_reasons``."""
    unknown_reasons: list[str]
    reasons_text: str
    programme: str
    destination: str
    note: str


def _cell(row: RowResult, info: SourceInfo, name: str) -> str:
    index = info.mapping.get(name)
    if index is None or index >= len(info.columns):
        return ""
    return str(row.original.get(info.columns[index], "")).strip()


def _visit_fields(row: RowResult, info: SourceInfo) -> VisitFields:
    """The row's visit as the reader gave it (``import_read``: the date read, reason codes,
    the reasons it did not recognise), with the date cell as typed for messages."""
    visit: dict[str, Any] = row.visit or {}
    return VisitFields(
        date=visit.get("date"),
        date_text=_cell(row, info, "visit_date"),
        reasons=list(visit.get("reasons") or []),
        unknown_reasons=list(visit.get("unknown_reasons") or []),
        reasons_text=str(visit.get("reasons_text") or "").strip(),
        programme=str(visit.get("programme") or "").strip(),
        destination=str(visit.get("destination") or "").strip(),
        note=str(visit.get("note") or "").strip(),
    )


def _noon(day: dt.date) -> dt.datetime:
    """Noon local time of ``day``, in UTC: a visit's moment when the sheet gives its day."""
    return dt.datetime.combine(day, dt.time(12)).astimezone().astimezone(dt.UTC)


# Reference look-ups -----------------------------------------------------------------------


class _Programmes:
    def __init__(self, session: Session) -> None:
        self.by_text: dict[str, uuid.UUID] = {}
        self.names: dict[uuid.UUID, str] = {}
        for pid, code, name in session.execute(
            sa.select(Programme.id, Programme.code, Programme.name)
        ):
            self.by_text.setdefault(fold(code).strip(), pid)
            self.by_text.setdefault(fold(name).strip(), pid)
            self.names[pid] = name

    def find(self, text: str) -> uuid.UUID | None:
        return self.by_text.get(fold(text).strip())


_HEAD = re.compile(r"\s+(?:—|-|/|\()\s*")


class _Destinations:
    """The catalogue (shipped and the office's own) by key, name, or the head of a name
    ("CESFAM" for "CESFAM / SOME (...)") when only one destination has that head."""

    def __init__(self, session: Session) -> None:
        self.exact: dict[str, str] = {}
        self.area: dict[str, str] = {}
        heads: dict[str, set[str]] = {}
        local = session.execute(
            sa.select(
                LocalDestination.key,
                LocalDestination.name_es,
                LocalDestination.name_en,
                LocalDestination.service_area,
            )
        ).all()
        entries = [(d.key, d.name_es, d.name_en, d.service_area) for d in refdata.destinations()]
        entries += [(k, es, en, area) for k, es, en, area in local]
        for key, name_es, name_en, area in entries:
            self.area.setdefault(key, area)
            for text in (key, name_es, name_en):
                if text:
                    self.exact.setdefault(fold(text).strip(), key)
            for text in (name_es, name_en):
                if text:
                    head = _HEAD.split(text, maxsplit=1)[0]
                    heads.setdefault(fold(head).strip(), set()).add(key)
        for head, keys in heads.items():
            if len(keys) == 1 and head not in self.exact:
                self.exact[head] = next(iter(keys))

    def find(self, text: str) -> str | None:
        return self.exact.get(fold(text).strip())


# Persons ---------------------------------------------------------------------------------


@dataclass
class FileState:
    """What this run has settled so far: the persons of the rows seen (repeated rows of one
    person find them there) and which of them this run created."""

    persons: importing.FileState = field(default_factory=importing.FileState)
    created: set[uuid.UUID] = field(default_factory=set)
    found: set[uuid.UUID] = field(default_factory=set)
    counted: set[uuid.UUID] = field(default_factory=set)
    dry_run: bool = False
    """Nothing is created: a new person gets an id of its own here only."""


def _resolve_persons(
    session: Session, ctx: Context, rows: Sequence[RowResult], state: FileState
) -> list[importing.Resolution]:
    """Each row's person, decided as ``import persons`` decides (one person per document
    and per reference, on record when identity is certain), except that a known ``ref`` is
    its person even when the person's cells differ from one visit's row to the next. Lost
    a race to another import (a person it was creating saved there first): decided again,
    from what is on record then."""
    as_read = [(list(row.warnings), row.refused) for row in rows]
    for attempt in itertools.count():
        try:
            with session.begin_nested():
                out = importing.resolve_persons(
                    session, ctx, rows, state.persons, write=not state.dry_run, ref_identifies=True
                )
            break
        except sa.exc.DBAPIError as exc:
            if attempt >= importing.RETRIES or not importing.lost_race(exc):
                raise
        for row, (warnings, refused) in zip(rows, as_read, strict=True):
            row.warnings, row.refused = list(warnings), refused
    for res in out:
        if res.person_id is not None:
            (state.created if res.outcome == "created" else state.found).add(res.person_id)
    return out


# Visits ----------------------------------------------------------------------------------


@dataclass
class _Pending:
    row: RowResult
    visit: VisitFields
    programme_id: uuid.UUID
    destination: str | None
    note: str | None
    person_id: uuid.UUID | None = None
    key: str = ""


def _visit_key(row: RowResult, visit: VisitFields, programme_id: uuid.UUID) -> str:
    person = f"ref:{row.ref}" if row.ref else f"cells:{row.fingerprint}"
    cells = "\x1f".join(
        (
            person,
            visit.date.isoformat() if visit.date else "",
            ",".join(sorted(visit.reasons)),
            visit.reasons_text,
            str(programme_id),
            visit.destination,
            visit.note,
        )
    )
    return VISIT_KEY + hashlib.sha256(cells.encode()).hexdigest()


def _claim(session: Session, keys: dict[str, uuid.UUID]) -> set[str]:
    """Insert the visits' keys that no run holds yet; returns those this run now holds. A
    key another transaction inserted and has not committed makes this one wait for it."""
    if not keys:
        return set()
    rows = [{"ref": k, "person_id": p} for k, p in keys.items()]
    stmt = locking.insert_skipping(session, ImportRef)
    got: set[str] = set()
    for chunk in range(0, len(rows), 200):
        part = rows[chunk : chunk + 200]
        got |= set(
            session.scalars(stmt.values(part).returning(ImportRef.ref), execution_options={})
        )
    return got


def _blocked(session: Session, person_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Persons whose data an open blocking request suspends (nothing is added to them)."""
    if not person_ids:
        return set()
    return set(
        session.scalars(
            sa.select(RightsRequest.person_id).where(
                RightsRequest.person_id.in_(person_ids),
                RightsRequest.kind == RightKind.BLOCKING.value,
                RightsRequest.status.in_((RequestStatus.OPEN.value, RequestStatus.EXTENDED.value)),
            )
        )
    )


class _Cases:
    """The case each visit of a batch goes into. The batch's persons are locked first (in
    one order: two runs at once wait for each other rather than each making a history
    case), and their cases read at once."""

    def __init__(self, session: Session, worker: Worker, person_ids: set[uuid.UUID]) -> None:
        self.session = session
        self.worker = worker
        self.by_person: dict[uuid.UUID, list[Case]] = {p: [] for p in person_ids}
        if not person_ids:
            return
        ordered = sorted(person_ids)
        session.execute(
            sa.select(Person.id).where(Person.id.in_(ordered)).order_by(Person.id).with_for_update()
        )
        for case in session.scalars(
            sa.select(Case).where(Case.person_id.in_(ordered)).order_by(Case.opened_at)
        ):
            self.by_person[case.person_id].append(case)

    def for_visit(self, person_id: uuid.UUID, programme_id: uuid.UUID, at: dt.datetime) -> Case:
        cases = [c for c in self.by_person[person_id] if c.programme_id == programme_id]
        day = at.astimezone().date()
        for case in cases:  # a case open (or on hold) since that day or before
            if (
                case.status != CaseStatus.CLOSED.value
                and _aware(case.opened_at).astimezone().date() <= day
            ):
                return case
        for case in cases:
            if case.status == CaseStatus.CLOSED.value and case.closing_reason == HISTORY_REASON:
                if _aware(case.opened_at) > at:
                    case.opened_at = at
                if case.closed_at is None or _aware(case.closed_at) < at:
                    case.closed_at = at
                    case.last_activity_at = at
                return case
        case = Case(
            id=uuid7(),
            person_id=person_id,
            programme_id=programme_id,
            worker_id=self.worker.id,
            status=CaseStatus.CLOSED.value,
            opened_at=at,
            closed_at=at,
            closing_reason=HISTORY_REASON,
            closing_outcome=None,
            last_activity_at=at,
            flags=[],
        )
        self.session.add(case)
        self.by_person[person_id].append(case)
        return case


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@dataclass
class _Rows:
    """A batch's new rows, inserted table by table (one statement each)."""

    contacts: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)

    def audit(self, ctx: Context, entity: str, entity_id: uuid.UUID, person_id: uuid.UUID) -> None:
        """As :func:`casework.services.context.audit` writes it (the blocking check was made
        for the whole batch first: :func:`_blocked`)."""
        self.audits.append(
            {
                "id": uuid7(),
                "at": clock.now(),
                "worker_id": ctx.actor_id,
                "action": "create",
                "entity": entity,
                "entity_id": entity_id,
                "person_id": person_id,
                "details": {"via": "import"},
            }
        )

    def insert(self, session: Session) -> None:
        for model, rows in (
            (Contact, self.contacts),
            (Referral, self.referrals),
            (ReferralEvent, self.events),
            (AuditEvent, self.audits),
        ):
            if rows:
                session.execute(sa.insert(model), rows)


def _visit_rows(
    rows: _Rows,
    ctx: Context,
    worker: Worker,
    item: _Pending,
    case_id: uuid.UUID,
    destinations: _Destinations,
) -> None:
    """The visit's contact (and referral), with their audit rows."""
    assert item.person_id is not None and item.visit.date is not None
    at = _noon(item.visit.date)
    now = clock.now()
    contact_id = uuid7()
    rows.contacts.append(
        {
            "id": contact_id,
            "created_at": now,
            "person_id": item.person_id,
            "case_id": case_id,
            "worker_id": worker.id,
            "programme_id": item.programme_id,
            "kind": ContactKind.FOLLOW_UP.value,
            "channel": CHANNEL,
            "occurred_at": at,
            "reasons": list(item.visit.reasons),
            "note": item.note,
            "interpreter_language": None,
        }
    )
    rows.audit(ctx, "contact", contact_id, item.person_id)
    if item.destination is None:
        return
    referral_id = uuid7()
    rows.referrals.append(
        {
            "id": referral_id,
            "created_at": at,
            "version": 1,
            "person_id": item.person_id,
            "case_id": case_id,
            "worker_id": worker.id,
            "service_area": destinations.area[item.destination],
            "destination_key": item.destination,
            "reason": _referral_reason(item.visit),
            "urgency": "normal",
            "status": ReferralStatus.COMPLETED.value,
            "outcome": REFERRAL_OUTCOME,
            "requested_at": at,
            "completed_at": at,
            "updated_at": at,
        }
    )
    rows.events.append(
        {
            "id": uuid7(),
            "referral_id": referral_id,
            "from_status": None,
            "to_status": ReferralStatus.COMPLETED.value,
            "at": at,
            "worker_id": worker.id,
            "note": None,
        }
    )
    rows.audit(ctx, "referral", referral_id, item.person_id)


def _referral_reason(visit: VisitFields) -> str:
    labels = [refdata.label(refdata.CONTACT_REASONS, r) for r in visit.reasons]
    return ", ".join(labels) or visit.reasons_text or visit.note[:500] or visit.destination


def _note(visit: VisitFields, unknown_destination: bool) -> str | None:
    """The visit's note, with what the import could not store as codes kept in it."""
    parts = [visit.note] if visit.note else []
    if visit.unknown_reasons:
        parts.append(f"Motivo: {', '.join(visit.unknown_reasons)}")
    if unknown_destination:
        parts.append(f"Derivación: {visit.destination}")
    text = "\n".join(parts).replace("\x00", "")
    return text[:NOTE_MAX] or None


# The import ------------------------------------------------------------------------------


class _Run:
    """One import: what it decided so far and what it tells the caller."""

    def __init__(
        self,
        ctx: Context,
        info: SourceInfo,
        report: ImportReport,
        default_programme: uuid.UUID | None,
        state: FileState,
        sample: int,
    ) -> None:
        self.ctx = ctx
        self.info = info
        self.report = report
        self.default_programme = default_programme
        self.state = state
        self.sample = sample
        self.claimed: set[str] = set()

    def refuse(self, row: RowResult, issue: Issue) -> None:
        self.report.refused += 1
        self.report.problems.append(Problem(row.line, row.original, "refused", [issue]))

    def check(
        self, row: RowResult, programmes: _Programmes, destinations: _Destinations
    ) -> _Pending | None:
        """The row's visit as it will be stored, or None (the row refused and reported):
        a visit needs a readable date, not in the future, and a programme."""
        if row.refused is not None:
            self.refuse(row, row.refused)
            return None
        visit = _visit_fields(row, self.info)
        if visit.date is None:
            code = "visit_bad_date" if visit.date_text else "visit_no_date"
            self.refuse(row, Issue(code, "visit_date", visit.date_text))
            return None
        if visit.date > clock.today():
            self.refuse(row, Issue("visit_future_date", "visit_date", visit.date_text))
            return None
        if visit.programme:
            programme_id = programmes.find(visit.programme)
            if programme_id is None:
                self.refuse(row, Issue("visit_unknown_programme", "programme", visit.programme))
                return None
        elif self.default_programme is not None:
            programme_id = self.default_programme
        else:
            self.refuse(row, Issue("visit_no_programme", "programme"))
            return None
        # Reasons it did not recognise: the reader warned; the note keeps them (_note).
        warnings: list[Issue] = []
        destination: str | None = None
        if visit.destination:
            destination = destinations.find(visit.destination)
            if destination is None:
                warnings.append(
                    Issue("visit_unknown_destination", "destination", visit.destination)
                )
        row.warnings.extend(warnings)
        return _Pending(
            row,
            visit,
            programme_id,
            destination,
            _note(visit, bool(visit.destination) and destination is None),
            key=_visit_key(row, visit, programme_id),
        )

    def batch(self, session: Session, rows: list[RowResult]) -> None:
        worker = self.ctx.require_role(session, Role.SUPERVISOR, Role.ADMIN)
        programmes = _Programmes(session)
        destinations = _Destinations(session)
        pending = [p for p in (self.check(r, programmes, destinations) for r in rows) if p]
        resolved = _resolve_persons(session, self.ctx, [p.row for p in pending], self.state)
        ready: list[_Pending] = []
        for item, res in zip(pending, resolved, strict=True):
            if res.person_id is None:
                self.refuse(item.row, res.issue or Issue("no_name"))
                continue
            item.person_id = res.person_id
            if res.outcome == "created":
                self.report.created += 1
            elif res.outcome == "already" and res.person_id not in self.state.counted:
                self.report.already += 1  # a person on record, counted once however many visits
            self.state.counted.add(res.person_id)
            ready.append(item)
        blocked = _blocked(session, {p.person_id for p in ready if p.person_id})
        fresh: list[_Pending] = []
        for item in ready:
            if item.person_id in blocked:
                self.refuse(item.row, Issue("visit_person_blocked"))
                continue
            if item.row.warnings:
                self.report.warned += 1
                self.report.problems.append(
                    Problem(item.row.line, item.row.original, "warned", list(item.row.warnings))
                )
            if item.key in self.claimed:
                self.report.visits_already += 1
                continue
            self.claimed.add(item.key)
            fresh.append(item)
        if self.state.dry_run:
            known = set(
                session.scalars(
                    sa.select(ImportRef.ref).where(ImportRef.ref.in_({p.key for p in fresh}))
                )
            )
            for item in fresh:
                if item.key in known:
                    self.report.visits_already += 1
                else:
                    self.report.visits_created += 1
                    self._sample(item, programmes)
            return
        owned = _claim(session, {p.key: p.person_id for p in fresh if p.person_id})
        mine = [p for p in fresh if p.key in owned]
        self.report.visits_already += len(fresh) - len(mine)
        cases = _Cases(session, worker, {p.person_id for p in mine if p.person_id})
        case_of = [
            cases.for_visit(p.person_id, p.programme_id, _noon(p.visit.date))
            for p in mine
            if p.person_id is not None and p.visit.date is not None
        ]
        session.flush()
        new = _Rows()
        for item, case in zip(mine, case_of, strict=True):
            _visit_rows(new, self.ctx, worker, item, case.id, destinations)
            self.report.visits_created += 1
            self._sample(item, programmes)
        new.insert(session)

    def _sample(self, item: _Pending, programmes: _Programmes) -> None:
        if len(self.report.sample) >= self.sample:
            return
        person = item.row.person or {}
        assert item.visit.date is not None
        self.report.sample.append(
            {
                "given_names": person.get("given_names", ""),
                "first_surname": person.get("first_surname", ""),
                "second_surname": person.get("second_surname") or "",
                "visit_date": item.visit.date.isoformat(),
                "reasons": ", ".join(
                    refdata.label(refdata.CONTACT_REASONS, r) for r in item.visit.reasons
                ),
                "programme": programmes.names.get(item.programme_id, ""),
                "destination": _destination_name(item.destination),
                "note": item.note or "",
            }
        )


@online_only("import_visits.import_visits")
def import_visits(
    ctx: Context,
    path: Path,
    options: ReadOptions | None = None,
    *,
    programme: str | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    dry_run: bool = False,
    sample: int = 10,
) -> ImportReport:
    """Each row's visit on its person's timeline. ``programme`` (a programme's code or name)
    is the programme of rows that name none; without it, the importer's own programme.
    A row whose visit cannot be stored (no readable date, a date in the future, an unknown
    programme) is refused whole, its person not created. ``dry_run``: the preview, nothing
    written. Likely duplicates among the persons created are left to the duplicate scan
    the caller runs after (``duplicate_queue.auto_scan(ctx, "import")``)."""
    with ctx.db.read() as session:
        importer = ctx.require_role(session, Role.SUPERVISOR, Role.ADMIN)
        default = importer.programme_id
        if programme:
            default = _Programmes(session).find(programme)
            if default is None:
                raise ImportFileError("import_unknown_programme", programme=programme)
    options = dataclasses.replace(options or ReadOptions(), kind="visits")
    source = open_source(path, options)
    report = ImportReport(info=source.info, dry_run=dry_run)
    run = _Run(ctx, source.info, report, default, FileState(dry_run=dry_run), sample)
    started = clock.now()
    with contextlib.closing(importing.batches(source.rows(), BATCH)) as chunks:
        for rows in chunks:
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                break
            report.rows += len(rows)
            if dry_run:
                with ctx.db.read() as session:
                    run.batch(session, rows)
            else:
                with ctx.db.write() as session:
                    run.batch(session, rows)
            if progress is not None:
                done = Progress(report.rows, source.info.total_rows, report.visits_created, started)
                progress(done)
    if not dry_run:
        with ctx.db.write() as session:
            audit(
                session,
                ctx,
                "import_file",
                "contact",
                None,
                kind="visits",
                rows=report.rows,
                created=report.created,
                visits=report.visits_created,
                errors=report.refused,
                cancelled=report.cancelled,
            )
    return report


def _destination_name(key: str | None) -> str:
    """A referral destination as the desk names it ("Servicio Nacional de Migraciones")."""
    found = refdata.destination(key) if key else None
    if found is None:
        return key or ""
    return found.name_en if current_language() == "en" else found.name_es


__all__ = ["BATCH", "FileState", "import_visits"]
