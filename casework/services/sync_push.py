"""Offline desks (issue #17), the push: a desk's outbox replayed on the office server.

:func:`push` sends the desk's pending commands in the desk's order. For each:

- already on the server (``sync_applied`` or ``sync_conflict`` holds its id: a push cut
  after the server applied it, before the desk heard back) -> *already*, nothing applied;
- an open conflict of this desk touches one of its records -> stored as a *waiting*
  conflict behind it (the desk's own order is never reversed);
- else replayed through the real service (services/outbox.py :func:`replay`), with the
  desk's ids. An intake runs the duplicate matcher against the server's population: a
  likely match (or a document number already on record) is applied and the pair queued
  in the duplicate queue with its reasons, never merged, never dropped (*duplicate*).
  A refusal (the per-field base check, a blocked person, a state that moved on, ...)
  becomes a ``sync_conflict`` row, audited (*conflict*); nothing of the command is written.

Then the desk's own audit rows that belong to no command (its reads) are copied to the
server with their ids. A network cut stops the push (:class:`PushInterrupted`) with what
was done so far; a later push resumes and applies nothing twice.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from pydantic_core import to_jsonable_python
from sqlalchemy.orm import Session

from casework.db import Database
from casework.errors import Busy, CaseworkError, Conflict, EditConflict, InvalidInput, NotAllowed
from casework.ids import uuid7
from casework.models import (
    AuditEvent,
    Case,
    FollowUp,
    IdentityDocument,
    MatchPair,
    Person,
    Referral,
    SyncApplied,
    SyncConflict,
    SyncDesk,
    SyncOutbox,
)
from casework.models.base import utcnow
from casework.services import likely, outbox, persons
from casework.services.context import Context, audit
from casework.services.locking import queue_lock
from casework.services.match_records import load_records
from casework.services.schemas import IntakeIn

INTAKE = "persons.register_intake"
RESOLVE = "sync_conflicts.resolve"
BUSY_TRIES = 5
"""A command the server answers "busy" is tried this many times before the push stops."""
BUSY_PAUSE = 0.2
"""Seconds before the first new try (doubled each time)."""


@dataclass
class PushSummary:
    sent: int = 0
    """Commands sent this time."""
    applied: int = 0
    already: int = 0
    """Applied by an earlier, interrupted push."""
    duplicates: int = 0
    """Intakes applied and queued as a possible duplicate."""
    conflicts: int = 0
    waiting: int = 0
    decided: int = 0
    """Conflicts this desk resolved offline that the office had resolved first: the
    office's decision stands, the desk's is dropped (not a new conflict)."""
    audit_rows: int = 0
    """Audit rows of the desk's reads copied to the server."""
    conflict_ids: list[str] = field(default_factory=list)


class PushInterrupted(Exception):
    """The server could not be reached part-way: ``summary`` says what got through."""

    def __init__(self, summary: PushSummary, cause: BaseException) -> None:
        self.summary = summary
        self.cause = cause
        super().__init__(str(cause))


Progress = Callable[[int, int], None]
"""``progress(done, total)`` after each command."""


def push(desk: Database, server: Database, *, progress: Progress | None = None) -> PushSummary:
    """Send the desk's pending commands to the server (see module doc)."""
    summary = PushSummary()
    with desk.read() as session:
        me = session.scalars(sa.select(SyncDesk).limit(1)).first()
        if me is None:
            raise NotAllowed("sync_not_a_desk")
        desk_id, desk_name, copied_at = me.id, me.name, me.copied_at
        pending = list(
            session.scalars(
                sa.select(SyncOutbox).where(SyncOutbox.state == "pending").order_by(SyncOutbox.seq)
            )
        )
    total = len(pending)
    try:
        for done, row in enumerate(pending, start=1):
            result, conflict_id, queued = _send_retrying(server, desk_name, row)
            _answer(row.id)
            _mark(desk, row.id, result)
            summary.sent += 1
            if result == "already":
                summary.already += 1
            elif result in ("applied", "duplicate"):
                summary.applied += 1
                if queued:
                    summary.duplicates += 1
            elif result == "conflict":
                summary.conflicts += 1
            elif result == "waiting":
                summary.waiting += 1
            elif result == "decided":
                summary.decided += 1
            if conflict_id is not None:
                summary.conflict_ids.append(str(conflict_id))
            if progress is not None:
                progress(done, total)
        summary.audit_rows = _copy_reads(desk, server, copied_at)
        with desk.write() as session:
            session.execute(
                sa.update(SyncDesk).where(SyncDesk.id == desk_id).values(pushed_at=utcnow())
            )
    except PushInterrupted as exc:
        exc.summary = summary
        raise
    except BaseException as exc:
        if is_cut(exc):
            raise PushInterrupted(summary, exc) from exc
        raise
    return summary


