"""The report file of an import: every refused, warned or conflicting row with its line, its
status and the reasons, then its original cells under the file's own headers -- so the
office corrects the rows in the report and imports the report itself again.

The report's own columns (:func:`report_columns`: "Informe: línea", "Informe: estado",
"Informe: motivos") are named so that no reader alias maps them: a re-import leaves them
out as unused columns. CSV is UTF-8 with a BOM and ``;`` (what Excel opens in a Spanish
locale); XLSX by the suffix. Cells are formula-safe (``casework.spreadsheet``). The report
is as sensitive as the list it comes from: the file is its owner's only.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from casework import paths, refdata
from casework.i18n import current_language, t
from casework.private_files import private_dir, write_private
from casework.services.import_types import ImportReport
from casework.spreadsheet import safe_row, xlsx_safe

REPORT_SUFFIXES = (".csv", ".xlsx")
XLSX_CELL_MAX = 32_767
"""Excel's limit on one cell's text: longer cells are cut (with a mark) in an XLSX report."""


def report_columns(lang: str | None = None) -> list[str]:
    """The report's own leading headers (the reader must not map them)."""
    return [t(f"import.report_file.{k}", lang) for k in ("line", "status", "reasons")]


def default_report_path(source: Path, suffix: str = ".csv") -> Path:
    """Beside the imported file (``<stem>-informe.csv``), or in the user's data folder when
    the file's folder cannot be written."""
    name = f"{source.stem}{t('import.report_file.stem_suffix')}{suffix}"
    folder = source.resolve().parent
    if os.access(folder, os.W_OK | os.X_OK):
        return folder / name
    return private_dir(paths.data_dir() / "informes", own=True) / name


_FIELD_NAMES = {
    "birth_date": "date_of_birth",
    "documents": "document_number",
    "external_refs": "ref",
    "commune": "commune",
}


def sample_texts(row: dict[str, Any], lang: str | None = None) -> dict[str, str]:
    """A previewed row's values as a worker reads them, by field: countries, communes and
    document types by name ("Haití (HTI)", "Renca (13128)", "RUN … 12.345.678-5")."""
    out: dict[str, str] = {}
    for name, value in row.items():
        if name == "external_refs" or value in (None, "", [], False):
            continue
        if name in ("nationality", "birth_country"):
            found = refdata.country(str(value))
            named = found and (found.name_es if _spanish(lang) else found.name_en)
            out[name] = f"{named} ({value})" if named else str(value)
        elif name == "commune":
            place = refdata.commune(str(value))
            out[name] = f"{place.name} ({value})" if place else str(value)
        elif name == "documents":
            out[name] = ", ".join(_document(d, lang) for d in value)
        elif isinstance(value, list):
            out[name] = ", ".join(str(v) for v in value)
        else:
            out[name] = " ".join(str(value).split())
    return out


def sample_view(row: dict[str, Any], lang: str | None = None) -> list[tuple[str, str]]:
    """(field label, value) lines of a previewed row, for the command line."""
    out: list[tuple[str, str]] = []
    for name, text in sample_texts(row, lang).items():
        key = f"import.field.{_FIELD_NAMES.get(name, name)}"
        label = t(key, lang)
        out.append((name if label == key else label, text))
    return out


def _spanish(lang: str | None) -> bool:
    return (lang or current_language()) == "es"


def _document(doc: Any, lang: str | None) -> str:
    if not isinstance(doc, dict):
        return str(doc)
    kind = refdata.document_type(str(doc.get("type", "")))
    named = (kind.name_es if _spanish(lang) else kind.name_en) if kind else ""
    return " ".join(p for p in (named, str(doc.get("number", ""))) if p)


def write_report(report: ImportReport, path: Path, lang: str | None = None) -> Path:
    """Write the report of ``report`` at ``path`` (.csv or .xlsx, owner only); the path."""
    columns = list(report.info.columns) if report.info else []
    # The cells are keyed by the columns made unique ("Nombre (4)"); the header keeps the
    # file's own names, so the corrected report maps as the file did.
    keys = list(report.info.original_keys) if report.info else []
    if len(keys) != len(columns):
        keys = columns
    if not columns:
        for problem in report.problems:
            columns += [c for c in problem.original if c not in columns]
        keys = columns
    # A corrected report imported again: its own columns are not copied a second time.
    own = {c for language in ("es", "en") for c in report_columns(language)}
    kept = [(c, k) for c, k in zip(columns, keys, strict=True) if c not in own]
    columns, keys = [c for c, _ in kept], [k for _, k in kept]
    rows: list[list[str]] = [[*report_columns(lang), *columns]]
    for problem in report.problems:
        reasons = " ".join(_sentence(i.message(lang)) for i in problem.issues)
        status = t(f"import.report.{problem.status}", lang)
        cells = [problem.original.get(k, "") for k in keys]
        rows.append([str(problem.line), status, reasons, *cells])
    if path.suffix.lower() == ".xlsx":
        return write_private(path, _xlsx(rows, lang))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow(safe_row(row))
    return write_private(path, "\ufeff" + out.getvalue())


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."


def _xlsx(rows: list[list[str]], lang: str | None) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(t("import.report.sheet", lang)[:31])
    for row in rows:
        sheet.append(
            [
                v if len(v) <= XLSX_CELL_MAX else v[: XLSX_CELL_MAX - 1] + "…"
                for v in map(xlsx_safe, row)
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


__all__ = [
    "REPORT_SUFFIXES",
    "default_report_path",
    "report_columns",
    "sample_texts",
    "sample_view",
    "write_report",
]
