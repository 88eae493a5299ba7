"""Reading an office's spreadsheet: the file, its header and columns, and each row as the
person (and attention) it describes, with the warnings or the reason it is refused.

Nothing here touches the database: the writers (``importing``, ``import_visits``) store
what this reads, and a preview shows it before anything is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casework import refdata
from casework.services.import_types import (
    PERSON_FIELDS,
    VISIT_FIELDS,
    ImportFileError,
    Issue,
    ReadOptions,
    RowResult,
    SourceInfo,
)
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


def _norm_header(text: str) -> str:
    return fold(text).strip().replace("-", "_")


@dataclass
class Source:
    """An opened file: what was found about it, and its rows."""

    info: SourceInfo
    _rows: Iterator[tuple[int, list[str]]]

    def rows(self) -> Iterator[RowResult]:
        for line, values in self._rows:
            if not any(v.strip() for v in values):
                continue
            yield interpret(line, values, self.info)


def open_source(path: Path, options: ReadOptions | None = None) -> Source:
    """Open ``path`` (.csv, .txt or .xlsx), find its header and map its columns to fields;
    raises :class:`ImportFileError` when the file as a whole cannot be imported."""
    options = options or ReadOptions()
    if not path.exists():
        raise ImportFileError("import_no_file", path=str(path))
    suffix = path.suffix.lower()
    info = SourceInfo(path=path, format="xlsx" if suffix == ".xlsx" else "csv")
    if suffix == ".xlsx":
        raw = _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        raw = _csv_rows(path, info)
    else:
        raise ImportFileError("import_format", path=path.name)
    numbered = enumerate(raw, start=1)
    try:
        _, header = next(numbered)
    except StopIteration:
        raise ImportFileError("import_empty", path=path.name) from None
    info.columns = [c.strip() for c in header]
    info.mapping = _columns(info.columns, options)
    info.overridden = set(options.mapping.values()) - {""}
    return Source(info, numbered)


def _columns(header: list[str], options: ReadOptions) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        if name in options.mapping:
            if options.mapping[name]:
                found[options.mapping[name]] = index
            continue
        norm = _norm_header(name or "")
        for column, aliases in HEADERS.items():
            if norm in {_norm_header(a) for a in aliases} and column not in found:
                found[column] = index
    missing = [c for c in ("given_names", "first_surname") if c not in found]
    if missing:
        raise ImportFileError("import_missing_columns", columns=", ".join(missing))
    return found


def _csv_rows(path: Path, info: SourceInfo) -> Iterator[list[str]]:
    raw = path.read_bytes()
    text = ""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            info.encoding = encoding
            break
        except UnicodeDecodeError:
            continue
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    info.delimiter = dialect.delimiter
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


def interpret(line: int, values: list[str], info: SourceInfo) -> RowResult:
    """One data row: its cells by field, read into PersonIn data (and visit data)."""
    original = {c: (values[i] if i < len(values) else "") for i, c in enumerate(info.columns)}
    row = {f: (values[i] if i < len(values) else "").strip() for f, i in info.mapping.items()}
    person_cells = [row.get(f, "") for f in PERSON_FIELDS if f != "ref"]
    fingerprint = hashlib.sha256("\x1f".join(person_cells).encode()).hexdigest()
    result = RowResult(
        line=line, original=original, person=None, ref=row.get("ref", ""), fingerprint=fingerprint
    )
    if not row.get("given_names") or not row.get("first_surname"):
        result.refused = Issue("no_name")
        return result
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
        if sex.lower() in SEX:
            data["sex"] = SEX[sex.lower()]
        else:
            result.warnings.append(Issue("bad_sex", "sex", sex))
    try:
        data["birth_date"] = _date(row.get("date_of_birth", ""))
    except ValueError:
        result.warnings.append(Issue("bad_date", "date_of_birth", row.get("date_of_birth", "")))
    number = row.get("document_number", "")
    if number:
        type_text = row.get("document_type", "") or "other"
        doc_type = refdata.document_type(type_text)
        if doc_type is None:
            result.warnings.append(Issue("bad_document_type", "document_type", type_text))
        else:
            data["documents"] = [{"type": doc_type.key, "number": number}]
    if result.ref:
        data["external_refs"] = [result.ref]
    result.person = data
    if any(f in info.mapping for f in VISIT_FIELDS):
        result.visit = {f: row.get(f, "") for f in VISIT_FIELDS}
    return result


__all__ = ["HEADERS", "SEX", "Source", "interpret", "open_source"]
