"""How long a ``casework`` command takes from start to exit (issue #19: "a CLI command starts
its work within 0.3 s"), each beside bare Python in the same run.

Every figure is a fresh process, as a user starts it; the runs of all commands and baselines
are interleaved so a busy machine weighs on each alike. Commands: ``--version``, ``report
caseload --help`` (a usage path), and, given a database, ``retention policy`` (the cheapest
command that opens one: no sign-in, one small read). Baselines: ``python -c pass`` and
``python -c "import sqlalchemy"`` (the floor of anything that opens a database). Also, given
a database, the desk in a pseudo-terminal until its sign-in screen is drawn, beside
``python -c "import textual"``.

Usage: python bench/cli_start.py [--db PATH] [--runs N] [--desk] [--before CHECKOUT]
(``--before`` times another checkout, e.g. /work/main, in the same rounds.) The database is
never written: it is copied to a temporary folder first.
"""

from __future__ import annotations

import argparse
import math
import os
import pty
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.3
RUN = "import sys; from casework.cli import main; sys.exit(main(sys.argv[1:]))"
"""What the ``casework`` console script does (pyproject ``[project.scripts]``)."""
PASS = "pass"
SQLALCHEMY = "import sqlalchemy"
TEXTUAL = "import textual"
DESK_READY = b"Usuario"
"""A label of the sign-in form, the desk's first screen (es_CL)."""


