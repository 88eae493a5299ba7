"""Reading an office's spreadsheet: the file, its header and columns, and each row as the
person (and attention) it describes, with the warnings or the reason it is refused.

Nothing here touches the database: the writers (``importing``, ``import_visits``) store
what this reads, and a preview shows it before anything is written. What a row hands over
is already what :class:`~casework.services.schemas.PersonIn` accepts (codes, not names);
a cell that cannot be read is left out with a warning, and only a row without a usable
name is refused.

CSV files are read streaming: a first pass over the bytes checks the encoding (UTF-8
first; charset-normalizer only when that fails) and counts the lines; the second pass
decodes and parses row by row.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from casework import clock, refdata, rut
from casework.models.enums import DatePrecision
from casework.refdata.loader import fold
from casework.services.import_types import (
    PERSON_FIELDS,
    VISIT_FIELDS,
    ImportFileError,
    Issue,
    ReadOptions,
    RowResult,
    SourceInfo,
)
from casework.spreadsheet import FORMULA_STARTS
from casework.text import alnum_upper

CELL_LIMIT: Final = 128 * 1024
"""A cell longer than this (characters) is cut short in the report and left out."""
HEADER_SEARCH: Final = 30
"""The header is looked for among the first rows."""
_CHUNK: Final = 1 << 20

SURNAMES = "surnames"
"""Pseudo-field: one column with both surnames ("Apellidos"), split into first and second."""
MAP_FIELDS: Final = (*PERSON_FIELDS, SURNAMES)
"""Fields a column can be mapped to for persons (``--map column=field``)."""

# Header aliases, as typed; compared folded (accents, case and punctuation ignored).
HEADERS: dict[str, tuple[str, ...]] = {
    "ref": (
        "ref",
        "referencia",
        "id",
        "codigo",
        "folio",
        "ficha",
        "n ficha",
        "nro ficha",
        "numero ficha",
        "id persona",
        "n registro",
        "nro registro",
        "external id",
        "rec id",
        "record id",
    ),
    "full_name": (
        "full_name",
        "nombre completo",
        "nombres completos",
        "nombre y apellidos",
        "nombre y apellido",
        "nombres y apellidos",
        "apellidos y nombres",
        "apellidos y nombre",
        "apellido y nombre",
        "nombre apellidos",
        "full name",
        "persona",
        "beneficiario",
        "beneficiaria",
        "usuario",
        "usuaria",
    ),
    "given_names": (
        "given_names",
        "nombres",
        "nombre",
        "nombre s",
        "given names",
        "given name",
        "first name",
        "first names",
        "name",
    ),
    "first_surname": (
        "first_surname",
        "primer apellido",
        "apellido paterno",
        "apellido1",
        "apellido 1",
        "ap paterno",
        "apellido p",
        "apellido",
        "last name",
        "surname",
        "family name",
    ),
    "second_surname": (
        "second_surname",
        "segundo apellido",
        "apellido materno",
        "apellido2",
        "apellido 2",
        "ap materno",
        "apellido m",
    ),
    SURNAMES: ("surnames", "apellidos", "last names"),
    "sex": ("sex", "sexo", "genero", "sexo registral", "sexo f m", "gender"),
    "date_of_birth": (
        "date_of_birth",
        "fecha nacimiento",
        "fecha de nacimiento",
        "fecha nac",
        "fecha de nac",
        "fecha nacim",
        "fec nac",
        "f nacimiento",
        "f de nacimiento",
        "f nac",
        "nac",
        "nacimiento",
        "birth date",
        "birthdate",
        "date of birth",
        "dob",
    ),
    "nationality": (
        "nationality",
        "nacionalidad",
        "pais",
        "pais de origen",
        "pais origen",
        "pais de procedencia",
        "pais de nacionalidad",
        "origen",
        "country",
    ),
    "document_type": (
        "document_type",
        "tipo documento",
        "tipo de documento",
        "tipo doc",
        "tipo de doc",
        "tipo identificacion",
        "tipo de identificacion",
        "tipo id",
        "document type",
    ),
    "document_number": (
        "document_number",
        "numero documento",
        "numero de documento",
        "documento",
        "n documento",
        "n de documento",
        "no documento",
        "nro documento",
        "nro de documento",
        "num documento",
        "n doc",
        "nro doc",
        "rut",
        "run",
        "rut run",
        "run rut",
        "rut dni",
        "run dni",
        "rut pasaporte",
        "run pasaporte",
        "dni",
        "pasaporte",
        "n pasaporte",
        "no pasaporte",
        "nro pasaporte",
        "cedula",
        "cedula de identidad",
        "identificacion",
        "n identificacion",
        "documento de identidad",
        "document number",
        "id number",
    ),
    "phone": (
        "phone",
        "telefono",
        "telefonos",
        "fono",
        "celular",
        "movil",
        "telefono celular",
        "telefono movil",
        "n telefono",
        "nro telefono",
        "tel",
        "whatsapp",
        "contacto",
        "phone number",
    ),
    "email": ("email", "e mail", "correo", "correo electronico", "mail", "email address"),
    "address": ("address", "direccion", "domicilio", "direccion particular", "calle"),
    "commune": (
        "commune",
        "comuna",
        "comuna de residencia",
        "comuna residencia",
        "comuna domicilio",
        "municipio",
    ),
    "visit_date": (
        "visit_date",
        "fecha",
        "fecha atencion",
        "fecha de atencion",
        "fecha de la atencion",
        "fecha visita",
        "fecha de visita",
        "visit date",
        "date",
    ),
    "reasons": (
        "reasons",
        "motivo",
        "motivos",
        "motivo de consulta",
        "motivo consulta",
        "motivos de consulta",
        "motivo de atencion",
        "tema",
        "temas",
    ),
    "programme": ("programme", "programa", "program"),
    "destination": (
        "destination",
        "derivacion",
        "derivaciones",
        "derivado a",
        "derivada a",
        "destino",
    ),
    "note": (
        "note",
        "nota",
        "notas",
        "observacion",
        "observaciones",
        "obs",
        "comentario",
        "comentarios",
        "notes",
    ),
}
_HEADER_INDEX: dict[str, str] = {
    fold(alias): name for name, aliases in HEADERS.items() for alias in aliases
}
_AMBIGUOUS_NAME = {"nombre", "nombres", "name", "nombre s"}
"""A lone "Nombre" column (no surname column) holds the whole name."""
_DOC_TYPE_BY_HEADER = {
    "rut": "run",
    "run": "run",
    "rut run": "run",
    "run rut": "run",
    "pasaporte": "passport",
    "n pasaporte": "passport",
    "no pasaporte": "passport",
    "nro pasaporte": "passport",
    "dni": "national_id",
}
"""A document column whose header names the type ("RUT", "Pasaporte")."""

SEX = {
    "f": "F",
    "fem": "F",
    "femenino": "F",
    "mujer": "F",
    "female": "F",
    "woman": "F",
    "m": "M",
    "masc": "M",
    "masculino": "M",
    "hombre": "M",
    "h": "M",
    "v": "M",
    "varon": "M",
    "male": "M",
    "man": "M",
    "x": "X",
    "otro": "X",
    "otra": "X",
    "other": "X",
    "no binario": "X",
    "no binaria": "X",
    "nb": "X",
}
_NAME_PARTICLES = frozenset(
    [
        "de",
        "del",
        "la",
        "las",
        "los",
        "da",
        "das",
        "do",
        "dos",
        "di",
        "du",
        "van",
        "von",
        "der",
        "den",
        "ter",
        "san",
        "santa",
        "y",
    ]
)
REASON_WORDS = {
    "regularizacion": "regularization",
    "visa": "regularization",
    "residencia": "regularization",
    "permanencia": "regularization",
    "tramite migratorio": "regularization",
    "salud": "health",
    "fonasa": "health",
    "educacion": "education",
    "escuela": "education",
    "colegio": "education",
    "matricula": "education",
    "vivienda": "housing",
    "arriendo": "housing",
    "trabajo": "work",
    "empleo": "work",
    "laboral": "work",
    "violencia": "violence",
    "vif": "violence",
    "ninos": "children",
    "nna": "children",
    "infancia": "children",
    "refugio": "refuge",
    "asilo": "refuge",
    "documentos": "documentation",
    "documentacion": "documentation",
    "ayuda": "social_aid",
    "social": "social_aid",
    "rsh": "social_aid",
    "registro social de hogares": "social_aid",
    "otro": "other",
    "otros": "other",
}
"""Words offices use for the contact reasons, besides each reason's key and names."""
_MAX_LENGTH = {"email": 200, "address": 300}


