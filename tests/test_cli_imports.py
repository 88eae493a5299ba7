"""A command starts its work without loading what it does not need (issue #19): asking for
the version, for help or making a usage mistake loads no database, services or desk, and
every command's help still lists its flags."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from casework.cli import build_parser, leaf_commands, main, parsers
from casework.cli.parsers import Command

HEAVY = (
    "sqlalchemy",
    "alembic",
    "textual",
    "pydantic",
    "casework.services",
    "casework.models",
    "casework.db",
    "casework.app",
)
ROOT = Path(__file__).resolve().parent.parent

RUN = """
import json, sys
from casework import i18n
from casework.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
loaded = [m for m in HEAVY if m in sys.modules]
catalogues = i18n.catalogue.cache_info().currsize
print(json.dumps({"code": code, "loaded": loaded, "catalogues": catalogues}))
"""


def _run(*argv: str) -> tuple[dict[str, object], str]:
    """``casework ARGV`` in a fresh process: its report (exit code, heavy modules loaded,
    catalogues read) and what it wrote to stderr."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("CASEWORK_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{RUN}", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report, done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--help"],
        ["report", "caseload", "--help"],
        ["rights", "new", "--help"],
        ["init", "--help"],
    ],
    ids=" ".join,
)
def test_version_and_help_load_nothing_heavy(argv: list[str]) -> None:
    report, _ = _run(*argv)
    assert report["code"] == 0
    assert report["loaded"] == []


@pytest.mark.parametrize(
    "argv",
    [["worker", "frobnicate"], ["rights", "new", "--kind", "gossip"], ["signin", "--hours", "x"]],
    ids=" ".join,
)
def test_a_usage_mistake_loads_nothing_heavy(argv: list[str]) -> None:
    report, stderr = _run(*argv)
    assert report["code"] == 2
    assert "usage: casework" in stderr
    assert report["loaded"] == []


def test_the_version_reads_no_message_catalogue() -> None:
    report, _ = _run("--version")
    assert report["catalogues"] == 0


def test_python_m_casework_gives_the_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "casework", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("casework ")


def test_a_command_that_runs_loads_its_implementation(tmp_path: Path) -> None:
    report, _ = _run("db", "path", "--db", str(tmp_path / "office.db"))
    assert report["code"] == 0
    assert "sqlalchemy" in report["loaded"]  # type: ignore[operator]


DB = "--db --passphrase-file"
SIGN_IN = "--user --as --password-file"
FLAGS = {
    "audit": f"--person --limit {DB} {SIGN_IN}",
    "backup": f"--out {DB} {SIGN_IN}",
    "restore": f"{DB} {SIGN_IN}",
    "catalogue list": DB,
    "catalogue add": "--name --area --key --name-en --when --outcome --contact --private "
    f"{DB} {SIGN_IN}",
    "catalogue deactivate": f"{DB} {SIGN_IN}",
    "db upgrade": "--db",
    "db path": "--db",
    "dedupe scan": f"--min-score --format {DB} {SIGN_IN}",
    "demo": "--people --seed --replace --db --user --as --password-file",
    "import persons": f"--dry-run --map --sheet --header-row --encoding --report {DB} {SIGN_IN}",
    "import visits": "--dry-run --map --sheet --header-row --encoding --report --programme "
    f"{DB} {SIGN_IN}",
    "init": "--encrypt --admin --name --programme --programme-code --municipality "
    f"--password-stdin {DB} {SIGN_IN}",
    "password": f"--new-password-file --new-password-stdin {DB} {SIGN_IN}",
    "export panel": f"--period --out --k --prior --none-sent {DB} {SIGN_IN}",
    "panel check": "",
    "panel combine": "--period --k",
    "report caseload": f"--from --to --format {DB} {SIGN_IN}",
    "retention review": f"{DB} {SIGN_IN}",
    "retention policy": DB,
    "rights list": f"--all {DB} {SIGN_IN}",
    "rights new": f"--person --kind --received --channel --identity-checked {DB} {SIGN_IN}",
    "rights identity": f"{DB} {SIGN_IN}",
    "rights extend": f"{DB} {SIGN_IN}",
    "rights refuse": f"--ground --note {DB} {SIGN_IN}",
    "rights lift": f"--note {DB} {SIGN_IN}",
    "rights answer": f"--out {DB} {SIGN_IN}",
    "settings municipality": f"{DB} {SIGN_IN}",
    "signin": f"--hours {DB} {SIGN_IN}",
    "signout": f"--user --as {DB}",
    "sync": f"--server --encrypt --name {DB} {SIGN_IN}",
    "worker add": "--name --role --programme --new-password-file --new-password-stdin "
    f"{DB} {SIGN_IN}",
    "worker list": f"{DB} {SIGN_IN}",
    "worker deactivate": f"--to {DB} {SIGN_IN}",
    "worker reactivate": f"{DB} {SIGN_IN}",
    "worker unlock": f"{DB} {SIGN_IN}",
    "programme add": f"--name {DB} {SIGN_IN}",
    "programme rename": f"--name {DB} {SIGN_IN}",
}
"""Every command's flags (besides --help), as they were when the parsers moved out."""


