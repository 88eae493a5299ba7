"""The command line signs in (issue #12, points 1 and 5): every command that reads or writes
personal data, or acts in someone's name, needs that worker's own credentials; ``--user``
(``--as``) only says who signs in. Without a terminal and without credentials: one line,
exit 2, and nothing read or written."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework import clock
from casework.cli import build_parser, leaf_commands, main
from casework.db import Database, is_encrypted_file, open_database
from casework.errors import NotAllowed
from casework.models import AuditEvent, SignInToken, Worker
from casework.services import auth, backup, catalogue, persons, rights, settings, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data

PASSWORDS = {
    "ana": "frase larga de ana",
    "sara": "frase larga de sara",
    "walt": "frase larga de walt",
}
"""The office: ana administers, sara supervises, walt works at a desk (synthetic)."""
NEW_PASSWORD = "otra frase bastante larga"
SIGN_IN_ES = "necesita que inicie sesión"


@dataclass(frozen=True)
class Office:
    """Ids of the synthetic office every command works on (a fresh copy per test)."""

    folder: Path
    person: str
    blocked_person: str
    access: str
    identity: str
    extend: str
    refuse: str
    block: str
    kept_backup: str
    csv: str


@pytest.fixture(scope="module")
def office_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Office:
    folder = tmp_path_factory.mktemp("office")
    path = folder / "office.db"
    shutil.copy(sqlite_template, path)
    db = open_database(str(path))
    admin = staff.first_run(
        Context(db),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "ana", "full_name": "Ana Admin"},
    )
    boss = Context(db, admin.id)
    sup = staff.create_worker(
        boss,
        {
            "username": "sara",
            "full_name": "Sara Sup",
            "role": "supervisor",
            "programme_code": "OFMIG",
        },
    )
    desk = staff.create_worker(
        boss, {"username": "walt", "full_name": "Walter Desk", "programme_code": "OFMIG"}
    )
    with db.write() as session:
        for row in session.scalars(sa.select(Worker)):
            row.password_hash = auth.hash_password(PASSWORDS[row.username])
            row.password_temporary = False
    walt, sara = Context(db, desk.id), Context(db, sup.id)
    person = persons.register_intake(walt, intake_data()).person_id
    other = persons.register_intake(
        walt,
        intake_data(
            person_data(given_names="Otra", documents=[{"type": "passport", "number": "XX9"}])
        ),
    ).person_id

    def request(kind: str, who: uuid.UUID = person, checked: bool = True) -> str:
        data = {"person_id": who, "kind": kind, "identity_checked": checked}
        return str(rights.register(sara, data).id)

    access = request("access")
    identity = request("objection", checked=False)
    extend = request("rectification")
    refuse = request("erasure")
    block = request("blocking", other)
    catalogue.add_destination(
        boss, {"key": "ong_prueba", "name_es": "ONG", "service_area": "housing"}
    )
    settings.set_municipality(boss, {"code": "13108", "version": 0})
    kept = backup.backup(db, folder / "kept.db")
    db.dispose()
    listed = folder / "lista.csv"
    listed.write_text("nombres;primer_apellido;fecha\nRosa;Rojas;02-03-2026\n", encoding="utf-8")
    return Office(
        folder,
        str(person),
        str(other),
        access,
        identity,
        extend,
        refuse,
        block,
        str(kept),
        str(listed),
    )


@pytest.fixture
def office(office_template: Office, tmp_path: Path) -> Path:
    """A fresh copy of the office's database file."""
    path = tmp_path / "office.db"
    shutil.copy(office_template.folder / "office.db", path)
    return path


