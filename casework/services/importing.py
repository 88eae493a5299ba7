"""Bring in a programme's existing list of persons from a CSV or XLSX file.

Import never merges: it creates records and queues the likely duplicates for a supervisor.
Bad rows are reported by line and skipped; a re-run of the same file creates nothing twice
(rows are known by their ``ref``, or by their content when they have none), and neither do
two runs at once: each row's reference is a unique key (``import_ref``).

An import writes no existing person's file (rows on record are skipped, likely duplicates
only queued), so the write rule of a file (services/gate.py ``write_person``) has nothing to
check: it is its own act, open to any signed-in worker as an intake is, and each person it
creates is audited as an ``import`` by who ran it (the command line signs them in).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.errors import InvalidInput
from casework.matching import DEFAULT_THRESHOLD
from casework.models import ImportRef, MatchPair, Person
from casework.services import candidates, keys, locking, match_records
from casework.services.context import Context, audit, validate
from casework.services.import_read import open_source
from casework.services.import_types import (
    ImportFileError,
    ImportReport,
    Issue,
    Problem,
    Progress,
    ReadOptions,
    RowResult,
)
from casework.services.persons import _apply_person
from casework.services.schemas import PersonIn

IMPORT_NAMESPACE = uuid.UUID("0c5e8f5e-3c2a-4b7e-9d0e-6a1f2b3c4d5e")
REF_MAX = 200
"""Longer references are held in ``import_ref`` by a digest of their text."""


def ref_key(ref: str) -> str:
    """The ``import_ref`` key of a reference."""
    if len(ref) <= REF_MAX:
        return ref
    return f"import:{uuid.uuid5(IMPORT_NAMESPACE, ref)}"


ProgressFn = Callable[[Progress], None]


def _validated(row: RowResult) -> PersonIn | None:
    """The row's person, validated as the desk does; a field the desk would refuse is left
    empty with a warning (the names are the person: without them the row is refused)."""
    data = dict(row.person or {})
    for _ in range(len(data) + 1):
        try:
            return validate(PersonIn, data)
        except InvalidInput as exc:
            for error in exc.errors:
                name = error.field.split(".")[0]
                if name in ("given_names", "first_surname") or name not in data:
                    row.refused = Issue("invalid_name", name, str(data.get(name, "")))
                    return None
                row.warnings.append(Issue("invalid_value", name, str(data.pop(name))))
    return None


def _create(session: Session, ctx: Context, person_in: PersonIn, ref: str) -> Person | None:
    """One row's person, holding its reference; None when another transaction holds the
    reference already (two imports of one file at once: the second waits on the unique key
    until the first commits, then finds the row there). Its documents claim their numbers
    where no live record does; a number already on record stays a copy, queued below."""
    try:
        with session.begin_nested():
            person = Person(created_by=ctx.actor_id, given_names="", first_surname="", sort_name="")
            session.add(person)
            _apply_person(session, person, person_in, claim=False)
            session.flush()
            session.add(ImportRef(ref=ref, person_id=person.id))
            session.flush()
    except sa.exc.IntegrityError as exc:
        if locking.violated(exc, locking.IMPORT_REF_KEY):
            return None
        raise
    locking.claim_free(session, person.id)
    keys.refresh(session, person)
    audit(session, ctx, "import", "person", person.id, person_id=person.id)
    return person


def preview(ctx: Context, path: Path, options: ReadOptions | None = None) -> ImportReport:
    """What an import of ``path`` would do, with nothing written."""
    return import_persons(ctx, path, options, dry_run=True)


def import_persons(
    ctx: Context,
    path: Path,
    options: ReadOptions | None = None,
    *,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    dry_run: bool = False,
    sample: int = 10,
) -> ImportReport:
    source = open_source(path, options)
    report = ImportReport(info=source.info, dry_run=dry_run)
    with ctx.db.write() as session:
        ctx.actor(session)
        known_refs = {
            ref
            for refs in session.scalars(
                sa.select(Person.external_refs).where(Person.merged_into_id.is_(None))
            )
            for ref in (refs or [])
        }
        created: list[Person] = []
        for row in source.rows():
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                break
            report.rows += 1
            if progress is not None and report.rows % 100 == 0:
                progress(Progress(report.rows, source.info.total_rows, len(created)))
            ref = row.ref
            key = f"import:{uuid.uuid5(IMPORT_NAMESPACE, ref or row.fingerprint)}"
            if (ref and ref in known_refs) or key in known_refs:
                report.already += 1
                continue
            if not ref and row.person is not None:
                row.person["external_refs"] = [key]
            person_in = _validated(row) if row.refused is None else None
            if row.refused is not None or person_in is None:
                report.refused += 1
                issues = [row.refused] if row.refused else []
                report.problems.append(Problem(row.line, row.original, "refused", issues))
                continue
            if row.warnings:
                report.warned += 1
                report.problems.append(Problem(row.line, row.original, "warned", row.warnings))
            if len(report.sample) < sample:
                report.sample.append(person_in.model_dump(mode="json", exclude_defaults=True))
            if dry_run:
                report.created += 1
                continue
            held = ref_key(ref or key)
            if session.get(ImportRef, held) is not None:
                report.already += 1
                continue
            person = _create(session, ctx, person_in, held)
            if person is None:  # another import of this file saved the row first
                report.already += 1
                continue
            known_refs.update(person.external_refs)
            created.append(person)
        if dry_run:
            session.rollback()
            return report
        report.created = len(created)
        session.flush()
        _queue_duplicates(session, ctx, created, report)
        audit(
            session,
            ctx,
            "import_file",
            "person",
            None,
            rows=report.rows,
            created=report.created,
            errors=report.refused,
        )
    if progress is not None:
        progress(Progress(report.rows, report.rows, report.created))
    return report


def _queue_duplicates(
    session: Session, ctx: Context, created: list[Person], report: ImportReport
) -> None:
    locking.queue_lock(session, exclusive=False)
    candidates.forget_frequencies()
    scorer = candidates.matcher(ctx, session)
    for person in created:
        probe = match_records.record_of(
            person.id,
            person.given_names,
            person.first_surname,
            person.second_surname,
            person.birth_date,
            person.sex,
            person.nationality,
            ((d.type_key, d.number_norm) for d in person.documents),
            (person.phone,),
        )
        ids = [i for i in candidates.candidate_ids(session, probe) if i != person.id]
        if not ids:
            continue
        best = scorer.rank(
            probe,
            match_records.load_records(session, ids),
            limit=1,
            min_score=DEFAULT_THRESHOLD,
        )
        if not best:
            continue
        other = uuid.UUID(best[0].b_id)
        a, b = sorted((person.id, other))
        exists = session.scalar(
            sa.select(MatchPair.id).where(MatchPair.person_a == a, MatchPair.person_b == b)
        )
        if exists is None:
            session.add(
                MatchPair(
                    person_a=a,
                    person_b=b,
                    score=round(best[0].score, 4),
                    reasons=[{"code": r.code, "params": dict(r.params)} for r in best[0].reasons],
                )
            )
            session.flush()
            report.likely_duplicates += 1


__all__ = ["ImportFileError", "ImportReport", "import_persons", "preview"]
