"""A protected Panel release: build it, serialise it (CSV + JSON), hash it, read it back."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from casework.disclosure.codebook import (
    AREA_CATEGORIES,
    FLAG_EXACT,
    FLAG_PUBLISHED,
    FLAG_SUPPRESSED,
    FLAGS,
    LABELS_ES,
    OUTCOME_CATEGORIES,
    PERSON_TABLES,
    RULES_ES,
    STATUS_MAP,
    STATUS_MAP_VERSION,
    T1,
    T5,
    T6,
    T7,
    TABLES,
    TABLES_BY_ID,
    TOTAL,
    reading_note_es,
)
from casework.disclosure.facts import PersonFacts
from casework.disclosure.period import Period
from casework.disclosure.policy import K_FLOOR, Policy
from casework.disclosure.protect import (
    PRIOR_VERSION,
    REASONS_ES,
    SECONDARY,
    SLOTS,
    UNIT_TOGETHER,
    primary_suppressions,
    protect,
)
from casework.disclosure.tabulate import (
    COMMUNE_RE,
    NATIONALITY_RE,
    TOTAL_KEY,
    CellKey,
    Grouping,
    Tabulation,
    compute_grouping,
    tabulate,
)
from casework.spreadsheet import safe_row

_MUNICIPALITY_RE = re.compile(r"\d{5}")
_HASH_RE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Cell:
    """One published or suppressed cell."""

    dims: tuple[str, ...]
    count: int | None
    """Published (rounded) count; None when suppressed."""
    flag: str
    """``rounded`` (or ``""`` without rounding) when published, ``suppressed`` otherwise."""

    @property
    def suppressed(self) -> bool:
        return self.count is None


@dataclass(frozen=True, slots=True)
class Table:
    table_id: str
    dimensions: tuple[str, ...]
    cells: tuple[Cell, ...]

    def cell(self, *dims: str) -> Cell:
        for cell in self.cells:
            if cell.dims == dims:
                return cell
        raise KeyError(dims)


HELD_BACK_UNITS = ("personas", "derivaciones")
"""Parts of a revision that can keep the earlier release's published values: the person
tables T1–T5 with the total, and the referral tables T6–T7 (privacy: a revision's
difference from the earlier release must itself pass the rules, issue #18)."""


@dataclass(frozen=True, slots=True)
class ChainLink:
    """An earlier release of the same office and year that a release was protected against:
    its identifier (content hash) and its published content (the tables as sent)."""

    period: Period
    content_hash: str
    tables: tuple[Table, ...]


@dataclass(frozen=True)
class Release:
    """The published tables of one period of one municipality, plus their metadata."""

    municipality: str
    period: Period
    schema_version: str
    k: int
    rounding_base: int
    min_table_total: int
    tables: tuple[Table, ...]
    revision_of: str | None = None
    """Content hash of the earlier release of the same period this one replaces."""
    chain: tuple[ChainLink, ...] = ()
    """The earlier releases of the same office and year this one was protected against,
    oldest first (earlier versions of its own period included). Published in the file, so
    the Panel can check that nothing it holds was left out."""
    held_back: tuple[str, ...] = ()
    """For a revision: the units (:data:`HELD_BACK_UNITS`) that keep the earlier release's
    published values because the difference would reveal who was added or removed."""
    reasons: Mapping[tuple[str, tuple[str, ...]], str] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Why each cell is suppressed (for the supervisor's preview; never exported, and
    empty for a release read back from JSON)."""
    exact_counts: Mapping[tuple[str, tuple[str, ...]], int] | None = field(
        default=None, compare=False, repr=False
    )
    """True counts of every cell (INTERNAL: kept only in the municipality's own ledger,
    through :meth:`ledger_record`, so that later releases can be protected against an
    attacker who knows published counts exactly; never in :meth:`to_json` or the CSV)."""

    # -- access ------------------------------------------------------------------------------

    @property
    def is_revision(self) -> bool:
        return self.revision_of is not None

    def link(self) -> ChainLink:
        """This release as a link of a later release's chain."""
        return ChainLink(self.period, self.content_hash(), self.tables)

    def table(self, table_id: str) -> Table:
        for table in self.tables:
            if table.table_id == table_id:
                return table
        raise KeyError(table_id)

    def cells(self) -> Iterable[tuple[str, Cell]]:
        """Every ``(table_id, cell)``."""
        for table in self.tables:
            for cell in table.cells:
                yield table.table_id, cell

    def explain(self) -> list[tuple[str, tuple[str, ...], str]]:
        """``(table_id, dims, reason in Spanish)`` for every suppressed cell we know about."""
        out = []
        for table_id, cell in self.cells():
            if cell.suppressed:
                reason = self.reasons.get((table_id, cell.dims))
                if reason is not None:
                    out.append((table_id, cell.dims, REASONS_ES.get(reason, reason)))
        return out

    # -- serialisation ---------------------------------------------------------------------

    def _payload(self) -> dict[str, Any]:
        return {
            "metadata": {
                "municipality": self.municipality,
                "period": self.period.label,
                "period_kind": "year" if self.period.is_year else "quarter",
                "schema_version": self.schema_version,
                "revision_of": self.revision_of,
                "held_back": list(self.held_back),
                "rules": {
                    "k": self.k,
                    "rounding_base": self.rounding_base,
                    "min_table_total": self.min_table_total,
                    "status_map_version": STATUS_MAP_VERSION,
                    "status_map": dict(STATUS_MAP),
                    "description_es": dict(RULES_ES),
                },
                "note_es": reading_note_es(self.k, self.rounding_base, self.min_table_total),
                "codebook_es": LABELS_ES,
                "flags": {
                    FLAG_PUBLISHED: "cifra publicada, redondeada",
                    FLAG_SUPPRESSED: "cifra suprimida (sin valor)",
                },
            },
            "tables": _tables_payload(self.tables),
            "chain": [
                {
                    "period": link.period.label,
                    "content_sha256": link.content_hash,
                    "tables": _tables_payload(link.tables),
                }
                for link in self.chain
            ],
        }

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of the tables and metadata (there is no timestamp)."""
        return hashlib.sha256(_canonical(self._payload())).hexdigest()

    def to_json(self) -> bytes:
        """Deterministic JSON: sorted keys, UTF-8, the content hash included."""
        payload = self._payload()
        payload["content_sha256"] = hashlib.sha256(_canonical(payload)).hexdigest()
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, indent=2)
        return (text + "\n").encode("utf-8")

    def to_csv_files(self) -> dict[str, bytes]:
        """One long-form CSV per table: ``table, period, <dimensions>, count, flag``."""
        files: dict[str, bytes] = {}
        for table in self.tables:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(safe_row(["table", "period", *table.dimensions, "count", "flag"]))
            for cell in table.cells:
                count = "" if cell.count is None else str(cell.count)
                writer.writerow(
                    safe_row([table.table_id, self.period.label, *cell.dims, count, cell.flag])
                )
            files[f"{table.table_id}.csv"] = buffer.getvalue().encode("utf-8")
        return files

    def ledger_record(self) -> bytes:
        """INTERNAL record for the municipality's export ledger: the public JSON plus the
        exact counts. Never send it to the Panel; pass ledger records (not the public
        files) back as ``prior`` so that differencing is checked on exact values."""
        if self.exact_counts is None:
            raise ValueError(
                "Esta publicación no tiene cifras exactas (se leyó de un archivo público). / "
                "This release has no exact counts (it was read from a public file)."
            )
        record = {
            "INTERNO_NO_ENVIAR": "registro interno del municipio; no es la exportación",
            "public_json": self.to_json().decode("utf-8"),
            "exact_counts": [
                [table_id, list(dims), count]
                for (table_id, dims), count in sorted(self.exact_counts.items())
            ],
        }
        return (json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")

    @classmethod
    def from_ledger_record(cls, data: bytes) -> Release:
        """Read back a :meth:`ledger_record` (checks the public part like :meth:`from_json`)."""
        try:
            record = json.loads(data.decode("utf-8"))
            public = cls.from_json(record["public_json"].encode("utf-8"))
            exact = {
                (str(table_id), tuple(str(d) for d in dims)): int(count)
                for table_id, dims, count in record["exact_counts"]
            }
        except (KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            raise _bad("ledger record") from exc
        expected = {(table_id, cell.dims) for table_id, cell in public.cells()}
        if set(exact) != expected:
            raise _bad("ledger record")
        for table_id, cell in public.cells():
            if cell.count is not None and cell.count != _round_like(
                public, exact[(table_id, cell.dims)]
            ):
                raise _bad("ledger record")
        return replace(public, exact_counts=exact)

    @classmethod
    def from_json(cls, data: bytes) -> Release:
        """Read an export back, checking its hash, its structure and its own rules."""
        try:
            payload = json.loads(data.decode("utf-8"))
            return _release_from_payload(payload)
        except (KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            raise ValueError(
                "El archivo no es una exportación válida para el Panel. / "
                "The file is not a valid Panel export."
            ) from exc


def _tables_payload(tables: Sequence[Table]) -> list[dict[str, Any]]:
    out = []
    for table in tables:
        spec = TABLES_BY_ID[table.table_id]
        cells = []
        for cell in table.cells:
            row: dict[str, Any] = dict(zip(table.dimensions, cell.dims, strict=True))
            row["count"] = cell.count
            row["flag"] = cell.flag
            cells.append(row)
        out.append(
            {
                "table": table.table_id,
                "title_es": spec.title_es,
                "dimensions": list(table.dimensions),
                "zeros_suppressed": spec.zeros_suppressed,
                "cells": cells,
            }
        )
    return out


def _canonical(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


def _bad(reason: str) -> ValueError:
    return ValueError(f"Exportación no válida: {reason}. / Invalid export: {reason}.")


def _round_like(release: Release, value: int) -> int:
    policy = Policy(
        k=release.k,
        rounding_base=release.rounding_base,
        min_table_factor=max(1, release.min_table_total // release.k),
        schema_version=release.schema_version,
    )
    return policy.round_count(value)


def _release_from_payload(payload: dict[str, Any]) -> Release:
    claimed = payload.pop("content_sha256")
    if not isinstance(claimed, str) or hashlib.sha256(_canonical(payload)).hexdigest() != claimed:
        raise _bad("content_sha256")
    meta = payload["metadata"]
    rules = meta["rules"]
    k, base, min_total = rules["k"], rules["rounding_base"], rules["min_table_total"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (k, base, min_total)):
        raise _bad("rules")
    if k < K_FLOOR or base < 1 or min_total < k:
        raise _bad("rules")
    municipality = meta["municipality"]
    if not isinstance(municipality, str) or not _MUNICIPALITY_RE.fullmatch(municipality):
        raise _bad("municipality")
    revision_of = meta["revision_of"]
    if revision_of is not None and not (
        isinstance(revision_of, str) and _HASH_RE.fullmatch(revision_of)
    ):
        raise _bad("revision_of")
    schema_version = meta["schema_version"]
    if not isinstance(schema_version, str):
        raise _bad("schema_version")
    period = Period.parse(meta["period"])
    tables = _tables_from_payload(payload["tables"], k, base)
    held_back = meta.get("held_back", [])
    if not isinstance(held_back, list) or any(u not in HELD_BACK_UNITS for u in held_back):
        raise _bad("held_back")
    if held_back and revision_of is None:
        raise _bad("held_back")
    chain: list[ChainLink] = []
    for raw_link in payload.get("chain", []):
        link_period = Period.parse(raw_link["period"])
        link_hash = raw_link["content_sha256"]
        if link_period.year != period.year:
            raise _bad("chain")
        if not isinstance(link_hash, str) or not _HASH_RE.fullmatch(link_hash):
            raise _bad("chain")
        chain.append(
            ChainLink(link_period, link_hash, _tables_from_payload(raw_link["tables"], None, None))
        )
    # A revision names an earlier version its chain holds (files before chains had none).
    if chain and revision_of is not None and revision_of not in {c.content_hash for c in chain}:
        raise _bad("revision_of")
    release = Release(
        municipality=municipality,
        period=period,
        schema_version=schema_version,
        k=k,
        rounding_base=base,
        min_table_total=min_total,
        tables=tables,
        revision_of=revision_of,
        chain=tuple(chain),
        held_back=tuple(held_back),
    )
    if release.content_hash() != claimed:
        raise _bad("content_sha256")
    return release


def _tables_from_payload(raw_tables: Any, k: int | None, base: int | None) -> tuple[Table, ...]:
    """The fixed table set as published. ``k``/``base`` None: an earlier release's tables
    inside a chain, checked for structure and codes (its own rules were checked when it
    was read as a file of its own)."""
    if not isinstance(raw_tables, list):
        raise _bad("tables")
    if [t["table"] for t in raw_tables] != [spec.table_id for spec in TABLES]:
        raise _bad("tables")
    tables: list[Table] = []
    for raw, spec in zip(raw_tables, TABLES, strict=True):
        dims_names = tuple(raw["dimensions"])
        if dims_names != spec.dimensions:
            raise _bad(f"dimensions of {spec.table_id}")
        cells = []
        for raw_cell in raw["cells"]:
            dims = tuple(raw_cell[name] for name in dims_names)
            count, flag = raw_cell["count"], raw_cell["flag"]
            if k is None or base is None:
                _check_link_cell(spec.table_id, dims, count, flag)
            else:
                _check_cell(spec.table_id, dims, count, flag, k, base, spec.zeros_suppressed)
            cells.append(Cell(dims, count, flag))
        tables.append(Table(spec.table_id, dims_names, tuple(cells)))
    return tuple(tables)


def _check_link_cell(table_id: str, dims: tuple[str, ...], count: object, flag: object) -> None:
    if not _valid_code(table_id, dims) or flag not in FLAGS:
        raise _bad(f"chain cell of {table_id}")
    if count is None:
        if flag != FLAG_SUPPRESSED:
            raise _bad(f"chain cell of {table_id}")
    elif not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise _bad(f"chain cell of {table_id}")


_STATIC_CODES = {name: frozenset(labels) - {"*"} for name, labels in LABELS_ES.items()}


def _valid_code(table_id: str, dims: tuple[str, ...]) -> bool:
    spec = TABLES_BY_ID[table_id]
    if len(dims) != len(spec.dimensions):
        return False
    for name, value in zip(spec.dimensions, dims, strict=True):
        if not isinstance(value, str):
            return False
        if value in _STATIC_CODES[name] or (spec.has_total and value == TOTAL):
            continue
        if name == "nacionalidad" and NATIONALITY_RE.fullmatch(value):
            continue
        if name == "comuna" and COMMUNE_RE.fullmatch(value):
            continue
        return False
    return True


def _check_cell(
    table_id: str,
    dims: tuple[str, ...],
    count: object,
    flag: object,
    k: int,
    base: int,
    zeros_suppressed: bool,
) -> None:
    if not _valid_code(table_id, dims) or flag not in FLAGS:
        raise _bad(f"cell of {table_id}")
    if count is None:
        if flag != FLAG_SUPPRESSED:
            raise _bad(f"flag of {table_id}")
        return
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise _bad(f"count of {table_id}")
    if flag == FLAG_SUPPRESSED or 0 < count < k or count % base != 0:
        raise _bad(f"count of {table_id}")
    if count == 0 and zeros_suppressed and dims != (TOTAL,):
        raise _bad(f"zero in {table_id}")


# -- building ------------------------------------------------------------------------------


def grouping_of(release: Release) -> Grouping:
    """The nationality and commune grouping a release used (frozen for its year)."""
    nat = tuple(
        cell.dims[0]
        for cell in release.table(T1.table_id).cells
        if NATIONALITY_RE.fullmatch(cell.dims[0])
    )
    com = tuple(
        cell.dims[0]
        for cell in release.table(T5.table_id).cells
        if COMMUNE_RE.fullmatch(cell.dims[0])
    )
    return Grouping(nationalities=nat, communes=com, region=release.municipality[:2])


def _published(release: Release) -> dict[CellKey, int]:
    """Cells a release published, keyed as in the engine (the five totals are one cell)."""
    out: dict[CellKey, int] = {}
    for table_id, cell in release.cells():
        if cell.count is None:
            continue
        key = TOTAL_KEY if cell.dims == (TOTAL,) else (table_id, cell.dims)
        out[key] = cell.count
    return out


def _known_values(release: Release) -> tuple[dict[CellKey, int], bool]:
    """Published cells with the values an attacker may know exactly, and whether exact."""
    out: dict[CellKey, int] = {}
    exact = release.exact_counts
    for table_id, cell in release.cells():
        if cell.count is None:
            continue
        key = TOTAL_KEY if cell.dims == (TOTAL,) else (table_id, cell.dims)
        out[key] = cell.count if exact is None else exact[(table_id, cell.dims)]
    return out, exact is not None


def _suppressed(release: Release) -> set[CellKey]:
    return {
        TOTAL_KEY if cell.dims == (TOTAL,) else (table_id, cell.dims)
        for table_id, cell in release.cells()
        if cell.count is None
    }


def _render(
    period: Period,
    municipality: str,
    policy: Policy,
    tab: Tabulation,
    supp: Mapping[CellKey, str],
    revision_of: str | None,
    chain: tuple[ChainLink, ...] = (),
    held_back: tuple[str, ...] = (),
) -> Release:
    flag = FLAG_PUBLISHED if policy.rounding_base > 1 else FLAG_EXACT
    tables = []
    reasons: dict[tuple[str, tuple[str, ...]], str] = {}

    def make(table_id: str, dims: tuple[str, ...], key: CellKey) -> Cell:
        if key in supp:
            reasons[(table_id, dims)] = supp[key]
            return Cell(dims, None, FLAG_SUPPRESSED)
        return Cell(dims, policy.round_count(tab.counts[key]), flag)

    exact: dict[tuple[str, tuple[str, ...]], int] = {}
    for spec in TABLES:
        cells = [
            make(spec.table_id, dims, (spec.table_id, dims))
            for dims in tab.grouping.categories(spec.table_id)
        ]
        if spec.has_total:
            cells.append(make(spec.table_id, (TOTAL,), TOTAL_KEY))
        tables.append(Table(spec.table_id, spec.dimensions, tuple(cells)))
        for dims in tab.grouping.categories(spec.table_id):
            exact[(spec.table_id, dims)] = tab.counts[(spec.table_id, dims)]
        if spec.has_total:
            exact[(spec.table_id, (TOTAL,))] = tab.counts[TOTAL_KEY]
    return Release(
        municipality=municipality,
        period=period,
        schema_version=policy.schema_version,
        k=policy.k,
        rounding_base=policy.rounding_base,
        min_table_total=policy.min_table_total,
        tables=tuple(tables),
        revision_of=revision_of,
        chain=chain,
        held_back=held_back,
        reasons=reasons,
        exact_counts=exact,
    )


def _same_rules(release: Release, policy: Policy) -> bool:
    return (
        release.k == policy.k
        and release.rounding_base == policy.rounding_base
        and release.min_table_total == policy.min_table_total
        and release.schema_version == policy.schema_version
    )


def _reproduces(
    version: Release, tab: Tabulation, forced: Mapping[CellKey, str], policy: Policy
) -> bool:
    """Would the current data publish exactly ``version`` (same pattern, same counts)?

    Not when ``version`` used another nationality or commune grouping (a year exported
    from a copy computes its own): its cells are not the cells tabulated now."""
    if not _same_rules(version, policy):
        return False
    if grouping_of(version) != tab.grouping:
        return False
    hidden = _suppressed(version)
    if not set(forced) <= hidden:
        return False
    published = _published(version)
    if any(policy.round_count(tab.counts[key]) != value for key, value in published.items()):
        return False
    if set(published) | hidden != set(tab.counts):
        return False
    # Rows with a published total keep at least k persons in their suppressed cells.
    rows: list[list[CellKey]] = []
    if TOTAL_KEY not in hidden:
        rows += [
            [(spec.table_id, d) for d in tab.grouping.categories(spec.table_id)]
            for spec in PERSON_TABLES
        ]
    rows += [
        [(T7.table_id, (area, outcome)) for outcome in OUTCOME_CATEGORIES]
        for area in AREA_CATEGORIES
        if (T6.table_id, (area,)) not in hidden
    ]
    for row in rows:
        hidden_sum = sum(tab.counts[key] for key in row if key in hidden)
        if any(key in hidden for key in row) and hidden_sum < policy.k:
            return False
    return True


def build_release(
    period: Period,
    persons: Iterable[PersonFacts],
    year_persons: Iterable[PersonFacts],
    policy: Policy,
    municipality: str,
    prior: Sequence[Release] = (),
    *,
    today: date | None = None,
    current: Mapping[Period, Iterable[PersonFacts]] | None = None,
) -> Release:
    """Tabulate, protect and round the fixed table set for one period.

    Args:
        period: a calendar quarter or year.
        persons: facts of the persons served in the period (one per person).
        year_persons: facts for the whole calendar year so far; they decide which
            nationalities and communes are listed, unless an earlier release of the same
            year already fixed that grouping (it is then reused for the rest of the year:
            the first release of another period, or else the first version of this one).
        policy: thresholds.
        municipality: CUT code of the municipality (5 digits).
        prior: earlier releases from the ledger, oldest first. Those of the same calendar
            year count as published: the quarters and the year constrain each other, and
            the latest earlier release of the same period is either reproduced byte for
            byte (same data) or revised against every earlier version (see below).
        today: the date of the export. A period that has not ended by then is refused
            (issue #18: a period in progress is never exported, so no release is protected
            as if later days could still hold people the Panel knows cannot exist yet).
        current: the facts *today* of the other released periods of the year (the service
            passes every period of the year released before; others are ignored). With
            them, a quarter changed since its release and never revised cannot be read
            off as the year minus the quarters (:mod:`casework.disclosure.protect`, V4),
            whichever its sign, while people served in two quarters cost nothing.

    Revisions (issue #18, point 4). A period released before whose data changed is
    protected as a new release (against the other periods of the year, keeping the latest
    version's suppressions), then compared unit by unit (:data:`HELD_BACK_UNITS`) with
    *every* earlier version of the period, since the Panel keeps them all and can subtract
    any two: the difference new − V must pass the rules of a release for each version V
    (:func:`_difference_passes`; exact with V's ledger counts, from V's published counts
    otherwise). A unit that fails against any version keeps the latest version L's
    published cells exactly and is named in ``held_back``: that is safe against every
    earlier version too, since L's cells passed against those when L was made (or were
    themselves kept from the version before). If the result equals L in every table, L
    itself is returned (same bytes: nothing new is published).

    Only L is ever reproduced byte for byte. Data back to an earlier version's (the people
    added since opt out) make a new revision of L, with every version in its chain: the
    Panel uses the latest version it holds, and would ignore a second copy of an old file.

    An earlier version is *complete* when it was protected against every release of the
    year linked to it (:func:`_complete`). Only a complete L is ever reproduced or kept
    again. When a version V is incomplete (a year exported from a copy that lacked the
    quarters already sent, which the Panel withholds), its published cells may be pinned
    by the releases it left out, so they must not stand again: per unit, a revision that
    publishes nothing V did not publish (:func:`_publishes_nothing_new`: with V's exact
    counts, D ≡ 0 on the cells it shows) passes against V whatever its suppression
    pattern. When L is incomplete, a unit that fails is suppressed together (every cell
    hidden, reason :data:`~casework.disclosure.protect.UNIT_TOGETHER`) instead of held
    back, and is not listed in ``held_back``.
    """
    if not isinstance(municipality, str) or not _MUNICIPALITY_RE.fullmatch(municipality):
        raise ValueError(
            "El municipio debe ser un código CUT de 5 dígitos. / "
            "The municipality must be a 5-digit CUT code."
        )
    if today is not None and today <= period.end:
        raise ValueError(
            f"El periodo {period.label} aún no termina (termina el {period.end:%d-%m-%Y}); "
            f"se puede exportar desde el {period.end + timedelta(days=1):%d-%m-%Y}. / "
            f"The period {period.label} has not ended yet (it ends on {period.end}); it can "
            f"be exported from {period.end + timedelta(days=1)}."
        )
    same_year = [r for r in prior if r.period.year == period.year]
    for release in same_year:
        if release.municipality != municipality:
            raise ValueError(
                "Las publicaciones anteriores son de otro municipio. / "
                "The earlier releases belong to another municipality."
            )
        if release.schema_version != policy.schema_version:
            raise ValueError(
                "Una publicación anterior del mismo año usa otra versión del esquema; cambie "
                "de versión sólo al comenzar un año. / An earlier release of the same year "
                "uses another schema version; change versions only at the start of a year."
            )
    others = [r for r in same_year if r.period != period]
    if same_year:
        # The other periods decide (the year minus its quarters is read cell by cell): an
        # earlier version of this period may have computed its own (a year from a copy).
        grouping = grouping_of((others or same_year)[0])
    else:
        grouping = compute_grouping(year_persons, policy.k, municipality)
    tab = tabulate(persons, grouping)
    forced = primary_suppressions(tab, policy.k, policy.min_table_total)

    versions = [r for r in same_year if r.period == period]
    old = versions[-1] if versions else None
    # Only the latest version is reproduced: the Panel uses the latest version it holds, so
    # data back to an earlier version's make a new revision of the latest, not a copy of
    # the earlier file (which the Panel would take as an old file and ignore).
    if old is not None and _complete(old, same_year) and _reproduces(old, tab, forced, policy):
        return _render(
            period,
            municipality,
            policy,
            tab,
            _reasons_for(old, forced),
            old.revision_of,
            old.chain,
            old.held_back,
        )

    forced = dict(forced)
    if old is not None:
        for key in _suppressed(old):
            if key in tab.counts:  # another grouping's cells cannot be kept hidden
                forced.setdefault(key, PRIOR_VERSION)

    prior_known: list[dict[CellKey, int]] = [{} for _ in range(SLOTS)]
    all_exact = True
    for release in same_year:
        if release.period == period:
            continue
        values, exact = _known_values(release)
        all_exact = all_exact and exact
        prior_known[release.period.slot].update(values)
    now: list[Mapping[CellKey, int] | None] = [None] * SLOTS
    if current is not None:
        for release in same_year:
            facts_now = current.get(release.period)
            if release.period != period and facts_now is not None:
                now[release.period.slot] = tabulate(facts_now, grouping).counts
    supp = protect(
        grouping,
        period.slot,
        tab.counts,
        prior_known,
        forced,
        policy.k,
        0 if all_exact else policy.rounding_slack,
        frozenset(r.period.slot for r in same_year if r.period != period),
        now=now,
    )
    revision_of = old.content_hash() if old is not None else None
    chain = tuple(r.link() for r in same_year)
    candidate = _render(period, municipality, policy, tab, supp, revision_of, chain)
    if old is None:
        return candidate
    # The Panel keeps every version of a period and can subtract any two: the candidate must
    # pass against each earlier version, not only the latest.
    complete = {version.content_hash(): _complete(version, same_year) for version in versions}
    failing = [
        unit
        for unit in HELD_BACK_UNITS
        if not all(
            (
                not complete[version.content_hash()]
                and _publishes_nothing_new(unit, grouping, version, tab.counts, supp)
            )
            or _difference_passes(unit, grouping, version, tab.counts, supp, policy)
            for version in versions
        )
    ]
    if not failing:
        return candidate
    if not complete[old.content_hash()]:
        # O's published cells may be pinned by the releases O was not protected against:
        # they cannot stand again, and the difference cannot be shown. The unit's cells are
        # suppressed together.
        together = dict(supp)
        for unit in failing:
            for key in unit_keys(grouping, unit):
                together[key] = UNIT_TOGETHER
        return _render(period, municipality, policy, tab, together, revision_of, chain)
    held = tuple(failing)
    revised = _hold_back(candidate, old, held)
    if revised.tables == old.tables:
        return old  # nothing new would be published: the earlier version stands, as is
    return revised


def _complete(version: Release, same_year: Sequence[Release]) -> bool:
    """Was ``version`` protected against every release of ``same_year`` linked to it?

    A linked release R is covered when ``version``'s chain holds R, or when R was made
    later and protected against ``version`` (R's chain holds it): a quarter re-exported
    after the year stays the same file. A year exported from a copy without the quarters
    already sent covers neither way."""
    own = version.content_hash()
    in_chain = {link.content_hash for link in version.chain}
    for other in same_year:
        if not other.period.linked(version.period):
            continue
        digest = other.content_hash()
        if digest == own or digest in in_chain:
            continue
        if any(link.content_hash == own for link in other.chain):
            continue
        return False
    return True


def _publishes_nothing_new(
    unit: str,
    grouping: Grouping,
    old: Release,
    new: Mapping[CellKey, int],
    supp: Mapping[CellKey, str],
) -> bool:
    """Does the unit show only what O already showed: the same grouping, and every cell it
    publishes published by O with the same value (O's exact count when the ledger record
    holds it; O's published count otherwise, which is what the Panel compares)?

    Then a new suppression carries no information about a difference (O's values are
    already public) and the unit may take whatever pattern the protection now needs. With
    O's exact counts this holds whenever D ≡ 0 on the unit."""
    keys = unit_keys(grouping, unit)
    if set(unit_keys(grouping_of(old), unit)) != set(keys):
        return False
    hidden_old = _suppressed(old)
    published_old = _published(old)
    exact = old.exact_counts
    for key in keys:
        if key in supp:
            continue
        if key in hidden_old:
            return False
        if exact is not None:
            if new[key] != exact[_exact_key(key)]:
                return False
        elif _round_like(old, new[key]) != published_old[key]:
            return False
    return True


def unit_tables(unit: str) -> tuple[str, ...]:
    """The tables of a hold-back unit (:data:`HELD_BACK_UNITS`)."""
    if unit == HELD_BACK_UNITS[0]:
        return tuple(spec.table_id for spec in PERSON_TABLES)
    if unit == HELD_BACK_UNITS[1]:
        return (T6.table_id, T7.table_id)
    raise KeyError(unit)


def unit_keys(grouping: Grouping, unit: str) -> tuple[CellKey, ...]:
    """Engine keys of the cells of a hold-back unit (:data:`HELD_BACK_UNITS`): the person
    tables' cells come with the persons served (their shared total)."""
    keys: list[CellKey] = [TOTAL_KEY] if unit == HELD_BACK_UNITS[0] else []
    for table_id in unit_tables(unit):
        keys.extend((table_id, dims) for dims in grouping.categories(table_id))
    return tuple(keys)


def unit_rows(grouping: Grouping, unit: str) -> list[tuple[CellKey, list[CellKey]]]:
    """``(row total, row cells)`` of a unit: a table's categories against the persons
    served; a T7 area row against its T6 cell."""
    if unit == HELD_BACK_UNITS[0]:
        return [
            (TOTAL_KEY, [(spec.table_id, d) for d in grouping.categories(spec.table_id)])
            for spec in PERSON_TABLES
        ]
    return [
        ((T6.table_id, (area,)), [(T7.table_id, (area, o)) for o in OUTCOME_CATEGORIES])
        for area in AREA_CATEGORIES
    ]


def _exact_key(key: CellKey) -> tuple[str, tuple[str, ...]]:
    return (PERSON_TABLES[0].table_id, (TOTAL,)) if key == TOTAL_KEY else key


def _small(lo: int, hi: int, k: int) -> bool:
    """Does the integer range lie inside 1..k−1 or −(k−1)..−1 (a pinned small change)?"""
    return (lo >= 1 and hi <= k - 1) or (-(k - 1) <= lo and hi <= -1)


def _difference_passes(
    unit: str,
    grouping: Grouping,
    old: Release,
    new: Mapping[CellKey, int],
    supp: Mapping[CellKey, str],
    policy: Policy,
) -> bool:
    """Does the difference table D = new − old of one unit pass the rules of a release?

    (a) the suppression pattern is O's; (b) every cell published in both changes by 0 or
    by at least k; (c) in every row with a published total the hidden part of D is 0 or at
    least k in absolute value; (d) no hidden D cell is pinned to a small non-zero change
    by its row (from the row alone D_i lies in [hD − H_new, hD + H_old] ∩ [−H_old, H_new],
    H the hidden sums of the row in each version).

    With O's exact counts (a ledger record) the checks are exact. With O read from a
    public file only its published counts are known: a cell (or a row's hidden part)
    passes when its published value does not change at all (the Panel sees no change),
    or when the change is at least k even after subtracting the rounding slack. The slack
    of a row's hidden part grows with its shown cells, so in practice a revision against
    a public file keeps the earlier figures of any unit with a suppressed cell in a row
    that changed (safe, and rare: only a copy without the ledger has no exact counts).
    """
    k = policy.k
    keys = unit_keys(grouping, unit)
    if set(unit_keys(grouping_of(old), unit)) != set(keys):
        return False  # O used another grouping: its cells are not these cells
    hidden_old = _suppressed(old)
    if {key for key in keys if key in supp} != {key for key in keys if key in hidden_old}:
        return False  # (a)
    published_old = _published(old)
    exact = old.exact_counts
    slack = policy.rounding_slack

    def old_value(key: CellKey) -> int:
        if exact is not None:
            return exact[_exact_key(key)]
        return published_old[key]

    def changed(key: CellKey) -> bool:
        return policy.round_count(new[key]) != published_old[key]

    for key in keys:  # (b)
        if key in supp:
            continue
        d = new[key] - old_value(key)
        if exact is not None:
            if d != 0 and abs(d) < k:
                return False
        elif changed(key) and abs(d) - slack < k:
            return False
    for total, row in unit_rows(grouping, unit):  # (c), (d)
        hidden = [key for key in row if key in supp]
        if total in supp or not hidden:
            continue
        shown = [key for key in row if key not in supp]
        h_new = new[total] - sum(new[key] for key in shown)
        if exact is not None:
            h_old = old_value(total) - sum(old_value(key) for key in shown)
            spread = 0
        else:
            h_old = published_old[total] - sum(published_old[key] for key in shown)
            spread = slack * (len(shown) + 1)
            if not changed(total) and not any(changed(key) for key in shown):
                continue  # the Panel sees the same hidden part in both versions
        hd = h_new - h_old
        if spread == 0:
            if hd != 0 and abs(hd) < k:
                return False
        elif not (hd - spread >= k or hd + spread <= -k):
            return False
        if len(hidden) < 2:
            continue
        # From the row alone every hidden cell's D has the same range.
        h_old_hi = h_old + spread
        lo = max(-h_old_hi, hd - spread - h_new)
        hi = min(h_new, hd + spread + h_old_hi)
        if _small(lo, hi, k):
            return False
    return True


def _hold_back(candidate: Release, old: Release, held: tuple[str, ...]) -> Release:
    """The candidate with the tables of the held-back units taken from O as published."""
    held_tables = {table_id for unit in held for table_id in unit_tables(unit)}
    tables = tuple(
        old.table(t.table_id) if t.table_id in held_tables else t for t in candidate.tables
    )
    reasons = {
        (table_id, dims): reason
        for (table_id, dims), reason in candidate.reasons.items()
        if table_id not in held_tables
    }
    for table_id in held_tables:
        for cell in old.table(table_id).cells:
            if cell.suppressed:
                reasons[(table_id, cell.dims)] = PRIOR_VERSION
    assert candidate.exact_counts is not None
    exact = dict(candidate.exact_counts)
    for table_id in held_tables:
        for cell in old.table(table_id).cells:
            ekey = (table_id, cell.dims)
            if old.exact_counts is not None:
                exact[ekey] = old.exact_counts[ekey]
            elif cell.count is not None:
                exact[ekey] = cell.count
    return replace(
        candidate,
        tables=tables,
        held_back=held,
        reasons=reasons,
        exact_counts=exact,
    )


def _reasons_for(version: Release, forced: Mapping[CellKey, str]) -> dict[CellKey, str]:
    reasons: dict[CellKey, str] = {}
    for key in _suppressed(version):
        reasons[key] = forced.get(key, SECONDARY)
    return reasons
