"""The anonymised export for the Inter-Municipal Panel, and its ledger.

This module is the only place where records become statistics: it reads persons served in
a calendar period as :class:`~casework.disclosure.PersonFacts` (no name, document, phone,
address, free text or date), hands them to ``casework.disclosure`` and keeps every release
in the ``panel_release`` ledger, whose exact counts protect later releases of the same year.

One office, one release history (issue #18): the municipality is the office's setting,
never a per-export value; every release of the year is protected against every earlier
one the office sent, so an export refuses when this database may not know them all (it is
a copy or a restore, or release files beside the output folder are not in its ledger)
until it is given the files already sent (``prior_dir``, which must hold at least one
release of the office's year and no damaged one) or told that nothing of the year was sent
(``none_sent``). A period still in progress (or not started) is never exported. Two
exports at once run one after the other: the second is protected against the first's
release.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework import clock
from casework.disclosure import Period, PersonFacts, Policy, Release, build_release
from casework.errors import CaseworkError, FieldError, InvalidInput
from casework.instance import INSTANCE_KEY, identity, stamp
from casework.models import (
    Contact,
    MigrationStatusRecord,
    OfficeSetting,
    PanelRelease,
    Person,
    Referral,
)
from casework.models.enums import Role
from casework.private_files import private_dir, write_private
from casework.services import locking
from casework.services.context import Context, audit
from casework.services.outbox import online_only
from casework.services.settings import municipality_label, municipality_on_record

PANEL_LOCK = 0x70616E6C  # "panl": one export at a time on PostgreSQL
"""Two supervisors exporting at once: the second waits, then reads the first's release in
the ledger and is protected against it (SQLite's write transaction is already alone)."""
ORIGIN_EXPORT, ORIGIN_FILE = "export", "file"
SET_MUNICIPALITY = "casework settings municipality CODIGO"
"""The command that sets the municipality, named in the refusal when none is on record."""
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


class ExportRefused(ExportError):
    """A refusal met by an export that was tried (not a preview): the message ends saying
    that nothing was written."""

    def message(self, lang: str | None = None) -> str:
        from casework.i18n import t

        return f"{super().message(lang)} {t('panelout.nothing_written', lang=lang)}"


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
    identifiers. One read of each table covers every period: each timestamp is labelled in
    SQL with the stretch between the periods' bounds it falls in (the periods overlap: a year
    and its quarters), and Python splits the rows by label. Ids are read as stored (no UUID
    objects): a year of a large office is a few hundred thousand rows."""
    if not periods:
        return []
    bounds = [_bounds(p) for p in periods]
    breaks = sorted({b for pair in bounds for b in pair})
    first, last = breaks[0], breaks[-1]
    # label(t) = how many breaks are <= t; t < breaks[k] exactly when label(t) <= k
    spans = [(breaks.index(start), breaks.index(end)) for start, end in bounds]

    def label(column: Any) -> Any:
        return sa.case(*((column < b, i) for i, b in enumerate(breaks)), else_=len(breaks))

    in_range = sa.and_(Contact.occurred_at >= first, Contact.occurred_at < last)
    served = sa.select(Contact.person_id).where(in_range)
    seen: dict[Any, set[int]] = defaultdict(set)
    for key, lab in session.execute(
        sa.select(sa.type_coerce(Contact.person_id, sa.String), label(Contact.occurred_at))
        .where(in_range)
        .distinct()
    ):
        seen[key].add(lab)
    people: dict[Any, Any] = {}
    for row in session.execute(
        sa.select(
            sa.type_coerce(Person.id, sa.String),
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
    # the last status recorded before each period's end
    status: list[dict[Any, str]] = [{} for _ in periods]
    for key, value, lab in session.execute(
        sa.select(
            sa.type_coerce(MigrationStatusRecord.person_id, sa.String),
            MigrationStatusRecord.status,
            label(MigrationStatusRecord.recorded_at),
        )
        .where(
            MigrationStatusRecord.person_id.in_(served), MigrationStatusRecord.recorded_at < last
        )
        .order_by(MigrationStatusRecord.recorded_at)
    ):
        for i, (_, end) in enumerate(spans):
            if lab <= end:
                status[i][key] = value
    referred: list[dict[Any, list[tuple[str, str]]]] = [defaultdict(list) for _ in periods]
    for key, area, state, lab in session.execute(
        sa.select(
            sa.type_coerce(Referral.person_id, sa.String),
            Referral.service_area,
            Referral.status,
            label(Referral.created_at),
        ).where(
            Referral.person_id.in_(served),
            Referral.created_at >= first,
            Referral.created_at < last,
        )
    ):
        group = OUTCOME_GROUP.get(state)
        if group is not None:
            for i, (start, end) in enumerate(spans):
                if start < lab <= end:
                    referred[i][key].append((area, group))
    pseudonyms: dict[Any, str] = {}
    out: list[list[PersonFacts]] = []
    for i, period in enumerate(periods):
        start, end = spans[i]
        on = period.end
        rows = []
        for key in sorted(k for k, labs in seen.items() if any(start < x <= end for x in labs)):
            person = people.get(key)
            if person is None or not person[7]:  # merged into another record
                continue
            pseudonym = pseudonyms.get(key)
            if pseudonym is None:
                pseudonym = hmac.digest(salt, str(key).encode(), "sha256").hex()[:20]
                pseudonyms[key] = pseudonym
            rows.append(
                PersonFacts(
                    key=pseudonym,
                    nationality=person[1],
                    sex=person[2],
                    age=_age(person[3], on),
                    status=status[i].get(key, person[4]),
                    commune=person[5],
                    referrals=tuple(referred[i].get(key, ())),
                    excluded=bool(person[6]),
                )
            )
        out.append(rows)
    return out


def _ledger(session: Session, year: int) -> list[PanelRelease]:
    """Every release of the office for the year, whatever municipality it names, in the
    order they were recorded."""
    return list(
        session.scalars(
            sa.select(PanelRelease)
            .where(sa.or_(PanelRelease.period == str(year), PanelRelease.period.like(f"{year}-Q%")))
            .order_by(PanelRelease.released_at)
        )
    )


def _from_row(row: PanelRelease) -> Release:
    data = row.body.encode("utf-8")
    try:
        if row.origin == ORIGIN_FILE:
            return Release.from_json(data)
        return Release.from_ledger_record(data)
    except ValueError as exc:
        raise ExportError("ledger_damaged", period=row.period) from exc


@dataclass(frozen=True)
class FileNote:
    """A file of the ``prior_dir`` folder that was not used, and why (an i18n code:
    ``not_release``, ``other_year``, ``unreadable``)."""

    name: str
    reason: str


RELEASE_NAME = "panel-*.json"
"""How the export names its release file (``panel-2026-Q2.json``)."""


@dataclass(frozen=True)
class ReleaseFile:
    path: Path
    release: Release


def _looks_like_release(path: Path, data: bytes | None) -> bool:
    """Named as the export names its file, or a JSON object with the release's top-level
    keys: a file the operator means as a release, so one that does not read is damaged."""
    if path.match(RELEASE_NAME):
        return True
    if data is None:
        return False
    try:
        payload = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(payload, dict) and "metadata" in payload and "tables" in payload


@dataclass(frozen=True)
class FolderRead:
    found: list[ReleaseFile]
    notes: list[FileNote]
    damaged: list[str]
    """Release files that do not read or whose hash does not match their content."""


def _read_folder(folder: Path, pattern: str, *, recursive: bool) -> FolderRead:
    read = FolderRead([], [], [])
    try:
        paths = sorted(folder.rglob(pattern) if recursive else folder.glob(pattern))
    except OSError:
        return read
    for path in paths:
        if not path.is_file():
            continue
        name = str(path.relative_to(folder)) if recursive else path.name
        try:
            data: bytes | None = path.read_bytes()
        except OSError:
            data = None
        try:
            if data is None:
                raise ValueError("unreadable")
            read.found.append(ReleaseFile(path, Release.from_json(data)))
        except ValueError:
            if _looks_like_release(path, data):
                read.damaged.append(name)
            else:
                read.notes.append(FileNote(name, "unreadable" if data is None else "not_release"))
    return read


def read_prior(prior_dir: Path) -> tuple[list[ReleaseFile], list[FileNote]]:
    """Every Panel release file under ``prior_dir`` (recursively), each checked (its hash,
    its structure, its rules); other files are noted and skipped. Refused when a release
    file is damaged or was modified: the year would be protected without it."""
    if not prior_dir.is_dir():
        raise ExportError("prior_not_folder", path=str(prior_dir))
    read = _read_folder(prior_dir, "*.json", recursive=True)
    if read.damaged:
        raise ExportError("prior_damaged", folder=str(prior_dir), files=", ".join(read.damaged))
    return read.found, read.notes


def _beside(out_dir: Path) -> list[ReleaseFile]:
    """Release files in the output folder and its sibling folders (the desk writes each
    period into ``<folder>/<period>/``): what this office already wrote there."""
    folders = [out_dir]
    parent = out_dir.parent
    try:
        if parent != out_dir and parent.is_dir():
            folders += sorted(p for p in parent.iterdir() if p.is_dir() and p != out_dir)
    except OSError:
        pass
    found: list[ReleaseFile] = []
    for folder in folders:
        found.extend(_read_folder(folder, RELEASE_NAME, recursive=False).found)
    return found


def _order(releases: Iterable[tuple[int, Release]]) -> list[Release]:
    """Oldest first: a release's chain names every earlier release of its year it knew, so
    a longer chain is a later release; the ledger's order breaks ties."""
    return [r for _, r in sorted(releases, key=lambda pair: (len(pair[1].chain), pair[0]))]