# --------------------------------------------------------------------------- the file


@dataclass
class Source:
    """An opened file: what was found about it, and its rows."""

    info: SourceInfo
    _rows: Iterator[tuple[int, list[str]]]
    _header_key: tuple[str, ...] = field(default=(), repr=False)

    def rows(self) -> Iterator[RowResult]:
        header_key = self._header_key
        width = len(header_key)
        first = self.info.columns[0].casefold() if self.info.columns else ""
        skipped = self.info.skipped_headers
        for line, values in self._rows:
            if not any(v.strip() for v in values):
                continue
            if (
                values
                and values[0].strip().casefold() == first
                and first
                and tuple(fold(v) for v in values[:width]) == header_key[: len(values)]
            ):
                skipped.append(line)
                continue
            yield interpret(line, values, self.info)


def open_source(path: Path, options: ReadOptions | None = None) -> Source:
    """Open ``path`` (.csv, .txt, .tsv or .xlsx), find its header and map its columns to
    fields; raises :class:`ImportFileError` when the file as a whole cannot be imported."""
    options = options or ReadOptions()
    if not path.exists() or not path.is_file():
        raise ImportFileError("import_no_file", path=str(path))
    suffix = path.suffix.lower()
    info = SourceInfo(path=path, format="xlsx" if suffix in (".xlsx", ".xlsm") else "csv")
    raw: Iterator[list[str]]
    lines: int | None
    if info.format == "xlsx":
        raw, lines = _xlsx_rows(path, info, options)
    elif suffix in (".csv", ".txt", ".tsv"):
        raw, lines = _csv_rows(path, info, options)
    else:
        raise ImportFileError("import_format", path=path.name)
    valid = _valid_fields(options)
    options = replace(options, mapping=_mapping_by_name(options.mapping, valid))
    for target in options.mapping.values():
        if target and target not in valid:
            raise ImportFileError("import_map_field", field=target, fields=", ".join(valid))
    numbered = enumerate(raw, start=1)
    head = list(itertools.islice(numbered, max(HEADER_SEARCH, options.header_row or 0)))
    if not any(any(c.strip() for c in cells) for _, cells in head):
        raise ImportFileError("import_empty", path=path.name)
    try:
        header_at = _find_header(head, options)
    except ImportFileError as exc:
        others = [n for n in info.sheets if n != info.sheet]
        if exc.code != "import_no_name_column" or not others:
            raise
        raise ImportFileError(
            "import_no_name_column_sheets", sheet=info.sheet, sheets=_list(others), **exc.params
        ) from None
    _, header = head[header_at]
    info.header_line = head[header_at][0]
    info.columns = [c.strip() for c in header]
    info.mapping = _columns(info.columns, options)
    info.overridden = {f for f in options.mapping.values() if f}
    info.kind = options.kind
    info.doc_type_by_header = (
        _DOC_TYPE_BY_HEADER.get(fold(info.columns[info.mapping["document_number"]]), "")
        if "document_number" in info.mapping
        else ""
    )
    info.original_keys = _unique_keys(info.columns)
    if lines is not None:
        info.total_rows = max(0, lines - info.header_line)
    rest = itertools.chain(head[header_at + 1 :], numbered)
    header_key = tuple(fold(c) for c in header)
    return Source(info, rest, header_key)


