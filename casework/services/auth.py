"""Sign-in with passwords: argon2id hashes, lock-out after repeated failures, all audited.

A password is never stored, logged or put in an audit event; only its argon2id hash is kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from casework.errors import NotAllowed
from casework.models import SignInToken, Worker
from casework.models.base import utcnow
from casework.models.enums import Role
from casework.services.context import Context, audit
from casework.services.outbox import online_only
from casework.services.schemas import WorkerOut

MAX_FAILURES = 5
"""Consecutive failed sign-ins before the account is locked."""
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 10
"""Long rather than complicated: a passphrase of a few words is easy to type at a desk."""

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise NotAllowed("password_too_short", length=MIN_PASSWORD_LENGTH)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


_dummy_hash: dict[str, str] = {}


def _verify_dummy(password: str) -> None:
    """Spend the time of one verification, whether the username exists or not."""
    if "hash" not in _dummy_hash:
        _dummy_hash["hash"] = _hasher.hash("casework-timing-equaliser")
    _verify(_dummy_hash["hash"], password)


def authenticate(
    ctx: Context, username: str, password: str, *, command: str | None = None
) -> WorkerOut:
    """The worker whose username and password these are, or ``NotAllowed``.

    ``command`` (the command line's subcommand) is recorded in the audit event, so the
    trail says what a sign-in was for.

    A failure is counted and audited (committed even though the call fails); after
    :data:`MAX_FAILURES` in a row the account is locked for :data:`LOCK_MINUTES`.
    The message never says whether the username exists.

    The password is checked (argon2, a deliberate fraction of a second) outside any write
    transaction; the outcome is then written with the worker's row locked and read again,
    so twenty wrong passwords sent at once count as twenty, one after another: the account
    locks at the fifth and the rest find it locked.
    """
    name = username.strip().lower()
    with ctx.db.read() as session:
        seen = session.scalar(sa.select(Worker).where(Worker.username == name))
    checked: dict[str, bool] = {}
    if seen is not None and seen.active and seen.password_hash is not None:
        if seen.locked_until is None or seen.locked_until <= utcnow():
            checked[seen.password_hash] = _verify(seen.password_hash, password)
    elif seen is None or not seen.active:
        _verify_dummy(password)
    failure: NotAllowed | None = None
    extra: dict[str, Any] = {"command": command} if command else {}
    with ctx.db.write() as session:
        row = session.scalar(
            sa.select(Worker)
            .where(Worker.username == name)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        now = utcnow()
        reason = ""
        if row is None or not row.active:
            reason, failure = "unknown", NotAllowed("bad_credentials")
        elif row.locked_until is not None and row.locked_until > now:
            minutes = _minutes_left(row.locked_until, now)
            reason, failure = "locked", NotAllowed("account_locked", minutes=minutes)
        elif row.password_hash is None:
            reason, failure = "no_pw", NotAllowed("password_not_set")
        elif not _checked(checked, row.password_hash, password):
            row.failed_sign_ins += 1
            reason, failure = "bad_password", NotAllowed("bad_credentials")
            if row.failed_sign_ins >= MAX_FAILURES:
                row.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
                row.failed_sign_ins = 0
                reason = "locked_now"
                failure = NotAllowed("account_locked", minutes=LOCK_MINUTES)
        else:
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            row.failed_sign_ins = 0
            row.locked_until = None
            row.last_seen_at = now
            audit(session, Context(ctx.db, row.id), "sign_in", "worker", row.id, **extra)
            return WorkerOut.model_validate(row)
        who = row.id if row is not None and row.active else None
        # A signed-in worker failing their own password (the lock screen) is the event's
        # worker too; a sign-in is nobody's until it succeeds.
        by = Context(ctx.db, who) if who is not None and ctx.actor_id == who else Context(ctx.db)
        audit(session, by, "sign_in_failed", "worker", who, reason=reason, **extra)
    raise failure


def _checked(checked: dict[str, bool], stored: str, password: str) -> bool:
    """The verification done before the lock, or (the hash changed meanwhile, or the
    account was locked when read) one done now."""
    if stored not in checked:
        checked[stored] = _verify(stored, password)
    return checked[stored]


def _minutes_left(until: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((until - now).total_seconds() // 60) + 1)


def has_password(ctx: Context, worker_id: uuid.UUID) -> bool:
    with ctx.db.read() as session:
        row = session.get(Worker, worker_id)
        return row is not None and row.password_hash is not None


def _any_password(session: Session) -> bool:
    return bool(session.scalar(sa.select(sa.func.count()).where(Worker.password_hash.is_not(None))))


def can_choose_first_password(ctx: Context, worker_id: uuid.UUID) -> bool:
    """True for the first admin of a database where nobody has a password yet (first run,
    or a database from before passwords): they choose one before anything else."""
    with ctx.db.read() as session:
        row = session.get(Worker, worker_id)
        return (
            row is not None
            and row.active
            and row.role == Role.ADMIN.value
            and row.password_hash is None
            and not _any_password(session)
        )


@online_only("auth.choose_first_password")
def choose_first_password(ctx: Context, worker_id: uuid.UUID, password: str) -> WorkerOut:
    """Set the first admin's password (see :func:`can_choose_first_password`) and sign in."""
    new_hash = hash_password(password)
    with ctx.db.write() as session:
        row = session.get(Worker, worker_id)
        if (
            row is None
            or not row.active
            or row.role != Role.ADMIN.value
            or row.password_hash is not None
            or _any_password(session)
        ):
            raise NotAllowed("password_not_set")
        row.password_hash = new_hash
        row.last_seen_at = utcnow()
        own = Context(ctx.db, row.id)
        audit(session, own, "password_set", "worker", row.id)
        audit(session, own, "sign_in", "worker", row.id)
        return WorkerOut.model_validate(row)


@online_only("auth.set_password")
def set_password(
    ctx: Context,
    worker_id: uuid.UUID,
    new_password: str,
    *,
    current_password: str | None = None,
) -> None:
    """An admin sets (or resets) anyone's password and unlocks the account; a worker
    changes their own by giving the current one."""
    new_hash = hash_password(new_password)
    with ctx.db.write() as session:
        actor = ctx.actor(session)
        row = session.get(Worker, worker_id)
        if row is None:
            raise NotAllowed("bad_credentials")
        if actor.role != Role.ADMIN.value:
            if actor.id != row.id:
                raise NotAllowed("role_required", role=Role.ADMIN.value)
            if row.password_hash is None or not _verify(row.password_hash, current_password or ""):
                raise NotAllowed("bad_credentials")
        row.password_hash = new_hash
        # Someone else's password set by an administrator is temporary; one's own is not.
        row.password_temporary = actor.id != row.id
        row.failed_sign_ins = 0
        row.locked_until = None
        _revoke_all(session, row.id)
        audit(session, ctx, "password_set", "worker", row.id)


# Command-line sign-in tokens --------------------------------------------------------------

TOKEN_HOURS = 8
"""How long ``casework signin`` lasts by default: a working day."""
MAX_TOKEN_HOURS = 24 * 7


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(ctx: Context, hours: float = TOKEN_HOURS) -> tuple[str, dt.datetime]:
    """A new sign-in token for the acting worker (who has just proved their password with
    :func:`authenticate`), valid for ``hours``. Returns the token, which is stored nowhere
    here (only its hash), and its expiry."""
    if not 0 < hours <= MAX_TOKEN_HOURS:
        raise NotAllowed("token_hours", most=MAX_TOKEN_HOURS)
    token = secrets.token_urlsafe(32)
    with ctx.db.write() as session:
        worker = ctx.actor(session)
        expires = utcnow() + dt.timedelta(hours=hours)
        row = SignInToken(worker_id=worker.id, token_hash=_token_hash(token), expires_at=expires)
        session.add(row)
        session.flush()
        audit(session, ctx, "token_issued", "worker", worker.id, token=str(row.id))
    return token, expires


def token_sign_in(
    ctx: Context, token: str, *, username: str | None = None, command: str | None = None
) -> WorkerOut:
    """The worker a sign-in token names, or ``NotAllowed``: unknown, revoked or expired
    tokens, another worker's token (``username`` given), and workers who are inactive or
    locked out are refused. Failures are audited but not counted towards the lock-out: a
    token is 256 random bits, nobody guesses one, and an expired one left in a script must
    not lock its owner out of the desk."""
    extra: dict[str, Any] = {"command": command} if command else {}
    with ctx.db.write() as session:
        row = session.scalar(
            sa.select(SignInToken).where(SignInToken.token_hash == _token_hash(token))
        )
        now = utcnow()
        worker = session.get(Worker, row.worker_id) if row is not None else None
        failure: NotAllowed | None = None
        reason = ""
        if row is None or worker is None:
            reason, failure = "token_unknown", NotAllowed("token_unknown")
        elif username is not None and worker.username != username.strip().lower():
            reason, failure = "token_other_worker", NotAllowed("token_unknown")
        elif row.revoked_at is not None:
            reason, failure = "token_revoked", NotAllowed("token_revoked")
        elif row.expires_at <= now:
            reason, failure = "token_expired", NotAllowed("token_expired")
        elif not worker.active:
            reason, failure = "inactive", NotAllowed("bad_credentials")
        elif worker.locked_until is not None and worker.locked_until > now:
            minutes = _minutes_left(worker.locked_until, now)
            reason, failure = "locked", NotAllowed("account_locked", minutes=minutes)
        if failure is not None or row is None or worker is None:
            who = worker.id if worker is not None else None
            audit(session, Context(ctx.db), "sign_in_failed", "worker", who, reason=reason, **extra)
        else:
            worker.last_seen_at = now
            own = Context(ctx.db, worker.id)
            audit(session, own, "sign_in", "worker", worker.id, token=str(row.id), **extra)
            return WorkerOut.model_validate(worker)
    raise failure or NotAllowed("token_unknown")


def revoke_token(ctx: Context, token: str) -> bool:
    """End a sign-in (``casework signout``). False if the token was unknown or already
    revoked; an expired one is revoked all the same."""
    with ctx.db.write() as session:
        row = session.scalar(
            sa.select(SignInToken).where(SignInToken.token_hash == _token_hash(token))
        )
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = utcnow()
        audit(
            session,
            Context(ctx.db, row.worker_id),
            "token_revoked",
            "worker",
            row.worker_id,
            token=str(row.id),
        )
        return True


def _revoke_all(session: Session, worker_id: uuid.UUID) -> None:
    """A new password ends every command-line sign-in made with the old one."""
    session.execute(
        sa.update(SignInToken)
        .where(SignInToken.worker_id == worker_id, SignInToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
