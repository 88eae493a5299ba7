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

import csv
import datetime as dt
import hashlib
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework import refdata
from casework.errors import CaseworkError, InvalidInput
from casework.i18n import t
from casework.matching import DEFAULT_THRESHOLD
from casework.models import ImportRef, MatchPair, Person
from casework.services import candidates, keys, locking, match_records
from casework.services.context import Context, audit, validate
from casework.services.persons import _apply_person
from casework.services.schemas import PersonIn
from casework.text import fold

HEADERS: dict[str, tuple[str, ...]] = {
    "ref": ("ref", "referencia", "id", "codigo", "código", "folio"),
    "given_names": ("given_names", "nombres", "nombre", "given names"),
    "first_surname": (
        "first_surname",
        "primer_apellido",
        "apellido_paterno",
        "apellido1",
        "primer apellido",
        "apellido paterno",
        "apellido",
    ),
    "second_surname": (
        "second_surname",
        "segundo_apellido",
        "apellido_materno",
        "apellido2",
        "segundo apellido",
        "apellido materno",
    ),
    "sex": ("sex", "sexo"),
    "date_of_birth": (
        "date_of_birth",
        "fecha_nacimiento",
        "fecha_de_nacimiento",
        "nacimiento",
        "birth_date",
        "fecha de nacimiento",
        "dob",
    ),
    "nationality": ("nationality", "nacionalidad", "pais", "país"),
    "document_type": ("document_type", "tipo_documento", "tipo_doc", "tipo de documento"),
    "document_number": (
        "document_number",
        "numero_documento",
        "número_documento",
        "documento",
        "n_documento",
        "numero de documento",
        "número de documento",
        "rut",
        "run",
    ),
    "phone": ("phone", "telefono", "teléfono", "fono", "celular"),
    "commune": ("commune", "comuna"),
}
SEX = {
    "f": "F",
    "femenino": "F",
    "mujer": "F",
    "female": "F",
    "m": "M",
    "masculino": "M",
    "hombre": "M",
    "male": "M",
    "x": "X",
    "otro": "X",
    "other": "X",
    "no binario": "X",
}
IMPORT_NAMESPACE = uuid.UUID("0c5e8f5e-3c2a-4b7e-9d0e-6a1f2b3c4d5e")
REF_MAX = 200
"""Longer references are held in ``import_ref`` by a digest of their text."""


def ref_key(ref: str) -> str:
    """The ``import_ref`` key of a reference."""
    if len(ref) <= REF_MAX:
        return ref
    return f"import:{uuid.uuid5(IMPORT_NAMESPACE, ref)}"


class ImportFileError(CaseworkError):
    code = "import_file"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    already: int = 0
    likely_duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _norm_header(text: str) -> str:
    return fold(text).strip().replace("-", "_")


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        norm = _norm_header(name or "")
        for column, aliases in HEADERS.items():
            if norm in {_norm_header(a) for a in aliases} and column not in found:
                found[column] = index
    missing = [c for c in ("given_names", "first_surname") if c not in found]
    if missing:
        raise ImportFileError("import_missing_columns", columns=", ".join(missing))
    return found


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: text}) for every data row of a .csv or .xlsx file."""
    if not path.exists():
        raise ImportFileError("import_no_file", path=str(path))
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        rows = _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        rows = _csv_rows(path)
    else:
        raise ImportFileError("import_format", path=path.name)
    try:
        header = next(rows)
    except StopIteration:
        raise ImportFileError("import_empty", path=path.name) from None
    columns = _columns(header)
    for line, values in enumerate(rows, start=2):
        if not any(v.strip() for v in values):
            continue
        yield line, {c: (values[i] if i < len(values) else "").strip() for c, i in columns.items()}


def _csv_rows(path: Path) -> Iterator[list[str]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text), dialect)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportFileError("import_unreadable", path=path.name) from exc
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(values_only=True):
        yield [
            ""
            if v is None
            else (
                v.date().isoformat()
                if isinstance(v, dt.datetime)
                else v.isoformat()
                if isinstance(v, dt.date)
                else str(v)
            )
            for v in row
        ]
    book.close()


def _date(text: str) -> dt.date | None:
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _person(row: dict[str, str]) -> dict[str, Any]:
    """Row text to PersonIn data; raises ValueError with a message code for bad values."""
    data: dict[str, Any] = {
        "given_names": row.get("given_names", ""),
        "first_surname": row.get("first_surname", ""),
        "second_surname": row.get("second_surname") or None,
        "phone": row.get("phone") or None,
        "commune": row.get("commune") or None,
        "nationality": row.get("nationality") or None,
    }
    sex = row.get("sex", "")
    if sex:
        if sex.lower() not in SEX:
            raise ValueError("import_bad_sex", sex)
        data["sex"] = SEX[sex.lower()]
    try:
        data["birth_date"] = _date(row.get("date_of_birth", ""))
    except ValueError:
        raise ValueError("bad_date", row.get("date_of_birth", "")) from None
    number = row.get("document_number", "")
    if number:
        type_text = row.get("document_type", "") or "other"
        doc_type = refdata.document_type(type_text)
        if doc_type is None:
            raise ValueError("unknown_document_type", type_text)
        data["documents"] = [{"type": doc_type.key, "number": number}]
    if row.get("ref"):
        data["external_refs"] = [row["ref"]]
    return data


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


def import_persons(ctx: Context, path: Path) -> ImportReport:
    report = ImportReport()
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
        for line, row in read_rows(path):
            report.rows += 1
            ref = row.get("ref", "")
            token = ref or hashlib.sha256(repr(sorted(row.items())).encode()).hexdigest()
            key = f"import:{uuid.uuid5(IMPORT_NAMESPACE, token)}"
            if (ref and ref in known_refs) or key in known_refs:
                report.already += 1
                continue
            try:
                data = _person(row)
                if not ref:
                    data["external_refs"] = [key]
                person_in = validate(PersonIn, data)
            except ValueError as exc:
                report.errors.append((line, t(f"error.{exc.args[0]}", value=exc.args[-1])))
                continue
            except InvalidInput as exc:
                report.errors.append((line, exc.message()))
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
        report.created = len(created)
        session.flush()
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
                        reasons=[
                            {"code": r.code, "params": dict(r.params)} for r in best[0].reasons
                        ],
                    )
                )
                session.flush()
                report.likely_duplicates += 1
        audit(
            session,
            ctx,
            "import_file",
            "person",
            None,
            rows=report.rows,
            created=report.created,
            errors=len(report.errors),
        )
    return report


__all__ = ["ImportReport", "import_persons", "read_rows"]