def _unique_keys(columns: list[str]) -> list[str]:
    out: list[str] = []
    for index, name in enumerate(columns):
        key = name or f"({index + 1})"
        while key in out:
            key = f"{key} ({index + 1})"
        out.append(key)
    return out


def _valid_fields(options: ReadOptions) -> tuple[str, ...]:
    return (*MAP_FIELDS, *VISIT_FIELDS) if options.kind == "visits" else MAP_FIELDS


def _guess(header: list[str], options: ReadOptions) -> dict[str, int]:
    found: dict[str, int] = {}
    valid = set(_valid_fields(options))
    # The user's choices first: a field given to one column is taken from the column that
    # would have been guessed for it (which is then left out).
    for index, name in enumerate(header):
        target = options.mapping.get(name.strip())
        if target:
            found.setdefault(target, index)
    for index, name in enumerate(header):
        name = name.strip()
        if name in options.mapping:
            continue
        column = _HEADER_INDEX.get(fold(name))
        if column is not None and column in valid and column not in found:
            found[column] = index
    has_surname = "first_surname" in found or SURNAMES in found
    if "given_names" in found and not has_surname and "full_name" not in found:
        name = header[found["given_names"]].strip()
        if name not in options.mapping and fold(name) in _AMBIGUOUS_NAME:
            found["full_name"] = found.pop("given_names")
    if "full_name" in found and "given_names" in found and has_surname:
        # Both ways of giving a name: the separate columns win, the full one is kept as
        # a fallback for rows where they are empty.
        pass
    return found


def _has_name(found: dict[str, int]) -> bool:
    return "full_name" in found or (
        "given_names" in found and ("first_surname" in found or SURNAMES in found)
    )


def _find_header(head: list[tuple[int, list[str]]], options: ReadOptions) -> int:
    if options.header_row is not None:
        for index, (line, _) in enumerate(head):
            if line == options.header_row:
                return index
        raise ImportFileError("import_header_row", line=options.header_row, lines=len(head))
    for index, (_, cells) in enumerate(head):
        if _has_name(_guess(cells, options)):
            return index
    seen = {c.strip() for _, cells in head for c in cells if c.strip()}
    unknown = [c for c in options.mapping if c not in seen]
    if unknown:
        raise ImportFileError("import_map_column", column=unknown[0], columns=_list(seen))
    first = next((cells for _, cells in head if any(c.strip() for c in cells)), [])
    raise ImportFileError(
        "import_no_name_column", lines=HEADER_SEARCH, columns=_list(c for c in first if c)
    )


def _mapping_by_name(mapping: dict[str, str], valid: Any) -> dict[str, str]:
    """``--map`` targets may be written as the fields are shown ("Referencia", "Fecha de
    nacimiento", in either language) as well as by their keys (ref, date_of_birth)."""
    from casework.i18n import t

    names = {fold(f): f for f in valid}
    for name in valid:
        for lang in ("es", "en"):
            names.setdefault(fold(t(f"import.field.{name}", lang)), name)
    return {c: names.get(fold(v), v) if v else v for c, v in mapping.items()}


def _list(items: Any, limit: int = 25) -> str:
    names = [str(i).strip() for i in items if str(i).strip()]
    shown = ", ".join(f"«{n[:40]}»" for n in names[:limit])
    return shown + (" …" if len(names) > limit else "")