@dataclass(frozen=True)
class Prepared:
    release: Release
    ledger_ids: Mapping[str, uuid.UUID]
    """The ledger's rows of the year by content hash (a revision points at its row)."""
    unchanged: bool
    """Identical to a release already known: re-writing the same bytes."""
    municipality: str = ""
    copy: bool = False
    """This database is a copy or a restore (another instance than the one its ledger was
    last known complete on) and no folder of releases already sent was given."""
    unknown_files: tuple[str, ...] = ()
    """Release files of this municipality and year beside the output folder that the
    ledger does not hold (sent from elsewhere, or by a copy of this database)."""
    missing_chain: tuple[str, ...] = ()
    """Releases named in a given file's chain whose own file was not given ("2026-Q1
    (1a2b3c4d5e6f)")."""
    from_files: tuple[Release, ...] = ()
    """Releases read from the given folder that the ledger lacks: the export records them
    (origin ``file``) and this release is protected against them."""
    notes: tuple[FileNote, ...] = field(default=())
    """Files of the given folder that were not used."""
    prior_folder: str = ""
    """The given folder of releases already sent, as an absolute path ("" when none)."""
    prior_empty: bool = False
    """The given folder holds no release of this municipality and year: a wrong or empty
    folder, not the releases already sent."""
    none_sent: bool = False
    """The operator said that nothing of this year was sent to the Panel."""

    def refusal(self) -> ExportError | None:
        """Why the export must not be written (the preview shows it; export raises it)."""
        year = str(self.release.period.year)
        if self.prior_empty:
            return ExportError(
                "prior_empty",
                folder=self.prior_folder,
                municipality=municipality_label(self.municipality),
                year=year,
                period=self.release.period.label,
            )
        if self.missing_chain:
            return ExportError("prior_chain_missing", releases=", ".join(self.missing_chain))
        if self.copy:
            return ExportError("ledger_copy", year=year)
        if self.unknown_files:
            return ExportError(
                "ledger_unknown_files", year=year, files=", ".join(self.unknown_files)
            )
        return None


