"""The register of people's rights requests (Ley 21.719 arts. 4-11): access,
rectification, erasure, objection, portability and blocking, with their legal deadlines,
the whole-file export an access or portability request gets, and erasure that erases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Session

from casework import paths, refdata
from casework.errors import CaseworkError, Conflict, FieldError, InvalidInput, NotAllowed
from casework.i18n import current_language, t
from casework.models import Base, IdentityDocument, Person, RightsRequest, Tombstone, Worker
from casework.models.base import utcnow
from casework.models.security import RefusalGround, RequestStatus, RightKind
from casework.private_files import private_dir, write_private
from casework.services import catalogue, gate, keys, locking, person_file, persons
from casework.services.context import Context, audit, get_or_404, open_blocking, validate
from casework.services.gate import AccessReason, Read, person_read
from casework.services.outbox import online_only
from casework.services.schemas import (
    OPEN_STATUSES,
    Input,
    Output,
    RightsRequestOut,
    local_today,
)

ANSWER_DAYS = 30
"""Calendar days to answer (art. 11), extendable once by as many."""
BLOCKING_BUSINESS_DAYS = 2


# Deadlines --------------------------------------------------------------------------------


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month = (h + m - 7 * n + 114) // 31
    day = (h + m - 7 * n + 114) % 31 + 1
    return dt.date(year, month, day)


@cache
def holidays(year: int) -> frozenset[dt.date]:
    """Chilean national holidays that fall on a fixed date, plus Holy Friday and Saturday.
    Holidays the law moves to a Monday each year are not modelled: a deadline may then
    come a day early, never late."""
    fixed = [(1, 1), (5, 1), (5, 21), (6, 20), (7, 16), (8, 15), (9, 18), (9, 19)]
    fixed += [(10, 12), (10, 31), (11, 1), (12, 8), (12, 25)]
    easter = _easter(year)
    days = {dt.date(year, m, d) for m, d in fixed}
    days |= {easter - dt.timedelta(days=2), easter - dt.timedelta(days=1)}
    return frozenset(days)


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def add_business_days(start: dt.date, days: int) -> dt.date:
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            left -= 1
    return day


def deadline(kind: RightKind, received_on: dt.date) -> dt.date:
    if kind is RightKind.BLOCKING:
        return add_business_days(received_on, BLOCKING_BUSINESS_DAYS)
    return received_on + dt.timedelta(days=ANSWER_DAYS)


# Inputs and outputs -----------------------------------------------------------------------


class RightsRequestIn(Input):
    person_id: uuid.UUID
    kind: RightKind
    received_on: dt.date | None = None
    channel: str = Field(default="desk", max_length=20)
    identity_checked: bool = False


class RefusalIn(Input):
    ground: RefusalGround
    note: str = Field(min_length=1, max_length=2000)


class AnswerIn(Input):
    note: str = Field(min_length=1, max_length=2000)
    """What was done (the data corrected, the processing stopped, why the block ends)."""


class ErasureReport(Output):
    person_ids: list[uuid.UUID]
    rows: dict[str, int]
    blocks_lifted: int = 0
    """Blocking requests of the erased person closed with the erasure."""


@dataclasses.dataclass(frozen=True)
class AnswerFiles:
    """Where the answer to an access or portability request was written."""

    json_path: Path
    text_path: Path
    sha256: str


# Register ---------------------------------------------------------------------------------

PERSON_MATCHES = 50
"""How many persons a typed name may match before the count shown says "50 or more"."""


def find_person(ctx: Context, who: str) -> uuid.UUID:
    """The person a request is for, as the desk types it: a document number, a name that
    finds exactly one person, or the record id. Several matches are an error that says how
    many, so the worker types the document instead of guessing."""
    text = who.strip()
    if not text:
        raise InvalidInput([FieldError("person_id", "required")])
    try:
        return uuid.UUID(text)
    except ValueError:
        pass
    found = persons.search_persons(ctx, text, limit=PERSON_MATCHES, typos=False)
    if not found:
        raise InvalidInput([FieldError("person_id", "not_found", {"what": text})])
    if len(found) > 1:
        code = "person_ambiguous_document" if any(c.isdigit() for c in text) else "person_ambiguous"
        raise InvalidInput([FieldError("person_id", code, {"count": len(found)})])
    return found[0].id


@online_only("rights.register")
def register(ctx: Context, data: RightsRequestIn | Mapping[str, Any]) -> RightsRequestOut:
    """Record a request and its legal deadline. Any signed-in worker may take one; only a
    supervisor of the person (:func:`confirm_identity`) may record it as identity-checked."""
    req_in = validate(RightsRequestIn, data)
    received = req_in.received_on or local_today()
    with ctx.db.write() as session:
        worker = ctx.actor(session)
        get_or_404(session, Person, req_in.person_id, "person")
        if req_in.identity_checked:
            gate.supervise(session, ctx, req_in.person_id)
        row = RightsRequest(
            person_id=req_in.person_id,
            kind=req_in.kind.value,
            received_on=received,
            due_on=deadline(req_in.kind, received),
            channel=req_in.channel,
            identity_checked=req_in.identity_checked,
            created_by=worker.id,
        )
        session.add(row)
        session.flush()
        audit(
            session,
            ctx,
            "create",
            "rights_request",
            row.id,
            person_id=row.person_id,
            kind=row.kind,
        )
        if row.identity_checked:
            audit(
                session, ctx, "identity_checked", "rights_request", row.id, person_id=row.person_id
            )
        return RightsRequestOut.model_validate(row)


def _open_request(session: Session, request_id: uuid.UUID) -> RightsRequest:
    row = get_or_404(session, RightsRequest, request_id, "rights_request")
    if row.status not in OPEN_STATUSES:
        raise Conflict("request_closed")
    return row


def _handled(session: Session, ctx: Context, request_id: uuid.UUID) -> tuple[RightsRequest, Worker]:
    """The open request, and the supervisor handling it: a supervisor of the person's
    programme, or an office-wide one (services/gate.py). Desk workers take requests;
    administrators manage staff; neither handles them."""
    scope = gate.supervision(session, ctx)
    row = get_or_404(session, RightsRequest, request_id, "rights_request")
    if not session.scalar(sa.select(_in_scope(scope)).where(RightsRequest.id == row.id)):
        raise NotAllowed("other_programme")
    return _open_request(session, request_id), scope.supervisor


def _in_scope(scope: gate.Scope) -> sa.ColumnElement[bool]:
    """A request the supervisor handles: of a person of their programme (any, office-wide),
    or of a person since erased, taken by a worker of their programme."""
    persons_in = scope.persons()
    if persons_in is None:
        return sa.true()
    gone = ~sa.exists().where(Person.id == RightsRequest.person_id)
    taken_here = RightsRequest.created_by.in_(
        sa.select(Worker.id).where(Worker.programme_id == scope.programme_id)
    )
    return sa.or_(RightsRequest.person_id.in_(persons_in), sa.and_(gone, taken_here))


@online_only("rights.confirm_identity")
def confirm_identity(ctx: Context, request_id: uuid.UUID) -> None:
    """The requester's identity was checked: a supervisor handling the request says so
    (audited); after it the request can be answered, and an erasure carried out."""
    with ctx.db.write() as session:
        row, _ = _handled(session, ctx, request_id)
        row.identity_checked = True
        audit(session, ctx, "identity_checked", "rights_request", row.id, person_id=row.person_id)


@online_only("rights.extend")
def extend(ctx: Context, request_id: uuid.UUID) -> RightsRequestOut:
    """Extend the answer deadline once by 30 days (not for blocking)."""
    with ctx.db.write() as session:
        row, _ = _handled(session, ctx, request_id)
        if row.extended_on is not None or row.kind == RightKind.BLOCKING.value:
            raise Conflict("already_extended")
        row.extended_on = local_today()
        row.due_on = row.due_on + dt.timedelta(days=ANSWER_DAYS)
        row.status = RequestStatus.EXTENDED.value
        audit(session, ctx, "extend", "rights_request", row.id, person_id=row.person_id)
        return RightsRequestOut.model_validate(row)


def due(ctx: Context, *, include_closed: bool = False) -> list[RightsRequestOut]:
    """Requests in deadline order (the supervisor's day shows the open ones): a
    supervisor's are the requests of their programme's persons, an office-wide
    supervisor's every request. Nobody else reads the register (it holds answer notes)."""
    with ctx.db.read() as session:
        scope = gate.supervision(session, ctx)
        stmt = (
            sa.select(RightsRequest)
            .where(_in_scope(scope))
            .order_by(RightsRequest.due_on, RightsRequest.created_at)
        )
        if not include_closed:
            stmt = stmt.where(RightsRequest.status.in_(OPEN_STATUSES))
        return [RightsRequestOut.model_validate(r) for r in session.scalars(stmt)]


@online_only("rights.refuse")
def refuse(ctx: Context, request_id: uuid.UUID, data: RefusalIn | Mapping[str, Any]) -> None:
    """A reasoned refusal resting on one of the exceptions the law allows."""
    refusal = validate(RefusalIn, data)
    with ctx.db.write() as session:
        row, worker = _handled(session, ctx, request_id)
        row.status = RequestStatus.REFUSED.value
        row.refusal_ground = refusal.ground.value
        row.answer_note = refusal.note
        row.answered_at = utcnow()
        row.answered_by = worker.id
        audit(
            session,
            ctx,
            "refuse",
            "rights_request",
            row.id,
            person_id=row.person_id,
            ground=row.refusal_ground,
        )


@person_read
def blocked(
    ctx: Context, person_id: uuid.UUID, *, reason: AccessReason | str | None = None
) -> RightsRequestOut | None:
    """The open blocking request that suspends the person's data, if any: while there is
    one, every change to the file is refused (``person_blocked``); reading it is not. Read
    through the gate (services/gate.py); the person screen gets it with the file."""
    with ctx.db.write() as session:
        gate.read_person(session, ctx, person_id, Read.BLOCKED, reason)
        row = open_blocking(session, person_id)
        return None if row is None else RightsRequestOut.model_validate(row)


_ANSWERED_WITH_NOTE = (RightKind.RECTIFICATION, RightKind.OBJECTION, RightKind.BLOCKING)


FINISHING_ACTIONS = ("answer", "erase", "lift")
"""How a request is finished on the desk: answered (access and portability with their
files, the others with a note), carried out as an erasure, or a block lifted."""


def finish_refusal(request: RightsRequestOut, action: str) -> str | None:
    """Why ``action`` (one of :data:`FINISHING_ACTIONS`) cannot finish ``request`` now, as
    a message key; ``None`` when it can. The services check the same again when it runs."""
    kind = RightKind(request.kind)
    if action == "answer" and kind is RightKind.ERASURE:
        return "protection.rights.use_erase"
    if action == "answer" and kind is RightKind.BLOCKING:
        return "protection.rights.use_lift"
    if action == "erase" and kind is not RightKind.ERASURE:
        return "protection.rights.only_erasure"
    if action == "lift" and kind is not RightKind.BLOCKING:
        return "protection.rights.only_blocking"
    if action != "lift" and not request.identity_checked:
        return "protection.rights.identity_first"
    return None


def answered_with_files(kind: str) -> bool:
    """Access and portability are answered with the person's data written to files
    (:func:`answer_access_to`); the other rights with a note (:func:`answer`)."""
    return RightKind(kind) in (RightKind.ACCESS, RightKind.PORTABILITY)


def answered_with_edit(kind: str) -> bool:
    """A rectification is carried out through the person's edit form, whose save marks it
    answered (services/person_edit.py ``save``, :func:`answer_rectification`)."""
    return RightKind(kind) is RightKind.RECTIFICATION


@online_only("rights.answer")
def answer(
    ctx: Context, request_id: uuid.UUID, data: AnswerIn | Mapping[str, Any]
) -> RightsRequestOut:
    """Close a rectification, objection or blocking request as answered, with a note of what
    was done; the hash of the note is kept as proof of the answer's content. (Access and
    portability are answered by :func:`answer_access`, erasure by :func:`erase`.)"""
    answer_in = validate(AnswerIn, data)
    with ctx.db.write() as session:
        row, worker = _handled(session, ctx, request_id)
        kind = RightKind(row.kind)
        if kind not in _ANSWERED_WITH_NOTE:
            raise Conflict("answer_other_way", kind=kind.value)
        if kind is not RightKind.BLOCKING and not row.identity_checked:
            raise NotAllowed("identity_not_checked")
        _mark_answered(session, ctx, row, worker, answer_in.note)
        return RightsRequestOut.model_validate(row)


def _mark_answered(
    session: Session, ctx: Context, row: RightsRequest, worker: Worker, note: str
) -> None:
    row.status = RequestStatus.ANSWERED.value
    row.answer_note = note
    row.answer_sha256 = hashlib.sha256(note.encode()).hexdigest()
    row.answered_at = utcnow()
    row.answered_by = worker.id
    action = "lift_block" if row.kind == RightKind.BLOCKING.value else "answer"
    audit(session, ctx, action, "rights_request", row.id, person_id=row.person_id)


def answer_rectification(
    session: Session,
    ctx: Context,
    request_id: uuid.UUID,
    person_id: uuid.UUID,
    fields: list[str],
) -> None:
    """Inside the write that carried out a rectification (services/person_edit.py ``save``):
    mark the open, identity-checked request of that person answered, the note naming the
    fields corrected (the values stay in the correction row, not in the note)."""
    row, worker = _handled(session, ctx, request_id)
    if row.kind != RightKind.RECTIFICATION.value or row.person_id != person_id:
        raise Conflict("answer_other_way", kind=row.kind)
    if not row.identity_checked:
        raise NotAllowed("identity_not_checked")
    lang = _lang()
    names = ", ".join(t(f"edit.field.{f}", lang=lang) for f in fields)
    note = t("edit.rights_note", lang=lang, fields=names)
    _mark_answered(session, ctx, row, worker, note)


@online_only("rights.lift_block")
def lift_block(
    ctx: Context, request_id: uuid.UUID, data: AnswerIn | Mapping[str, Any]
) -> RightsRequestOut:
    """End a blocking request once the matter it waited for is resolved: the person's data
    can be processed again. The note says why (e.g. "rectification done on ...")."""
    with ctx.db.read() as session:
        row, _ = _handled(session, ctx, request_id)
        if row.kind != RightKind.BLOCKING.value:
            raise Conflict("not_a_block")
    return answer(ctx, request_id, data)


@online_only("rights.acting_on")
def acting_on(ctx: Context, request_id: uuid.UUID) -> Context:
    """A context for carrying out an open rectification request (a supervisor's, identity
    checked): the person-file services called with it may correct a blocked person's data,
    which a block otherwise refuses."""
    with ctx.db.read() as session:
        row, _ = _handled(session, ctx, request_id)
        if row.kind != RightKind.RECTIFICATION.value:
            raise Conflict("answer_other_way", kind=row.kind)
        if not row.identity_checked:
            raise NotAllowed("identity_not_checked")
    return dataclasses.replace(ctx, rights_request_id=request_id)


# Access and portability -------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@person_read
@online_only("rights.answer_access")
def answer_access(ctx: Context, request_id: uuid.UUID) -> tuple[dict[str, Any], str]:
    """The person's whole file as JSON and as a readable document; the request is answered
    and the hash of what was sent is kept as proof of its content."""
    body, document, destinations = _access_document(ctx, request_id)
    _mark_access_answered(ctx, request_id, hashlib.sha256(body.encode()).hexdigest())
    return json.loads(body), readable(document, destinations)


EXPORTS_FOLDER = "casework-exports"


def default_answer_folder() -> Path:
    """Where the desk offers to write answers: ``casework-exports`` in the user data folder."""
    return paths.data_dir() / EXPORTS_FOLDER


@person_read
@online_only("rights.answer_access_to")
def answer_access_to(
    ctx: Context, request_id: uuid.UUID, folder: Path, *, name: str | None = None
) -> AnswerFiles:
    """Answer an access or portability request into ``folder``: the JSON file (whose hash
    is kept as proof of what was sent) and the readable document beside it, both readable
    by the file's owner only. The JSON file is ``name`` if given (the readable one takes
    its stem and ``.txt``), else named by kind, date and request. Nothing is marked
    answered unless both files were written; files of an answer that could not be
    recorded are removed again."""
    body, document, destinations = _access_document(ctx, request_id)
    digest = hashlib.sha256(body.encode()).hexdigest()
    stem = f"{document['request']['kind']}-{local_today().isoformat()}-{request_id.hex[:8]}"
    json_path = folder / (name or f"{stem}.json")
    text_path = json_path.with_suffix(".txt")
    try:
        private_dir(folder, own=paths.is_own_folder(folder))
        write_private(json_path, body)
        write_private(text_path, readable(document, destinations))
    except OSError as exc:
        raise CaseworkError("export_write", path=str(folder), reason=exc.strerror or "") from None
    try:
        _mark_access_answered(ctx, request_id, digest)
    except BaseException:
        json_path.unlink(missing_ok=True)
        text_path.unlink(missing_ok=True)
        raise
    return AnswerFiles(json_path, text_path, digest)


def _access_document(
    ctx: Context, request_id: uuid.UUID
) -> tuple[str, dict[str, Any], dict[str, refdata.Destination]]:
    """The JSON text to send (sorted keys, so its hash is reproducible), its document, and
    the destinations it names (the office's own ones too) for the readable version."""
    with ctx.db.write() as session:
        row, _ = _handled(session, ctx, request_id)
        person_id, kind = row.person_id, row.kind
        if kind not in (RightKind.ACCESS.value, RightKind.PORTABILITY.value):
            raise Conflict("answer_other_way", kind=kind)
        if not row.identity_checked:
            raise NotAllowed("identity_not_checked")
        whole = person_file.read_file(
            session, ctx, person_id, Read.RIGHTS_EXPORT, rights_request=request_id
        )
        corrections = person_file.corrections_of(session, person_id)
    detail, timeline = whole.detail, whole.timeline
    document = {
        "format": "casework-person-file/1",
        "generated_at": utcnow().isoformat(),
        "request": {"id": str(request_id), "kind": kind},
        "person": _jsonable(detail.model_dump()),
        "timeline": _jsonable([e.model_dump() for e in timeline]),
        "corrections": corrections,
        "recipients": sorted(
            {str(e.data.get("destination")) for e in timeline if e.kind == "referral"}
        ),
        "purposes": ["case_management", "referrals", "statistics (anonymised only)"],
    }
    body = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)
    keys = {str(e.data.get("destination") or "") for e in timeline}
    keys |= {c.destination_key or "" for c in detail.consents}
    destinations: dict[str, refdata.Destination] = {}
    with ctx.db.read() as session:
        for key in sorted(keys - {""}):
            found = catalogue.lookup(session, key)
            if found is not None:
                destinations[key] = found
    return body, document, destinations


