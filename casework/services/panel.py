"""The anonymised export for the Inter-Municipal Panel, and its ledger.

This module is the only place where records become statistics: it reads persons served in
a calendar period as :class:`~casework.disclosure.PersonFacts` (no name, document, phone,
address, free text or date), hands them to ``casework.disclosure`` and keeps every release
in the ``panel_release`` ledger, whose exact counts protect later releases of the same year.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.disclosure import Period, PersonFacts, Policy, Release, build_release
from casework.errors import CaseworkError, FieldError, InvalidInput
from casework.models import Contact, MigrationStatusRecord, PanelRelease, Person, Referral
from casework.models.enums import Role
from casework.private_files import private_dir, write_private
from casework.services.context import Context, audit
from casework.services.outbox import online_only

DEFAULT_MUNICIPALITY = "13101"
OUTCOME_GROUP = {
    "completed": "completed",
    "requested": "pending",
    "accepted": "pending",
    "in-progress": "pending",
    "on-hold": "pending",
    "rejected": "not_completed",
    "cancelled": "not_completed",
    "failed": "not_completed",
}
"""Referral status -> outcome group. Drafts and entries in error were never referrals."""


class ExportError(CaseworkError):
    code = "export_failed"


def parse_period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError:
        raise InvalidInput([FieldError("period", "bad_period", {"value": text})]) from None


def make_policy(k: int) -> Policy:
    try:
        return Policy(k=k)
    except ValueError:
        raise InvalidInput([FieldError("k", "k_too_small", {"value": str(k)})]) from None


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(period.start, dt.time.min).astimezone(dt.UTC)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min).astimezone(dt.UTC)
    return start, end


def _age(birth: dt.date | None, on: dt.date) -> int | None:
    """Whole years at ``on``; None when unknown or impossible (born after the period)."""
    if birth is None:
        return None
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return age if 0 <= age <= 120 else None


def facts(session: Session, periods: Sequence[Period], salt: bytes) -> list[list[PersonFacts]]:
    """For each period, the persons with at least one contact in it, as facts without
    identifiers. Ids are read as stored (no UUID objects) and dates are only compared in
    SQL: a year of a large office is a few hundred thousand rows."""
    pid = sa.type_coerce(Contact.person_id, sa.String)
    out: list[list[PersonFacts]] = []
    people: dict[Any, Any] = {}
    for period in periods:
        start, end = _bounds(period)
        served = sa.select(Contact.person_id).where(
            Contact.occurred_at >= start, Contact.occurred_at < end
        )
        ids = set(
            session.scalars(
                sa.select(pid)
                .where(Contact.occurred_at >= start, Contact.occurred_at < end)
                .distinct()
            )
        )
        missing = ids - people.keys()
        if missing:
            person_id = sa.type_coerce(Person.id, sa.String)
            for row in session.execute(
                sa.select(
                    person_id,
                    Person.nationality,
                    Person.sex,
                    Person.birth_date,
                    Person.current_status,
                    Person.commune_code,
                    Person.stats_opt_out,
                    Person.merged_into_id.is_(None),
                ).where(Person.id.in_(served))
            ):
                people[row[0]] = row
        status: dict[Any, str] = {}
        for key, value in session.execute(
            sa.select(
                sa.type_coerce(MigrationStatusRecord.person_id, sa.String),
                MigrationStatusRecord.status,
            )
            .where(
                MigrationStatusRecord.person_id.in_(served), MigrationStatusRecord.recorded_at < end
            )
            .order_by(MigrationStatusRecord.recorded_at)
        ):
            status[key] = value
        referred: dict[Any, list[tuple[str, str]]] = defaultdict(list)
        for key, area, state in session.execute(
            sa.select(
                sa.type_coerce(Referral.person_id, sa.String),
                Referral.service_area,
                Referral.status,
            ).where(
                Referral.person_id.in_(served),
                Referral.created_at >= start,
                Referral.created_at < end,
            )
        ):
            group = OUTCOME_GROUP.get(state)
            if group is not None:
                referred[key].append((area, group))
        rows = []
        for key in sorted(ids):
            person = people.get(key)
            if person is None or not person[7]:  # merged into another record
                continue
            rows.append(
                PersonFacts(
                    key=hmac.new(salt, str(key).encode(), hashlib.sha256).hexdigest()[:20],
                    nationality=person[1],
                    sex=person[2],
                    age=_age(person[3], period.end),
                    status=status.get(key, person[4]),
                    commune=person[5],
                    referrals=tuple(referred.get(key, ())),
                    excluded=bool(person[6]),
                )
            )
        out.append(rows)
    return out


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _ledger(session: Session, year: int, municipality: str) -> list[PanelRelease]:
    """Earlier releases of the same municipality and year, oldest first."""
    return list(
        session.scalars(
            sa.select(PanelRelease)
            .where(
                sa.or_(PanelRelease.period == str(year), PanelRelease.period.like(f"{year}-Q%")),
                PanelRelease.municipality == municipality,
            )
            .order_by(PanelRelease.released_at)
        )
    )


@dataclass(frozen=True)
class Prepared:
    release: Release
    previous: uuid.UUID | None
    """The ledger row this release revises or repeats, if the period was released before."""
    unchanged: bool
    """Identical to the last release of the period: re-writing the same bytes."""


@online_only("panel.prepare")
def prepare(
    ctx: Context,
    period_text: str,
    *,
    k: int = 10,
    municipality: str = DEFAULT_MUNICIPALITY,
) -> Prepared:
    """Build (but do not record) the release for a period: the preview. Supervisors and
    administrators: the release is anonymised statistics of the whole office (no name,
    document or free text leaves through it), so an administrator may prepare it too."""
    period = parse_period(period_text)
    policy = make_policy(k)
    with ctx.db.read() as session:
        ctx.require_role(session, Role.SUPERVISOR, Role.ADMIN)
        # One salt per database: keys are stable between runs and mean nothing outside it.
        salt = hashlib.sha256(f"casework-panel:{ctx.db.url.database}".encode()).digest()
        if period.is_year:
            period_facts = year_facts = facts(session, [period], salt)[0]
        else:
            period_facts, year_facts = facts(session, [period, period.year_period()], salt)
        ledger = _ledger(session, period.year, municipality)
    prior = []
    for row in ledger:
        try:
            prior.append(Release.from_ledger_record(row.body.encode("utf-8")))
        except ValueError as exc:
            raise ExportError("ledger_damaged", period=row.period) from exc
    try:
        release = build_release(period, period_facts, year_facts, policy, municipality, prior=prior)
    except ValueError as exc:
        raise ExportError("export_refused", reason=str(exc)) from exc
    same_period = [row for row in ledger if row.period == period.label]
    previous = same_period[-1] if same_period else None
    unchanged = previous is not None and previous.content_hash == release.content_hash()
    return Prepared(release, previous.id if previous else None, unchanged)


@dataclass(frozen=True)
class ExportResult:
    files: tuple[Path, ...]
    content_hash: str
    revision: bool
    unchanged: bool


@online_only("panel.export")
def export(
    ctx: Context,
    period_text: str,
    out_dir: Path,
    *,
    k: int = 10,
    municipality: str = DEFAULT_MUNICIPALITY,
) -> ExportResult:
    """Write the release's CSV files and JSON to ``out_dir`` (owner only, a folder made
    here ``0700``) and record it in the ledger."""
    prepared = prepare(ctx, period_text, k=k, municipality=municipality)
    release = prepared.release
    try:
        private_dir(out_dir)
        written = []
        for name, data in sorted(release.to_csv_files().items()):
            written.append(write_private(out_dir / name, data))
        json_path = out_dir / f"panel-{release.period.label}.json"
        write_private(json_path, release.to_json())
        written.append(json_path)
    except OSError as exc:
        raise ExportError("export_write", path=str(out_dir), reason=exc.strerror or "") from exc
    with ctx.db.write() as session:
        worker_id = ctx.require_role(session, Role.SUPERVISOR, Role.ADMIN).id
        if not prepared.unchanged:
            session.add(
                PanelRelease(
                    period=release.period.label,
                    municipality=municipality,
                    schema_version=release.schema_version,
                    k=release.k,
                    content_hash=release.content_hash(),
                    body=release.ledger_record().decode("utf-8"),
                    revision_of=prepared.previous,
                    released_by=worker_id,
                )
            )
        audit(
            session,
            ctx,
            "export",
            "panel_release",
            None,
            period=release.period.label,
            hash=release.content_hash(),
            revision=release.is_revision,
            unchanged=prepared.unchanged,
        )
    return ExportResult(
        tuple(written), release.content_hash(), release.is_revision, prepared.unchanged
    )