def _answer(command_id: uuid.UUID) -> None:
    """The server's answer for one command reached the desk: the point between "the server
    committed" and "the desk marks its outbox row". A test makes it raise ConnectionError
    to lose an answer (the next push must find the command *already* applied)."""


def is_cut(exc: BaseException) -> bool:
    """A network cut (or a server gone away) while talking to the server."""
    if isinstance(exc, ConnectionError | OSError):
        return True
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return True
    return isinstance(exc, sa.exc.DBAPIError) and bool(exc.connection_invalidated)


def _send_retrying(
    server: Database, desk_name: str, row: SyncOutbox
) -> tuple[str, uuid.UUID | None, int]:
    pause = BUSY_PAUSE
    for attempt in range(BUSY_TRIES):
        try:
            return _send(server, desk_name, row)
        except Busy as busy:
            if attempt == BUSY_TRIES - 1:
                raise PushInterrupted(PushSummary(), busy) from busy
            time.sleep(pause)
            pause *= 2
    raise AssertionError("unreachable")


def replay_of(row: SyncOutbox | SyncConflict) -> outbox.Replay:
    """The command an outbox row (or a conflict row) holds."""
    command_id = row.id if isinstance(row, SyncOutbox) else row.command_id
    return outbox.Replay(
        command_id=command_id,
        desk_id=row.desk_id,
        worker_id=row.worker_id,
        command=row.command,
        payload=copy.deepcopy(dict(row.payload or {})),
        ids=dict(row.ids or {}),
        occurred_at=row.created_at if isinstance(row, SyncOutbox) else row.occurred_at,
    )


def _send(server: Database, desk_name: str, row: SyncOutbox) -> tuple[str, uuid.UUID | None, int]:
    """One command on the server: (result, the conflict row it became, pairs queued)."""
    cmd = replay_of(row)
    records = uuids_of(row.records or [])
    with server.read() as session:
        settled = session.get(SyncApplied, row.id) is not None or (
            session.scalar(sa.select(SyncConflict.id).where(SyncConflict.command_id == row.id))
            is not None
        )
        blocker = None if settled else blocker_of(session, row.desk_id, records, row.seq)
    if settled:
        if row.command == INTAKE:
            # The answer was lost after the intake was applied: its pairs may not be queued.
            pid = _intake_person(cmd)
            if pid is not None:
                queue_duplicates(server, pid, row.worker_id)
        return "already", None, 0
    if blocker is not None:
        conflict_id = record_conflict(
            server,
            cmd,
            desk_name,
            row.seq,
            row.created_at,
            list(row.records or []),
            kind="waiting",
            blocked_by=blocker,
        )
        return "waiting", conflict_id, 0
    try:
        queued = apply_command(server, cmd)
    except Busy:
        raise
    except sa.exc.IntegrityError:
        with server.read() as session:
            if session.get(SyncApplied, row.id) is not None:
                return "already", None, 0  # the same command, sent at the same moment
        # A rule of the database itself refused it (a record made at the same moment by
        # another desk): a conflict for a supervisor, not a push that stops here for good.
        conflict_id = record_conflict(
            server,
            cmd,
            desk_name,
            row.seq,
            row.created_at,
            list(row.records or []),
            error=Conflict("sync_refused_by_database"),
        )
        return "conflict", conflict_id, 0
    except CaseworkError as exc:
        if row.command == RESOLVE and exc.code == "sync_conflict_resolved":
            _settle_decided(server, cmd)
            return "decided", None, 0
        conflict_id = record_conflict(
            server, cmd, desk_name, row.seq, row.created_at, list(row.records or []), error=exc
        )
        return "conflict", conflict_id, 0
    return ("duplicate" if queued else "applied"), None, queued


