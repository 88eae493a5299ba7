"""Offline desks (issue #17): the supervisors' queue of sync conflicts.

A desk command the server refused is a ``sync_conflict`` row: what the desk wanted (the
command and its input), what the server has (per field: the value the desk started from,
the value now on record, the value typed) and why (the refusal's message). Commands of
the same desk on the same record that came after it wait behind it (kind ``waiting``).

A supervisor resolves each one (audited, ``resolve`` of ``sync_conflict``):

- **apply mine**: the desk's values are applied over what the server has now (the
  command replayed with each conflicting field's base set to the current value; a state
  move from the state the record is in now). If the service still refuses (the move is no
  longer legal, the person is blocked), nothing changes and the message says why;
- **keep theirs**: the command is dropped; the server's values stand;
- **edit and apply**: the supervisor corrects the values (per conflicting field) and they
  are applied over what the server has now.

Once a conflict is resolved, the commands waiting behind it are replayed in their order
(each may become a conflict of its own). Supervisors see the conflicts of their
programme's workers (office-wide supervisors: all); desk workers and administrators see
none. Resolving is itself a command a desk may run offline (services/outbox.py): the
desk's copy shows the result at once and the server repeats it at the next push.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, Literal

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.orm import Session

from casework.db import Database
from casework.errors import (
    CaseworkError,
    EditConflict,
    FieldConflict,
    FieldError,
    InvalidInput,
    NotAllowed,
    shown,
)
from casework.i18n import t
from casework.models import SyncConflict, Worker
from casework.models.base import utcnow
from casework.services import gate, outbox, paging, sync_push
from casework.services.context import Context, audit, get_or_404, validate
from casework.services.outbox import offline_command
from casework.services.paging import Page
from casework.services.persons import _summaries
from casework.services.schemas import Input, Output


class ConflictField(Output):
    field: str
    label: str
    """The field's name in the UI language."""
    base: Any
    current: Any
    typed: Any
    base_text: str
    current_text: str
    typed_text: str
    """The three values as the UI shows them (dates, code names)."""


class ConflictOut(Output):
    id: uuid.UUID
    command_id: uuid.UUID
    desk_name: str
    worker_name: str
    command: str
    what: str
    """What the desk did, in the UI language ("Edit person", "Move referral")."""
    person_id: uuid.UUID | None
    person_name: str | None
    kind: Literal["conflict", "waiting"]
    code: str = ""
    """The refusal's message code (``edit_conflict``, ``person_blocked``, ``waits_behind``)."""
    reason: str
    """Why, in the UI language (the refusal's message)."""
    fields: list[ConflictField]
    occurred_at: dt.datetime
    created_at: dt.datetime
    status: Literal["open", "applied", "discarded"]
    blocked_by: uuid.UUID | None
    version: int


class ResolveIn(Input):
    action: Literal["mine", "theirs", "edited"]
    values: dict[str, Any] | None = None
    """For ``edited``: the new value per conflicting field."""
    version: int | None = None
    """The conflict's version the supervisor saw: another supervisor's resolution first is
    an EditConflict."""


class ResolveResult(Output):
    status: Literal["applied", "discarded"]
    released: int
    """Commands that waited behind it and were replayed now."""
    still_waiting: int


# Reading the queue -------------------------------------------------------------------------


def _in_scope(session: Session, ctx: Context) -> sa.ColumnElement[bool] | None:
    """The supervisor's scope as a condition on the conflicts (None: every one)."""
    scope = gate.supervision(session, ctx)
    if scope.programme_id is None:
        return None
    return SyncConflict.worker_id.in_(
        sa.select(Worker.id).where(Worker.programme_id == scope.programme_id)
    )


def _scoped(session: Session, ctx: Context, conflict_id: uuid.UUID) -> SyncConflict:
    condition = _in_scope(session, ctx)
    row = get_or_404(session, SyncConflict, conflict_id, "sync_conflict")
    if condition is not None and (
        session.scalar(sa.select(SyncConflict.id).where(SyncConflict.id == row.id, condition))
        is None
    ):
        raise NotAllowed("other_programme")
    return row


