"""A worker leaving the desk (issue #15, point 6): signing out, handing the desk to a
colleague, and the idle lock. Each is a row of the audit trail; unlocking proves the same
worker's password through :func:`casework.services.auth.authenticate`, so failures count
towards the lock-out exactly as at sign-in."""

from __future__ import annotations

from typing import Literal

from casework.errors import NotAllowed
from casework.services import auth, staff
from casework.services.context import Context, audit
from casework.services.schemas import WorkerOut

Leaving = Literal["sign_out", "switch_user"]


def sign_out(ctx: Context, how: Leaving = "sign_out", *, drafts: int = 0) -> None:
    """The worker ended their session at this desk (``switch_user``: for a colleague to
    sign in). ``drafts``: their unfinished fichas, kept for them in the desk's memory."""
    with ctx.db.write() as session:
        row = ctx.actor(session)
        audit(session, ctx, how, "worker", row.id, drafts=drafts)


def record_lock(ctx: Context, minutes: int) -> None:
    """The desk locked itself after ``minutes`` untouched (0: the worker locked it)."""
    with ctx.db.write() as session:
        row = ctx.actor(session)
        audit(session, ctx, "desk_locked", "worker", row.id, minutes=minutes)


def unlock(ctx: Context, password: str) -> WorkerOut:
    """The signed-in worker (``ctx``) is back: their password, checked by
    :func:`auth.authenticate` (a wrong one counted; a locked-out account refused). A
    worker without a password (the synthetic demo desk) unlocks only where
    :func:`staff.sign_in` lets them in without one."""
    with ctx.db.read() as session:
        row = ctx.actor(session)  # nobody, or a worker deactivated meanwhile: refused
        worker_id, username = row.id, row.username
        has_password = row.password_hash is not None
    if not has_password:
        return staff.sign_in(Context(ctx.db), worker_id)
    # With the worker as actor: a wrong password here is recorded as theirs.
    worker = auth.authenticate(Context(ctx.db, worker_id), username, password)
    if worker.id != worker_id:  # a username cannot change hands; checked all the same
        raise NotAllowed("bad_credentials")
    return worker
