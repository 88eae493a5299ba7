"""Bulk loading of rows into PostgreSQL: ``COPY ... FROM STDIN`` through psycopg, the
secondary indexes dropped first and built once at the end (as ``sqlite_bulk`` does for
SQLite). Rows come in storage form: what psycopg adapts by itself (uuid, str, int, bool,
dates, aware timestamps), JSON columns as Python values (written as JSON text here)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

_SECONDARY = """
    SELECT i.indexname, i.indexdef FROM pg_indexes i
    WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                      WHERE c.conname = i.indexname AND c.connamespace = (
                          SELECT oid FROM pg_namespace WHERE nspname = current_schema()))
"""


class CopyLoad:
    """COPY of each chunk of rows, in the caller's transaction (all or nothing)."""

    def __init__(self, conn: sa.Connection, tables: list[sa.Table]) -> None:
        self.cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        names = [t.name for t in tables]
        self.cursor.execute(_SECONDARY, (names,))
        self.indexes: list[tuple[str, str]] = list(self.cursor.fetchall())
        for name, _ in self.indexes:
            self.cursor.execute(f'DROP INDEX "{name}"')
        self.json = {
            t.name: frozenset(c.name for c in t.columns if isinstance(c.type, sa.JSON))
            for t in tables
        }
        self.tables = names

    def insert(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        columns = list(rows[0])
        as_json = [i for i, c in enumerate(columns) if c in self.json.get(table.name, ())]
        names = ", ".join(f'"{c}"' for c in columns)
        with self.cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            if not as_json:
                for row in rows:
                    copy.write_row(tuple(row.values()))
                return
            for row in rows:
                values = list(row.values())
                for i in as_json:
                    if values[i] is not None:
                        values[i] = json.dumps(values[i])
                copy.write_row(values)

    def finish(self) -> None:
        for _, definition in self.indexes:
            self.cursor.execute(definition)
        for name in self.tables:
            self.cursor.execute(f'ANALYZE "{name}"')
        self.cursor.close()