def _settle_decided(server: Database, cmd: outbox.Replay) -> None:
    """A resolution the office already made: settled, so it is never sent again."""
    with server.write() as session:
        if session.get(SyncApplied, cmd.command_id) is None:
            session.add(outbox.settled_row(cmd.command_id, cmd.desk_id, cmd.worker_id, cmd.command))


def _mark(desk: Database, command_id: uuid.UUID, result: str) -> None:
    with desk.write() as session:
        session.execute(
            sa.update(SyncOutbox)
            .where(SyncOutbox.id == command_id)
            .values(state="sent", sent_at=utcnow(), result=result)
        )


# Applying one command on the server ------------------------------------------------------


def apply_command(db: Database, cmd: outbox.Replay, **overrides: Any) -> int:
    """Replay ``cmd`` on ``db`` as its worker (its ``sync_applied`` row in the same
    transaction). An intake is applied whoever it may double (``allow_likely``; a document
    number someone on record holds is kept as a copy waiting in the duplicate queue), and
    its likely pairs are queued: returns how many pairs were queued (0 for other commands).
    The service's refusals pass through with nothing written."""
    ctx = Context(db, actor_id=cmd.worker_id)
    if cmd.command != INTAKE:
        outbox.replay(ctx, cmd, mark_applied=True, **overrides)
        return 0
    cmd = _intake_ready(db, cmd)
    try:
        result = outbox.replay(ctx, cmd, mark_applied=True, allow_likely=True, **overrides)
    except Conflict as exc:
        if exc.code != "document_on_record":
            raise
        # Another desk's intake claimed the number at the same moment: kept as a copy too.
        cmd = _intake_ready(db, cmd)
        result = outbox.replay(ctx, cmd, mark_applied=True, allow_likely=True, **overrides)
    if result is None:  # applied already
        return 0
    return queue_duplicates(db, result.person_id, cmd.worker_id)


