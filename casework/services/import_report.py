"""The report file of an import: every refused, warned or conflicting row with its line, its
original cells and the reasons, ready to correct and import again (CSV or XLSX by the
suffix; cells are formula-safe)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from casework.i18n import t
from casework.private_files import write_private
from casework.services.import_types import ImportReport
from casework.spreadsheet import safe_row


def write_report(report: ImportReport, path: Path, lang: str | None = None) -> Path:
    columns = list(report.info.columns) if report.info else []
    head = [t("import.report.line", lang), t("import.report.status", lang)]
    head += [t("import.report.reasons", lang), *columns]
    rows = [head]
    for problem in report.problems:
        reasons = " | ".join(i.message(lang) for i in problem.issues)
        status = t(f"import.report.{problem.status}", lang)
        rows.append(
            [str(problem.line), status, reasons, *(problem.original.get(c, "") for c in columns)]
        )
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(t("import.report.sheet", lang))
        for row in rows:
            sheet.append(safe_row(row))
        buffer = io.BytesIO()
        book.save(buffer)
        return write_private(path, buffer.getvalue())
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for row in rows:
        writer.writerow(safe_row(row))
    return write_private(path, "\ufeff" + out.getvalue())


__all__ = ["write_report"]