@pytest.fixture
def no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Like cron or a pipe: no terminal to ask anything at."""
    monkeypatch.setattr("casework.cli.stdin_is_terminal", lambda: False)


@pytest.fixture
def pw_file(tmp_path: Path) -> Callable[..., Path]:
    def write(user: str, *, mode: int = 0o600, password: str | None = None) -> Path:
        path = tmp_path / f"pw-{user}-{mode:o}"
        path.write_text((password or PASSWORDS[user]) + "\n", encoding="utf-8")
        path.chmod(mode)
        return path

    return write


# Which commands sign in ----------------------------------------------------------------------

Args = Callable[[Office, Path], list[str]]

SIGNS_IN: dict[str, tuple[str, Args]] = {
    # command: (who may run it here, its arguments on the office)
    "audit": ("sara", lambda o, t: ["audit", "--person", o.person]),
    # The office is the server here; the desk file is made by the command (a first copy).
    "sync": ("sara", lambda o, t: ["sync", "--server", str(t / "office.db")]),
    "backup": ("ana", lambda o, t: ["backup", "--out", str(t / "out" / "copy.db")]),
    "restore": ("ana", lambda o, t: ["restore", o.kept_backup]),
    "catalogue add": (
        "ana",
        lambda o, t: ["catalogue", "add", "--name", "Vecinos", "--area", "housing"],
    ),
    "catalogue deactivate": ("ana", lambda o, t: ["catalogue", "deactivate", "ong_prueba"]),
    "dedupe scan": ("sara", lambda o, t: ["dedupe", "scan"]),
    "demo": ("ana", lambda o, t: ["demo", "--replace", "--people", "5"]),
    "import persons": ("sara", lambda o, t: ["import", "persons", o.csv]),
    "import visits": (
        "sara",
        lambda o, t: ["import", "visits", o.csv, "--map", "fecha=visit_date"],
    ),
    "init": ("ana", lambda o, t: ["init", "--encrypt", "--passphrase-file", str(t / "key.txt")]),
    "password": ("walt", lambda o, t: ["password", "walt"]),
    # A copy of the office's file (another instance): nothing of 2025 was sent, said so.
    "export panel": (
        "sara",
        lambda o, t: [
            "export",
            "panel",
            "--period",
            "2025",
            "--out",
            str(t / "out"),
            "--k",
            "5",
            "--none-sent",
        ],
    ),
    "settings municipality": ("ana", lambda o, t: ["settings", "municipality", "13101"]),
    "report caseload": ("sara", lambda o, t: ["report", "caseload"]),
    "retention review": ("sara", lambda o, t: ["retention", "review"]),
    "rights list": ("sara", lambda o, t: ["rights", "list"]),
    "rights new": (
        "sara",
        lambda o, t: ["rights", "new", "--person", o.person, "--kind", "objection"],
    ),
    "rights identity": ("sara", lambda o, t: ["rights", "identity", o.identity]),
    "rights extend": ("sara", lambda o, t: ["rights", "extend", o.extend]),
    "rights refuse": (
        "sara",
        lambda o, t: [
            "rights",
            "refuse",
            o.refuse,
            "--ground",
            "legal_claims",
            "--note",
            "Juicio pendiente.",
        ],
    ),
    "rights lift": ("sara", lambda o, t: ["rights", "lift", o.block, "--note", "Resuelto."]),
    "rights answer": (
        "sara",
        lambda o, t: ["rights", "answer", o.access, "--out", str(t / "out" / "r.json")],
    ),
    "signin": ("walt", lambda o, t: ["signin"]),
    "signout": ("walt", lambda o, t: ["signout"]),
    "worker add": (
        "ana",
        lambda o, t: ["worker", "add", "zoe", "--name", "Zoe Nueva", "--programme", "OFMIG"],
    ),
    "worker list": ("walt", lambda o, t: ["worker", "list"]),
    "worker deactivate": ("ana", lambda o, t: ["worker", "deactivate", "walt", "--to", "sara"]),
    "worker reactivate": ("ana", lambda o, t: ["worker", "reactivate", "walt"]),
    "worker unlock": ("ana", lambda o, t: ["worker", "unlock", "walt"]),
    "programme add": ("ana", lambda o, t: ["programme", "add", "OMIL", "--name", "Intermediación"]),
    "programme rename": ("ana", lambda o, t: ["programme", "rename", "OFMIG", "--name", "Oficina"]),
}
"""Everything that reads or writes personal data or acts in someone's name. ``demo``,
``init`` and ``restore`` sign in when they would replace or rewrite a database that has
workers; on a new file there is nobody to sign in, and they need nobody."""

FREE: dict[str, tuple[str, Args]] = {
    "db path": ("where the files are: nothing is opened", lambda o, t: ["db", "path"]),
    "db upgrade": (
        "the migration every command and the desk run on start; no personal data",
        lambda o, t: ["db", "upgrade"],
    ),
    "panel combine": (
        "the Panel's side: other municipalities' aggregated files only",
        lambda o, t: ["panel", "combine", str(t / "none.json")],
    ),
    "panel check": (
        "the Panel's side: other municipalities' aggregated files only",
        lambda o, t: ["panel", "check", str(t / "none.json")],
    ),
    "catalogue list": (
        "the referral catalogue: no personal data",
        lambda o, t: ["catalogue", "list"],
    ),
    "retention policy": (
        "retention periods: no personal data",
        lambda o, t: ["retention", "policy"],
    ),
}


def test_every_command_is_in_the_sign_in_table() -> None:
    """A new command must be placed in one table or the other: none slips through."""
    commands = {" ".join(path) for path, _ in leaf_commands(build_parser())}
    assert commands == set(SIGNS_IN) | set(FREE)
    assert not set(SIGNS_IN) & set(FREE)


def _state(path: Path) -> tuple[str, int]:
    """The database file's bytes (hashed) and its audit rows."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with sa.create_engine(f"sqlite:///{path}").connect() as conn:
        rows = conn.execute(sa.text("SELECT count(*) FROM audit_event")).scalar_one()
    return digest, int(rows)


