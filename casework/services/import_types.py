"""What an import reads, decides and reports: shared by the reader (``import_read``), the
writers (``importing`` for persons, ``import_visits`` for attentions), the report file
(``import_report``), the command line and the desk's import screen."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from casework.errors import CaseworkError
from casework.i18n import t

PERSON_FIELDS = (
    "ref",
    "full_name",
    "given_names",
    "first_surname",
    "second_surname",
    "sex",
    "date_of_birth",
    "nationality",
    "document_type",
    "document_number",
    "phone",
    "email",
    "address",
    "commune",
)
"""Fields a column can be mapped to (``--map column=field``) for persons."""
VISIT_FIELDS = ("visit_date", "reasons", "programme", "destination", "note")
"""The further fields of one attention (``casework import visits``)."""


class ImportFileError(CaseworkError):
    """The file as a whole cannot be imported (missing, not a table, no name column...)."""

    code = "import_file"


@dataclass(frozen=True)
class Issue:
    """Something wrong with one row: a message code under ``import.issue.``, the field it
    concerns (None: the whole row) and the cell's text."""

    code: str
    field: str | None = None
    value: str = ""

    def message(self, lang: str | None = None) -> str:
        label = t(f"import.field.{self.field}", lang) if self.field else ""
        return t(f"import.issue.{self.code}", lang, field=label, value=self.value[:80])


@dataclass
class ReadOptions:
    sheet: str | None = None
    """An XLSX sheet by name or 1-based number (text); None: the first."""
    header_row: int | None = None
    """The header's 1-based line; None: found (the first row that names a name column)."""
    mapping: dict[str, str] = field(default_factory=dict)
    """Overrides: column header (as in the file) -> field; field "" leaves the column out."""
    encoding: str | None = None
    """None: detected."""
    kind: Literal["persons", "visits"] = "persons"


@dataclass
class SourceInfo:
    path: Path
    format: Literal["csv", "xlsx"]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    header_line: int = 1
    columns: list[str] = field(default_factory=list)
    """The header's cells, as in the file."""
    mapping: dict[str, int] = field(default_factory=dict)
    """field -> column index."""
    overridden: set[str] = field(default_factory=set)
    """Fields mapped by the user, not guessed."""
    total_rows: int | None = None
    """Data rows in the file (estimate for progress; None when unknown)."""
    skipped_headers: list[int] = field(default_factory=list)
    """Lines that repeat the header mid-file: skipped (filled while the rows are read)."""
    kind: Literal["persons", "visits"] = "persons"
    original_keys: list[str] = field(default_factory=list)
    """The keys of ``RowResult.original``: the columns, made unique ("Nombre (4)")."""
    doc_type_by_header: str = ""
    """The document type the number column's header names ("RUT" -> "run"), or ""."""

    def unused_columns(self) -> list[str]:
        used = set(self.mapping.values())
        return [c for i, c in enumerate(self.columns) if i not in used]


@dataclass
class RowResult:
    """One data row as read: its original cells and what the import would store."""

    line: int
    original: dict[str, str]
    """Column header -> cell text, as in the file (for the report)."""
    person: dict[str, Any] | None
    """PersonIn data; None when the row is refused."""
    warnings: list[Issue] = field(default_factory=list)
    refused: Issue | None = None
    ref: str = ""
    fingerprint: str = ""
    """Digest of the person's cells (not the visit's): the row's key when it has no ref,
    and how a changed row with the same ref is told apart."""
    visit: dict[str, Any] | None = None
    """For visits: {"date": dt.date | None, "reasons": [codes], "unknown_reasons": [texts],
    "reasons_text": text, "programme": text, "destination": text, "note": text}."""
    names_guessed: bool = False
    """The names came from one "nombre completo" column split by convention."""


Outcome = Literal["created", "already", "conflict", "refused", "duplicate_in_file", "completed"]


@dataclass
class Problem:
    """A row the report lists: refused, kept with warnings, or in conflict."""

    line: int
    original: dict[str, str]
    status: Literal["refused", "warned", "conflict"]
    issues: list[Issue]


@dataclass
class Progress:
    done: int
    total: int | None
    created: int = 0
    started: dt.datetime | None = None


@dataclass
class ImportReport:
    info: SourceInfo | None = None
    rows: int = 0
    created: int = 0
    already: int = 0
    conflicts: int = 0
    likely_duplicates: int = 0
    warned: int = 0
    refused: int = 0
    visits_created: int = 0
    names_guessed: int = 0
    cancelled: bool = False
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = False
    sample: list[dict[str, Any]] = field(default_factory=list)
    """Preview: the first rows as they will be stored (field -> display text)."""
    duplicates_in_file: int = 0
    """Rows repeating an earlier row of the same file (same person, nothing created)."""
    visits_already: int = 0
    """Visits (``import visits``) found on record already, or repeated in the file."""
    completed: int = 0
    """Persons on record whose empty fields a row filled (a corrected report re-imported)."""

    def groups(self, lang: str | None = None) -> list[tuple[str, int]]:
        """The reasons, most frequent first, each with its count of rows."""
        counts: Counter[str] = Counter()
        for problem in self.problems:
            for issue in problem.issues:
                label = t(f"import.field.{issue.field}", lang) if issue.field else ""
                counts[t(f"import.reason.{issue.code}", lang, field=label)] += 1
        return counts.most_common()


__all__ = [
    "PERSON_FIELDS",
    "VISIT_FIELDS",
    "ImportFileError",
    "ImportReport",
    "Issue",
    "Outcome",
    "Problem",
    "Progress",
    "ReadOptions",
    "RowResult",
    "SourceInfo",
]