def _mark_access_answered(ctx: Context, request_id: uuid.UUID, digest: str) -> None:
    with ctx.db.write() as session:
        row, worker = _handled(session, ctx, request_id)
        row.status = RequestStatus.ANSWERED.value
        row.answered_at = utcnow()
        row.answered_by = worker.id
        row.answer_sha256 = digest
        audit(
            session,
            ctx,
            "export",
            "person",
            row.person_id,
            person_id=row.person_id,
            request=row.kind,
        )


# The readable answer ----------------------------------------------------------------------


def _lang() -> str:
    return current_language()


def _name(item: Any) -> str:
    """The name of a refdata entry in the UI language."""
    return str(item.name_en if _lang() == "en" else item.name_es)


def _day(value: Any) -> str:
    """dd-mm-yyyy, from an ISO date or date-time (a date-time seen in local time)."""
    if not value:
        return ""
    text = str(value)
    try:
        if "T" in text:
            at = dt.datetime.fromisoformat(text)
            return (at.astimezone() if at.tzinfo else at).strftime("%d-%m-%Y")
        return dt.date.fromisoformat(text).strftime("%d-%m-%Y")
    except ValueError:
        return text


def _moment(value: Any) -> str:
    """dd-mm-yyyy hh:mm in local time, from an ISO date-time."""
    try:
        at = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    return (at.astimezone() if at.tzinfo else at).strftime("%d-%m-%Y %H:%M")