def open_conflicts(ctx: Context, *, offset: int = 0, limit: int | None = None) -> Page[ConflictOut]:
    """The open conflicts (and waiting commands) the supervisor may resolve, oldest first."""
    with ctx.db.read() as session:
        condition = _in_scope(session, ctx)
        stmt = sa.select(SyncConflict).where(SyncConflict.status == "open")
        if condition is not None:
            stmt = stmt.where(condition)
        order = [
            (SyncConflict.occurred_at, False),
            (SyncConflict.seq, False),
            (SyncConflict.id, False),
        ]
        page = paging.fetch(session, stmt, order, offset=offset, limit=limit)
        rows = [r[0] for r in page]
        return page.mapped(_outs(session, rows))


def get(ctx: Context, conflict_id: uuid.UUID) -> ConflictOut:
    with ctx.db.read() as session:
        row = _scoped(session, ctx, conflict_id)
        return _outs(session, [row])[0]


def _outs(session: Session, rows: list[SyncConflict]) -> list[ConflictOut]:
    workers = {
        w.id: w.full_name
        for w in session.scalars(
            sa.select(Worker).where(Worker.id.in_({r.worker_id for r in rows if r.worker_id}))
        )
    }
    people = {
        s.id: s.full_name
        for s in _summaries(session, sorted({r.person_id for r in rows if r.person_id}))
    }
    return [
        ConflictOut(
            id=r.id,
            command_id=r.command_id,
            desk_name=r.desk_name,
            worker_name=workers.get(r.worker_id, "") if r.worker_id else "",
            command=r.command,
            what=what(r.command),
            person_id=r.person_id,
            person_name=people.get(r.person_id) if r.person_id else None,
            kind=r.kind,
            code=r.code,
            reason=reason(r),
            fields=[_field(f) for f in r.fields or []],
            occurred_at=r.occurred_at,
            created_at=r.created_at,
            status=r.status,
            blocked_by=r.blocked_by,
            version=r.version,
        )
        for r in rows
    ]


def what(command: str, lang: str | None = None) -> str:
    """The command in words ("Edit person"); an unnamed one by its name."""
    key = "sync.command." + command.replace(".", "_")
    text = t(key, lang=lang)
    return text if text != key else t("sync.command.other", lang=lang, command=command)


def refusal(row: SyncConflict) -> CaseworkError:
    """The refusal a conflict row keeps, as the error the service raised."""
    params = dict(row.params or {})
    labels = params.pop("_labels", None)
    list_fields = params.pop("_list_fields", True)
    errors = params.pop("_errors", None)
    if errors is not None:
        return InvalidInput(
            [FieldError(e["field"], e["code"], dict(e.get("params") or {})) for e in errors]
        )
    if row.fields or row.code == "edit_conflict" or labels is not None:
        return EditConflict(
            [_conflict(f) for f in row.fields or []],
            row.code,
            labels=labels,
            list_fields=bool(list_fields),
            **params,
        )
    return CaseworkError(row.code, **params)


def reason(row: SyncConflict, lang: str | None = None) -> str:
    if row.kind == "waiting":
        return t("error.waits_behind", lang=lang)
    return refusal(row).message(lang)


def _conflict(f: Mapping[str, Any]) -> FieldConflict:
    return FieldConflict(
        f["field"], f.get("base"), f.get("current"), f.get("typed"), f.get("labels")
    )


def _field(f: Mapping[str, Any]) -> ConflictField:
    c = _conflict(f)
    return ConflictField(
        field=c.field,
        label=c.label(),
        base=c.base,
        current=c.current,
        typed=c.typed,
        base_text=shown(c.base, c.labels),
        current_text=shown(c.current, c.labels),
        typed_text=shown(c.typed, c.labels),
    )


# Resolving ---------------------------------------------------------------------------------


def _lost() -> EditConflict:
    """Another supervisor resolved it first (or the version seen is not the current one)."""
    return EditConflict(code="sync_conflict_resolved", list_fields=False)


