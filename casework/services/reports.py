"""Supervisor summaries: who carries what, what is overdue, what came of referrals.

Every figure is an aggregate query, so the summary stays fast on a large office, and every
figure can be drilled into (:func:`drill`) down to the cases and persons behind it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import FieldError, InvalidInput
from casework.models import (
    Case,
    Contact,
    FollowUp,
    Guidance,
    GuidanceItem,
    Person,
    Programme,
    Referral,
    Worker,
)
from casework.models.enums import REFERRAL_WAITING, CaseStatus
from casework.services import gate, paging
from casework.services.context import Context
from casework.services.paging import Page

WAITING_DAYS = 14
IDLE_DAYS = 30
DUE_SOON_DAYS = 7
METRICS = (
    "open_cases",
    "intakes",
    "contacts",
    "due_soon",
    "overdue",
    "waiting_referrals",
    "idle_cases",
)
STATE_ORDER = ("pending", "explained", "gathered", "submitted", "resolved")
NOT_CLOSED = tuple(s.value for s in CaseStatus if s is not CaseStatus.CLOSED)
"""Spelled out rather than ``!= 'closed'``, so the count seeks ix_case_worker_status."""


@dataclass
class WorkerRow:
    worker_id: uuid.UUID | None
    worker: str
    programme: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METRICS, 0))


@dataclass
class CaseloadReport:
    date_from: dt.date
    date_to: dt.date
    today: dt.date
    workers: list[WorkerRow]
    programmes: list[WorkerRow]
    total: WorkerRow
    referral_outcomes: dict[str, dict[str, int]]
    """service area -> referral status -> referrals created in the period."""
    median_days_to_completion: dict[str, float | None]
    """service area (and "all") -> median days from request to completion, period."""
    guidance: dict[str, dict[str, int]]
    """route -> furthest step reached -> guidance opened in the period."""
    intakes_per_month: list[tuple[str, int]]
    """(yyyy-mm, intakes) for the twelve months up to date_to."""

    def as_dict(self) -> dict[str, Any]:
        def row(r: WorkerRow) -> dict[str, Any]:
            return {"worker": r.worker, "programme": r.programme, **r.counts}

        return {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "today": self.today.isoformat(),
            "workers": [row(r) for r in self.workers],
            "programmes": [row(r) for r in self.programmes],
            "total": row(self.total),
            "referral_outcomes": self.referral_outcomes,
            "median_days_to_completion": self.median_days_to_completion,
            "guidance": self.guidance,
            "intakes_per_month": [{"month": m, "intakes": n} for m, n in self.intakes_per_month],
        }


def _bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(date_from, dt.time.min).astimezone(dt.UTC)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min).astimezone(dt.UTC)
    return start, end


def period(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    """Default: the last 30 days up to today. ``from`` after ``to`` is refused."""
    date_to = date_to or clock.today()
    date_from = date_from or date_to - dt.timedelta(days=29)
    if date_from > date_to:
        raise InvalidInput([FieldError("from", "period_reversed")])
    return date_from, date_to


def _metric_filters(
    metric: str, start: dt.datetime, end: dt.datetime, today: dt.date
) -> tuple[Any, list[sa.ColumnElement[bool]], Any]:
    """(table, conditions, worker column) behind one caseload figure."""
    now = clock.now()
    if metric == "open_cases":
        return Case, [Case.status.in_(NOT_CLOSED)], Case.worker_id
    if metric == "idle_cases":
        return (
            Case,
            [
                Case.status.in_(NOT_CLOSED),
                Case.last_activity_at < now - dt.timedelta(days=IDLE_DAYS),
            ],
            Case.worker_id,
        )
    if metric == "intakes":
        return (
            Contact,
            [Contact.kind == "intake", Contact.occurred_at >= start, Contact.occurred_at < end],
            Contact.worker_id,
        )
    if metric == "contacts":
        return (
            Contact,
            [Contact.occurred_at >= start, Contact.occurred_at < end],
            (Contact.worker_id),
        )
    if metric == "due_soon":
        return (
            FollowUp,
            [
                FollowUp.status == "pending",
                FollowUp.due_on >= today,
                FollowUp.due_on <= today + dt.timedelta(days=DUE_SOON_DAYS),
            ],
            (FollowUp.worker_id),
        )
    if metric == "overdue":
        return (
            FollowUp,
            [FollowUp.status == "pending", FollowUp.due_on < today],
            (FollowUp.worker_id),
        )
    if metric == "waiting_referrals":
        return (
            Referral,
            [
                Referral.status.in_([s.value for s in REFERRAL_WAITING]),
                Referral.requested_at < now - dt.timedelta(days=WAITING_DAYS),
            ],
            Referral.worker_id,
        )
    raise InvalidInput([FieldError("metric", "not_in_list")])


def _scope(session: Session, ctx: Context) -> uuid.UUID | None:
    """A supervisor sees their programme; an office-wide supervisor the whole office (None).
    Nobody else: administrators manage staff, they do not read the caseload
    (services/gate.py :func:`~casework.services.gate.supervision`)."""
    return gate.supervision(session, ctx).programme_id


def caseload(
    ctx: Context,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> CaseloadReport:
    date_from, date_to = period(date_from, date_to)
    start, end = _bounds(date_from, date_to)
    today = clock.today()
    with ctx.db.read() as session:
        programme_scope = _scope(session, ctx)
        conn = session.connection()  # Core from here: aggregates, no ORM objects
        workers = conn.execute(sa.select(Worker.id, Worker.full_name, Worker.programme_id)).all()
        programmes = dict(conn.execute(sa.select(Programme.id, Programme.name)).all())
        in_scope = {
            w.id for w in workers if programme_scope is None or w.programme_id == programme_scope
        }
        rows = {
            w.id: WorkerRow(w.id, w.full_name, programmes.get(w.programme_id, "—"))
            for w in workers
            if w.id in in_scope
        }
        for metric in METRICS:
            table, conditions, worker_col = _metric_filters(metric, start, end, today)
            stmt = (
                sa.select(worker_col, sa.func.count())
                .select_from(table)
                .where(*conditions, worker_col.in_(in_scope))
                .group_by(worker_col)
            )
            for worker_id, n in conn.execute(stmt):
                rows[worker_id].counts[metric] = int(n)
        worker_rows = sorted(
            (r for r in rows.values() if any(r.counts.values())), key=lambda r: r.worker
        )
        by_programme: dict[str, WorkerRow] = {}
        total = WorkerRow(None, "Total", "")
        for r in worker_rows:
            prog = by_programme.setdefault(r.programme, WorkerRow(None, "", r.programme))
            for metric, n in r.counts.items():
                prog.counts[metric] += n
                total.counts[metric] += n
        scope_filter = Referral.worker_id.in_(in_scope)
        outcomes: dict[str, dict[str, int]] = defaultdict(dict)
        for area, status, n in conn.execute(
            sa.select(Referral.service_area, Referral.status, sa.func.count())
            .where(scope_filter, Referral.created_at >= start, Referral.created_at < end)
            .group_by(Referral.service_area, Referral.status)
        ):
            outcomes[area][status] = int(n)
        durations: dict[str, list[float]] = defaultdict(list)
        plain = sa.DateTime()  # both as stored (no UTC conversion): only their difference counts
        for area, requested, completed in conn.execute(
            sa.select(
                Referral.service_area,
                sa.type_coerce(Referral.requested_at, plain),
                sa.type_coerce(Referral.completed_at, plain),
            ).where(
                scope_filter,
                Referral.status == "completed",
                Referral.completed_at >= start,
                Referral.completed_at < end,
            )
        ).all():  # fetched at once: thousands of rows on a large office
            if requested is None or completed is None:
                continue  # the schema forbids it; be robust anyway
            days = (completed - requested).total_seconds() / 86400
            durations[area].append(days)
            durations["all"].append(days)
        medians: dict[str, float | None] = {
            area: round(statistics.median(v), 1) for area, v in durations.items()
        }
        guidance = _guidance_progress(conn, in_scope, start, end)
        months = _intakes_per_month(conn, in_scope, date_to)
    return CaseloadReport(
        date_from,
        date_to,
        today,
        worker_rows,
        sorted(by_programme.values(), key=lambda r: r.programme),
        total,
        {k: dict(v) for k, v in sorted(outcomes.items())},
        medians,
        guidance,
        months,
    )


def _guidance_progress(
    conn: sa.Connection, in_scope: set[uuid.UUID], start: dt.datetime, end: dt.datetime
) -> dict[str, dict[str, int]]:
    """Guidance opened in the period by route and the furthest step any of its items
    reached (guidance without items left out): one statement over ix_guidance_worker_created
    and ix_guidance_item_state, both covering."""
    rank = sa.case(
        *((GuidanceItem.state == state, i) for i, state in enumerate(STATE_ORDER)), else_=0
    )
    furthest = (
        sa.select(Guidance.route_id, sa.func.max(rank).label("reached"))
        .join(GuidanceItem, GuidanceItem.guidance_id == Guidance.id)
        .where(
            Guidance.worker_id.in_(in_scope),
            Guidance.created_at >= start,
            Guidance.created_at < end,
        )
        .group_by(Guidance.id, Guidance.route_id)
        .subquery()
    )
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for route, reached, n in conn.execute(
        sa.select(furthest.c.route_id, furthest.c.reached, sa.func.count()).group_by(
            furthest.c.route_id, furthest.c.reached
        )
    ):
        out[route][STATE_ORDER[int(reached or 0)]] = int(n)
    return {k: dict(v) for k, v in sorted(out.items())}


def _intakes_per_month(
    conn: sa.Connection, in_scope: set[uuid.UUID], date_to: dt.date
) -> list[tuple[str, int]]:
    """Intakes in each of the twelve (local) months up to ``date_to``: one statement of
    twelve counts, each a range of ix_contact_kind_time."""
    last = date_to.year * 12 + date_to.month - 1
    firsts = [dt.date(k // 12, k % 12 + 1, 1) for k in range(last - 11, last + 2)]
    starts = [_bounds(d, d)[0] for d in firsts]  # the thirteenth closes the last month
    counts = [
        sa.select(sa.func.count())
        .select_from(Contact)
        .where(
            Contact.kind == "intake",
            Contact.worker_id.in_(in_scope),
            Contact.occurred_at >= lo,
            Contact.occurred_at < hi,
        )
        .scalar_subquery()
        for lo, hi in itertools.pairwise(starts)
    ]
    found = conn.execute(sa.select(*counts)).one()
    return [
        (f"{d.year:04d}-{d.month:02d}", int(n or 0))
        for d, n in zip(firsts[:-1], found, strict=True)
    ]


@dataclass(frozen=True)
class DrillRow:
    person_id: uuid.UUID
    person: str
    case_id: uuid.UUID | None
    detail: str
    when: dt.date | None


def drill(
    ctx: Context,
    metric: str,
    worker_id: uuid.UUID | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> Page[DrillRow]:
    """The cases and persons behind one figure of the caseload summary, oldest first. A page
    of ``limit`` rows from ``offset`` (services/paging.py: ``total`` is the figure itself)."""
    date_from, date_to = period(date_from, date_to)
    start, end = _bounds(date_from, date_to)
    table, conditions, worker_col = _metric_filters(metric, start, end, clock.today())
    with ctx.db.read() as session:
        programme_scope = _scope(session, ctx)
        scope = sa.select(Worker.id)
        if programme_scope is not None:
            scope = scope.where(Worker.programme_id == programme_scope)
        stmt = sa.select(
            table, Person.given_names, Person.first_surname, Person.second_surname
        ).join(Person, Person.id == table.person_id)
        stmt = stmt.where(*conditions, worker_col.in_(scope))
        if worker_id is not None:
            stmt = stmt.where(worker_col == worker_id)
        order = [(getattr(table, _WHEN[metric]), False), (table.id, False)]
        page = paging.fetch(session, stmt, order, offset=offset, limit=limit)
        return page.mapped(
            DrillRow(
                row.person_id,
                " ".join(p for p in (given, first, second) if p),
                getattr(row, "case_id", None) or (row.id if table is Case else None),
                _detail(metric, row),
                _when(metric, row),
            )
            for row, given, first, second in page
        )


def _detail(metric: str, row: Any) -> str:
    if metric in ("due_soon", "overdue"):
        return str(row.what)
    if metric == "waiting_referrals":
        return str(row.destination_key)
    if metric in ("intakes", "contacts"):
        return ", ".join(row.reasons or [])
    return str(row.status)


_WHEN: dict[str, str] = {
    "due_soon": "due_on",
    "overdue": "due_on",
    "waiting_referrals": "requested_at",
    "intakes": "occurred_at",
    "contacts": "occurred_at",
    "open_cases": "opened_at",
    "idle_cases": "last_activity_at",
}
"""The day a row of each drill-down is listed by."""


def _when(metric: str, row: Any) -> dt.date | None:
    at = getattr(row, _WHEN[metric])
    return at.date() if isinstance(at, dt.datetime) else at