def _intake_data(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The intake form's data inside a ``register_intake`` payload (positional or ``data``)."""
    kwargs = payload.get("kwargs") or {}
    if isinstance(kwargs.get("data"), dict):
        return kwargs["data"]  # type: ignore[no-any-return]
    args = payload.get("args") or []
    for arg in args:
        if isinstance(arg, dict) and "person" in arg:
            return arg
    return None


def _intake_person(cmd: outbox.Replay) -> uuid.UUID | None:
    for key, value in cmd.ids.items():
        if key.startswith("person#0"):
            return uuid.UUID(value)
    return None


def _intake_ready(db: Database, cmd: outbox.Replay) -> outbox.Replay:
    """The intake as the server applies it: when one of its document numbers is already
    held by someone on record, the new person keeps it as a copy (``allow_duplicate_document``)
    and the pair goes to the duplicate queue."""
    data = _intake_data(cmd.payload)
    if data is None or data.get("allow_duplicate_document"):
        return cmd
    try:
        intake = IntakeIn.model_validate(data)
    except ValueError:
        return cmd  # the service says what is wrong with it
    with db.read() as session:
        try:
            persons._documents_on_record(session, intake.person.documents)
        except Conflict:
            data["allow_duplicate_document"] = True
    return cmd


def queue_duplicates(db: Database, person_id: uuid.UUID, worker_id: uuid.UUID | None) -> int:
    """The duplicate matcher for one person against the population on ``db``: each person
    likely the same (services/likely.py, as the intake's gate), and whoever holds one of
    its document numbers, is put in the duplicate queue with the reasons -- once: a pair
    already queued or judged (the desk worker's "not the same person") is left as it is.
    Returns how many pairs this call queued."""
    with db.write() as session:
        queue_lock(session, exclusive=True)
        found = load_records(session, [person_id])
        if not found:
            return 0
        probe = found[0]
        holders = _document_holders(session, person_id)
        results = [
            r
            for r in likely.ranked(session, str(db.url), probe, limit=5, min_score=likely.LIKELY)
            if r.b_id != probe.id and (r.score >= likely.LIKELY or r.b_id in holders)
        ]
        if not results:
            return 0
        others = [uuid.UUID(r.b_id) for r in results]
        known = {
            (a, b)
            for a, b in session.execute(
                sa.select(MatchPair.person_a, MatchPair.person_b).where(
                    sa.or_(
                        sa.and_(MatchPair.person_a == person_id, MatchPair.person_b.in_(others)),
                        sa.and_(MatchPair.person_b == person_id, MatchPair.person_a.in_(others)),
                    )
                )
            )
        }
        new = 0
        for result in results:
            a, b = sorted((person_id, uuid.UUID(result.b_id)))
            if (a, b) in known:
                continue
            known.add((a, b))
            session.add(
                MatchPair(
                    person_a=a,
                    person_b=b,
                    score=round(result.score, 4),
                    reasons=[{"code": r.code, "params": dict(r.params)} for r in result.reasons],
                )
            )
            new += 1
        if new:
            session.flush()
            audit(
                session,
                Context(db, actor_id=worker_id),
                "scan",
                "match_pair",
                None,
                pairs=len(results),
                new=new,
                at="sync",
            )
        return new


def _document_holders(session: Session, person_id: uuid.UUID) -> set[str]:
    """Ids (as the matcher writes them) of the other live persons holding one of the
    person's document numbers."""
    mine = session.execute(
        sa.select(IdentityDocument.type_key, IdentityDocument.number_norm).where(
            IdentityDocument.person_id == person_id
        )
    ).all()
    out: set[str] = set()
    for type_key, number in mine:
        for pid in session.scalars(
            sa.select(IdentityDocument.person_id)
            .join(Person, Person.id == IdentityDocument.person_id)
            .where(
                IdentityDocument.type_key == type_key,
                IdentityDocument.number_norm == number,
                IdentityDocument.person_id != person_id,
                Person.merged_into_id.is_(None),
            )
        ):
            out.add(str(pid))
    return out


# Conflicts -------------------------------------------------------------------------------


def uuids_of(values: Iterable[Any]) -> set[uuid.UUID]:
    """The values that are ids (a row's ``records`` or ``ids``), as UUIDs."""
    out: set[uuid.UUID] = set()
    for value in values:
        try:
            out.add(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            continue
    return out


def blocker_of(
    session: Session,
    desk_id: uuid.UUID,
    records: set[uuid.UUID],
    seq: int,
    *,
    exclude: Sequence[uuid.UUID] = (),
) -> uuid.UUID | None:
    """The open conflict of this desk (earlier in its order) a command on ``records`` must
    wait behind: the conflict itself, or what an earlier waiting command waits behind."""
    if not records:
        return None
    rows = session.execute(
        sa.select(SyncConflict.id, SyncConflict.kind, SyncConflict.blocked_by, SyncConflict.records)
        .where(
            SyncConflict.desk_id == desk_id,
            SyncConflict.status == "open",
            SyncConflict.seq < seq,
        )
        .order_by(SyncConflict.seq)
    ).all()
    for cid, kind, blocked_by, recs in rows:
        if cid in exclude:
            continue
        if uuids_of(recs or []) & records:
            return blocked_by if kind == "waiting" and blocked_by is not None else cid
    return None


def jsonable(value: Any) -> Any:
    return to_jsonable_python(value, fallback=str)


def error_fields(exc: CaseworkError) -> list[dict[str, Any]]:
    if not isinstance(exc, EditConflict):
        return []
    return [
        {
            "field": c.field,
            "base": jsonable(c.base),
            "current": jsonable(c.current),
            "typed": jsonable(c.typed),
            "labels": c.labels,
        }
        for c in exc.conflicts
    ]


def error_params(exc: CaseworkError) -> dict[str, Any]:
    """The refusal's parameters as JSON, with what its message needs to be told again."""
    params: dict[str, Any] = dict(jsonable(exc.params) or {})
    if isinstance(exc, EditConflict):
        params["_labels"] = dict(exc.labels)
        params["_list_fields"] = exc.list_fields
    if isinstance(exc, InvalidInput):
        params["_errors"] = [
            {"field": e.field, "code": e.code, "params": jsonable(e.params)} for e in exc.errors
        ]
    return params


_OWNERS: tuple[type[Any], ...] = (Referral, Case, FollowUp)


def person_of(session: Session, records: Iterable[uuid.UUID]) -> uuid.UUID | None:
    """The person a command is about: one of its records, or whose referral, case or
    follow-up it is."""
    ids = list(records)
    for rid in ids:
        if session.get(Person, rid) is not None:
            return rid
    for model in _OWNERS:
        for rid in ids:
            row = session.get(model, rid)
            if row is not None and getattr(row, "person_id", None) is not None:
                return row.person_id  # type: ignore[no-any-return]
    return None


def record_conflict(
    db: Database,
    cmd: outbox.Replay,
    desk_name: str,
    seq: int,
    occurred_at: Any,
    records: list[Any],
    *,
    error: CaseworkError | None = None,
    kind: str = "conflict",
    blocked_by: uuid.UUID | None = None,
) -> uuid.UUID:
    """The ``sync_conflict`` row of a command the server refused (``error``) or holds back
    behind ``blocked_by``, audited in the same transaction."""
    with db.write() as session:
        row = SyncConflict(
            id=uuid7(),
            command_id=cmd.command_id,
            seq=seq,
            desk_id=cmd.desk_id,
            desk_name=desk_name,
            worker_id=cmd.worker_id,
            command=cmd.command,
            payload=cmd.payload,
            ids=cmd.ids,
            records=[str(r) for r in records],
            person_id=person_of(session, sorted(uuids_of(records))),
            kind=kind,
            code=error.code if error is not None else "waits_behind",
            params=error_params(error) if error is not None else {},
            fields=error_fields(error) if error is not None else [],
            blocked_by=blocked_by,
            occurred_at=occurred_at,
            status="open",
        )
        session.add(row)
        session.flush()
        audit(
            session,
            Context(db, actor_id=cmd.worker_id),
            "conflict",
            "sync_conflict",
            row.id,
            command=cmd.command,
            code=row.code,
            kind=kind,
        )
        return row.id


# The desk's reads ---------------------------------------------------------------------------

_CHUNK = 500


def _copy_reads(desk: Database, server: Database, copied_at: Any) -> int:
    """The desk's audit rows that belong to no command (its reads, sign-ins), made since
    its copy of the server, copied with their ids; rows the server has are skipped."""
    with desk.read() as session:
        made: set[uuid.UUID] = set()
        for (ids,) in session.execute(sa.select(SyncOutbox.ids)):
            made |= uuids_of((ids or {}).values())
        rows = [
            r
            for r in session.scalars(
                sa.select(AuditEvent).where(AuditEvent.at > copied_at).order_by(AuditEvent.at)
            )
            if r.id not in made
        ]
        values = [_columns(r) for r in rows]
    copied = 0
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        with server.write() as session:
            have = set(
                session.scalars(
                    sa.select(AuditEvent.id).where(AuditEvent.id.in_([v["id"] for v in chunk]))
                )
            )
            fresh = [v for v in chunk if v["id"] not in have]
            if fresh:
                session.execute(sa.insert(AuditEvent), fresh)
            copied += len(fresh)
    return copied


def _columns(row: AuditEvent) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in sa.inspect(AuditEvent).column_attrs}