def test_every_command_is_in_the_flag_table() -> None:
    assert {" ".join(path) for path, _ in leaf_commands(build_parser())} == set(FLAGS)


@pytest.mark.parametrize("command", sorted(FLAGS))
def test_each_commands_help_lists_its_flags(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command.split(), "--help"])
    assert exit_.value.code == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"usage: casework {command}")
    for flag in FLAGS[command].split():
        assert f"{flag} " in shown or f"{flag}," in shown or f"{flag}\n" in shown, flag


def _functions(parser: argparse.ArgumentParser) -> list[object]:
    """The command function of ``parser`` and of every parser below it (a group's, like
    ``db``, serves all its actions)."""
    found = [parser.get_default("func")]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.extend(_functions(child))
    return [f for f in found if f is not None]


def test_init_help_still_names_the_first_programmes_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Read from the message catalogue only when help is shown."""
    with pytest.raises(SystemExit):
        main(["init", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "the first programme's name (default: Oficina de Migrantes)" in shown


def test_every_command_names_a_function_that_exists() -> None:
    functions = _functions(build_parser())
    assert len(functions) > 30
    for command in functions:
        assert isinstance(command, Command)
        assert callable(command.load()), command


def test_values_spelt_out_in_the_parsers_match_their_sources() -> None:
    from casework.cli.parsers import rights, signin
    from casework.models.security import RefusalGround, RightKind
    from casework.services import auth

    assert tuple(k.value for k in RightKind) == rights.RIGHT_KINDS
    assert tuple(g.value for g in RefusalGround) == rights.REFUSAL_GROUNDS
    assert (auth.TOKEN_HOURS, auth.MAX_TOKEN_HOURS) == (signin.TOKEN_HOURS, signin.MAX_TOKEN_HOURS)


def test_every_parser_module_is_a_registered_group() -> None:
    folder = Path(parsers.__file__).parent
    modules = {p.stem for p in folder.glob("*.py")} - {"__init__"}
    assert set(parsers.GROUPS) == modules
    assert list(parsers.GROUPS) == sorted(parsers.GROUPS)  # the order --help lists them in


def test_a_command_on_a_current_database_loads_no_alembic(tmp_path: Path) -> None:
    path = str(tmp_path / "office.db")
    created, _ = _run("init", "--db", path)
    assert created["code"] == 0
    report, stderr = _run("retention", "policy", "--db", path)
    assert report["code"] == 0, stderr
    assert report["loaded"] == [m for m in HEAVY if m not in ("alembic", "textual", "casework.app")]


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    from casework import db

    db.head_revision.cache_clear()
    assert db.head_revision() == db.script_directory().get_current_head()


def test_migration_files_it_cannot_read_are_left_to_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casework import db

    class Alembic:
        def get_current_head(self) -> str:
            return "alembic's head"

    (tmp_path / "0001_first.py").write_text('revision = "0001"\ndown_revision = None\n')
    (tmp_path / "0002_merge.py").write_text('revision = "0002"\ndown_revision = ("0001", "x")\n')
    monkeypatch.setattr(db, "MIGRATIONS", tmp_path)
    monkeypatch.setattr(db, "script_directory", Alembic)
    db.head_revision.cache_clear()
    try:
        assert db.head_revision() == "alembic's head"
    finally:
        db.head_revision.cache_clear()
