"""`make bench`: every figure of issue #19 beside its baseline, in one table.

Builds the demo databases once (100k and 1M persons by default) into a cache, and one
PostgreSQL database per size when a server answers; then runs each figure and prints
figure | measured | baseline | ratio | target | pass/fail, and a summary line. A benchmark,
not a test: it never runs in `make check`, and on a shared machine the ratios to the
baselines (measured in the same run) say more than the milliseconds.

The cache (``--cache``, default the user cache folder's ``casework-bench/``) keys each
database by people, seed, the schema's head revision and the key format (a fingerprint of
the search and matcher keys the code stores), and checks a sample of the stored keys
against the code on every run: a change of migrations upgrades the file (opening migrates
it), a change of keys rebuilds it.

Usage: python bench/run.py [--sizes 100k,1m] [--pg URL | --no-pg] [--only PREFIX]
       [--cache DIR] [--out FILE.md] [--seed-cache PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from platformdirs import user_cache_path
from search import figure_row  # bench/search.py

from casework.db import Database, open_database, script_directory
from casework.services import keys
from casework.services.context import Context
from casework.services.match_records import record_of, stored_keys

SEED = 2026
KEY_FORMAT_VERSION = 1
"""Bump to rebuild every cached database (a change the fingerprint cannot see)."""
BYTES_PER_PERSON = 9_000
"""A demo database's size per person (837 MB at 100k), to check the disk first."""
SAMPLE = 200
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
HERE = Path(__file__).resolve().parent


def not_measured(figure: str, why: str) -> dict[str, Any]:
    return figure_row(figure, math.nan, None, why, "", None, unit="")


def people_of(label: str) -> int:
    label = label.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(label[-1:], 1)
    return int(float(label.rstrip("km")) * scale)


# The cache ---------------------------------------------------------------------------------