def _birth(value: Any, precision: Any) -> str:
    if not value:
        return ""
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if precision == "year":
        return f"{day:%Y}"
    if precision == "month":
        return f"{day:%m-%Y}"
    return f"{day:%d-%m-%Y}"


def _yes_no(value: Any) -> str:
    if value is None:
        return ""
    return t("ui.yes") if value else t("ui.no")


def _code(list_name: str, key: Any) -> str:
    if not key:
        return ""
    return refdata.label(refdata.code_list(list_name), str(key).replace("-", "_"), _lang())


def _sex(key: Any) -> str:
    """Registered sex: "F", "M", "X" on the person, the code list for household members."""
    text = _msg("sex", key)
    return _code("sexes", key) if text == str(key or "") else text


def _country(code: Any) -> str:
    found = refdata.country(str(code)) if code else None
    return _name(found) if found is not None else str(code or "")


def _commune(code: Any) -> str:
    found = refdata.commune(str(code)) if code else None
    return found.name if found is not None else str(code or "")


def _language(code: Any) -> str:
    found = refdata.language(str(code)) if code else None
    return _name(found) if found is not None else str(code or "")


def _route(route_id: Any) -> str:
    found = refdata.route(str(route_id)) if route_id else None
    return _name(found) if found is not None else str(route_id or "")