def _columns(header: list[str], options: ReadOptions) -> dict[str, int]:
    valid = _valid_fields(options)
    for column, target in options.mapping.items():
        if column not in header:
            raise ImportFileError("import_map_column", column=column, columns=_list(header))
        if target and target not in valid:
            raise ImportFileError("import_map_field", field=target, fields=", ".join(valid))
    found = _guess(header, options)
    if not _has_name(found):
        raise ImportFileError("import_no_name_column", lines=HEADER_SEARCH, columns=_list(header))
    return found


# --------------------------------------------------------------------------- CSV


def _csv_rows(
    path: Path, info: SourceInfo, options: ReadOptions
) -> tuple[Iterator[list[str]], int | None]:
    encoding, lines = _encoding(path, options.encoding)
    info.encoding = encoding
    csv.field_size_limit(2**31 - 1)
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        sample = handle.read(64 * 1024)
    delimiter = _delimiter(sample)
    info.delimiter = delimiter
    return _csv_iter(path, encoding, delimiter), lines


def _csv_iter(path: Path, encoding: str, delimiter: str) -> Iterator[list[str]]:
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        yield from csv.reader(handle, delimiter=delimiter)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _encoding(path: Path, forced: str | None) -> tuple[str, int]:
    """The file's encoding and its count of lines, in one pass over its bytes."""
    with path.open("rb") as handle:
        first = handle.read(_CHUNK)
        if first.startswith(b"PK\x03\x04"):
            raise ImportFileError("import_zip_as_csv", path=path.name)
        if first.startswith(b"\xd0\xcf\x11\xe0"):
            raise ImportFileError("import_binary", path=path.name)
        if forced:
            try:
                codecs.lookup(forced)
            except LookupError:
                raise ImportFileError("import_encoding", encoding=forced) from None
            return forced, _count_lines(handle, first)
        for bom, name in _BOMS:
            if first.startswith(bom):
                if name.startswith("utf-8"):
                    break
                return name, _count_lines(handle, first, width=2 if "16" in name else 4)
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunk, offset, lines, nul = first, 0, 0, False
        failed_at: int | None = None
        while chunk:
            lines += chunk.count(b"\n")
            nul = nul or b"\x00" in chunk
            if failed_at is None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    failed_at = offset + exc.start
            offset += len(chunk)
            chunk = handle.read(_CHUNK)
        if failed_at is None and not nul:
            try:
                decoder.decode(b"", final=True)
                _check_text(first.decode("utf-8", errors="ignore"), path)
                return ("utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"), lines
            except UnicodeDecodeError:
                failed_at = offset
        handle.seek(max(0, (failed_at or 0) - 32 * 1024))
        around = handle.read(64 * 1024) if failed_at and failed_at > 256 * 1024 else b""
    sample = first[: 256 * 1024] + (b"\n" + around if around else b"")
    return _detect(sample, nul, path), lines


def _count_lines(handle: io.BufferedReader, first: bytes, width: int = 1) -> int:
    newline = b"\n" + b"\x00" * (width - 1)
    lines, chunk = 0, first
    while chunk:
        lines += chunk.count(newline)
        chunk = handle.read(_CHUNK)
    return lines


_SPANISH_LETTERS = frozenset("áéíóúüñÁÉÍÓÚÜÑ")
_SINGLE_BYTE = ("cp1252", "cp850", "mac_roman")
"""What Excel and old DOS programs write in Chile, tried when the detector's guess
spells fewer Spanish letters."""


def _detect(sample: bytes, nul: bool, path: Path) -> str:
    """The encoding of a file that is not UTF-8: charset-normalizer's guess, unless one
    of the single-byte encodings Chilean offices use reads more Spanish letters from the
    sample (short Spanish files fool any detector: "Núñez" in cp850 looks like Big5)."""
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    guess = best.encoding if best is not None else None
    if nul:
        if guess is None or not guess.startswith(("utf_16", "utf_32")):
            raise ImportFileError("import_binary", path=path.name)
        return guess
    scores: dict[str, int] = {}
    for candidate in (*_SINGLE_BYTE, guess):
        if candidate is None or candidate in scores:
            continue
        try:
            text = sample.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
        foreign = [ch for ch in text if ch > "\x7f"]
        spanish = sum(1 for ch in foreign if ch in _SPANISH_LETTERS)
        # Counts only when most of the non-ASCII text is Spanish letters.
        scores[candidate] = spanish if spanish * 2 >= len(foreign) else 0
    if guess in scores and (scores[guess] >= max(scores.values()) or not any(scores.values())):
        chosen = guess
    elif scores and any(scores.values()):
        chosen = max(scores, key=lambda c: scores[c])  # the first best: cp1252 on a tie
    else:
        chosen = guess or "latin-1"
    _check_text(sample.decode(chosen, errors="replace"), path)
    return chosen


