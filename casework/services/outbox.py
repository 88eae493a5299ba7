"""Offline desks (issue #17), the desk's side: which service calls a desk may run offline,
and the outbox that records each one in the same transaction as its own rows.

A desk file (a database with a :class:`casework.models.SyncDesk` row) works on its own
copy of the office. Each write it may make offline is a *command*: a service call
registered here by name (:data:`OFFLINE`) and marked :func:`offline_command`. Run on a
desk, the call is applied locally at once (the worker sees it) and, in the same
transaction, appended to ``sync_outbox``: the command id, the desk, the worker, the name,
the validated input as JSON, the ids its rows got (:class:`casework.ids.IdPlan`) and the
records it touches. The office server later replays it through the same service
(services/sync_push.py), with the same ids.

What a desk may not do offline is refused before anything is read or written, with a
message that says it needs the office server (:func:`refuse_offline`): merging persons,
rights requests, retention, staff administration, imports and Panel exports
(:data:`ONLINE_ONLY`). Everything else a desk does locally -- reading (its view rows),
signing in, drafts -- is :data:`LOCAL`. tests/test_sync_offline.py checks that every public
service call is in exactly one of the three lists.

On a database that is not a desk (the office server, a single desk) nothing here changes
what a service does.
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import functools
import importlib
import inspect
import typing
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final, ParamSpec, TypeVar

import sqlalchemy as sa
from pydantic import TypeAdapter
from pydantic_core import to_jsonable_python
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from casework import clock
from casework.db import Database
from casework.errors import NotAllowed, NotFound
from casework.i18n import t
from casework.ids import IdPlan, planned, uuid7
from casework.models import SyncApplied, SyncConflict, SyncDesk, SyncOutbox
from casework.services.context import Context

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Command:
    """A service call a desk may run offline."""

    name: str
    """``module.function``, e.g. ``persons.add_note``: the name in the outbox."""
    fn: Callable[..., Any]


OFFLINE: dict[str, Command] = {}
"""Every command a desk may run offline, by name (filled by :func:`offline_command` as the
service modules are imported; :func:`command` imports the one it needs): intake, contact,
note, status, consent, document, referral create and move, person edit, case flags,
follow-ups, guidance, and resolving a sync conflict."""

OFFLINE_NAMES: Final = (
    "persons.register_intake",
    "persons.record_contact",
    "persons.add_note",
    "persons.change_status",
    "persons.record_consent",
    "persons.revoke_consent",
    "persons.add_document",
    "persons.update_person",
    "person_edit.save",
    "referrals.create",
    "referrals.move",
    "cases.set_flags",
    "followups.schedule",
    "followups.close",
    "followups.reschedule",
    "guidance.start",
    "guidance.open_route",
    "guidance.set_item",
    "guidance.set_application",
    "guidance.schedule_deadline",
    "sync_conflicts.resolve",
)
"""The declared list of what a desk may do offline (issue #17, point 3)."""

_MERGE = "sync.what.merge"
_RIGHTS = "sync.what.rights"
_RETENTION = "sync.what.retention"
_STAFF = "sync.what.staff"
_IMPORT = "sync.what.import"
_PANEL = "sync.what.panel"
_CASES = "sync.what.cases"
_COPY = "sync.what.copy"

ONLINE_ONLY: Final[Mapping[str, str]] = {
    "merge.merge": _MERGE,
    "merge.undo": _MERGE,
    "duplicate_queue.not_same": _MERGE,
    "duplicate_queue.scan": _MERGE,
    "rights.register": _RIGHTS,
    "rights.confirm_identity": _RIGHTS,
    "rights.extend": _RIGHTS,
    "rights.refuse": _RIGHTS,
    "rights.answer": _RIGHTS,
    "rights.answer_access": _RIGHTS,
    "rights.answer_access_to": _RIGHTS,
    "rights.erase": _RIGHTS,
    "rights.lift_block": _RIGHTS,
    "rights.acting_on": _RIGHTS,
    "rights.compact": _RIGHTS,
    "retention.anonymise": _RETENTION,
    "retention.keep": _RETENTION,
    "retention.set_policy": _RETENTION,
    "staff.add_worker": _STAFF,
    "staff.change_worker": _STAFF,
    "staff.create_programme": _STAFF,
    "staff.create_worker": _STAFF,
    "staff.first_run": _STAFF,
    "staff.rename_programme": _STAFF,
    "staff.reset_password": _STAFF,
    "staff.set_active": _STAFF,
    "staff.unlock": _STAFF,
    "auth.set_password": _STAFF,
    "auth.choose_first_password": _STAFF,
    "catalogue.add_destination": _STAFF,
    "catalogue.update_destination": _STAFF,
    "catalogue.set_destination_active": _STAFF,
    "settings.set_idle_lock": _STAFF,
    "settings.set_municipality": _STAFF,
    "importing.import_persons": _IMPORT,
    "importing.preview": _IMPORT,
    "import_visits.import_visits": _IMPORT,
    "panel.prepare": _PANEL,
    "panel.export": _PANEL,
    "assignment.reassign_case": _CASES,
    "assignment.reassign_work": _CASES,
    "assignment.request_transfer": _CASES,
    "assignment.accept_transfer": _CASES,
    "assignment.decline_transfer": _CASES,
    "assignment.withdraw_transfer": _CASES,
    "case_lifecycle.close": _CASES,
    "case_lifecycle.reopen": _CASES,
    "case_lifecycle.hold": _CASES,
    "case_lifecycle.resume": _CASES,
    "sync_pull.copy_office": _COPY,
}
"""Public service calls refused on a desk, each with the i18n key of what it is (for the
message): merges and duplicate decisions, rights requests, retention, staff and catalogue
administration, imports, the Panel, moving or closing cases, and copying the office onto a
new desk (a desk's copy comes from the server)."""

_READ = "reads the desk's own copy (its view rows reach the server at the next push)"

LOCAL: Final[Mapping[str, str]] = {
    **dict.fromkeys(
        [
            "assignment.case_assignment",
            "assignment.pending_count",
            "assignment.pending_transfers",
            "assignment.receivers",
            "assignment.workload",
            "audit_log.events",
            "audit_log.person_names",
            "audit_log.staff_names",
            "candidates.intake_candidates",
            "candidates.typed_candidates",
            "candidates.warm",
            "case_lifecycle.current",
            "cases.current_case",
            "catalogue.destination",
            "catalogue.destinations",
            "catalogue.local_destinations",
            "desk.day",
            "desk.retention_review",
            "desk.rights_register",
            "desk.staff_lists",
            "desk.trail_page",
            "duplicate_queue.last_finished",
            "duplicate_queue.queue",
            "duplicate_queue.scan_due",
            "followups.due_for_worker",
            "followups.for_person",
            "guidance.for_person",
            "guidance.get",
            "merge.compare",
            "merge.preview",
            "merge.recent",
            "person_edit.form",
            "person_file.access",
            "person_file.get_person",
            "person_file.open_file",
            "person_file.timeline",
            "persons.names",
            "persons.recent_persons",
            "persons.search_persons",
            "referrals.for_person",
            "referrals.get",
            "referrals.waiting",
            "reports.caseload",
            "reports.drill",
            "retention.policies",
            "retention.review_queue",
            "rights.blocked",
            "rights.due",
            "rights.find_person",
            "settings.office_settings",
            "settings.municipality",
            "staff.find_worker",
            "staff.get_worker",
            "staff.is_empty",
            "staff.list_programmes",
            "staff.list_workers",
            "staff.programmes",
            "staff.staff",
            "sync_conflicts.open_conflicts",
            "sync_conflicts.get",
        ],
        _READ,
    ),
    "auth.authenticate": "signing in on the desk checks the copy of the office's workers",
    "auth.has_password": "signing in on the desk checks the copy of the office's workers",
    "auth.can_choose_first_password": "signing in: reads the copy of the office's workers",
    "auth.issue_token": "a sign-in token for this desk's own command line",
    "auth.revoke_token": "a sign-in token for this desk's own command line",
    "auth.token_sign_in": "a sign-in token for this desk's own command line",
    "staff.sign_in": "signing in on the desk checks the copy of the office's workers",
    "sessions.record_lock": "the desk's own lock and sign-out",
    "sessions.sign_out": "the desk's own lock and sign-out",
    "sessions.unlock": "the desk's own lock and sign-out",
    "duplicate_queue.auto_scan": "does nothing on a desk: the office server scans",
    "persons.documents_race": "part of a command's own transaction",
    "candidates.matcher": "part of a command's own transaction",
    "outbox.refuse_offline": "the check itself",
    "outbox.replay": "applies a command already recorded (push, pull)",
}
"""Public service calls a desk runs on its own copy without sending anything, each with
why."""


# Which database is a desk -------------------------------------------------------------------

_DESK = "_casework_desk"
"""Attribute of a :class:`Database`: its ``sync_desk`` row as (id, name), or False."""


def _desk_row(db: Database) -> tuple[uuid.UUID, str] | None:
    cached: tuple[uuid.UUID, str] | bool | None = db.__dict__.get(_DESK)
    if cached is None:
        with db.read() as session:
            row = session.execute(sa.select(SyncDesk.id, SyncDesk.name).limit(1)).first()
        cached = (row.id, row.name) if row is not None else False
        db.__dict__[_DESK] = cached
    return cached if isinstance(cached, tuple) else None


def is_desk(db: Database) -> bool:
    """Whether ``db`` is a desk file (has a ``sync_desk`` row). Cached on ``db``."""
    return _desk_row(db) is not None


@dataclass(frozen=True)
class DeskStatus:
    """What the desk's header and ``casework sync status`` show."""

    desk_id: uuid.UUID
    name: str
    server: str
    copied_at: Any
    pushed_at: Any
    waiting: int
    """Commands in the outbox not yet sent."""
    conflicts: int
    """Open sync conflicts of this desk in this copy (commands the server refused)."""
    held: int = 0
    """This desk's commands waiting behind one of those conflicts."""
    waiting_by_command: dict[str, int] = field(default_factory=dict)


def desk_status(db: Database) -> DeskStatus | None:
    """The desk's status, or None when ``db`` is not a desk. No worker needed: it names
    no person (counts only)."""
    if not is_desk(db):
        return None
    with db.read() as session:
        desk = session.scalars(sa.select(SyncDesk).limit(1)).one()
        by_command = dict(
            session.execute(
                sa.select(SyncOutbox.command, sa.func.count())
                .where(SyncOutbox.state == "pending")
                .group_by(SyncOutbox.command)
            ).all()
        )
        kinds = dict(
            session.execute(
                sa.select(SyncConflict.kind, sa.func.count())
                .where(SyncConflict.desk_id == desk.id, SyncConflict.status == "open")
                .group_by(SyncConflict.kind)
            ).all()
        )
        return DeskStatus(
            desk.id,
            desk.name,
            desk.server,
            desk.copied_at,
            desk.pushed_at,
            sum(by_command.values()),
            kinds.get("conflict", 0),
            kinds.get("waiting", 0),
            by_command,
        )


def server_text(url: str) -> str:
    """A server's URL as a desk keeps and shows it: never its password."""
    return sa.make_url(url).render_as_string(hide_password=True)


def make_desk(
    db: Database, *, name: str, server: str, desk_id: uuid.UUID | None = None
) -> uuid.UUID:
    """Turn ``db`` into a desk of ``server`` (its URL, password removed): write its
    ``sync_desk`` row (used by pull, and by tests that build a desk by hand)."""
    desk_id = desk_id or uuid7()
    with db.write() as session:
        session.execute(sa.delete(SyncDesk))
        session.add(
            SyncDesk(id=desk_id, name=name, server=server_text(server), copied_at=clock.now())
        )
    db.__dict__.pop(_DESK, None)
    return desk_id


def refuse_offline(ctx: Context, what: str) -> None:
    """Raise ``NotAllowed("offline_refused", what=...)`` when ``ctx.db`` is a desk file:
    ``what`` is the i18n key naming the action (e.g. ``sync.what.merge``)."""
    if is_desk(ctx.db):
        raise NotAllowed("offline_refused", what=t(what))


def online_only(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Mark a public service call refused on a desk (:data:`ONLINE_ONLY` says as what)."""
    what = ONLINE_ONLY[name]

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            ctx = args[0] if args else kwargs.get("ctx")
            if isinstance(ctx, Context):
                refuse_offline(ctx, what)
            return fn(*args, **kwargs)

        return call

    return wrap


# Capture on the desk, replay on the server ------------------------------------------------


@dataclass
class _Running:
    """The command being recorded (on a desk) or replayed (on the server)."""

    db: Database
    plan: IdPlan
    command: str
    command_id: uuid.UUID
    worker_id: uuid.UUID | None
    payload: dict[str, Any]
    desk_id: uuid.UUID | None
    record: bool
    """True: append to this desk's outbox; False: a replay."""
    mark_applied: bool = False
    wrote: bool = False
    done: bool = False


_running: ContextVar[_Running | None] = ContextVar("casework_command", default=None)


def offline_command(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Register a write service as a command a desk may run offline (see module doc).

    The wrapped call, on a desk file and outside a replay, runs inside a command capture:
    a fresh :class:`casework.ids.IdPlan`, and at the commit of its write transaction one
    ``sync_outbox`` row (id = the call's ``request_id`` when given, else a new UUIDv7).
    Nested commands (a command calling another) record nothing of their own. On the
    server during a replay, or on any database that is not a desk, it is the plain call."""
    assert name in OFFLINE_NAMES, name

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            ctx = args[0]
            if _running.get() is not None or not isinstance(ctx, Context):
                return fn(*args, **kwargs)
            desk = _desk_row(ctx.db)
            if desk is None:
                return fn(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            params = dict(bound.arguments)
            params.pop("ctx", None)
            given = params.get("request_id")
            running = _Running(
                db=ctx.db,
                plan=IdPlan(),
                command=name,
                command_id=given if isinstance(given, uuid.UUID) else uuid7(),
                worker_id=ctx.actor_id,
                payload={"kwargs": to_jsonable_python(params)},
                desk_id=desk[0],
                record=True,
            )
            token = _running.set(running)
            try:
                with planned(running.plan):
                    return fn(*args, **kwargs)
            finally:
                _running.reset(token)

        OFFLINE[name] = Command(name, call)
        return call

    return wrap


def command(name: str) -> Command:
    """The registered command ``name`` (its module imported when needed)."""
    if name not in OFFLINE and name in OFFLINE_NAMES:
        importlib.import_module(f"casework.services.{name.split('.')[0]}")
    try:
        return OFFLINE[name]
    except KeyError:
        raise NotAllowed("unknown_command", command=name) from None


def _wrote(state: ORMExecuteState) -> None:
    running = _running.get()
    if running is not None and (state.is_insert or state.is_update or state.is_delete):
        running.wrote = True


def _flushed(session: Session, _context: Any) -> None:
    running = _running.get()
    if running is not None:
        running.wrote = True


def _before_commit(session: Session) -> None:
    running = _running.get()
    if running is None:
        return
    if getattr(session.get_bind(), "pool", None) is not running.db.engine.pool:
        return
    if running.done:
        if running.record:
            # A command that writes in more than one transaction: its outbox row names
            # every id it made, or the server would give the later rows other ids.
            session.flush()
            session.execute(
                sa.update(SyncOutbox)
                .where(SyncOutbox.id == running.command_id)
                .values(ids=dict(running.plan.made))
            )
        return
    session.flush()
    if not running.wrote and not running.plan.made:
        return
    running.done = True
    if running.record:
        assert running.desk_id is not None
        session.add(
            SyncOutbox(
                id=running.command_id,
                seq=_next_seq(session, running.desk_id),
                desk_id=running.desk_id,
                worker_id=running.worker_id,
                command=running.command,
                payload=running.payload,
                ids=dict(running.plan.made),
                records=records_of(running.command, running.payload, running.plan.made),
            )
        )
    elif running.mark_applied:
        session.add(_applied_row(running))


def _next_seq(session: Session, desk_id: uuid.UUID) -> int:
    """The desk's next place in its order: after its outbox and after every conflict of
    this desk the copy holds (a pull starts a new outbox, the order goes on)."""
    last = session.scalar(sa.select(sa.func.coalesce(sa.func.max(SyncOutbox.seq), 0)))
    conflicts = session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(SyncConflict.seq), 0)).where(
            SyncConflict.desk_id == desk_id
        )
    )
    return max(last or 0, conflicts or 0) + 1


def settled_row(
    command_id: uuid.UUID,
    desk_id: uuid.UUID,
    worker_id: uuid.UUID | None,
    command: str,
    **at: dt.datetime,
) -> SyncApplied:
    """The server's mark that a desk command is settled (applied, or decided otherwise):
    it is never applied again."""
    return SyncApplied(
        command_id=command_id, desk_id=desk_id, worker_id=worker_id, command=command, **at
    )


def _applied_row(running: _Running) -> SyncApplied:
    assert running.desk_id is not None
    return settled_row(
        running.command_id,
        running.desk_id,
        running.worker_id,
        running.command,
        applied_at=dt.datetime.now(dt.UTC),  # when it reached the server, not clock.as_of's
    )


event.listen(Session, "do_orm_execute", _wrote)
event.listen(Session, "after_flush", _flushed)
event.listen(Session, "before_commit", _before_commit)


@dataclass(frozen=True)
class Replay:
    """One command to apply on the server (or again on a desk): what the outbox holds."""

    command_id: uuid.UUID
    desk_id: uuid.UUID
    worker_id: uuid.UUID | None
    command: str
    payload: dict[str, Any]
    ids: dict[str, str]
    occurred_at: dt.datetime | None = None
    """When the worker made it on the desk: the replay is dated then (casework/clock.py
    ``as_of``), so an outreach day's work keeps its day."""


def replay(ctx: Context, cmd: Replay, *, mark_applied: bool = True, **overrides: Any) -> Any:
    """Apply ``cmd`` through its registered service on ``ctx.db`` (``ctx.actor_id`` the
    command's worker), with the desk's ids (:func:`casework.ids.planned`), and -- when
    ``mark_applied`` -- a ``sync_applied`` row for its id in the same transaction as what it
    wrote. ``overrides`` replace keyword arguments of the call (a replayed intake runs with
    ``allow_likely=True``). Returns the service's result (None when ``mark_applied`` and the
    command is applied already: nothing is done twice); the service's own errors
    (EditConflict, Conflict, NotAllowed, NotFound, InvalidInput) pass through with
    nothing written."""
    found = command(cmd.command)
    if mark_applied:
        with ctx.db.read() as session:
            if session.get(SyncApplied, cmd.command_id) is not None:
                return None  # applied already (its sync_applied row says so)
    kwargs = _arguments(found.fn, cmd.payload)
    kwargs.update(overrides)
    for _ in range(10):  # a chain of merges is short
        try:
            return _replay_once(ctx, cmd, found, kwargs, mark_applied)
        except NotFound as exc:
            survivor = exc.params.get("survivor")
            if exc.code != "person_merged" or cmd.command not in FOLLOW_MERGE or not survivor:
                raise
            # An append to a person merged meanwhile goes to the surviving record.
            kwargs["person_id"] = uuid.UUID(str(survivor))
    raise NotFound("person_merged")


FOLLOW_MERGE: Final = frozenset(
    {
        "persons.record_contact",
        "persons.add_note",
        "persons.change_status",
        "persons.record_consent",
        "persons.add_document",
        "referrals.create",
        "followups.schedule",
        "guidance.start",
        "guidance.open_route",
    }
)
"""Commands that add to a person's file: on a person merged meanwhile they follow the merge
to the surviving record. An edit of a merged person's fields does not (its base is another
record's): it is a conflict for a supervisor."""


def _replay_once(
    ctx: Context, cmd: Replay, found: Command, kwargs: dict[str, Any], mark_applied: bool
) -> Any:
    running = _Running(
        db=ctx.db,
        plan=IdPlan(cmd.ids),
        command=cmd.command,
        command_id=cmd.command_id,
        worker_id=cmd.worker_id,
        payload=cmd.payload,
        desk_id=cmd.desk_id,
        record=False,
        mark_applied=mark_applied,
    )
    token = _running.set(running)
    try:
        with planned(running.plan), clock.as_of(cmd.occurred_at):
            result = found.fn(ctx, **kwargs)
    finally:
        _running.reset(token)
    if mark_applied and not running.done:
        # The command wrote nothing (its change was already there): still settled, once.
        with ctx.db.write() as session:
            if session.get(SyncApplied, cmd.command_id) is None:
                session.add(_applied_row(running))
    return result


def _arguments(fn: Callable[..., Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """The call's keyword arguments from the outbox's JSON, each parsed to its declared
    type (ids, dates; an input model's dict is validated by the service itself)."""
    target = inspect.unwrap(fn)
    hints = typing.get_type_hints(target)
    out: dict[str, Any] = {}
    for name, value in dict(payload.get("kwargs", {})).items():
        hint = hints.get(name)
        out[name] = _parse(hint, value) if hint is not None else value
    return out


@functools.cache
def _adapter(hint: Any) -> TypeAdapter[Any] | None:
    if typing.get_origin(hint) is collections.abc.Collection:
        (item,) = typing.get_args(hint) or (Any,)
        hint = list[item]  # type: ignore[valid-type]
    try:
        return TypeAdapter(hint)
    except Exception:  # a type pydantic cannot build (EllipsisType): passed as it is
        return None


def _parse(hint: Any, value: Any) -> Any:
    if value is None or isinstance(value, dict):
        return value
    adapter = _adapter(hint)
    if adapter is None:
        return value
    try:
        return adapter.validate_python(value)
    except Exception:  # the service validates again and says what is wrong
        return value


def records_of(command: str, payload: Mapping[str, Any], ids: Mapping[str, str]) -> list[str]:
    """The ids of the records a command touches: its positional ids, the ``*_id`` values of
    its input, and the person it created."""
    found: list[str] = []

    def add(value: Any) -> None:
        try:
            text = str(uuid.UUID(str(value)))
        except ValueError:
            return
        if text not in found:
            found.append(text)

    for name, value in dict(payload.get("kwargs", {})).items():
        if name.endswith("_id") and name not in ("request_id", "rights_request_id"):
            add(value)
        elif isinstance(value, dict):
            for key, inner in value.items():
                if key.endswith("_id") and isinstance(inner, str):
                    add(inner)
    if command == "persons.register_intake" and "person#0" in ids:
        add(ids["person#0"])
    return found
