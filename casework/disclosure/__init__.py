"""Disclosure control for the Inter-Municipal Panel export (privacy.md §5–§7).

Pure Python, no database and no UI: the service layer turns the database into
:class:`PersonFacts` (which carry no identifying field), and this package tabulates
distinct persons, generalises, suppresses (primary, group and secondary, across the tables
and the releases of the year), rounds and serialises.

Typical use by the export service::

    period = Period.parse("2026-Q3")
    prior = [Release.from_ledger_record(row.record) for row in ledger_rows_of_the_year]
    release = build_release(period, facts, year_facts, Policy(), "13101", prior=prior)
    files = release.to_csv_files()        # public: one CSV per table
    blob = release.to_json()              # public: tables + metadata
    ledger_row = (release.content_hash(), release.ledger_record())  # INTERNAL only

``ledger_record()`` holds the exact counts, so that the next release can be protected
against an attacker who knows published counts exactly; it must never leave the office.
"""

from casework.disclosure.codebook import SCHEMA_VERSION, TABLES, TableSpec
from casework.disclosure.combine import CombinedRow, CombinedTable, Mark, combine
from casework.disclosure.facts import PersonFacts
from casework.disclosure.period import Period
from casework.disclosure.policy import K_FLOOR, Policy
from casework.disclosure.release import (
    HELD_BACK_UNITS,
    Cell,
    ChainLink,
    Release,
    Table,
    build_release,
)

__all__ = [
    "HELD_BACK_UNITS",
    "K_FLOOR",
    "SCHEMA_VERSION",
    "TABLES",
    "Cell",
    "ChainLink",
    "CombinedRow",
    "CombinedTable",
    "Mark",
    "Period",
    "PersonFacts",
    "Policy",
    "Release",
    "Table",
    "TableSpec",
    "build_release",
    "combine",
]