@dataclass(frozen=True)
class _Request:
    """What the supervisor asked for, checked, with the files it names already read."""

    period: Period
    policy: Policy
    prior_files: list[ReleaseFile] | None
    """The releases of the given folder (None: no folder given)."""
    notes: list[FileNote]
    beside: list[ReleaseFile]
    """Release files in the output folder and its siblings."""
    prior_folder: Path | None
    out_dir: Path | None
    none_sent: bool


def _request(
    period_text: str, k: int, prior_dir: Path | None, out_dir: Path | None, none_sent: bool
) -> _Request:
    period = parse_period(period_text)
    policy = make_policy(k)
    prior_dir, out_dir = _absolute(prior_dir), _absolute(out_dir)
    if none_sent and prior_dir is not None:
        raise ExportError("prior_and_none_sent")
    prior, notes = read_prior(prior_dir) if prior_dir is not None else (None, [])
    beside = _beside(out_dir) if out_dir is not None else []
    return _Request(period, policy, prior, notes, beside, prior_dir, out_dir, none_sent)


def _plan(session: Session, ctx: Context, request: _Request) -> Prepared:
    """The release of the requested period as the ledger (and the given files) require
    it, and what stands in the way of writing it. Reads only."""
    period, policy = request.period, request.policy
    prior_files, beside = request.prior_files, request.beside
    prior_folder, none_sent = request.prior_folder, request.none_sent
    code = municipality_on_record(session)
    if code is None:
        raise ExportError("no_municipality", command=SET_MUNICIPALITY)
    today = clock.today()
    if today < period.start:
        raise ExportError(
            "period_not_started",
            period=period.label,
            begins=f"{period.start:%d-%m-%Y}",
            start=f"{period.end + dt.timedelta(days=1):%d-%m-%Y}",
        )
    if today <= period.end:
        raise ExportError(
            "period_in_progress",
            period=period.label,
            end=f"{period.end:%d-%m-%Y}",
            start=f"{period.end + dt.timedelta(days=1):%d-%m-%Y}",
        )
    # One salt per database: keys are stable between runs and mean nothing outside it.
    salt = hashlib.sha256(f"casework-panel:{ctx.db.url.database}".encode()).digest()
    if period.is_year:
        period_facts = year_facts = facts(session, [period], salt)[0]
    else:
        period_facts, year_facts = facts(session, [period, period.year_period()], salt)
    rows = _ledger(session, period.year)
    for row in rows:
        if row.municipality != code:
            raise ExportError("ledger_other_municipality", ledger=row.municipality, ours=code)
    if none_sent and rows:
        raise ExportError(
            "none_sent_but_ledger",
            year=str(period.year),
            periods=", ".join(sorted({row.period for row in rows})),
        )
    known = [(i, _from_row(row)) for i, row in enumerate(rows)]
    hashes = {row.content_hash for row in rows}
    added: dict[str, Release] = {}
    note_list = list(request.notes)
    ours = 0
    for item in prior_files or ():
        release = item.release
        if release.municipality != code:
            raise ExportError(
                "prior_other_municipality",
                file=item.path.name,
                other=release.municipality,
                ours=code,
            )
        if release.period.year != period.year:
            note_list.append(FileNote(item.path.name, "other_year"))
            continue
        ours += 1
        if release.content_hash() not in hashes:
            added.setdefault(release.content_hash(), release)
    every = hashes | set(added)
    missing: dict[str, str] = {}
    for release in added.values():
        for link in release.chain:
            if link.content_hash not in every:
                missing[link.content_hash] = f"{link.period.label} ({link.content_hash[:12]})"
    unknown = sorted(
        {
            str(item.path.parent.name + "/" + item.path.name)
            for item in beside
            if item.release.municipality == code
            and item.release.period.year == period.year
            and item.release.content_hash() not in every
        }
    )
    recorded = session.get(OfficeSetting, INSTANCE_KEY)
    copy = (
        prior_files is None
        and not none_sent
        and (recorded is None or recorded.value != identity(session.connection()))
    )
    start = len(known)
    prior = _order([*known, *((start + i, r) for i, r in enumerate(added.values()))])
    # Today's facts of the periods already released: a quarter changed since its release
    # (a late registration, an opt-out) must not show in the year minus the quarters.
    released = sorted({r.period for r in prior} - {period}, key=Period.sort_key)
    current: dict[Period, list[PersonFacts]] = {period: period_facts}
    if not period.is_year:
        current[period.year_period()] = year_facts
    todo = [p for p in released if p not in current]
    for each, found in zip(todo, facts(session, todo, salt) if todo else [], strict=True):
        current[each] = found
    try:
        release = build_release(
            period,
            period_facts,
            year_facts,
            policy,
            code,
            prior=prior,
            today=today,
            current={p: current[p] for p in released},
        )
    except ValueError as exc:
        raise ExportError("export_refused", reason=str(exc)) from exc
    return Prepared(
        release=release,
        ledger_ids={row.content_hash: row.id for row in rows},
        unchanged=release.content_hash() in every,
        municipality=code,
        copy=copy,
        unknown_files=tuple(unknown),
        missing_chain=tuple(missing.values()),
        from_files=tuple(added.values()),
        notes=tuple(note_list),
        prior_folder=str(prior_folder) if prior_folder is not None else "",
        prior_empty=prior_files is not None and ours == 0,
        none_sent=none_sent,
    )