@offline_command("sync_conflicts.resolve")
def resolve(
    ctx: Context,
    conflict_id: uuid.UUID,
    data: ResolveIn | Mapping[str, Any],
    *,
    request_id: uuid.UUID | None = None,
) -> ResolveResult:
    """Resolve one open conflict (see module doc). A waiting command cannot be resolved on
    its own: it is released with what it waits behind (``waits_behind``)."""
    wanted = validate(ResolveIn, data)
    with ctx.db.read() as session:
        row = _scoped(session, ctx, conflict_id)
        if row.status != "open" or (wanted.version is not None and wanted.version != row.version):
            raise _lost()
        if row.kind == "waiting":
            blocker = session.get(SyncConflict, row.blocked_by) if row.blocked_by else None
            if blocker is not None and blocker.status == "open":
                raise CaseworkError("waits_behind")
            stranded = row.blocked_by
        else:
            stranded = None
        if wanted.action == "edited" and not wanted.values:
            raise InvalidInput([FieldError("values", "required")])
        if wanted.action == "edited" and not row.fields:
            # Refused whole (a blocked person, a state that moved on): no value to correct.
            raise CaseworkError("sync_nothing_to_edit")
        cmd = sync_push.replay_of(row)
        fields = list(row.fields or [])
        version = row.version
    if stranded is not None:
        # What it waited behind is resolved but the release was cut short: release it now.
        released, still = _release(ctx, stranded)
        return ResolveResult(status="applied", released=released, still_waiting=still)
    if wanted.action == "theirs":
        _settle(ctx, conflict_id, version, "discarded", "theirs", keep=True)
        status: Literal["applied", "discarded"] = "discarded"
    else:
        _apply_mine(ctx, cmd, fields, wanted.values if wanted.action == "edited" else None)
        _settle(ctx, conflict_id, version, "applied", wanted.action, keep=False)
        status = "applied"
    released, still = _release(ctx, conflict_id)
    return ResolveResult(status=status, released=released, still_waiting=still)


def _apply_mine(
    ctx: Context,
    cmd: Any,
    fields: list[dict[str, Any]],
    values: Mapping[str, Any] | None,
) -> None:
    """The command over what the server has now; once more from the values another
    change left meanwhile; else the service's refusal."""
    payload = rebased(cmd.payload, fields, values)
    for attempt in range(2):
        try:
            sync_push.apply_command(ctx.db, _with_payload(cmd, payload))
            return
        except EditConflict as exc:
            if attempt == 1 or not exc.conflicts:
                raise
            payload = rebased(payload, sync_push.error_fields(exc), values)
        except sa.exc.IntegrityError:
            # Its sync_applied row (or a row with the desk's id) is there: another
            # supervisor applied it first.
            raise _lost() from None


def _with_payload(cmd: Any, payload: dict[str, Any]) -> Any:
    return dataclasses.replace(cmd, payload=payload)


def _settle(
    ctx: Context, conflict_id: uuid.UUID, version: int, status: str, resolution: str, *, keep: bool
) -> None:
    """Mark the conflict resolved (and, for "keep theirs", settle its command on the
    server: it is never applied later), audited."""
    try:
        with ctx.db.write() as session:
            row = session.get(
                SyncConflict, conflict_id, with_for_update=True, populate_existing=True
            )
            if row is None or row.status != "open" or row.version != version:
                raise _lost()
            if keep:
                session.add(
                    outbox.settled_row(row.command_id, row.desk_id, row.worker_id, row.command)
                )
                session.flush()
            row.status = status
            row.resolution = resolution
            row.resolved_by = ctx.actor_id
            row.resolved_at = utcnow()
            audit(session, ctx, "resolve", "sync_conflict", row.id, resolution=resolution)
    except sa.exc.IntegrityError:
        raise _lost() from None


def release_stranded(db: Database) -> int:
    """Waiting commands whose conflict is resolved but that were never released (a release
    cut part-way by the network or a crash): released now, in their order. ``casework
    sync`` runs it before each push, so nothing stays stuck behind a closed conflict."""
    with db.read() as session:
        blocker = sa.orm.aliased(SyncConflict)
        rows = session.execute(
            sa.select(SyncConflict.blocked_by, sa.func.min(SyncConflict.seq))
            .join(blocker, blocker.id == SyncConflict.blocked_by)
            .where(
                SyncConflict.status == "open",
                SyncConflict.kind == "waiting",
                blocker.status != "open",
            )
            .group_by(SyncConflict.blocked_by)
            .order_by(sa.func.min(SyncConflict.seq))
        ).all()
        resolver: dict[uuid.UUID, uuid.UUID | None] = dict(
            session.execute(
                sa.select(SyncConflict.id, SyncConflict.resolved_by).where(
                    SyncConflict.id.in_([r[0] for r in rows])
                )
            ).all()
        )
    released = 0
    for conflict_id, _ in rows:
        if conflict_id is not None:
            released += _release(Context(db, resolver.get(conflict_id)), conflict_id)[0]
    return released