def _check_text(text: str, path: Path) -> None:
    """A text file, not binary data: few control characters."""
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n\f\v")
    if sample and controls > max(2, len(sample) // 200):
        raise ImportFileError("import_binary", path=path.name)


def _delimiter(sample: str) -> str:
    """`,` `;` or tab: the one that splits the first lines into the same number (> 1) of
    cells most often (quoted cells are parsed, so "Pérez, Ana" does not count)."""
    lines = sample.splitlines()[:500]
    if len(sample) >= 64 * 1024 and len(lines) > 1:
        lines = lines[:-1]  # the last one may be cut
    best, best_score = ",", (0, 0)
    for delimiter in (",", ";", "\t"):
        counts: dict[int, int] = {}
        try:
            for cells in csv.reader(lines, delimiter=delimiter):
                if len(cells) > 1:
                    counts[len(cells)] = counts.get(len(cells), 0) + 1
        except csv.Error:
            continue
        if not counts:
            continue
        width, rows = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        score = (rows, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# --------------------------------------------------------------------------- XLSX


def _xlsx_rows(
    path: Path, info: SourceInfo, options: ReadOptions
) -> tuple[Iterator[list[str]], int | None]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportFileError("import_unreadable", path=path.name) from exc
    info.sheets = list(book.sheetnames)
    name = _sheet(options.sheet, info.sheets)
    if name is None:
        book.close()
        raise ImportFileError(
            "import_no_sheet", sheet=options.sheet or "", path=path.name, sheets=_list(info.sheets)
        )
    info.sheet = name
    sheet = book[name]
    lines = getattr(sheet, "max_row", None)

    def rows() -> Iterator[list[str]]:
        try:
            try:
                lean = _LeanSheet(book, sheet)
            except AttributeError:  # another openpyxl: its own (slower) parser
                for row in sheet.iter_rows(values_only=True):
                    yield [_cell_text(v) for v in row]
            else:
                yield from lean.rows()
        finally:
            book.close()

    return rows(), lines if isinstance(lines, int) else None


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _INLINE = f"{_NS}row", f"{_NS}c", f"{_NS}v", f"{_NS}is"
_TEXT, _PHONETIC = f"{_NS}t", f"{_NS}rPh"
_SHEET_DATA = f"{_NS}sheetData"


class _LeanSheet:
    """The values of a read-only sheet, straight from its XML: openpyxl's own parser
    builds an object per cell and reads about 3,000 rows/s; this reads the same values
    (shared strings, numbers, dates by their cell style, booleans, a formula's cached
    value) several times faster. openpyxl still opens the workbook and its styles."""

    def __init__(self, book: Any, sheet: Any) -> None:
        self.archive = book._archive
        self.path: str = sheet._worksheet_path
        self.strings: Any = sheet._shared_strings
        self.dates: Any = book._date_formats
        self.epoch: Any = book.epoch
        self.columns: dict[str, int] = {}

    def _column(self, ref: str) -> int:
        letters = ref.rstrip("0123456789")
        index = self.columns.get(letters)
        if index is None:
            index = 0
            for ch in letters:
                index = index * 26 + ord(ch.upper()) - 64
            index -= 1
            self.columns[letters] = index
        return index

    def _value(self, cell: Any) -> str:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = cell.find(_INLINE)
            return "" if inline is None else _rich_text(inline)
        found = cell.findtext(_VALUE)
        if found is None:
            return ""
        text = str(found)
        if kind == "s":
            return str(self.strings[int(text)])
        if kind == "n":
            style = cell.get("s")
            if style and int(style) in self.dates:
                from openpyxl.utils.datetime import from_excel

                try:
                    return _cell_text(from_excel(float(text), self.epoch))
                except (OverflowError, ValueError):
                    return text
            try:
                return str(int(text))
            except ValueError:
                try:
                    return _cell_text(float(text))
                except ValueError:
                    return text
        if kind == "b":
            return "1" if text == "1" else "0"
        if kind == "e":
            return ""
        return text  # "str" (a formula's text result), "d" (ISO date)

    def rows(self) -> Iterator[list[str]]:
        from xml.etree.ElementTree import XMLPullParser

        expected = 1
        parser: Any = XMLPullParser(events=("end",))
        with self.archive.open(self.path) as source:
            while chunk := source.read(1 << 16):
                parser.feed(chunk)
                element: Any
                for _, element in parser.read_events():
                    if element.tag != _ROW:
                        continue
                    number = int(element.get("r") or expected)
                    while expected < number:  # rows left out of the file are empty
                        yield []
                        expected += 1
                    values: list[str] = []
                    for cell in element:
                        if cell.tag != _CELL:
                            continue
                        ref = cell.get("r")
                        index = self._column(ref) if ref else len(values)
                        if index > len(values):
                            values.extend([""] * (index - len(values)))
                        values.append(self._value(cell))
                    element.clear()
                    yield values
                    expected = number + 1
        parser.close()


def _rich_text(inline: Any) -> str:
    """An inline string's text: its runs' texts, without phonetic guides."""
    parts: list[str] = []
    for child in inline:
        if child.tag == _TEXT:
            parts.append(child.text or "")
        elif child.tag != _PHONETIC:
            parts.extend(t.text or "" for t in child.iter(_TEXT))
    return "".join(parts)


def _sheet(wanted: str | None, names: list[str]) -> str | None:
    if not names:
        return None
    if wanted is None or not wanted.strip():
        return names[0]
    wanted = wanted.strip()
    if wanted in names:
        return wanted
    folded = {fold(n): n for n in names}
    if fold(wanted) in folded:
        return folded[fold(wanted)]
    if wanted.isdigit() and 1 <= int(wanted) <= len(names):
        return names[int(wanted) - 1]
    return None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- cells

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DMY = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})" + _TIME)
_YMD = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME)
_MY = re.compile(r"(\d{1,2})[-/.](\d{4})")
_COMPACT = re.compile(r"(19\d{2}|20\d{2})(\d{2})(\d{2})")
_SERIAL = re.compile(r"(\d{4,5})(?:\.\d+)?")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_RUN_LIKE = re.compile(r"(?:\d{1,2}\.?\d{3}\.?\d{3}|\d{6,8})\s*-\s*[\dkK]")