def _absolute(folder: Path | None) -> Path | None:
    """A folder as messages name it: a relative path typed on the screen means nothing
    once read back ("enviadas" -> "/home/sara/enviadas")."""
    return folder.expanduser().absolute() if folder is not None else None


@online_only("panel.prepare")
def prepare(
    ctx: Context,
    period_text: str,
    *,
    k: int = 10,
    prior_dir: Path | None = None,
    out_dir: Path | None = None,
    none_sent: bool = False,
) -> Prepared:
    """Build (but do not record) the release for a period: the preview, with what would
    stop the export (:meth:`Prepared.refusal`). Writes nothing, not even the files of
    ``prior_dir`` it reads. Supervisors and administrators: the release is anonymised
    statistics of the whole office (no name, document or free text leaves through it), so
    an administrator may prepare it too. ``none_sent``: nothing of the period's year was
    sent to the Panel (instead of ``prior_dir``, for a copy with no folder to give)."""
    request = _request(period_text, k, prior_dir, out_dir, none_sent)
    with ctx.db.read() as session:
        ctx.require_role(session, Role.SUPERVISOR, Role.ADMIN)
        return _plan(session, ctx, request)


@dataclass(frozen=True)
class ExportResult:
    files: tuple[Path, ...]
    content_hash: str
    revision: bool
    unchanged: bool
    added: tuple[str, ...] = ()
    """Periods of the releases from ``prior_dir`` recorded in the ledger by this export."""
    held_back: tuple[str, ...] = ()
    notes: tuple[FileNote, ...] = ()
    """Files of ``prior_dir`` that were not used, and why."""
    out_dir: Path | None = None
    """Where the files were written, as an absolute path."""


