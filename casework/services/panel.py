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

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.disclosure import Period, PersonFacts, Policy, Release, build_release
from casework.errors import CaseworkError, FieldError, InvalidInput
from casework.models import Contact, MigrationStatusRecord, PanelRelease, Person, Referral
from casework.models.enums import Role
from casework.services.context import Context, audit

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
    """For each period (all in one calendar year), the persons with at least one contact
    in it, as facts without identifiers. The year's rows are read once and shared."""
    year = periods[0].year
    span = Period(year)
    start, end = _bounds(span)
    served: dict[uuid.UUID, set[int]] = defaultdict(set)
    for pid, at in session.execute(
        sa.select(Contact.person_id, Contact.occurred_at).where(
            Contact.occurred_at >= start, Contact.occurred_at < end
        )
    ):
        served[pid].add((_aware(at).astimezone().month - 1) // 3 + 1)
    in_year = sa.select(Contact.person_id).where(
        Contact.occurred_at >= start, Contact.occurred_at < end
    )
    people = session.execute(
        sa.select(
            Person.id,
            Person.nationality,
            Person.sex,
            Person.birth_date,
            Person.current_status,
            Person.commune_code,
            Person.stats_opt_out,
        ).where(Person.id.in_(in_year), Person.merged_into_id.is_(None))
    ).all()
    history: dict[uuid.UUID, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for pid, status, at in session.execute(
        sa.select(
            MigrationStatusRecord.person_id,
            MigrationStatusRecord.status,
            MigrationStatusRecord.recorded_at,
        )
        .where(
            MigrationStatusRecord.person_id.in_(in_year), MigrationStatusRecord.recorded_at < end
        )
        .order_by(MigrationStatusRecord.recorded_at)
    ):
        history[pid].append((_aware(at), status))
    referrals: dict[uuid.UUID, list[tuple[dt.datetime, str, str]]] = defaultdict(list)
    for pid, area, status, at in session.execute(
        sa.select(
            Referral.person_id, Referral.service_area, Referral.status, Referral.created_at
        ).where(
            Referral.person_id.in_(in_year),
            Referral.created_at >= start,
            Referral.created_at < end,
        )
    ):
        group = OUTCOME_GROUP.get(status)
        if group is not None:
            referrals[pid].append((_aware(at), area, group))
    keys = {p.id: hmac.new(salt, p.id.bytes, hashlib.sha256).hexdigest()[:20] for p in people}
    out: list[list[PersonFacts]] = []
    for period in periods:
        p_start, p_end = _bounds(period)
        quarters = {q.quarter or 0 for q in period.quarters()}
        rows = []
        for p in people:
            if not served[p.id] & quarters:
                continue
            status = p.current_status
            for at, value in history.get(p.id, ()):
                if at >= p_end:
                    break
                status = value
            rows.append(
                PersonFacts(
                    key=keys[p.id],
                    nationality=p.nationality,
                    sex=p.sex,
                    age=_age(p.birth_date, period.end),
                    status=status,
                    commune=p.commune_code,
                    referrals=tuple(
                        (area, group)
                        for at, area, group in referrals.get(p.id, ())
                        if p_start <= at < p_end
                    ),
                    excluded=bool(p.stats_opt_out),
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


def prepare(
    ctx: Context,
    period_text: str,
    *,
    k: int = 10,
    municipality: str = DEFAULT_MUNICIPALITY,
    office_wide: bool = False,
) -> Prepared:
    """Build (but do not record) the release for a period: the preview."""
    period = parse_period(period_text)
    policy = make_policy(k)
    with ctx.db.read() as session:
        if not office_wide:
            ctx.require_role(session, Role.SUPERVISOR, Role.ADMIN)
        # One salt per database: keys are stable between runs and mean nothing outside it.
        salt = hashlib.sha256(f"casework-panel:{ctx.db.url.database}".encode()).digest()
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


def export(
    ctx: Context,
    period_text: str,
    out_dir: Path,
    *,
    k: int = 10,
    municipality: str = DEFAULT_MUNICIPALITY,
    office_wide: bool = False,
) -> ExportResult:
    """Write the release's CSV files and JSON to ``out_dir`` and record it in the ledger."""
    prepared = prepare(ctx, period_text, k=k, municipality=municipality, office_wide=office_wide)
    release = prepared.release
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name, data in sorted(release.to_csv_files().items()):
            path = out_dir / name
            path.write_bytes(data)
            written.append(path)
        json_path = out_dir / f"panel-{release.period.label}.json"
        json_path.write_bytes(release.to_json())
        written.append(json_path)
    except OSError as exc:
        raise ExportError("export_write", path=str(out_dir), reason=exc.strerror or "") from exc
    with ctx.db.write() as session:
        worker_id = ctx.actor_id
        if worker_id is None:
            raise CaseworkError("no_actor")
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


def combine_files(paths: Sequence[Path], k: int = 10) -> str:
    """The Panel's side: several municipalities' JSON files as one comparison table."""
    from casework.disclosure import combine

    releases = []
    for path in paths:
        try:
            releases.append(Release.from_json(path.read_bytes()))
        except OSError as exc:
            raise ExportError("export_read", path=str(path), reason=exc.strerror or "") from exc
        except ValueError as exc:
            raise ExportError("export_bad_file", path=path.name, reason=str(exc)) from exc
    try:
        return combine(releases, make_policy(k)).to_text()
    except ValueError as exc:
        raise ExportError("combine_refused", reason=str(exc)) from exc
