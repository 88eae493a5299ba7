"""One read model per screen: what a screen shows, assembled in one service call.

Each function here is what one screen loads (in its worker thread): it calls the same
services the screen called before, in the same order, so the reads, the refusals and the
audit rows are those of the calls it makes (none of them is a per-person read: see
services/gate.py ``NOT_PERSON_READS``). The rules of what is shown -- what is overdue, who
sees the rights requests, what has waited too long -- are decided here; the screens only
present.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Final

from casework import clock
from casework.errors import FieldError, InvalidInput, NotAllowed
from casework.models.enums import ReferralStatus, referral_can_move
from casework.services import (
    audit_log,
    catalogue,
    followups,
    permissions,
    persons,
    referrals,
    retention,
    rights,
    staff,
)
from casework.services.audit_log import AuditRow
from casework.services.catalogue import LocalDestinationOut
from casework.services.context import Context
from casework.services.followups import FollowUpOut
from casework.services.paging import Page
from casework.services.referrals import ReferralOut
from casework.services.retention import QueueItem
from casework.services.schemas import PersonSummary, RightsRequestOut, WorkerOut
from casework.services.staff import ProgrammeRow, StaffOut

# The worker's day (Today) -------------------------------------------------------------------

RIGHTS_DAYS: Final = 7
"""The day lists the rights requests due within this many days, or overdue."""
WAITING_LONG_DAYS: Final = 14
"""A referral requested more than this many days ago has waited long for an answer."""
RECENT: Final = 15
"""How many persons seen recently the day lists."""


DAY_PAGE: Final = 100
"""Rows of each list of the day read at once (the screen reads the next pages as needed)."""


@dataclass(frozen=True)
class DayView:
    """The worker's day: follow-ups due today and overdue (first pages, with the true counts),
    referrals waiting, persons seen recently and, for supervisors, the rights requests
    falling due."""

    due_today: Page[FollowUpOut]
    """Pending follow-ups due today."""
    late: Page[FollowUpOut]
    """Pending follow-ups past their day, oldest first."""
    waiting: Page[ReferralOut]
    waiting_long: frozenset[uuid.UUID]
    """Ids of the referrals in ``waiting`` requested more than WAITING_LONG_DAYS ago."""
    names: dict[str, str]
    """Names of the persons of ``waiting`` and ``rights``, by id (as text)."""
    recent: list[PersonSummary]
    rights: list[RightsRequestOut] = field(default_factory=list)
    """Supervisors: open rights requests due within RIGHTS_DAYS, or overdue."""

    @property
    def due(self) -> list[FollowUpOut]:
        """The rows read of both lists, overdue first."""
        return [*self.late, *self.due_today]

    @property
    def overdue(self) -> frozenset[uuid.UUID]:
        """Ids of the overdue follow-ups read."""
        return frozenset(f.id for f in self.late)

    @property
    def overdue_count(self) -> int:
        """How many follow-ups are overdue (all of them, not only those read)."""
        return self.late.total


def _signed_in(ctx: Context) -> WorkerOut:
    with ctx.db.read() as session:
        return WorkerOut.model_validate(ctx.actor(session))


def waited_long(referral: ReferralOut, today: dt.date) -> bool:
    requested = referral.requested_at
    return requested is not None and (today - requested.date()).days > WAITING_LONG_DAYS


def referral_moves(status: str) -> list[ReferralStatus]:
    """The statuses a referral in ``status`` may move to, in their usual order (the move
    form offers these; services/referrals.py refuses any other)."""
    current = ReferralStatus(status)
    return [s for s in ReferralStatus if referral_can_move(current, s)]


def day(ctx: Context, limit: int = DAY_PAGE) -> DayView:
    """What needs doing today: the first ``limit`` rows of each list with its true count
    (services/followups.py ``due_for_worker``, services/referrals.py ``waiting``,
    services/persons.py ``recent_persons``)."""
    today = clock.today()
    due_today = followups.due_for_worker(ctx, since=today, until=today, limit=limit)
    late = followups.due_for_worker(ctx, until=today - dt.timedelta(days=1), limit=limit)
    waiting = referrals.waiting(ctx, limit=limit)
    requests: list[RightsRequestOut] = []
    if permissions.sees_rights_due(_signed_in(ctx)):  # they handle the requests
        requests = [r for r in rights.due(ctx) if r.days_left <= RIGHTS_DAYS]
    names = persons.names(ctx, {r.person_id for r in waiting} | {r.person_id for r in requests})
    return DayView(
        due_today=due_today,
        late=late,
        waiting=waiting,
        waiting_long=frozenset(r.id for r in waiting if waited_long(r, today)),
        names={str(k): v for k, v in names.items()},
        recent=persons.recent_persons(ctx, RECENT),
        rights=requests,
    )


# The register of rights requests (F7) --------------------------------------------------------


@dataclass(frozen=True)
class RightsRegister:
    requests: list[RightsRequestOut]
    names: dict[uuid.UUID, str]
    """Names of the persons whose file still exists (an erased person has none)."""


def rights_register(ctx: Context) -> RightsRegister:
    """The open requests by legal deadline, with the names of their persons."""
    requests = rights.due(ctx)
    return RightsRegister(requests, persons.names(ctx, {r.person_id for r in requests}))


# Retention review (F9) -----------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionReview:
    queue: list[QueueItem]
    months: int
    """The period closed cases are kept, in months (the first policy)."""
    reads_queue: bool = True
    """False for an administrator: they set the periods, the supervisors read the queue."""


def retention_review(ctx: Context) -> RetentionReview:
    """Closed cases past their retention period, and the period itself."""
    months = retention.policies(ctx)[0].months
    try:
        queue = retention.review_queue(ctx)
    except NotAllowed:  # an administrator: the periods only (the names are not theirs)
        if not permissions.may_set_retention_periods(_signed_in(ctx)):
            raise
        return RetentionReview([], months, reads_queue=False)
    return RetentionReview(queue, months)


# Administration (F10) ------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffLists:
    staff: list[StaffOut]
    programmes: list[ProgrammeRow]
    local: list[LocalDestinationOut]


def staff_lists(ctx: Context) -> StaffLists:
    """Workers, programmes and the office's own destinations."""
    local = catalogue.local_destinations(ctx)
    return StaffLists(staff.staff(ctx), staff.programmes(ctx), local)