@online_only("panel.export")
def export(
    ctx: Context,
    period_text: str,
    out_dir: Path,
    *,
    k: int = 10,
    prior_dir: Path | None = None,
    none_sent: bool = False,
) -> ExportResult:
    """Write the release's CSV files and JSON to ``out_dir`` (owner only, a folder made
    here ``0700``) and record it in the ledger, in one transaction: the ledger is read
    again under the export lock, the files are written before it commits (nothing is
    recorded when writing fails), and the releases of ``prior_dir`` the ledger lacked are
    recorded with it. Refused, with nothing written, when the ledger may be incomplete.
    ``none_sent`` (instead of ``prior_dir``): the operator says nothing of the year was
    sent; it is audited with the export."""
    try:
        return _export(ctx, period_text, out_dir, k=k, prior_dir=prior_dir, none_sent=none_sent)
    except ExportRefused:
        raise
    except ExportError as exc:
        if exc.code == "export_write":
            raise
        raise ExportRefused(exc.code, **exc.params) from exc


def _export(
    ctx: Context,
    period_text: str,
    out_dir: Path,
    *,
    k: int,
    prior_dir: Path | None,
    none_sent: bool,
) -> ExportResult:
    request = _request(period_text, k, prior_dir, out_dir, none_sent)
    out_dir = request.out_dir or out_dir
    with ctx.db.write() as session:
        worker_id = ctx.require_role(session, Role.SUPERVISOR, Role.ADMIN).id
        locking.advisory_lock(session, PANEL_LOCK)
        prepared = _plan(session, ctx, request)
        refusal = prepared.refusal()
        if refusal is not None:
            raise ExportRefused(refusal.code, **refusal.params)
        release = prepared.release
        ids = dict(prepared.ledger_ids)
        for earlier in _order(enumerate(prepared.from_files)):
            row = PanelRelease(
                period=earlier.period.label,
                municipality=earlier.municipality,
                schema_version=earlier.schema_version,
                k=earlier.k,
                content_hash=earlier.content_hash(),
                body=earlier.to_json().decode("utf-8"),
                origin=ORIGIN_FILE,
                revision_of=ids.get(earlier.revision_of or ""),
                released_by=worker_id,
            )
            session.add(row)
            session.flush()
            ids[row.content_hash] = row.id
        if not prepared.unchanged:
            session.add(
                PanelRelease(
                    period=release.period.label,
                    municipality=prepared.municipality,
                    schema_version=release.schema_version,
                    k=release.k,
                    content_hash=release.content_hash(),
                    body=release.ledger_record().decode("utf-8"),
                    origin=ORIGIN_EXPORT,
                    revision_of=ids.get(release.revision_of or ""),
                    released_by=worker_id,
                )
            )
        if request.prior_files is not None or none_sent:
            # The operator gave the releases already sent: this instance's ledger is whole.
            stamp(session.connection(), by=worker_id)
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
            held_back=list(release.held_back),
            prior_files=[r.content_hash()[:12] for r in prepared.from_files],
            none_sent=none_sent,
        )
        session.flush()
        written = _write_files(release, out_dir)
    return ExportResult(
        tuple(written),
        release.content_hash(),
        release.is_revision,
        prepared.unchanged,
        tuple(r.period.label for r in prepared.from_files),
        release.held_back,
        prepared.notes,
        out_dir,
    )


def _write_files(release: Release, out_dir: Path) -> list[Path]:
    stem = f"panel-{release.period.label}"
    body = release.to_json()
    try:
        private_dir(out_dir)
        existing = out_dir / f"{stem}.json"
        if existing.exists() and existing.read_bytes() != body:
            # Another version of the period is there (it was sent): keep it, and name this
            # one by its hash, so the folder keeps every release the office sent.
            stem = f"{stem}-{release.content_hash()[:12]}"
        written = []
        for name, data in sorted(release.to_csv_files().items()):
            written.append(write_private(out_dir / f"{stem}-{name}", data))
        json_path = out_dir / f"{stem}.json"
        write_private(json_path, body)
        written.append(json_path)
    except OSError as exc:
        raise ExportError("export_write", path=str(out_dir), reason=exc.strerror or "") from exc
    return written