def _env(root: Path, folder: str) -> dict[str, str]:
    """Python as an installed casework runs: compiled modules kept (the warm-up round
    writes them, under ``folder``: the checkouts stay untouched)."""
    env = dict(os.environ, PYTHONPATH=str(root), LANG="es_CL.UTF-8")
    env["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "pycache")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("CASEWORK_DATABASE_URL", None)
    return env


def _time(argv: Sequence[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        argv, env=env, cwd=env["PYTHONPATH"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[2:])!r} failed: {done.stderr.decode()[-300:]}")
    return elapsed


def _desk_time(argv: Sequence[str], env: dict[str, str], timeout: float = 60.0) -> float:
    """Seconds from starting the desk in a pseudo-terminal to its first screen drawn."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the desk, on the pseudo-terminal
        os.chdir(env["PYTHONPATH"])
        os.execvpe(argv[0], list(argv), env)
    seen = b""
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
                if DESK_READY in seen:
                    return time.perf_counter() - started
        raise RuntimeError(f"the desk drew no first screen: {seen[-300:]!r}")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def _p95(values: Sequence[float]) -> float:
    """Nearest rank: with 10 runs, the slowest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


Job = tuple[list[str], dict[str, str]]
"""A command line and its environment."""


def _samples(
    jobs: dict[str, Job],
    runs: int,
    timer: Callable[[Sequence[str], dict[str, str]], float] = _time,
) -> dict[str, list[float]]:
    """``runs`` timings of each job, round-robin (one warm-up round first, not kept)."""
    found: dict[str, list[float]] = {name: [] for name in jobs}
    for round_ in range(runs + 1):
        for name, (argv, env) in jobs.items():
            value = timer(argv, env)
            if round_:
                found[name].append(value)
    return found


def _rows(
    figure: str,
    values: list[float],
    base: list[float],
    base_name: str,
    target: float | None = TARGET_S,
) -> list[dict[str, Any]]:
    """Median and p95 rows (``target`` None: no fixed target, ``passed`` None)."""
    rows = []
    for stat, pick in (("median", statistics.median), ("p95", _p95)):
        measured = pick(values)
        rows.append(
            {
                "figure": f"{figure}, {stat}",
                "measured": round(measured, 3),
                "unit": "s",
                "baseline": round(pick(base), 3),
                "baseline_name": base_name,
                "target": f"≤ {target} s" if target else "no slower than before",
                "passed": measured <= target if target else None,
            }
        )
    return rows


def _command_jobs(
    roots: dict[str, Path], folder: str, copy: Path | None, desk: bool
) -> dict[str, Job]:
    """The commands timed, once per checkout (named ``LABEL:what``), and the baselines."""
    py = sys.executable
    jobs: dict[str, Job] = {}
    for label, root in roots.items():
        env = _env(root, folder)
        if desk:
            if copy is not None:
                env = dict(env, TERM="xterm-256color", COLUMNS="100", LINES="30")
                jobs[f"{label}:desk"] = ([py, "-c", RUN, "--db", str(copy)], env)
            continue
        jobs[f"{label}:version"] = ([py, "-c", RUN, "--version"], env)
        jobs[f"{label}:help"] = ([py, "-c", RUN, "report", "caseload", "--help"], env)
        if copy is not None:
            jobs[f"{label}:db"] = ([py, "-c", RUN, "retention", "policy", "--db", str(copy)], env)
    return jobs


def _measure(
    roots: dict[str, Path], db_path: str | None, runs: int, desk: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """Rows per checkout, every command of every checkout and the baselines sampled in
    one round-robin (so before and after meet the same load)."""
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="casework-cli-start-") as folder:
        env = _env(next(iter(roots.values())), folder)
        copy = None
        if db_path:
            copy = Path(folder) / "copy.db"
            shutil.copyfile(db_path, copy)
        jobs = _command_jobs(roots, folder, copy, desk)
        if desk:
            found = _samples(jobs, runs, _desk_time)
            found |= _samples({"textual": ([py, "-c", TEXTUAL], env)}, runs)
        else:
            jobs["pass"] = ([py, "-c", PASS], env)
            jobs["sqlalchemy"] = ([py, "-c", SQLALCHEMY], env)
            found = _samples(jobs, runs)
    label = Path(db_path).stem if db_path else ""
    bare = "bare python -c pass"
    rows: dict[str, list[dict[str, Any]]] = {}
    for name in roots:
        if desk:
            rows[name] = _rows(
                f"desk first screen, {label}, SQLite",
                found[f"{name}:desk"],
                found["textual"],
                'python -c "import textual"',
                target=None,
            )
            continue
        rows[name] = _rows("casework --version", found[f"{name}:version"], found["pass"], bare)
        rows[name] += _rows(
            "casework report caseload --help", found[f"{name}:help"], found["pass"], bare
        )
        if db_path:
            rows[name] += _rows(
                f"casework retention policy (opens the database), {label}, SQLite",
                found[f"{name}:db"],
                found["sqlalchemy"],
                'python -c "import sqlalchemy"',
            )
    return rows


def measure(db_path: str | None, runs: int = 10) -> list[dict[str, Any]]:
    """``casework --version``, ``report caseload --help`` and (given ``db_path``, a SQLite
    file, copied first) ``retention policy``: median and p95 of ``runs`` fresh processes
    each, beside bare Python and Python importing SQLAlchemy."""
    return _measure({"this": ROOT}, db_path, runs)["this"]


def desk_rows(db_path: str, runs: int = 5) -> list[dict[str, Any]]:
    """The desk (``casework --db COPY`` in a pseudo-terminal) until its sign-in screen is
    drawn, beside ``python -c "import textual"``; its target is to be no slower than
    before this change, so ``passed`` is None."""
    return _measure({"this": ROOT}, db_path, runs, desk=True)["this"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="a casework SQLite file (copied, never written)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--desk", action="store_true", help="also time the desk's first screen")
    parser.add_argument(
        "--before", type=Path, help="another checkout (e.g. main) timed in the same rounds"
    )
    args = parser.parse_args()
    roots = {"after": ROOT, "before": args.before} if args.before else {"this": ROOT}
    rows = _measure(roots, args.db, args.runs)
    if args.desk and args.db:
        desk = _measure(roots, args.db, max(3, args.runs // 2), desk=True)
        rows = {name: rows[name] + desk[name] for name in roots}
    print(f"{args.runs} runs each, interleaved; median and p95 (nearest rank)")
    for name, root in roots.items():
        print(f"-- {name}: casework from {root}")
        for row in rows[name]:
            ratio = row["measured"] / row["baseline"] if row["baseline"] else float("nan")
            verdict = {True: "pass", False: "FAIL", None: "-"}[row["passed"]]
            print(
                f"{row['figure']:<70} {row['measured']:>6.3f} s  beside "
                f"{row['baseline']:>6.3f} s ({row['baseline_name']}, {ratio:4.1f}x)  "
                f"target {row['target']}  {verdict}"
            )


if __name__ == "__main__":
    main()