class _Unreadable(ValueError):
    pass


@lru_cache(maxsize=65536)
def _read_date(text: str, birth: bool, today: dt.date) -> tuple[dt.date, DatePrecision | None]:
    """A date as offices type it (raises _Unreadable); the precision when it is partial.
    A two-digit year is this century's unless that is after ``today``."""
    try:
        if m := _YMD.fullmatch(text):
            return dt.date(int(m[1]), int(m[3]), int(m[4])), None
        if m := _DMY.fullmatch(text):
            day, month, year = int(m[1]), int(m[3]), m[4]
            if len(year) == 2:
                full = 2000 + int(year)
                try:
                    if dt.date(full, month, day) > today:
                        full -= 100
                except ValueError:
                    pass
                return dt.date(full, month, day), None
            return dt.date(int(year), month, day), None
        if m := _COMPACT.fullmatch(text):  # yyyymmdd, as some systems export it
            return dt.date(int(m[1]), int(m[2]), int(m[3])), None
        if m := _SERIAL.fullmatch(text):
            number = int(m[1])
            if birth and len(m[1]) == 4 and "." not in text and 1900 <= number <= today.year:
                return dt.date(number, 1, 1), DatePrecision.YEAR
            if len(m[1]) == 5:
                return _EXCEL_EPOCH + dt.timedelta(days=number), None
        if birth and (m := _MY.fullmatch(text)):
            return dt.date(int(m[2]), int(m[1]), 1), DatePrecision.MONTH
    except (ValueError, OverflowError):
        raise _Unreadable(text) from None
    raise _Unreadable(text)


@lru_cache(maxsize=1024)
def _sex_code(text: str) -> str | None:
    return SEX.get(fold(text))


@lru_cache(maxsize=4096)
def _commune_code(text: str) -> str | None:
    found = refdata.match_commune(text)
    return found.code if found is not None else None


@lru_cache(maxsize=4096)
def _country_code(text: str) -> str | None:
    found = refdata.match_country(text)
    return found.alpha3 if found is not None else None


@lru_cache(maxsize=1024)
def _doc_type(text: str) -> tuple[str, bool] | None:
    found = refdata.document_type(text)
    return (found.key, found.checked_mod11) if found is not None else None


@lru_cache(maxsize=1)
def _reason_index() -> dict[str, str]:
    out: dict[str, str] = {}
    for code in refdata.CONTACT_REASONS:
        for text in (code.key, code.name_es, code.name_en):
            out.setdefault(fold(text), code.key)
    for word, key in REASON_WORDS.items():
        out.setdefault(fold(word), key)
    return out


_REASON_SPLIT = re.compile(r"\s*[,;/+]\s*|\s+y\s+|\s+e\s+", re.IGNORECASE)


def _units(words: list[str]) -> list[list[str]]:
    """Words grouped into surname units from the right: a word with the particles before
    it ("de la Cruz", "San Martín")."""
    units: list[list[str]] = []
    i = len(words)
    while i > 0:
        j = i - 1
        while j > 0 and words[j - 1].lower() in _NAME_PARTICLES:
            j -= 1
        units.insert(0, words[j:i])
        i = j
    return units


def split_full_name(text: str) -> tuple[str, str, str] | None:
    """(given names, first surname, second surname) of one "nombre completo" cell by the
    Spanish two-surname convention; None when there is no surname (one word)."""
    if "," in text:
        surnames, _, given = text.partition(",")
        first, second = split_surnames(surnames)
        given = " ".join(given.split())
        if not given or not first:
            return None
        return given, first, second
    words = text.split()
    if len(words) < 2:
        return None
    units = _units(words)
    # The given names are what is left of the left end, never a bare particle.
    if len(units) >= 3:
        given_words = [w for u in units[:-2] for w in u]
        return " ".join(given_words), " ".join(units[-2]), " ".join(units[-1])
    if len(units) == 2:
        first_unit = units[0]
        if len(first_unit) > 1 and first_unit[0].lower() not in _NAME_PARTICLES:
            return first_unit[0], " ".join(first_unit[1:]), " ".join(units[1])
        return " ".join(units[0]), " ".join(units[1]), ""
    unit = units[0]  # "Ana de la Cruz" read as one unit: the first word is the given name
    if len(unit) >= 2:
        return unit[0], " ".join(unit[1:]), ""
    return None


