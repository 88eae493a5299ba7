"""Panel side: merge the exports of several municipalities into one comparison table."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from casework.disclosure.codebook import TABLES, TOTAL
from casework.disclosure.period import Period
from casework.disclosure.policy import Policy
from casework.disclosure.release import Release, grouping_of
from casework.disclosure.tabulate import Grouping
from casework.spreadsheet import safe_row


class Mark(Enum):
    """A cell of the comparison table without a number."""

    SUPPRESSED = "s"
    """The municipality suppressed the cell."""
    ABSENT = ""
    """The category is not listed by that municipality (it is inside its "otras")."""
    WITHHELD = "r"
    """The municipality's file for the period was flagged by the chain check: its cells are
    left out until a corrected file arrives (:mod:`casework.disclosure.chain`)."""


@dataclass(frozen=True, slots=True)
class CombinedRow:
    table_id: str
    dims: tuple[str, ...]
    values: tuple[int | Mark, ...]
    """One value per municipality, in :attr:`CombinedTable.municipalities` order."""


@dataclass(frozen=True, slots=True)
class CombinedTable:
    period: Period
    schema_version: str
    municipalities: tuple[str, ...]
    rows: tuple[CombinedRow, ...]

    @property
    def withheld(self) -> tuple[str, ...]:
        """Municipalities whose column is withheld (every cell ``r``)."""
        return tuple(
            m
            for i, m in enumerate(self.municipalities)
            if self.rows and all(row.values[i] == Mark.WITHHELD for row in self.rows)
        )

    def to_csv(self) -> bytes:
        """Wide CSV: ``table, dimensions, category`` then one column per municipality.

        Suppressed cells read ``s``; categories a municipality does not list are empty;
        a withheld municipality's cells read ``r``.
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(
            safe_row(["table", "period", "dimensions", "category", *self.municipalities])
        )
        dims_of = {spec.table_id: "|".join(spec.dimensions) for spec in TABLES}
        for row in self.rows:
            writer.writerow(
                safe_row(
                    [
                        row.table_id,
                        self.period.label,
                        dims_of[row.table_id],
                        "|".join(row.dims),
                        *(_show(v) for v in row.values),
                    ]
                )
            )
        return buffer.getvalue().encode("utf-8")

    def to_text(self) -> str:
        """Plain-text rendering for a terminal."""
        header = ["tabla", "categoría", *self.municipalities]
        body = [
            [row.table_id, "|".join(row.dims), *(_show(v) or "·" for v in row.values)]
            for row in self.rows
        ]
        widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
        lines = [
            f"Mesa Intercomunal — periodo {self.period.label} — esquema {self.schema_version}",
            "s = suprimida por confidencialidad; · = categoría incluida en «otras» en ese "
            "municipio; cifras redondeadas.",
        ]
        if self.withheld:
            lines.append("r = retenida: pendiente de un archivo corregido.")
        lines.append("")
        for line in [header, *body]:
            cells = [
                text.ljust(width) if i < 2 else text.rjust(width)
                for i, (text, width) in enumerate(zip(line, widths, strict=True))
            ]
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines) + "\n"


def _show(value: int | Mark) -> str:
    return value.value if isinstance(value, Mark) else str(value)


def _refuse(reason_es: str, reason_en: str) -> ValueError:
    return ValueError(f"No se pueden combinar: {reason_es}. / Cannot combine: {reason_en}.")


def combine(
    releases: Sequence[Release],
    policy: Policy,
    *,
    withheld: Sequence[str] = (),
    period: Period | None = None,
) -> CombinedTable:
    """Merge releases of one period from different municipalities.

    Refuses a different schema version, and any file produced under weaker rules than the
    Panel's own policy (smaller k, smaller rounding base or smaller minimum table size).
    ``withheld`` municipalities (their file for the period was flagged by the chain check)
    get a column of :attr:`Mark.WITHHELD`; ``period`` is needed when every one is withheld.
    """
    if not releases and not (withheld and period is not None):
        raise _refuse("no hay archivos", "no files")
    if period is None:
        period = releases[0].period
    seen: set[str] = set(withheld)
    if len(seen) != len(withheld):
        raise _refuse("un municipio retenido aparece dos veces", "a withheld office appears twice")
    for release in releases:
        if release.schema_version != policy.schema_version:
            raise _refuse(
                f"{release.municipality} usa el esquema {release.schema_version!r} y el Panel "
                f"el {policy.schema_version!r}",
                f"{release.municipality} uses schema {release.schema_version!r}, the Panel "
                f"{policy.schema_version!r}",
            )
        if release.k < policy.k:
            raise _refuse(
                f"{release.municipality} usa k={release.k}, menor que k={policy.k} del Panel",
                f"{release.municipality} uses k={release.k}, below the Panel's k={policy.k}",
            )
        if release.rounding_base < policy.rounding_base:
            raise _refuse(
                f"{release.municipality} redondea a {release.rounding_base}, menos que "
                f"{policy.rounding_base}",
                f"{release.municipality} rounds to {release.rounding_base}, less than "
                f"{policy.rounding_base}",
            )
        if release.min_table_total < policy.min_table_total:
            raise _refuse(
                f"{release.municipality} publica tablas desde {release.min_table_total} "
                f"personas, menos que {policy.min_table_total}",
                f"{release.municipality} publishes tables from {release.min_table_total} "
                f"persons, fewer than {policy.min_table_total}",
            )
        if release.period != period:
            raise _refuse("los periodos difieren", "the periods differ")
        if release.municipality in seen:
            raise _refuse(
                f"{release.municipality} aparece dos veces",
                f"{release.municipality} appears twice",
            )
        seen.add(release.municipality)

    columns: list[tuple[str, Release | None]] = sorted(
        [*((r.municipality, r) for r in releases), *((m, None) for m in withheld)],
        key=lambda column: column[0],
    )
    ordered = [r for _, r in columns if r is not None]
    groupings = [grouping_of(r) for r in ordered]
    union = Grouping(
        nationalities=tuple(sorted({c for g in groupings for c in g.nationalities})),
        communes=tuple(sorted({c for g in groupings for c in g.communes})),
        region="",
    )
    lookups = [
        None if r is None else {(table_id, cell.dims): cell.count for table_id, cell in r.cells()}
        for _, r in columns
    ]
    rows: list[CombinedRow] = []
    for spec in TABLES:
        all_dims = list(union.categories(spec.table_id))
        if spec.has_total:
            all_dims.append((TOTAL,))
        for dims in all_dims:
            values: list[int | Mark] = []
            for lookup in lookups:
                key = (spec.table_id, dims)
                if lookup is None:
                    values.append(Mark.WITHHELD)
                elif key not in lookup:
                    values.append(Mark.ABSENT)
                else:
                    count = lookup[key]
                    values.append(Mark.SUPPRESSED if count is None else count)
            rows.append(CombinedRow(spec.table_id, dims, tuple(values)))
    return CombinedTable(
        period=period,
        schema_version=policy.schema_version,
        municipalities=tuple(m for m, _ in columns),
        rows=tuple(rows),
    )