def _route_item(route_id: Any, item: Any) -> str:
    found = refdata.route(str(route_id)) if route_id else None
    if found is not None:
        entries: list[refdata.RouteStep | refdata.RouteDocument] = [*found.steps, *found.documents]
        for entry in entries:
            if entry.key == item:
                return entry.text_en if _lang() == "en" else entry.text_es
    return str(item or "")


def _msg(prefix: str, key: Any) -> str:
    """A catalogue message by key, or the key itself when there is none."""
    if not key:
        return ""
    text = t(f"{prefix}.{key}")
    return str(key) if text == f"{prefix}.{key}" else text


class _Page:
    """Lines of the readable document: headings, labelled fields and list items."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def heading(self, section: str) -> None:
        title = t(f"protection.readable.section.{section}")
        self.lines += ["", title, "─" * len(title)]

    def field(self, name: str, value: str, indent: int = 1) -> None:
        if value:
            self.lines.append(f"{'  ' * indent}{t(f'protection.readable.field.{name}')}: {value}")

    def item(self, text: str) -> None:
        self.lines.append(f"  • {text}")

    def none(self) -> None:
        self.lines.append(f"  {t('protection.readable.none')}")


def _join(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def readable(
    document: dict[str, Any], destinations: Mapping[str, refdata.Destination] | None = None
) -> str:
    """The file as a person can read it, in the UI language: sections with headings, field
    labels instead of keys, codes as their names, dates as dd-mm-yyyy, and no internal ids.
    (The JSON file is the complete, machine-readable answer.)"""
    known = dict(destinations or {})

    def destination(key: Any) -> str:
        found = known.get(str(key)) or (refdata.destination(str(key)) if key else None)
        return _name(found) if found is not None else str(key or "")

    person: dict[str, Any] = document.get("person", {})
    timeline: list[dict[str, Any]] = document.get("timeline", [])
    request = document.get("request", {})
    page = _Page()
    page.lines.append(t("protection.readable.title"))
    full_name = " ".join(
        str(person.get(k) or "") for k in ("given_names", "first_surname", "second_surname")
    ).split()
    page.field("person", " ".join(full_name), 0)
    page.field("request", _msg("protection.right", request.get("kind")), 0)
    page.field("generated_at", _day(document.get("generated_at")), 0)

    page.heading("personal")
    for key in ("given_names", "first_surname", "second_surname", "social_name"):
        page.field(key, str(person.get(key) or ""))
    page.field("sex", _sex(person.get("sex")))
    page.field("gender_identity", _code("gender_identities", person.get("gender_identity")))
    page.field("birth_date", _birth(person.get("birth_date"), person.get("birth_date_precision")))
    page.field("nationality", _country(person.get("nationality")))
    page.field("birth_country", _country(person.get("birth_country")))
    for key in ("phone", "phone2", "email", "address"):
        page.field(key, str(person.get(key) or ""))
    page.field("commune", _commune(person.get("commune_code")))
    page.field("civil_status", _code("civil_statuses", person.get("civil_status")))
    page.field("schooling", str(person.get("schooling") or ""))
    page.field("languages", ", ".join(_language(c) for c in person.get("language_codes", [])))
    page.field("interpreter_needed", _yes_no(person.get("interpreter_needed")))
    page.field("arrival_date", _day(person.get("arrival_date")))
    page.field("stats_opt_out", _yes_no(person.get("stats_opt_out")))
    page.field("external_refs", ", ".join(str(r) for r in person.get("external_refs", [])))
    page.field("created_at", _day(person.get("created_at")))
    page.field("last_contact", _day(person.get("last_contact")))

    page.heading("documents")
    for doc in person.get("documents", []):
        found = refdata.document_type(str(doc.get("type_key") or ""))
        kind = _name(found) if found is not None else str(doc.get("type_key") or "")
        page.item(
            _join(f"{kind} {doc.get('number') or ''}".strip(), _country(doc.get("issuing_country")))
        )
    if not person.get("documents"):
        page.none()

    page.heading("status")
    page.field("current_status", _code("migration_statuses", person.get("current_status")))
    for status in person.get("statuses", []):
        page.item(
            _join(
                _day(status.get("recorded_at")), _code("migration_statuses", status.get("status"))
            )
        )
        page.field("subcategory", str(status.get("subcategory") or ""), 2)
        page.field("valid_until", _day(status.get("valid_until")), 2)
        page.field("sermig_application", str(status.get("sermig_application") or ""), 2)
        page.field("certificate_expires_on", _day(status.get("certificate_expires_on")), 2)
        page.field("entry_date", _day(status.get("entry_date")), 2)
        page.field("entry_authorised", _yes_no(status.get("entry_authorised")), 2)
        page.field("expulsion_order", _yes_no(status.get("expulsion_order")), 2)
        page.field("refuge_requested", _yes_no(status.get("refuge_requested")), 2)
        page.field("note", str(status.get("note") or ""), 2)
    if not person.get("current_status") and not person.get("statuses"):
        page.none()

    page.heading("household")
    for member in person.get("household", []):
        page.item(
            _join(
                _code("relationships", member.get("relationship_key")),
                str(member.get("name") or ""),
            )
        )
        page.field("birth_year", str(member.get("birth_year") or ""), 2)
        page.field("sex", _sex(member.get("sex")), 2)
        if member.get("lives_abroad"):
            page.field("lives_abroad", _yes_no(True), 2)
    if not person.get("household"):
        page.none()

    page.heading("cases")
    for case in person.get("cases", []):
        page.item(_join(str(case.get("programme_name") or ""), _msg("case", case.get("status"))))
        page.field("worker", str(case.get("worker_name") or ""), 2)
        page.field("opened_at", _day(case.get("opened_at")), 2)
        page.field("closed_at", _day(case.get("closed_at")), 2)
        page.field("flags", ", ".join(_code("case_flags", f) for f in case.get("flags", [])), 2)
    if not person.get("cases"):
        page.none()

    def entries(*kinds: str) -> list[dict[str, Any]]:
        return [e for e in timeline if e.get("kind") in kinds]

    def who(entry: dict[str, Any]) -> None:
        page.field(
            "attended_by",
            _join(str(entry.get("worker_name") or ""), str(entry.get("programme_name") or "")),
            2,
        )

    page.heading("contacts")
    for entry in entries("contact"):
        data = entry.get("data", {})
        page.item(_join(_moment(entry.get("at")), _code("contact_channels", data.get("channel"))))
        reasons = ", ".join(_code("contact_reasons", r) for r in data.get("reasons", []))
        page.field("reasons", reasons, 2)
        page.field("note", str(data.get("note") or ""), 2)
        who(entry)
    if not entries("contact"):
        page.none()

    page.heading("guidance")
    for entry in entries("guidance", "guidance_item"):
        data = entry.get("data", {})
        if entry.get("kind") == "guidance":
            page.item(_join(_day(entry.get("at")), _route(data.get("route"))))
            page.field("sermig_application", str(data.get("application") or ""), 2)
        else:
            page.item(
                _join(
                    _day(entry.get("at")),
                    _route(data.get("route")),
                    _route_item(data.get("route"), data.get("item")),
                    _msg("state", data.get("state")),
                )
            )
        who(entry)
    if not entries("guidance", "guidance_item"):
        page.none()

    page.heading("referrals")
    for entry in entries("referral"):
        data = entry.get("data", {})
        page.item(
            _join(
                _day(entry.get("at")),
                destination(data.get("destination")),
                _code("referral_statuses", data.get("to_status")),
            )
        )
        page.field("outcome", _code("referral_outcomes", data.get("outcome")), 2)
        page.field("note", str(data.get("note") or ""), 2)
        who(entry)
    if not entries("referral"):
        page.none()

    page.heading("follow_ups")
    for entry in entries("follow_up", "follow_up_closed"):
        data = entry.get("data", {})
        page.item(_join(_day(entry.get("at")), str(data.get("what") or "")))
        page.field("due_on", _day(data.get("due_on")), 2)
        page.field("state", _msg("fu", data.get("status")), 2)
        page.field("outcome", str(data.get("outcome") or ""), 2)
        who(entry)
    if not entries("follow_up", "follow_up_closed"):
        page.none()

    page.heading("notes")
    for entry in entries("note"):
        page.item(_join(_day(entry.get("at")), str(entry.get("data", {}).get("text") or "")))
        who(entry)
    if not entries("note"):
        page.none()

    page.heading("consents")
    for consent in person.get("consents", []):
        purpose = _msg("consent", consent.get("purpose"))
        if consent.get("destination_key"):
            purpose = f"{purpose} {destination(consent.get('destination_key'))}"
        page.item(_join(_day(consent.get("recorded_at")), purpose))
        page.field("granted", _yes_no(consent.get("granted")), 2)
        page.field("given_by", _msg("protection.readable.given_by", consent.get("given_by")), 2)
        page.field("revoked_at", _day(consent.get("revoked_at")), 2)
    if not person.get("consents"):
        page.none()

    page.heading("recipients")
    for key in document.get("recipients", []):
        page.item(destination(key))
    if not document.get("recipients"):
        page.none()

    page.heading("purposes")
    for purpose in document.get("purposes", []):
        page.item(_msg("protection.readable.purpose", str(purpose).split()[0]))
    return "\n".join(page.lines) + "\n"


# Erasure ----------------------------------------------------------------------------------


@online_only("rights.erase")
def erase(ctx: Context, request_id: uuid.UUID) -> ErasureReport:
    """Erase the person's personal data for real (and every record merged into it), keep a
    tombstone with counts only, and compact the database so no copy stays in free pages.
    Released statistics are anonymised aggregates and stay as they are."""
    with ctx.db.write() as session:
        row, worker = _handled(session, ctx, request_id)
        if row.kind != RightKind.ERASURE.value:
            raise NotAllowed("erasure_needs_request")
        if not row.identity_checked:
            raise NotAllowed("identity_not_checked")
        rows = erase_person(session, row.person_id)
        ids = rows.pop("_persons")
        # erase_person empties the session: load the request again, or its answer is lost.
        row = get_or_404(session, RightsRequest, request_id, "rights_request")
        session.add(
            Tombstone(
                person_id=row.person_id,
                worker_id=worker.id,
                request_id=row.id,
                reason="erasure",
                counts=rows,
            )
        )
        row.status = RequestStatus.ANSWERED.value
        row.answered_at = utcnow()
        row.answered_by = worker.id
        audit(session, ctx, "erase", "person", row.person_id, person_id=row.person_id, **rows)
        lifted = _lift_blocks_after_erasure(session, ctx, worker.id, row)
    compact(ctx)
    return ErasureReport(person_ids=ids, rows=rows, blocks_lifted=lifted)


def _lift_blocks_after_erasure(
    session: Session, ctx: Context, worker_id: uuid.UUID, erasure: RightsRequest
) -> int:
    """A block that waited for this erasure has nothing left to hold: close it as answered."""
    lifted = 0
    while (block := open_blocking(session, erasure.person_id)) is not None:
        block.status = RequestStatus.ANSWERED.value
        block.answer_note = f"erasure {erasure.id}"
        block.answered_at = utcnow()
        block.answered_by = worker_id
        session.flush()
        audit(session, ctx, "lift_block", "rights_request", block.id, person_id=block.person_id)
        lifted += 1
    return lifted


def erase_person(session: Session, person_id: uuid.UUID) -> dict[str, Any]:
    """Delete every row that belongs to the person, dependants first. Generic over the
    metadata, so a table added later that points at a person is erased too."""
    get_or_404(session, Person, person_id, "person")
    ids = [person_id]
    ids += list(session.scalars(sa.select(Person.id).where(Person.merged_into_id == person_id)))
    person_table = Person.__table__
    numbers = {
        (type_key, number)
        for type_key, number in session.execute(
            sa.select(IdentityDocument.type_key, IdentityDocument.number_norm).where(
                IdentityDocument.person_id.in_(ids), IdentityDocument.live_key.is_not(None)
            )
        )
    }
    names = keys.name_tokens(session, ids)  # the typo index forgets them below
    counts: dict[str, Any] = {}
    for table in reversed(Base.metadata.sorted_tables):
        if table is person_table:
            continue
        conditions = [
            fk.parent.in_(ids)
            for fk in table.foreign_keys
            if fk.column.table is person_table and fk.ondelete not in ("SET NULL", "CASCADE")
        ]
        if conditions:
            deleted = _rowcount(session, sa.delete(table).where(sa.or_(*conditions)))
            if deleted:
                counts[table.name] = deleted
    session.execute(sa.update(Person).where(Person.id.in_(ids)).values(merged_into_id=None))
    session.flush()
    session.expunge_all()
    counts["person"] = _rowcount(session, sa.delete(Person).where(Person.id.in_(ids)))
    counts["_persons"] = ids
    keys.forget_unused(session, names)
    # A copy of an erased number waiting in the duplicate queue is its one live record now.
    locking.reclaim(session, numbers)
    return counts


def _rowcount(session: Session, stmt: sa.Delete) -> int:
    result = cast("sa.CursorResult[Any]", session.execute(stmt))
    return int(result.rowcount)


@online_only("rights.compact")
def compact(ctx: Context) -> None:
    """Rewrite the file without the freed pages (SQLite VACUUM, then empty the WAL), or
    VACUUM the person tables on PostgreSQL. A signed-in worker's act (after an erasure)."""
    with ctx.db.read() as session:
        ctx.actor(session)
    engine = ctx.db.engine
    if ctx.db.is_sqlite:
        raw = engine.raw_connection()
        try:
            conn = raw.driver_connection
            assert conn is not None
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM person, identity_document, contact, note, person_key")