def split_surnames(text: str) -> tuple[str, str]:
    """(first, second) surname of one "Apellidos" cell: the last surname unit is the
    second, the rest the first ("de la Cruz Pérez" -> "de la Cruz", "Pérez")."""
    words = text.split()
    if not words:
        return "", ""
    units = _units(words)
    if len(units) == 1:
        return " ".join(units[0]), ""
    return " ".join(w for u in units[:-1] for w in u), " ".join(units[-1])


# --------------------------------------------------------------------------- one row

_FINGERPRINT_FIELDS = tuple(f for f in MAP_FIELDS if f != "ref")


def interpret(line: int, values: list[str], info: SourceInfo) -> RowResult:
    """One data row: its cells by field, read into PersonIn data (and visit data)."""
    keys = info.original_keys or info.columns
    count = len(values)
    original = {k: (values[i] if i < count else "") for i, k in enumerate(keys)}
    warnings: list[Issue] = []
    row: dict[str, str] = {}
    for name, index in info.mapping.items():
        cell = values[index].strip() if index < count else ""
        if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS:
            cell = cell[1:]  # a report's formula-safe cell ("'+56 9…") read back as typed
        if cell[:1] == "=" and len(cell) > 1:
            warnings.append(Issue("formula_text", _field_label(name), cell))
        if len(cell) > CELL_LIMIT:
            warnings.append(Issue("cell_too_long", _field_label(name), cell[:80]))
            original[keys[index]] = cell[:CELL_LIMIT]
            cell = ""
        row[name] = cell
    for key, cell in original.items():
        if len(cell) > CELL_LIMIT:
            original[key] = cell[:CELL_LIMIT]
    fingerprint = hashlib.sha256(
        "\x1f".join([row.get(f, "") for f in _FINGERPRINT_FIELDS]).encode()
    ).hexdigest()
    result = RowResult(
        line=line,
        original=original,
        person=None,
        warnings=warnings,
        ref=row.get("ref", ""),
        fingerprint=fingerprint,
    )
    data: dict[str, Any] = {}
    if not _names(row, data, result):
        return result
    _person_fields(row, data, result, info)
    if result.ref:
        data["external_refs"] = [result.ref]
    result.person = data
    if info.kind == "visits":
        result.visit = _visit(row, result)
    return result


def _field_label(name: str) -> str:
    return "full_name" if name == SURNAMES else name


def _names(row: dict[str, str], data: dict[str, Any], result: RowResult) -> bool:
    given = " ".join(row.get("given_names", "").split())
    first = " ".join(row.get("first_surname", "").split())
    second = " ".join(row.get("second_surname", "").split())
    surnames = " ".join(row.get(SURNAMES, "").split())
    if surnames and not first:
        first, split_second = split_surnames(surnames)
        second = second or split_second
        if len(_units(surnames.split())) > 2:
            result.names_guessed = True
    full = " ".join(row.get("full_name", "").split())
    if full and not (given and first):
        split = split_full_name(full)
        if split is not None:
            given, first, second = split
            result.names_guessed = True
    if not given and not first:
        if not full:
            result.refused = Issue("no_name")
            return False
        given = full  # one word: a name all the same; the surname is left to complete
    if not given or not first:
        # The desk asks for both, but a row naming one person by half a name still is that
        # person: kept with the other half empty and a warning, to complete in the file.
        if not given:
            has = " ".join(p for p in (first, second) if p)
            result.warnings.append(Issue("no_given_names", "given_names", has))
        else:
            field_name = "full_name" if full and not row.get("given_names") else "first_surname"
            result.warnings.append(Issue("no_surname", field_name, given))
    for name, value, limit in (
        ("given_names", given, 120),
        ("first_surname", first, 80),
        ("second_surname", second, 80),
    ):
        if len(value) > limit or "\x00" in value:
            result.refused = Issue("invalid_name", name, value)
            return False
    if result.names_guessed:
        shown = " / ".join(p for p in (given, first, second) if p)
        result.warnings.append(Issue("names_guessed", "full_name", shown))
    data["given_names"] = given
    data["first_surname"] = first
    if second:
        data["second_surname"] = second
    return True


