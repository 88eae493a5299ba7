"""Cells for files a spreadsheet opens (CSV, XLSX): never a live formula.

OWASP "CSV Injection": a cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is read as a formula by Excel, LibreOffice and Google Sheets. Such text
gets a leading single quote, so the spreadsheet shows it as text. Only the written file
changes: the database keeps the name exactly as it was typed. Numbers stay numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: Any) -> Any:
    """``value`` for a CSV or XLSX cell: text that a spreadsheet would take for a formula
    is prefixed with ``'``; anything that is not text is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_safe(value: Any) -> Any:
    """``value`` for a cell written with openpyxl: a typed text cell stays text in Excel
    whatever it starts with ("+56 9…" keeps no stray quote); only a leading ``=`` would be
    stored as a formula, so only that text gets the ``'``."""
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [formula_safe(v) for v in values]


def safe_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: formula_safe(v) for k, v in row.items()}