@pytest.mark.parametrize("command", sorted(SIGNS_IN))
def test_no_credentials_and_no_terminal_is_one_line_and_nothing_happens(
    command: str,
    office: Path,
    office_template: Office,
    tmp_path: Path,
    no_terminal: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "key.txt").write_text("clave de la base 2026\n")
    (tmp_path / "key.txt").chmod(0o600)
    _, args = SIGNS_IN[command]
    before = _state(office)
    outside = set(tmp_path.iterdir())
    assert main([*args(office_template, tmp_path), "--db", str(office)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("casework: ") and "Traceback" not in err
    expected = "No hay una sesión" if command == "signout" else SIGN_IN_ES
    assert expected in err, err
    assert _state(office) == before  # no audit row, not a byte changed
    assert set(tmp_path.iterdir()) == outside  # no output file, no -wal, no backup


def test_the_refusal_speaks_english_with_lang_en(
    office: Path, no_terminal: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--lang", "en", "report", "caseload", "--db", str(office)]) == 2
    err = capsys.readouterr().err
    assert "needs you to sign in" in err and "--password-file" in err


def test_a_real_process_without_a_terminal_is_refused(
    office: Path, office_template: Office
) -> None:
    out = office.parent / "answer.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "casework",
            "rights",
            "answer",
            office_template.access,
            "--out",
            str(out),
            "--as",
            "sara",
            "--db",
            str(office),
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and SIGN_IN_ES in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("command", sorted(FREE))
def test_free_commands_need_no_sign_in(
    command: str,
    office: Path,
    office_template: Office,
    tmp_path: Path,
    no_terminal: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, args = FREE[command]
    panel = command.startswith("panel ")
    where = [] if panel else ["--db", str(office)]  # no database there
    code = main([*args(office_template, tmp_path), *where])
    err = capsys.readouterr().err
    assert SIGN_IN_ES not in err
    assert code == (2 if panel else 0), err  # no such file to check or combine


def test_demo_init_and_restore_on_a_new_file_need_nobody(
    office_template: Office, tmp_path: Path, no_terminal: None
) -> None:
    assert main(["demo", "--people", "5", "--db", str(tmp_path / "demo.db")]) == 0
    assert main(["init", "--db", str(tmp_path / "new.db")]) == 0
    assert main(["restore", office_template.kept_backup, "--db", str(tmp_path / "r.db")]) == 0


# With credentials ----------------------------------------------------------------------------


def _audit_since(path: Path, seen: int) -> list[tuple[str | None, str, dict[str, object]]]:
    db = open_database(str(path), upgrade=False)
    try:
        with db.read() as s:
            rows = s.execute(
                sa.select(Worker.username, AuditEvent.action, AuditEvent.details)
                .outerjoin(Worker, Worker.id == AuditEvent.worker_id)
                .order_by(AuditEvent.at, AuditEvent.id)
            ).all()
    finally:
        db.dispose()
    return [(r[0], r[1], r[2]) for r in rows[seen:]]


@pytest.mark.parametrize("command", sorted(set(SIGNS_IN) - {"signout"}))
def test_with_a_password_file_the_command_acts_as_the_signed_in_worker(
    command: str,
    office: Path,
    office_template: Office,
    tmp_path: Path,
    pw_file: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    who, args = SIGNS_IN[command]
    key = tmp_path / "key.txt"
    key.write_text("clave de la base 2026\n")
    key.chmod(0o600)
    monkeypatch.setattr("casework.cli.stdin_is_terminal", lambda: True)  # new passwords
    monkeypatch.setattr("getpass.getpass", lambda _prompt: NEW_PASSWORD)
    monkeypatch.setattr("builtins.input", lambda _prompt: pytest.fail("asked a username"))
    _, seen = _state(office)
    signed = ["--user", who, "--password-file", str(pw_file(who))]
    if command == "sync":
        # ``--db`` names the desk: the office (the server) keeps the audit of the first copy.
        desk = tmp_path / "desk.db"
        assert main([*args(office_template, tmp_path), "--db", str(desk), *signed]) == 0, (
            capsys.readouterr().err
        )
        rows = _audit_since(office, seen)
        assert [r[:2] for r in rows] == [(who, "sign_in"), (who, "desk_copy")], rows
        assert desk.exists()
        return
    assert main([*args(office_template, tmp_path), "--db", str(office), *signed]) == 0, (
        capsys.readouterr().err
    )
    if command == "demo":  # the office was replaced by a new, synthetic database
        with sa.create_engine(f"sqlite:///{office}").connect() as conn:
            names = set(conn.execute(sa.text("SELECT username FROM worker")).scalars())
        assert "walt" not in names and "supervisora" in names
        return
    if command == "init":
        assert is_encrypted_file(office)
        db = open_database(str(office), upgrade=False, passphrase="clave de la base 2026")
        with db.read() as s:
            last = s.execute(
                sa.select(Worker.username, AuditEvent.details)
                .join(Worker, Worker.id == AuditEvent.worker_id)
                .where(AuditEvent.action == "sign_in")
                .order_by(AuditEvent.at.desc())
            ).first()
            encrypter = s.execute(
                sa.select(Worker.username)
                .join(AuditEvent, Worker.id == AuditEvent.worker_id)
                .where(AuditEvent.action == "encrypt")
            ).scalar_one()
        db.dispose()
        assert last is not None and last[0] == who and last[1]["command"] == "init"
        assert encrypter == who
        return
    if command == "restore":
        [previous] = (tmp_path / "backups").glob("office-*-pre-restore.db")
        rows = _audit_since(previous, seen)
        assert rows == [(who, "sign_in", {"command": "restore"})]
        # The restored database's own restore event names the administrator too.
        with sa.create_engine(f"sqlite:///{office}").connect() as conn:
            restorer = conn.execute(
                sa.text(
                    "SELECT w.username FROM audit_event a JOIN worker w ON w.id = a.worker_id"
                    " WHERE a.action = 'restore'"
                )
            ).scalar_one()
        assert restorer == who
        return
    rows = _audit_since(office, seen)
    assert rows[0] == (who, "sign_in", {"command": command})
    assert {r[0] for r in rows} == {who}, rows  # every row the command wrote names them
    if command not in (
        "report caseload",
        "rights list",
        "worker list",
        "audit",
        "backup",
        "retention review",
        "export panel",
        "worker reactivate",  # walt is active: nothing to change
        "worker unlock",  # nor locked
    ):
        assert len(rows) > 1, rows  # and it did write in their name


def test_as_another_worker_with_my_password_file_is_refused_and_counted(
    office: Path,
    tmp_path: Path,
    pw_file: Callable[..., Path],
    no_terminal: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "answer.json"
    mine = str(pw_file("walt"))
    assert (
        main(["report", "caseload", "--db", str(office), "--as", "sara", "--password-file", mine])
        == 2
    )
    assert "incorrectos" in capsys.readouterr().err
    assert not out.exists()
    rows = _audit_since(office, 0)
    assert rows[-1][1] == "sign_in_failed" and rows[-1][2]["reason"] == "bad_password"
    db = open_database(str(office))
    with db.read() as s:
        assert s.scalar(sa.select(Worker.failed_sign_ins).where(Worker.username == "sara")) == 1
    db.dispose()


def test_wrong_passwords_count_towards_the_lock_out_like_at_the_desk(
    office: Path,
    pw_file: Callable[..., Path],
    no_terminal: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    wrong = str(pw_file("sara", password="no es la contraseña"))
    args = ["report", "caseload", "--db", str(office), "--user", "sara"]
    for _ in range(auth.MAX_FAILURES - 1):
        assert main([*args, "--password-file", wrong]) == 2
        assert "incorrectos" in capsys.readouterr().err
    assert main([*args, "--password-file", wrong]) == 2
    assert "bloqueada" in capsys.readouterr().err
    # Locked: not even the right password gets in now.
    assert main([*args, "--password-file", str(pw_file("sara"))]) == 2
    assert "bloqueada" in capsys.readouterr().err


def test_a_password_file_others_can_read_is_refused_before_anything(
    office: Path,
    pw_file: Callable[..., Path],
    no_terminal: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = _state(office)
    for mode in (0o644, 0o640, 0o604, 0o660):
        loose = str(pw_file("sara", mode=mode))
        assert (
            main(
                [
                    "--lang",
                    "en",
                    "report",
                    "caseload",
                    "--db",
                    str(office),
                    "--user",
                    "sara",
                    "--password-file",
                    loose,
                ]
            )
            == 2
        )
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"chmod 600 {loose}" in err and f"{mode:04o}" in err
    assert _state(office) == before


def test_a_desk_worker_cannot_back_up_or_restore(
    office: Path,
    office_template: Office,
    tmp_path: Path,
    pw_file: Callable[..., Path],
    no_terminal: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    walt = ["--user", "walt", "--password-file", str(pw_file("walt"))]
    out = tmp_path / "copy.db"
    assert main(["backup", "--db", str(office), "--out", str(out), *walt]) == 2
    assert "admin" in capsys.readouterr().err and not out.exists()
    people = _people(office)
    assert main(["restore", office_template.kept_backup, "--db", str(office), *walt]) == 2
    assert "admin" in capsys.readouterr().err
    assert _people(office) == people
    assert not (tmp_path / "backups").exists()


def _people(path: Path) -> set[str]:
    with sa.create_engine(f"sqlite:///{path}").connect() as conn:
        return set(conn.execute(sa.text("SELECT given_names FROM person")).scalars())


def test_a_temporary_password_must_be_changed_first(
    office: Path,
    pw_file: Callable[..., Path],
    no_terminal: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = open_database(str(office))
    with db.read() as s:
        ana = s.scalar(sa.select(Worker.id).where(Worker.username == "ana"))
        walt = s.scalar(sa.select(Worker.id).where(Worker.username == "walt"))
    assert ana is not None and walt is not None
    staff.reset_password(Context(db, ana), walt, {"password": "provisoria de walt"})
    db.dispose()
    temporary = str(pw_file("walt", password="provisoria de walt"))
    assert (
        main(
            ["worker", "list", "--db", str(office), "--user", "walt", "--password-file", temporary]
        )
        == 2
    )
    assert "provisoria" in capsys.readouterr().err


# Sign-in tokens ------------------------------------------------------------------------------


@pytest.fixture
def signed_in_walt(
    office: Path,
    pw_file: Callable[..., Path],
    no_terminal: None,
    capsys: pytest.CaptureFixture[str],
) -> Path:
    """``casework signin --user walt`` done: the token file it left."""
    assert (
        main(
            [
                "signin",
                "--user",
                "walt",
                "--password-file",
                str(pw_file("walt")),
                "--db",
                str(office),
            ]
        )
        == 0
    )
    assert "walt" in capsys.readouterr().out
    [token] = (Path(str(office.parent)) / "userstate" / "signin").glob("*.token")
    return token


def test_signin_leaves_an_owner_only_token_and_commands_need_no_prompt(
    office: Path, signed_in_walt: Path, no_terminal: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert signed_in_walt.stat().st_mode & 0o777 == 0o600
    assert signed_in_walt.parent.stat().st_mode & 0o777 == 0o700
    token = json.loads(signed_in_walt.read_text())["token"]
    _, seen = _state(office)
    assert main(["worker", "list", "--db", str(office)]) == 0  # no --user, no prompt
    assert "sara" in capsys.readouterr().out
    assert _audit_since(office, seen)[0][:2] == ("walt", "sign_in")
    # The database keeps only the token's hash, the worker and an expiry about 8 hours away.
    assert token.encode() not in office.read_bytes()
    db = open_database(str(office))
    with db.read() as s:
        [row] = s.scalars(sa.select(SignInToken)).all()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        hours = (row.expires_at - row.created_at) / dt.timedelta(hours=1)
        assert 7.9 < hours <= 8.0
    db.dispose()
    # Walt's token does not make him sara.
    assert main(["worker", "list", "--db", str(office), "--user", "sara"]) == 2
    assert SIGN_IN_ES in capsys.readouterr().err


def test_an_expired_token_is_refused(
    office: Path, signed_in_walt: Path, no_terminal: None, capsys: pytest.CaptureFixture[str]
) -> None:
    clock.freeze(dt.datetime.now(dt.UTC) + dt.timedelta(hours=8, minutes=1))
    try:
        assert main(["worker", "list", "--db", str(office)]) == 2
    finally:
        clock.freeze(None)
    err = capsys.readouterr().err
    assert "venció" in err and err.count("\n") == 1


def test_signout_revokes_the_token_and_a_new_password_too(
    office: Path,
    signed_in_walt: Path,
    pw_file: Callable[..., Path],
    no_terminal: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kept = signed_in_walt.read_bytes()
    assert main(["signout", "--db", str(office)]) == 0
    assert not signed_in_walt.exists()
    assert main(["worker", "list", "--db", str(office)]) == 2
    assert SIGN_IN_ES in capsys.readouterr().err
    # A copy kept of the file is worth nothing now.
    signed_in_walt.write_bytes(kept)
    signed_in_walt.chmod(0o600)
    assert main(["worker", "list", "--db", str(office)]) == 2
    assert "fue cerrada" in capsys.readouterr().err
    # A new password ends every sign-in made with the old one.
    signed_in_walt.unlink()
    assert (
        main(
            [
                "signin",
                "--user",
                "walt",
                "--password-file",
                str(pw_file("walt")),
                "--db",
                str(office),
            ]
        )
        == 0
    )
    db = open_database(str(office))
    with db.read() as s:
        walt = s.scalar(sa.select(Worker.id).where(Worker.username == "walt"))
    assert walt is not None
    auth.set_password(Context(db, walt), walt, NEW_PASSWORD, current_password=PASSWORDS["walt"])
    db.dispose()
    assert main(["worker", "list", "--db", str(office)]) == 2
    assert "fue cerrada" in capsys.readouterr().err


def test_a_token_file_others_can_read_is_refused(
    office: Path, signed_in_walt: Path, no_terminal: None, capsys: pytest.CaptureFixture[str]
) -> None:
    signed_in_walt.chmod(0o644)
    before = _state(office)
    assert main(["worker", "list", "--db", str(office)]) == 2
    assert "chmod 600" in capsys.readouterr().err
    assert _state(office) == before  # refused before the database was opened


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    yield
    clock.freeze(None)


def test_tokens_on_both_backends(
    database: Database, supervisor: WorkerOut, admin: WorkerOut
) -> None:
    """The service under ``casework signin``: one token, its worker, expiry and revocation;
    failures are audited but do not count towards the lock-out."""
    own = Context(database, supervisor.id)
    token, expires = auth.issue_token(own, hours=1)
    assert auth.token_sign_in(Context(database), token).id == supervisor.id
    with pytest.raises(NotAllowed):
        auth.token_sign_in(Context(database), token, username="admin")  # not admin's
    with pytest.raises(NotAllowed) as err:
        auth.token_sign_in(Context(database), token + "x")
    assert err.value.code == "token_unknown"
    clock.freeze(expires + dt.timedelta(seconds=1))
    try:
        with pytest.raises(NotAllowed) as err:
            auth.token_sign_in(Context(database), token)
        assert err.value.code == "token_expired"
    finally:
        clock.freeze(None)
    assert auth.revoke_token(Context(database), token) is True
    assert auth.revoke_token(Context(database), token) is False
    with pytest.raises(NotAllowed) as err:
        auth.token_sign_in(Context(database), token)
    assert err.value.code == "token_revoked"
    # An administrator's new password for the worker ends their other sign-ins too.
    second, _ = auth.issue_token(own)
    auth.set_password(Context(database, admin.id), supervisor.id, NEW_PASSWORD)
    with pytest.raises(NotAllowed) as err:
        auth.token_sign_in(Context(database), second)
    assert err.value.code == "token_revoked"
    with database.read() as s:
        row = s.get(Worker, supervisor.id)
        assert row is not None and row.failed_sign_ins == 0 and row.locked_until is None
        reasons = s.scalars(
            sa.select(AuditEvent.details["reason"].as_string()).where(
                AuditEvent.action == "sign_in_failed"
            )
        ).all()
    assert sorted(reasons) == sorted(
        ["token_other_worker", "token_unknown", "token_expired", "token_revoked", "token_revoked"]
    )
    with pytest.raises(NotAllowed):
        auth.issue_token(own, hours=24 * 8)  # at most a week