def _person_fields(
    row: dict[str, str], data: dict[str, Any], result: RowResult, info: SourceInfo
) -> None:
    warn = result.warnings.append
    if sex := row.get("sex"):
        code = _sex_code(sex)
        if code is None:
            warn(Issue("bad_sex", "sex", sex))
        else:
            data["sex"] = code
    if born := row.get("date_of_birth"):
        try:
            day, precision = _read_date(born, True, clock.today())
        except _Unreadable:
            warn(Issue("bad_date", "date_of_birth", born))
        else:
            if day > clock.today():
                warn(Issue("date_in_future", "date_of_birth", born))
            elif day.year < 1900:
                warn(Issue("date_too_old", "date_of_birth", born))
            else:
                data["birth_date"] = day
                if precision is not None:
                    data["birth_date_precision"] = precision
    if nationality := row.get("nationality"):
        country = _country_code(nationality)
        if country is None:
            warn(Issue("bad_country", "nationality", nationality))
        else:
            data["nationality"] = country
    if commune := row.get("commune"):
        code = _commune_code(commune)
        if code is None:
            warn(Issue("bad_commune", "commune", commune))
        else:
            data["commune"] = code
    if phone := row.get("phone"):
        _phones(phone, data, result)
    if email := row.get("email"):
        if "\x00" in email or " " in email.strip() or not _looks_like_email(email):
            warn(Issue("bad_email", "email", email))
        elif len(email) > _MAX_LENGTH["email"]:
            warn(Issue("too_long", "email", email))
        else:
            data["email"] = email
    if address := " ".join(row.get("address", "").replace("\x00", "").split()):
        if len(address) > _MAX_LENGTH["address"]:
            warn(Issue("too_long", "address", address))
        else:
            data["address"] = address
    if number := row.get("document_number"):
        _document(number, row.get("document_type", ""), data, result, info)


def _looks_like_email(text: str) -> bool:
    local, at, domain = text.rpartition("@")
    return bool(at and local and "." in domain and not domain.endswith("."))


_NOT_DIGIT = re.compile(r"\D+")
_LETTER = re.compile(r"[^\W\d_]")
_PHONE_SPLIT = re.compile(r"\s*(?:/|;|,|\s-\s|\s+y\s+|\s+o\s+)\s*")


def _phones(text: str, data: dict[str, Any], result: RowResult) -> None:
    """Up to two phones as typed ("9 1234 5678 / 2 2345 6789"); PersonIn normalises them.
    What it would refuse (letters, too few or too many digits) is left out here."""
    parts = [p for p in _PHONE_SPLIT.split(text) if p]
    kept: list[str] = []
    for part in parts[:2]:
        digits = len(_NOT_DIGIT.sub("", part))
        international = part.lstrip("( ").startswith(("+", "00"))
        # Without a country code it is read as Chilean: nine digits (or 56 and nine).
        low = 8 if international else 9
        if _LETTER.search(part) or not low <= digits <= (15 if international else 11):
            result.warnings.append(Issue("bad_phone", "phone", part))
        else:
            kept.append(part)
    if len(parts) > 2:
        result.warnings.append(Issue("bad_phone", "phone", " / ".join(parts[2:])))
    if kept:
        data["phone"] = kept[0]
    if len(kept) > 1:
        data["phone2"] = kept[1]


def _document(
    number: str, type_text: str, data: dict[str, Any], result: RowResult, info: SourceInfo
) -> None:
    warn = result.warnings.append
    if type_text:
        found = _doc_type(type_text)
        if found is None:
            warn(Issue("bad_document_type", "document_type", type_text))
            return
        key, checked = found
    elif info.doc_type_by_header:
        key = info.doc_type_by_header
        checked = key == "run"
    elif _RUN_LIKE.fullmatch(number):
        key, checked = "run", True
    else:
        key, checked = "other", False
    if checked:
        parts = rut.split(number)
        if parts is None:
            warn(Issue("bad_run", "document_number", number))
            return
        if rut.check_digit(parts[0]) != parts[1]:
            compact = alnum_upper(number)
            if "-" not in number and compact.isdigit() and 7 <= len(compact) <= 8:
                warn(Issue("run_no_check_digit", "document_number", number))
            else:
                warn(Issue("run_bad_check_digit", "document_number", number))
            return
        data["documents"] = [{"type": key, "number": f"{parts[0]}-{parts[1]}"}]
        return
    compact = alnum_upper(number)
    if len(compact) < 3 or len(number) > 40:
        warn(Issue("bad_document", "document_number", number))
        return
    data["documents"] = [{"type": key, "number": number}]


def _visit(row: dict[str, str], result: RowResult) -> dict[str, Any]:
    day: dt.date | None = None
    if text := row.get("visit_date"):
        try:
            day, _ = _read_date(text, False, clock.today())
        except _Unreadable:
            result.warnings.append(Issue("bad_date", "visit_date", text))
    reasons_text = row.get("reasons", "")
    reasons: list[str] = []
    unknown: list[str] = []
    if reasons_text:
        index = _reason_index()
        for part in _REASON_SPLIT.split(reasons_text):
            if not part.strip():
                continue
            key = index.get(fold(part))
            if key is None:
                unknown.append(part.strip())
            elif key not in reasons:
                reasons.append(key)
        if unknown:
            result.warnings.append(Issue("bad_reason", "reasons", ", ".join(unknown)))
    return {
        "date": day,
        "reasons": reasons,
        "unknown_reasons": unknown,
        "reasons_text": reasons_text,
        "programme": row.get("programme", ""),
        "destination": row.get("destination", ""),
        "note": row.get("note", ""),
    }


__all__ = [
    "CELL_LIMIT",
    "HEADERS",
    "MAP_FIELDS",
    "SEX",
    "SURNAMES",
    "Source",
    "interpret",
    "open_source",
    "split_full_name",
    "split_surnames",
]
