"""Ctrl+C during `casework import persons` (a real process, a real SIGINT): the first stops
after the current batch and says how to continue, a second aborts at once; running the same
command again completes the list with nobody stored twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework.db import Database
from casework.models import Person
from casework.services import staff
from casework.services.context import Context

ROWS = 1500
SLOW = (
    "import sys, time\n"
    "from casework.cli import imports\n"
    "draw = imports.ProgressBar.__call__\n"
    "def slow(self, progress):\n"
    "    print('PROGRESS', file=sys.stderr, flush=True)\n"
    "    time.sleep(0.15)\n"
    "    draw(self, progress)\n"
    "imports.ProgressBar.__call__ = slow\n"
    "from casework.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)
"""The command, each progress report marked on stderr and slowed down a little: the signal
lands mid-import however fast the writer is (the list is a few of its batches)."""


def _count(db: Database) -> tuple[int, int]:
    with db.read() as session:
        refs = session.scalars(sa.select(Person.external_refs)).all()
    flat = [r for rs in refs for r in (rs or [])]
    return len(refs), len(set(flat))


def _run(args: list[str], signals: int) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LANG="es_CL.UTF-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None and proc.stdout is not None
    seen = []
    for line in proc.stderr:  # wait for the first progress line: the import is under way
        seen.append(line)
        if line == "PROGRESS\n":
            break
    proc.send_signal(signal.SIGINT)
    if signals == 2:  # the second once the first is handled (two at once may merge)
        for line in proc.stderr:
            seen.append(line)
            if "Deteniendo" in line:
                break
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "".join(seen) + err)


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_ctrl_c_stops_and_the_same_command_continues(
    tmp_path: Path,
    desk_database: Database,
    cli_user: Callable[[Database, str], list[str]],
) -> None:
    staff.first_run(
        Context(desk_database),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    listed = tmp_path / "grande.csv"
    lines = ["ref;nombres;apellido_paterno;fecha_nacimiento"]
    lines += [f"G{i};Nombre{i:05};Apellido{i:05};01-01-1990" for i in range(ROWS)]
    listed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = ["import", "persons", str(listed), "--db", desk_database.url.database or ""]
    command += cli_user(desk_database, "admin")

    stopped = _run(command, signals=1)
    assert stopped.returncode == 130, stopped.stderr
    assert "Deteniendo al terminar el lote en curso" in stopped.stderr
    assert "Importación interrumpida:" in stopped.stderr
    assert "Repita el mismo comando para continuar donde se detuvo" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    first, distinct = _count(desk_database)
    assert 0 < first < ROWS and distinct == first
    assert f"Importación interrumpida: {first} personas nuevas" in stopped.stderr

    aborted = _run(command, signals=2)
    assert aborted.returncode == 130, aborted.stderr
    assert "Importación abortada" in aborted.stderr and "Traceback" not in aborted.stderr
    second, distinct = _count(desk_database)
    assert first <= second < ROWS and distinct == second  # whole batches only

    done = subprocess.run(
        [sys.executable, "-m", "casework", *command],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=dict(os.environ, LANG="es_CL.UTF-8"),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert f"  {ROWS - second} personas nuevas" in done.stdout
    assert f"  {second:,} personas ya estaban".replace(",", ".") in done.stdout
    assert _count(desk_database) == (ROWS, ROWS)  # everyone, nobody twice