def _release(ctx: Context, conflict_id: uuid.UUID) -> tuple[int, int]:
    """Replay, in the desk's order, the commands that waited behind a resolved conflict:
    (replayed, still waiting behind another open conflict of theirs)."""
    with ctx.db.read() as session:
        waiting = list(
            session.scalars(
                sa.select(SyncConflict)
                .where(
                    SyncConflict.blocked_by == conflict_id,
                    SyncConflict.status == "open",
                    SyncConflict.kind == "waiting",
                )
                .order_by(SyncConflict.seq)
            )
        )
    released = still = 0
    for w in waiting:
        records = sync_push.uuids_of(w.records or [])
        with ctx.db.read() as session:
            blocker = sync_push.blocker_of(
                session, w.desk_id, records, w.seq, exclude=[conflict_id, w.id]
            )
        if blocker is not None:
            with ctx.db.write() as session:
                session.execute(
                    sa.update(SyncConflict)
                    .where(SyncConflict.id == w.id)
                    .values(blocked_by=blocker, version=SyncConflict.version + 1)
                )
            still += 1
            continue
        released += 1
        cmd = sync_push.replay_of(w)
        try:
            sync_push.apply_command(ctx.db, cmd)
        except CaseworkError as exc:
            with ctx.db.write() as session:
                row = session.get(SyncConflict, w.id, with_for_update=True, populate_existing=True)
                assert row is not None
                row.kind = "conflict"
                row.code = exc.code
                row.params = sync_push.error_params(exc)
                row.fields = sync_push.error_fields(exc)
                row.blocked_by = None
                audit(
                    session,
                    Context(ctx.db, actor_id=w.worker_id),
                    "conflict",
                    "sync_conflict",
                    row.id,
                    command=row.command,
                    code=row.code,
                    kind="conflict",
                )
            continue
        with ctx.db.write() as session:
            row = session.get(SyncConflict, w.id, with_for_update=True, populate_existing=True)
            assert row is not None
            row.status = "applied"
            row.resolution = "after"
            row.resolved_by = ctx.actor_id
            row.resolved_at = utcnow()
            audit(session, ctx, "resolve", "sync_conflict", row.id, resolution="after")
    return released, still


# "Apply mine": the command's bases set to what the server has now -------------------------


def rebased(
    payload: Mapping[str, Any],
    fields: list[dict[str, Any]],
    values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A copy of a command's payload whose conflicting fields start from the value now on
    record (``current``), and, for "edit and apply", carry ``values`` as what is typed:

    - an edit input's ``{"base": ..., "new": ...}`` under the field's name (a person edit,
      the edit form's languages, a follow-up's change);
    - a referral move's ``from_status`` (the field ``status``; an edited status is ``to``;
      its other fields as they are named);
    - a call's ``base=`` keyword (case flags, a follow-up's new date, an application
      number): the positional value equal to what was typed is the one replaced."""
    out: dict[str, Any] = copy.deepcopy(dict(payload))
    for f in fields:
        name = f["field"]
        current = f.get("current")
        edited = values is not None and name in values
        new = values[name] if values is not None and name in values else None
        if _set_change(out, name, current, edited, new):
            continue
        move = _find(out, "from_status")
        if move is not None:
            if name == "status":
                move["from_status"] = current
                if edited:
                    move["to"] = new
            elif edited:
                move[name] = new
            continue
        kwargs = out.setdefault("kwargs", {})
        if "base" in kwargs or name in ("due_on", "sermig_application", "flags"):
            kwargs["base"] = current
            if edited:
                _replace_typed(out, f.get("typed"), new)
    return out


def _set_change(node: Any, name: str, current: Any, edited: bool, new: Any) -> bool:
    hit = False
    if isinstance(node, dict):
        for key, value in node.items():
            if key == name and isinstance(value, dict) and "base" in value and "new" in value:
                value["base"] = current
                if edited:
                    value["new"] = new
                hit = True
            elif isinstance(value, dict | list):
                hit = _set_change(value, name, current, edited, new) or hit
    elif isinstance(node, list):
        for value in node:
            hit = _set_change(value, name, current, edited, new) or hit
    return hit


def _find(node: Any, key: str) -> dict[str, Any] | None:
    if isinstance(node, dict):
        if key in node:
            return node
        for value in node.values():
            found = _find(value, key)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _find(value, key)
            if found is not None:
                return found
    return None


def _replace_typed(payload: dict[str, Any], typed: Any, new: Any) -> None:
    args = payload.get("args") or []
    for i, value in enumerate(args):
        if value == typed:
            args[i] = new
            return
    kwargs = payload.get("kwargs") or {}
    for key, value in kwargs.items():
        if key != "base" and value == typed:
            kwargs[key] = new
            return