# The Panel release (F4) -----------------------------------------------------------------------


def last_quarter() -> str:
    """The period the Panel screen proposes: the last quarter that has ended."""
    today = clock.today()
    quarter = (today.month - 1) // 3
    return f"{today.year - 1}-Q4" if quarter == 0 else f"{today.year}-Q{quarter}"


# The audit trail (F8) ------------------------------------------------------------------------

PERSON_DETAILS: Final = ("into", "merged", "related_person")
"""Details of a trail row that hold the id of another person (a merge, a household link)."""


TRAIL_PAGE: Final = 200
"""Rows of the trail read at once (the screen reads the next pages as needed)."""


@dataclass(frozen=True)
class TrailPage:
    rows: Page[AuditRow]
    """The page read, with the count of the whole trail as filtered (``rows.total``)."""
    names: dict[uuid.UUID, str]
    """Names of the persons the rows are about (erased persons have none)."""
    staff: dict[uuid.UUID, str] = field(default_factory=dict)
    """Names of the workers and programmes the rows' details name by id
    (:data:`STAFF_DETAILS`)."""


STAFF_DETAILS: Final = ("from_worker", "to_worker", "from_programme", "to_programme")
"""Details of a trail row that hold the id of a worker or a programme (moves of work,
transfers; a change of programme keeps codes there, shown as they are)."""


def _staff_ids(rows: list[AuditRow]) -> set[uuid.UUID]:
    ids: set[uuid.UUID] = set()
    for row in rows:
        for key in STAFF_DETAILS:
            with contextlib.suppress(KeyError, ValueError):
                ids.add(uuid.UUID(str(row.details[key])))
    return ids


def _person_ids(rows: list[AuditRow]) -> set[uuid.UUID]:
    ids = {r.person_id for r in rows if r.person_id is not None}
    for row in rows:
        for key in PERSON_DETAILS:
            with contextlib.suppress(KeyError, ValueError):
                ids.add(uuid.UUID(str(row.details[key])))
    return ids


def trail_page(
    ctx: Context,
    *,
    person: str = "",
    worker: str = "",
    action: str | None = None,
    since: dt.date | str | None = None,
    offset: int = 0,
    limit: int | None = TRAIL_PAGE,
) -> TrailPage:
    """A page of the trail, filtered as typed; a wrong person, user or date is an
    ``InvalidInput`` naming the field (checked in that order). The person is found as in a
    rights request: id, document number or a name that finds one person. ``since`` is the
    day typed, or the text typed when it could not be read as a day."""
    person_id = None
    if person.strip():
        try:
            person_id = rights.find_person(ctx, person)
        except InvalidInput as exc:
            raise InvalidInput(
                [FieldError("person", e.code, e.params) for e in exc.errors]
            ) from None
    worker_id = None
    if worker.strip():
        found = staff.find_worker(ctx, worker.strip().lower())
        if found is None:
            raise InvalidInput([FieldError("worker", "not_found", {"what": worker.strip()})])
        worker_id = found.id
    if isinstance(since, str):
        raise InvalidInput([FieldError("since", "bad_date")])
    start = None if since is None else dt.datetime.combine(since, dt.time()).astimezone(dt.UTC)
    rows = audit_log.events(
        ctx,
        person_id=person_id,
        worker_id=worker_id,
        action=action,
        since=start,
        offset=offset,
        limit=limit,
    )
    return TrailPage(
        rows,
        audit_log.person_names(ctx, _person_ids(rows)),
        audit_log.staff_names(ctx, _staff_ids(rows)),
    )