def key_format() -> str:
    """A fingerprint of the keys the code stores for a few fixed persons: the search's
    name and document keys, the matcher's keys and the typo index's variants."""
    people = [
        ("María José", "González", "Pérez", dt.date(1985, 3, 7), "F", "VEN", "run", "12345678-5"),
        ("Jean Baptiste", "Exantus", None, dt.date(1990, 12, 1), "M", "HTI", "pasaporte", "AB1"),
        ("Luz", "Quispe", "Mamani", None, "F", "PER", "dni", "44556677"),
        ("Wilmer", "Rodríguez", "de la Cruz", dt.date(2001, 1, 30), "M", "COL", "", ""),
    ]
    out = []
    for given, first, second, born, sex, nat, doc_type, number in people:
        docs = [(doc_type, number)] if number else []
        found = keys.person_keys(given, first, second, None, docs)
        found |= stored_keys(
            record_of("x", given, first, second, born, sex, nat, docs, ("+56 9 8765 4321",))
        )
        variants = {tok: sorted(keys.variants(tok)) for kind, tok in found if kind == keys.NAME}
        out.append([sorted(found), sorted(variants.items())])
    text = json.dumps([KEY_FORMAT_VERSION, out], ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def head() -> str:
    return script_directory().get_current_head() or "none"


def cache_name(label: str, revision: str | None = None) -> str:
    return f"demo-{label}-seed{SEED}-{revision or head()}-k{key_format()}"


def _ro(path: Path) -> sqlite3.Connection:
    """Read-only, leaving no side files (the file may be someone else's)."""
    return sqlite3.connect(f"file:{path}?immutable=1", uri=True)


def check_file(path: Path, people: int) -> str | None:
    """Why ``path`` is not the demo this run needs (None: it is): its people and seed,
    its revision, and a sample of its stored keys recomputed by the code."""
    conn = _ro(path)
    try:
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision is None or revision[0] != head():
            return f"schema {revision and revision[0]}, not {head()}"
        made = conn.execute("SELECT details FROM audit_event WHERE action = 'demo'").fetchall()
        if [json.loads(d) for (d,) in made] != [{"people": people, "seed": SEED}]:
            return f"not a demo of {people:,} persons, seed {SEED}"
        sample = conn.execute(
            "SELECT id, given_names, first_surname, second_surname, social_name, birth_date,"
            " sex, nationality, phone, phone2 FROM person WHERE merged_into_id IS NULL"
            f" ORDER BY id LIMIT {SAMPLE}"
        ).fetchall()
        for pid, given, first, second, social, born, sex, nat, ph1, ph2 in sample:
            docs = conn.execute(
                "SELECT type_key, number_norm FROM identity_document WHERE person_id = ?",
                (pid,),
            ).fetchall()
            want = keys.person_keys(given, first, second, social, docs)
            birth = dt.date.fromisoformat(born[:10]) if born else None
            want |= stored_keys(
                record_of(pid, given, first, second, birth, sex, nat, docs, (ph1, ph2))
            )
            have = set(conn.execute("SELECT kind, key FROM person_key WHERE person_id = ?", (pid,)))
            if have != want:
                return "its stored keys differ from the code's (the key format changed)"
    finally:
        conn.close()
    return None


def _checkpoint(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _free_for(folder: Path, needed: int, what: str) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise SystemExit(
            f"bench: {what} needs about {needed / 1e9:.1f} GB in {folder}; {free / 1e9:.1f} GB free"
        )


def _progress(label: str, started: float) -> Callable[[int, int], None]:
    step = {"next": 0.0}

    def show(done: int, total: int) -> None:
        if done / total >= step["next"]:
            step["next"] += 0.1
            print(f"  {label}: {done:,}/{total:,} persons, {time.perf_counter() - started:.0f} s")

    return show


def cached_sqlite(cache: Path, label: str, seed_from: Path | None) -> Path:
    """The demo database of ``label`` persons, built (or upgraded, or copied from
    ``seed_from`` when that one checks) only when the cache lacks it."""
    people = people_of(label)
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o700)  # synthetic data, kept as private as a real database anyway
    path = cache / f"{cache_name(label)}.db"
    if path.exists():
        problem = check_file(path, people)
        if problem is None:
            print(f"{label}: cached {path}")
            return path
        print(f"{label}: cached file refused ({problem}); building again")
        path.unlink()
    # An older schema (or key format) in the cache, or the file given to seed it: opening
    # migrates it (a migration that changes the keys rewrites them), then it must check.
    others = sorted(cache.glob(f"demo-{label}-seed{SEED}-*.db"), key=lambda p: p.stat().st_mtime)
    if others:
        print(f"{label}: upgrading {others[-1].name} to schema {head()}")
        others[-1].rename(path)
        if _upgraded(path, people):
            return path
        path.unlink()
    if seed_from is not None and seed_from.exists():
        problem = check_file(seed_from, people)
        if problem is not None and not problem.startswith("schema"):
            print(f"{label}: {seed_from} not used: {problem}")
        else:
            _free_for(cache, seed_from.stat().st_size * 13 // 10, f"a copy of {seed_from}")
            print(f"{label}: copying {seed_from} into the cache")
            building = path.with_suffix(".copying")
            shutil.copyfile(seed_from, building)
            building.chmod(0o600)
            building.rename(path)
            if problem is None or _upgraded(path, people):
                return path
            path.unlink()
    _free_for(cache, people * BYTES_PER_PERSON * 5 // 4, f"the {label} demo database")
    minutes = people / 1_000_000 * 15
    print(f"{label}: building the demo database of {people:,} persons into {path}")
    print(f"  (about {max(minutes, 0.5):.0f} min and {people * BYTES_PER_PERSON / 1e9:.1f} GB)")
    building = path.with_name(f"building-{path.name}")
    building.unlink(missing_ok=True)
    from casework.synthetic import demo

    database = open_database(str(building))
    started = time.perf_counter()
    demo.generate(Context(database), people, seed=SEED, progress=_progress(label, started))
    database.dispose()
    _checkpoint(building)
    building.rename(path)
    print(f"{label}: built in {time.perf_counter() - started:.0f} s")
    for old in cache.glob(f"demo-{label}-seed*.db"):
        if old != path:
            print(f"{label}: removing the outdated {old.name}")
            old.unlink()
    return path


def _upgraded(path: Path, people: int) -> bool:
    """Migrate the file at ``path`` to the head; True when it then checks."""
    print(f"  migrating {path.name} to {head()} (a large file takes minutes)")
    started = time.perf_counter()
    database = Database(f"sqlite:///{path}")
    database.upgrade(backup=False)
    database.dispose()
    _checkpoint(path)
    problem = check_file(path, people)
    print(f"  migrated in {time.perf_counter() - started:.0f} s{f': {problem}' if problem else ''}")
    return problem is None


def scratch_copy(cache: Path, source: Path) -> Path:
    """A copy the figures that write (the Panel's ledger, the desk's sign-in and scan)
    may change; removed at the end of the run."""
    target = cache / f"scratch-{source.name}"
    _free_for(cache, source.stat().st_size * 11 // 10, "a scratch copy")
    print(f"copying {source.name} to a scratch copy for the figures that write")
    shutil.copyfile(source, target)
    target.chmod(0o600)
    return target


def pg_reachable(url: str) -> bool:
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def cached_pg(server: str, label: str) -> str:
    """The PostgreSQL demo database of ``label`` persons (``casework_bench_<label>``),
    built when missing or when its key (kept as the database's comment) differs."""
    name = f"casework_bench_{label}"
    key = cache_name(label)
    url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            comment = conn.scalar(
                sa.text(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                    " WHERE datname = :n"
                ),
                {"n": name},
            )
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            if exists and comment == key:
                print(f"{label}: PostgreSQL database {name} cached")
                return url
            if exists:
                print(f"{label}: PostgreSQL database {name} is outdated ({comment}); rebuilding")
                conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        people = people_of(label)
        print(f"{label}: loading {people:,} demo persons into PostgreSQL {name}")
        from casework.synthetic import demo

        database = open_database(url)
        started = time.perf_counter()
        demo.generate(Context(database), people, seed=SEED, progress=_progress(label, started))
        with database.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        database.dispose()
        print(f"{label}: loaded in {time.perf_counter() - started:.0f} s")
        with admin.connect() as conn:
            conn.execute(sa.text(f"COMMENT ON DATABASE \"{name}\" IS '{key}'"))
    finally:
        admin.dispose()
    return url


# The figures -------------------------------------------------------------------------------


@dataclass
class Figures:
    """What the figures run on."""

    sqlite: dict[str, Path] = field(default_factory=dict)
    pg: dict[str, str] = field(default_factory=dict)
    scratch: dict[str, Path] = field(default_factory=dict)
    cache: Path = Path()

    def copy(self, label: str) -> Path:
        if label not in self.scratch:
            self.scratch[label] = scratch_copy(self.cache, self.sqlite[label])
        return self.scratch[label]

    def drop_scratch(self) -> None:
        for path in self.scratch.values():
            for side in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                side.unlink(missing_ok=True)
            Path(f"{path}.inuse").unlink(missing_ok=True)
        self.scratch.clear()


def module(name: str) -> Any | None:
    """A bench module, or None (printed) while it is not merged yet."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        print(f"bench/{name}.py: not available")
        return None


def _call(name: str, attr: str, *args: Any) -> list[dict[str, Any]]:
    mod = module(name)
    fn = getattr(mod, attr, None) if mod is not None else None
    if fn is None:
        return [not_measured(f"{name}.{attr}", "not available (not merged yet)")]
    rows: list[dict[str, Any]] = fn(*args)
    return rows


def _end_scans(path: Path) -> None:
    """The desk started a scan that died with it: not one running any more."""
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM dedupe_scan WHERE status = 'running'")
    conn.commit()
    conn.close()


Group = tuple[str, Callable[[Figures], list[dict[str, Any]]]]


def groups(sizes: list[str], pg_sizes: list[str]) -> list[Group]:
    """Each figure family, named as its rows begin (what ``--only`` matches), in order."""
    out: list[Group] = []

    def each(prefix: str, fn: Callable[[Figures, str], list[dict[str, Any]]]) -> None:
        for label in sizes:
            out.append((prefix, lambda f, lb=label: fn(f, lb)))  # type: ignore[misc]

    def each_pg(prefix: str, fn: Callable[[str, str], list[dict[str, Any]]]) -> None:
        for label in pg_sizes:
            out.append((prefix, lambda f, lb=label: fn(f.pg[lb], lb)))  # type: ignore[misc]

    each("search", lambda f, lb: _call("search", "search_rows", str(f.sqlite[lb]), lb))
    each_pg("search", lambda url, lb: _call("search", "search_rows", url, lb))
    each(
        "intake candidates",
        lambda f, lb: _call("search", "candidate_rows", str(f.sqlite[lb]), lb),
    )
    each_pg("intake candidates", lambda url, lb: _call("search", "candidate_rows", url, lb))
    each(
        "first intake check",
        lambda f, lb: _call("frequencies", "measure", str(f.sqlite[lb]), lb),
    )
    each("caseload", lambda f, lb: _call("office", "caseload_rows", str(f.sqlite[lb]), lb))
    each_pg("caseload", lambda url, lb: _call("office", "caseload_rows", url, lb))
    each("Panel export", lambda f, lb: _call("office", "panel_rows", str(f.copy(lb)), lb))
    each(
        "first screen",
        lambda f, lb: _call("screens", "first_screen_rows", str(f.copy(lb)), lb),
    )
    each("CLI start", lambda f, lb: _call("cli_start", "measure", str(f.sqlite[lb]), 5))

    def scan(f: Figures, lb: str) -> list[dict[str, Any]]:
        copy = f.copy(lb)
        _end_scans(copy)
        return _call("scan", "measure", str(copy), lb)

    each("duplicate scan", scan)
    out.append(("statements", lambda f: _call("screens", "query_count_rows")))
    out.append(("demo generation", lambda f: _call("demo_speed", "measure", 100_000, None)))
    for label in pg_sizes[:1]:
        out.append(
            (
                "demo generation",
                lambda f, lb=label: _call("demo_speed", "measure", 100_000, f.pg[lb]),  # type: ignore[misc]
            )
        )
    for people in (20_000, 100_000):
        out.append(
            (
                "duplicate quality",
                lambda f, n=people: _call("dedupe_quality", "quality_rows", n),  # type: ignore[misc]
            )
        )
    return out


# The table ---------------------------------------------------------------------------------


def _num(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    digits = 2 if abs(value) < 100 else 0
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}".strip() if unit else text


def cells(r: dict[str, Any]) -> list[str]:
    measured, base = r["measured"], r["baseline"]
    ratio = "-"
    if base and not math.isnan(measured) and base > 0:
        ratio = f"{measured / base:.1f}x"
    verdict = {True: "pass", False: "FAIL", None: "-"}[r["passed"]]
    if isinstance(measured, float) and math.isnan(measured):
        verdict = "not measured"
    base_text = _num(base, r["unit"])
    if r["baseline_name"]:
        base_text = (
            f"{base_text} ({r['baseline_name']})" if base is not None else r["baseline_name"]
        )
    return [r["figure"], _num(measured, r["unit"]), base_text, ratio, r["target"], verdict]


HEADER = ["figure", "measured", "baseline", "ratio", "target", "pass/fail"]


def summary(rows: list[dict[str, Any]]) -> str:
    passed = sum(r["passed"] is True for r in rows)
    failed = sum(r["passed"] is False for r in rows)
    missing = sum(isinstance(r["measured"], float) and math.isnan(r["measured"]) for r in rows)
    other = len(rows) - passed - failed - missing
    return (
        f"{passed} passed, {failed} failed, {missing} not measured"
        f" ({other} figures shown without a target)"
    )


def table(rows: list[dict[str, Any]]) -> str:
    body = [HEADER] + [cells(r) for r in rows]
    widths = [min(max(len(line[i]) for line in body), 72) for i in range(len(HEADER))]
    lines = []
    for n, line in enumerate(body):
        lines.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join([*lines, "", summary(rows)])


def markdown(rows: list[dict[str, Any]], context: str) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "# casework benchmark",
        "",
        context,
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    lines += ["| " + " | ".join(esc(c) for c in cells(r)) + " |" for r in rows]
    return "\n".join([*lines, "", summary(rows), ""])


def context_line(sizes: list[str], pg: str | None) -> str:
    try:
        commit = subprocess.run(
            ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        commit = "?"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{dt.datetime.now():%Y-%m-%d %H:%M}, commit {commit or '?'}, sizes {', '.join(sizes)},"
        f" PostgreSQL {'yes' if pg else 'no'}; {os.cpu_count()} CPUs, load average {load}"
        " at the start (a shared machine: read the ratios)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100k,1m", help="demo sizes, e.g. 100k,1m")
    parser.add_argument("--pg", help=f"a PostgreSQL server URL (default: {DEFAULT_PG})")
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL rows")
    parser.add_argument("--pg-sizes", help="sizes loaded into PostgreSQL (default: --sizes)")
    parser.add_argument("--only", help="run only the figures whose name starts with this")
    parser.add_argument("--cache", type=Path, help="where the databases are kept")
    parser.add_argument("--out", type=Path, help="also write the table as Markdown here")
    parser.add_argument(
        "--seed-cache", type=Path, action="append", default=[], help="a demo file to copy"
    )
    args = parser.parse_args(argv)
    sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    cache = args.cache or user_cache_path("casework-bench", appauthor=False)
    only = (args.only or "").lower()
    pg = None
    if not args.no_pg:
        pg = args.pg or DEFAULT_PG
        if not pg_reachable(pg):
            print(f"PostgreSQL not reachable at {pg}: its rows are skipped")
            pg = None
    pg_sizes = [s.strip().lower() for s in (args.pg_sizes or args.sizes).split(",")] if pg else []
    context = context_line(sizes, pg)
    print(context)

    chosen = [(name, fn) for name, fn in groups(sizes, pg_sizes) if name.lower().startswith(only)]
    figures = Figures(cache=cache)
    for label in sizes:
        seed = next(
            (
                p
                for p in args.seed_cache
                if (check_file(p, people_of(label)) or "schema").startswith("schema")
            ),
            None,
        )
        figures.sqlite[label] = cached_sqlite(cache, label, seed)
    for label in pg_sizes:
        figures.pg[label] = cached_pg(pg or "", label)

    rows: list[dict[str, Any]] = []
    sys.path.insert(0, str(HERE))
    try:
        for name, fn in chosen:
            print(f"-- {name} ...", flush=True)
            started = time.perf_counter()
            try:
                got = fn(figures)
            except Exception as exc:
                traceback.print_exc()
                got = [not_measured(name, f"{type(exc).__name__}: {exc}"[:100])]
            for r in got:
                print("   " + " | ".join(cells(r)))
            print(f"   ({time.perf_counter() - started:.0f} s)")
            rows += got
    finally:
        figures.drop_scratch()
    print()
    print(context)
    print(table(rows))
    if args.out:
        args.out.write_text(markdown(rows, context))
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
