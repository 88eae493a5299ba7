"""One office, one release history (issue #18), from the office's side: the municipality is
the office's setting, an export from a copy or a restored backup of the office refuses until
it is given the releases already sent (then protects against them and lists them in its
chain), and a period in progress is never exported. Real SQLite files in ``tmp_path``."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework import clock, instance
from casework.cli import main
from casework.db import Database, open_database
from casework.errors import Conflict, EditConflict, InvalidInput
from casework.models import AuditEvent, PanelRelease
from casework.services import backup, panel, persons, settings, staff
from casework.services.context import Context
from casework.services.panel import ExportError

from .factories import intake_data, person_data

AFTER_THE_YEAR = dt.datetime(2027, 1, 15, 15, 0, tzinfo=dt.UTC)
QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    yield
    clock.freeze(None)


@dataclass
class Office:
    path: Path
    db: Database
    admin: Context
    boss: Context
    desk: Context

    def at(self, path: Path) -> Database:
        """Another file of this office (a copy, a restore) opened as the office opens it."""
        return open_database(str(path))


def _open(path: Path, template: Path) -> tuple[Database, Context, Context, Context]:
    shutil.copy(template, path)
    db = open_database(str(path))
    with db.engine.begin() as conn:
        instance.stamp(conn)  # a new office: its (empty) ledger is whole
    admin = staff.first_run(
        Context(db),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    a = Context(db, admin.id)
    sup = staff.create_worker(
        a,
        {
            "username": "sara",
            "full_name": "Sara Sup",
            "role": "supervisor",
            "programme_code": "OFMIG",
        },
    )
    desk = staff.create_worker(
        a, {"username": "walt", "full_name": "Walt Desk", "programme_code": "OFMIG"}
    )
    return db, a, Context(db, sup.id), Context(db, desk.id)


def _serve(desk: Context, count: int) -> None:
    """``count`` synthetic persons, spread over the four quarters of 2026."""
    nationalities = ["VEN", "VEN", "VEN", "PER", "COL", "HTI"]
    for i in range(count):
        quarter = i % 4
        data = intake_data(
            person_data(
                given_names=f"Persona{i}",
                documents=[],
                nationality=nationalities[i % len(nationalities)],
                sex="F" if i % 2 else "M",
            )
        )
        data["contact"] = {
            "reasons": ["regularization"],
            "occurred_at": dt.datetime(2026, 1 + 3 * quarter, 10 + i % 15, 14, tzinfo=dt.UTC),
        }
        persons.register_intake(desk, data, allow_likely=True)


@pytest.fixture
def office(tmp_path: Path, sqlite_template: Path) -> Iterator[Office]:
    db, admin, boss, desk = _open(tmp_path / "office.db", sqlite_template)
    settings.set_municipality(admin, {"code": "13101", "version": 0})
    _serve(desk, 120)
    clock.freeze(AFTER_THE_YEAR)
    yield Office(tmp_path / "office.db", db, admin, boss, desk)
    db.dispose()


def _send_quarters(office: Office, sent: Path) -> dict[str, str]:
    """The four quarters exported from the office's own file: period -> content hash."""
    return {q: panel.export(office.boss, q, sent / q).content_hash for q in QUARTERS}


def _ledger(db: Database) -> list[tuple[str, str]]:
    with db.read() as s:
        return [
            (r.period, r.origin)
            for r in s.scalars(sa.select(PanelRelease).order_by(PanelRelease.released_at))
        ]


def test_the_year_from_an_earlier_copy_is_refused_until_given_the_quarters(
    office: Office, tmp_path: Path
) -> None:
    """Leak 1 of the issue: the year exported from a copy made before the quarters were
    sent would be protected against nothing; it is refused, and with the quarters' folder
    it is protected against them and names them in its chain."""
    copy_path = tmp_path / "copia.db"
    shutil.copy(office.path, copy_path)  # made before the quarters were exported
    sent = tmp_path / "enviadas"
    quarters = _send_quarters(office, sent)

    copy = office.at(copy_path)
    try:
        boss = Context(copy, office.boss.actor_id)
        with pytest.raises(ExportError) as refused:
            panel.export(boss, "2026", tmp_path / "anual")
        assert refused.value.code == "ledger_copy"
        assert "copia" in refused.value.message() and "2026" in refused.value.message()
        assert not (tmp_path / "anual").exists() and _ledger(copy) == []
        # The preview says the same, and writes nothing even when given the folder.
        assert panel.prepare(boss, "2026").refusal() is not None
        preview = panel.prepare(boss, "2026", prior_dir=sent)
        assert preview.refusal() is None
        assert sorted(r.period.label for r in preview.from_files) == list(QUARTERS)
        assert _ledger(copy) == []

        result = panel.export(boss, "2026", tmp_path / "anual", prior_dir=sent)
        assert sorted(result.added) == list(QUARTERS)
        payload = json.loads((tmp_path / "anual" / "panel-2026.json").read_bytes())
        chain = {link["period"]: link["content_sha256"] for link in payload["chain"]}
        assert chain == quarters
        assert sorted(_ledger(copy)) == sorted(
            [(q, "file") for q in QUARTERS] + [("2026", "export")]
        )
        # The operator vouched for the history: the next export needs no folder.
        again = panel.export(boss, "2026", tmp_path / "anual2")
        assert again.unchanged and again.content_hash == result.content_hash
    finally:
        copy.dispose()


def test_from_the_office_file_itself_the_year_knows_the_quarters(
    office: Office, tmp_path: Path
) -> None:
    quarters = _send_quarters(office, tmp_path / "enviadas")
    panel.export(office.boss, "2026", tmp_path / "enviadas" / "2026")
    payload = json.loads((tmp_path / "enviadas" / "2026" / "panel-2026.json").read_bytes())
    assert {link["period"]: link["content_sha256"] for link in payload["chain"]} == quarters


def test_a_restored_backup_is_refused_until_given_the_quarters_cli(
    office: Office, tmp_path: Path, cli_user: Callable[..., list[str]]
) -> None:
    ana, sara = cli_user(office.db, "admin"), cli_user(office.db, "sara")
    kept = backup.backup(office.db, tmp_path / "respaldo.db")  # before the quarters
    sent = tmp_path / "enviadas"
    quarters = _send_quarters(office, sent)
    office.db.dispose()
    where = ["--db", str(office.path)]
    assert main(["restore", str(kept), *where, *ana]) == 0
    out = tmp_path / "anual"
    export = ["export", "panel", "--period", "2026", "--out", str(out), *where, *sara]
    assert main(export) != 0
    assert not out.exists()
    assert main([*export, "--prior", str(sent)]) == 0
    payload = json.loads((out / "panel-2026.json").read_bytes())
    assert {link["period"]: link["content_sha256"] for link in payload["chain"]} == quarters


def test_the_cli_names_the_refusal_in_words(
    office: Office,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cli_user: Callable[..., list[str]],
) -> None:
    copy_path = tmp_path / "copia.db"
    shutil.copy(office.path, copy_path)
    _send_quarters(office, tmp_path / "enviadas")
    copy = office.at(copy_path)
    sara = cli_user(copy, "sara")
    copy.dispose()
    args = [
        "export",
        "panel",
        "--period",
        "2026",
        "--out",
        str(tmp_path / "anual"),
        "--db",
        str(copy_path),
        *sara,
    ]
    assert main(args) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "copia" in err and "--prior" in err and "Traceback" not in err
    assert main([*args, "--prior", str(tmp_path / "enviadas")]) == 0
    out = capsys.readouterr().out
    assert "4 publicaciones ya enviadas" in out


def test_release_files_beside_the_folder_that_the_ledger_lacks_are_refused(
    office: Office, tmp_path: Path, sqlite_template: Path
) -> None:
    """Another database of the same office (a second desk's file) wrote a quarter into the
    folder: its own ledger does not know it."""
    base = tmp_path / "casework-panel"
    panel.export(office.boss, "2026-Q1", base / "2026-Q1")
    db, admin, boss, desk = _open(tmp_path / "otra.db", sqlite_template)
    try:
        settings.set_municipality(admin, {"code": "13101", "version": 0})
        _serve(desk, 40)
        with pytest.raises(ExportError) as refused:
            panel.export(boss, "2026-Q2", base / "2026-Q2")
        assert refused.value.code == "ledger_unknown_files"
        assert "2026-Q1/panel-2026-Q1.json" in refused.value.message()
        assert not (base / "2026-Q2").exists()
        done = panel.export(boss, "2026-Q2", base / "2026-Q2", prior_dir=base)
        assert done.added == ("2026-Q1",)
    finally:
        db.dispose()


def test_a_chain_member_missing_from_the_folder_is_named_and_refused(
    office: Office, tmp_path: Path
) -> None:
    copy_path = tmp_path / "copia.db"
    shutil.copy(office.path, copy_path)
    sent = tmp_path / "enviadas"
    _send_quarters(office, sent)
    shutil.rmtree(sent / "2026-Q1")  # Q2's chain names Q1, whose file is gone
    (sent / "notas.json").write_text('{"no": "es una publicación"}', encoding="utf-8")
    copy = office.at(copy_path)
    try:
        boss = Context(copy, office.boss.actor_id)
        preview = panel.prepare(boss, "2026", prior_dir=sent)
        assert [n.name for n in preview.notes] == ["notas.json"]
        assert len(preview.missing_chain) == 1 and preview.missing_chain[0].startswith("2026-Q1")
        with pytest.raises(ExportError) as refused:
            panel.export(boss, "2026", tmp_path / "anual", prior_dir=sent)
        assert refused.value.code == "prior_chain_missing" and "2026-Q1" in refused.value.message()
        assert _ledger(copy) == [] and not (tmp_path / "anual").exists()
    finally:
        copy.dispose()


def test_a_release_file_of_another_municipality_in_the_folder_is_refused(
    office: Office, tmp_path: Path, sqlite_template: Path
) -> None:
    sent = tmp_path / "enviadas"
    db, admin, boss, desk = _open(tmp_path / "otra.db", sqlite_template)
    try:
        settings.set_municipality(admin, {"code": "13108", "version": 0})
        _serve(desk, 40)
        panel.export(boss, "2026-Q1", sent / "independencia")
    finally:
        db.dispose()
    with pytest.raises(ExportError) as refused:
        panel.export(office.boss, "2026-Q2", tmp_path / "q2", prior_dir=sent)
    assert refused.value.code == "prior_other_municipality"
    assert "13108" in refused.value.message() and "13101" in refused.value.message()


def test_the_municipality_cannot_be_typed_per_export(
    office: Office, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "municipality" not in inspect.signature(panel.export).parameters
    assert "municipality" not in inspect.signature(panel.prepare).parameters
    with pytest.raises(SystemExit):
        main(
            [
                "export",
                "panel",
                "--period",
                "2026-Q1",
                "--out",
                str(tmp_path / "x"),
                "--municipality",
                "13108",
                "--db",
                str(office.path),
            ]
        )
    assert "--municipality" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_without_a_municipality_on_record_the_export_names_the_command(
    tmp_path: Path, sqlite_template: Path
) -> None:
    db, _admin, boss, _desk = _open(tmp_path / "nueva.db", sqlite_template)
    try:
        assert settings.municipality(boss) is None
        clock.freeze(AFTER_THE_YEAR)
        with pytest.raises(ExportError) as refused:
            panel.export(boss, "2026-Q1", tmp_path / "q1")
        assert refused.value.code == "no_municipality"
        assert "casework settings municipality" in refused.value.message()
        assert not (tmp_path / "q1").exists()
    finally:
        db.dispose()


def test_two_administrators_setting_the_municipality_one_is_told_the_new_value(
    office: Office,
) -> None:
    other = staff.create_worker(
        office.admin,
        {"username": "beto", "full_name": "Beto Admin", "role": "admin", "programme_code": "OFMIG"},
    )
    version = settings.office_settings(office.admin).municipality_version
    settings.set_municipality(office.admin, {"code": "13108", "version": version})
    with pytest.raises(EditConflict) as late:
        settings.set_municipality(
            Context(office.db, other.id), {"code": "13110", "version": version}
        )
    assert "13108" in late.value.message()
    assert settings.municipality(office.desk) == "13108"
    with office.db.read() as s:
        changes = s.scalars(
            sa.select(AuditEvent.details).where(AuditEvent.entity == "office_setting")
        ).all()
    assert [c["municipality_after"] for c in changes] == ["13101", "13108"]


def test_the_municipality_is_checked_and_only_an_administrator_sets_it(office: Office) -> None:
    version = settings.office_settings(office.admin).municipality_version
    with pytest.raises(InvalidInput) as bad:
        settings.set_municipality(office.admin, {"code": "1310", "version": version})
    assert bad.value.errors[0].code == "bad_municipality" and "5 dígitos" in bad.value.message()
    from casework.errors import NotAllowed

    with pytest.raises(NotAllowed):
        settings.set_municipality(office.boss, {"code": "13108", "version": version})
    assert settings.municipality(office.boss) == "13101"


def test_after_a_release_the_municipality_cannot_change(office: Office, tmp_path: Path) -> None:
    panel.export(office.boss, "2026-Q1", tmp_path / "q1")
    version = settings.office_settings(office.admin).municipality_version
    with pytest.raises(Conflict) as refused:
        settings.set_municipality(office.admin, {"code": "13108", "version": version})
    assert refused.value.code == "municipality_has_releases" and "13101" in refused.value.message()


def test_a_period_in_progress_is_refused(office: Office, tmp_path: Path) -> None:
    clock.freeze(dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC))
    for period in ("2026-Q2", "2026"):
        with pytest.raises(ExportError) as refused:
            panel.export(office.boss, period, tmp_path / period)
        assert refused.value.code == "period_in_progress"
        assert "aún no termina" in refused.value.message()
        assert not (tmp_path / period).exists()
    assert _ledger(office.db) == []
    clock.freeze(dt.datetime(2026, 7, 1, 15, 0, tzinfo=dt.UTC))
    panel.export(office.boss, "2026-Q2", tmp_path / "2026-Q2")
    assert _ledger(office.db) == [("2026-Q2", "export")]


def test_cli_settings_municipality_shows_and_sets(
    tmp_path: Path,
    sqlite_template: Path,
    cli_user: Callable[..., list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, _admin, _boss, _desk = _open(tmp_path / "nueva.db", sqlite_template)
    ana, sara = cli_user(db, "admin"), cli_user(db, "sara")
    db.dispose()
    where = ["--db", str(tmp_path / "nueva.db")]
    assert main(["settings", "municipality", *where, *sara]) == 0
    assert "no registrado" in capsys.readouterr().out
    assert main(["settings", "municipality", "13108", *where, *sara]) != 0
    assert main(["settings", "municipality", "13108", *where, *ana]) == 0
    assert main(["settings", "municipality", *where, *sara]) == 0
    assert "13108" in capsys.readouterr().out


def test_init_sets_the_municipality(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "oficina.db"
    assert main(["init", "--municipality", "1310", "--db", str(path)]) != 0
    assert not path.exists()
    assert main(["init", "--municipality", "13101", "--db", str(path)]) == 0
    db = open_database(str(path))
    try:
        with db.read() as s:
            assert settings.municipality_on_record(s) == "13101"
    finally:
        db.dispose()


async def test_the_screen_says_a_copy_is_refused_and_takes_the_folder_at_80x24(
    office: Office, tmp_path: Path
) -> None:
    from textual.widgets import Input, Static

    from casework.app import make_app
    from casework.screens.panel import PanelScreen

    from .test_desk import settle, sign_in_as

    copy_path = tmp_path / "copia.db"
    shutil.copy(office.path, copy_path)
    sent = tmp_path / "enviadas"
    _send_quarters(office, sent)
    copy = office.at(copy_path)
    try:
        app = make_app(copy)
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in_as(pilot, "Sara Sup")
            await pilot.press("f4")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, PanelScreen)
            place = screen.query_one("#panel-place", Static)
            assert "13101" in str(place.render())
            screen.query_one("#period", Input).value = "2026"
            screen.query_one("#folder", Input).value = str(tmp_path / "salida")
            await pilot.press("ctrl+r")
            await settle(pilot)
            status = screen.query_one("#panel-status", Static)
            assert "copia" in str(status.render())
            # In view at 80x24: the whole message, not cut off below the screen.
            assert status.region.height >= 3 and status.region.bottom <= 24 - 1
            shot = app.export_screenshot()
            assert "copia" in shot and "--none-sent" in shot  # its first and last words drawn
            # Before anything was tried, the preview says what to do, not what was not done.
            assert "escribió" not in str(status.render())
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert not (tmp_path / "salida").exists()
            assert "copia" in str(status.render())
            assert "No se escribió nada." in str(status.render())

            screen.query_one("#prior", Input).value = str(sent)
            await pilot.press("ctrl+r")
            await settle(pilot)
            assert "4 publicaciones ya enviadas" in str(status.render())
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert (tmp_path / "salida" / "2026" / "panel-2026.json").exists()
    finally:
        copy.dispose()


async def test_the_screen_says_no_municipality_is_on_record(
    tmp_path: Path, sqlite_template: Path
) -> None:
    from textual.widgets import Static

    from casework.app import make_app

    from .test_desk import settle, sign_in_as

    db, _admin, _boss, _desk = _open(tmp_path / "nueva.db", sqlite_template)
    clock.freeze(AFTER_THE_YEAR)
    try:
        app = make_app(db)
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in_as(pilot, "Sara Sup")
            await pilot.press("f4")
            await settle(pilot)
            place = str(app.screen.query_one("#panel-place", Static).render())
            status = app.screen.query_one("#panel-status", Static)
            assert "casework settings municipality" in place
            assert "casework settings municipality" in str(status.render())
            assert status.region.bottom <= 23
            assert "después" in app.export_screenshot()  # the status line's end is drawn
            # Ctrl+S after a refused preview says the refusal again and that nothing was
            # written (not "see the preview first": it was seen, and refused).
            await pilot.press("ctrl+s")
            await settle(pilot)
            said = str(status.render())
            assert "casework settings municipality" in said and "No se escribió nada." in said
            assert "Primero vea la vista previa" not in app.export_screenshot()
    finally:
        db.dispose()


def test_encrypting_the_office_file_keeps_it_the_same_database(
    office: Office, tmp_path: Path
) -> None:
    """Encrypting replaces the file but not the office: its ledger stays whole, so the next
    export needs no folder of releases (a copy would)."""
    pytest.importorskip("sqlcipher3")
    panel.export(office.boss, "2026-Q1", tmp_path / "q1")
    office.db.dispose()
    backup.encrypt(office.db, "clave larga de prueba")
    encrypted = open_database(str(office.path), passphrase="clave larga de prueba")
    try:
        boss = Context(encrypted, office.boss.actor_id)
        result = panel.export(boss, "2026-Q2", tmp_path / "q2")
        payload = json.loads((tmp_path / "q2" / "panel-2026-Q2.json").read_bytes())
        assert [link["period"] for link in payload["chain"]] == ["2026-Q1"]
        assert not result.unchanged
    finally:
        encrypted.dispose()


# --- Second round: what a fresh-eyes tester found -------------------------------------------


def _copy_before_sending(office: Office, tmp_path: Path) -> tuple[Database, Context]:
    """A copy of the office file made before anything was exported, opened as the office
    opens it, and its supervisor."""
    copy_path = tmp_path / "copia.db"
    shutil.copy(office.path, copy_path)
    copy = office.at(copy_path)
    return copy, Context(copy, office.boss.actor_id)


def _audited_exports(db: Database) -> list[dict[str, object]]:
    with db.read() as s:
        return list(
            s.scalars(
                sa.select(AuditEvent.details)
                .where(AuditEvent.entity == "panel_release", AuditEvent.action == "export")
                .order_by(AuditEvent.at)
            )
        )


def test_a_prior_folder_without_the_years_releases_is_refused(
    office: Office, tmp_path: Path
) -> None:
    """An empty folder, or one holding only other files, is not the releases already sent:
    trusting it would vouch for the copy's ledger and protect the year against nothing."""
    sent = tmp_path / "enviadas"
    _send_quarters(office, sent)
    copy, boss = _copy_before_sending(office, tmp_path)
    empty = tmp_path / "vacia"
    empty.mkdir()
    (empty / "notas.json").write_text('{"otra": "cosa"}', encoding="utf-8")
    try:
        preview = panel.prepare(boss, "2026", prior_dir=empty)
        refusal = preview.refusal()
        assert refusal is not None and refusal.code == "prior_empty"
        for shown in (str(empty), "13101 Santiago", "2026", "--none-sent"):
            assert shown in refusal.message()
        with pytest.raises(ExportError) as refused:
            panel.export(boss, "2026", tmp_path / "anual", prior_dir=empty)
        assert refused.value.code == "prior_empty"
        assert refused.value.message().endswith("No se escribió nada.")
        assert not (tmp_path / "anual").exists() and _ledger(copy) == []
        # Not vouched for: without a folder it is still a copy.
        assert panel.prepare(boss, "2026").refusal() is not None
    finally:
        copy.dispose()


def test_none_sent_is_the_way_out_for_a_year_of_which_nothing_was_sent(
    office: Office,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cli_user: Callable[..., list[str]],
) -> None:
    copy, _boss = _copy_before_sending(office, tmp_path)
    sara = cli_user(copy, "sara")
    copy.dispose()
    where = ["--db", str(tmp_path / "copia.db"), *sara]
    export = ["export", "panel", "--period", "2026-Q1", "--out", str(tmp_path / "salida")]
    assert main([*export, *where]) != 0
    assert "--none-sent" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # one or the other, not both
        main([*export, "--none-sent", "--prior", str(tmp_path), *where])
    assert "--none-sent" in capsys.readouterr().err
    assert main([*export, "--none-sent", *where]) == 0
    assert (tmp_path / "salida" / "panel-2026-Q1.json").exists()
    copy = office.at(tmp_path / "copia.db")
    try:
        [audited] = _audited_exports(copy)
        assert audited["none_sent"] is True and audited["period"] == "2026-Q1"
        # Once the ledger holds a release of the year, "nothing was sent" is not true.
        with pytest.raises(ExportError) as refused:
            panel.export(
                Context(copy, office.boss.actor_id), "2026-Q2", tmp_path / "q2", none_sent=True
            )
        assert refused.value.code == "none_sent_but_ledger" and "2026-Q1" in str(refused.value)
        assert not (tmp_path / "q2").exists()
    finally:
        copy.dispose()


def test_a_damaged_release_file_in_the_prior_folder_is_refused_by_name(
    office: Office,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cli_user: Callable[..., list[str]],
) -> None:
    """A truncated panel-2026-Q2.json was skipped silently and the year protected without
    it. Now it is named as damaged (not as missing from Q3's chain), and so is a release
    renamed and edited by hand; other JSON files are skipped with a note the CLI prints."""
    sent = tmp_path / "enviadas"
    _send_quarters(office, sent)
    copy, boss = _copy_before_sending(office, tmp_path)
    try:
        q2 = sent / "2026-Q2" / "panel-2026-Q2.json"
        whole = q2.read_bytes()
        q2.write_bytes(whole[: len(whole) // 2])
        with pytest.raises(ExportError) as refused:
            panel.prepare(boss, "2026", prior_dir=sent)
        message = refused.value.message()
        assert refused.value.code == "prior_damaged"
        assert "2026-Q2/panel-2026-Q2.json" in message and "dañado o fue modificado" in message
        with pytest.raises(ExportError):
            panel.export(boss, "2026", tmp_path / "anual", prior_dir=sent)
        assert not (tmp_path / "anual").exists() and _ledger(copy) == []

        # Whole again, but a copy renamed and one count changed by hand: modified.
        q2.write_bytes(whole)
        payload = json.loads(whole)
        cell = next(c for tb in payload["tables"] for c in tb["cells"] if c["count"])
        cell["count"] += 5
        (sent / "copia-q2.json").write_text(json.dumps(payload), encoding="utf-8")
        with pytest.raises(ExportError) as refused:
            panel.prepare(boss, "2026", prior_dir=sent)
        assert refused.value.code == "prior_damaged" and "copia-q2.json" in str(refused.value)
        (sent / "copia-q2.json").unlink()

        (sent / "notas.json").write_text('{"no": "es una publicación"}', encoding="utf-8")
        sara = cli_user(copy, "sara")
        where = ["--db", str(tmp_path / "copia.db"), *sara]
        args = ["export", "panel", "--period", "2026", "--out", str(tmp_path / "anual")]
        copy.dispose()
        assert main([*args, "--prior", str(sent), *where]) == 0
        out = capsys.readouterr().out
        assert "Se omitió notas.json: no es una publicación para la Mesa." in out
    finally:
        copy.dispose()


def test_a_municipality_that_is_no_commune_is_refused_and_names_are_shown(
    tmp_path: Path,
    sqlite_template: Path,
    cli_user: Callable[..., list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, admin, _boss, _desk = _open(tmp_path / "nueva.db", sqlite_template)
    try:
        with pytest.raises(InvalidInput) as bad:
            settings.set_municipality(admin, {"code": "13199", "version": 0})
        assert bad.value.errors[0].code == "unknown_municipality"
        assert "13199" in bad.value.message() and "ninguna comuna" in bad.value.message()
        assert settings.municipality(admin) is None
        ana = cli_user(db, "admin")
    finally:
        db.dispose()
    where = ["--db", str(tmp_path / "nueva.db"), *ana]
    assert main(["settings", "municipality", "13199", *where]) != 0
    capsys.readouterr()
    assert main(["settings", "municipality", "13108", *where]) == 0
    assert "13108 Independencia" in capsys.readouterr().out
    assert main(["settings", "municipality", *where]) == 0
    assert "13108 Independencia" in capsys.readouterr().out
    assert main(["init", "--municipality", "99999", "--db", str(tmp_path / "otra.db")]) != 0
    assert not (tmp_path / "otra.db").exists()


def test_the_refusal_to_change_the_municipality_says_why_and_what_to_do(
    office: Office, tmp_path: Path
) -> None:
    panel.export(office.boss, "2026-Q1", tmp_path / "q1")
    version = settings.office_settings(office.admin).municipality_version
    with pytest.raises(Conflict) as refused:
        settings.set_municipality(office.admin, {"code": "13108", "version": version})
    message = refused.value.message()
    assert "13101 Santiago" in message and "13108 Independencia" in message
    assert "la Mesa conoce a esta oficina" in message and "pídale a la Mesa" in message
    assert settings.municipality(office.desk) == "13101"


def test_one_folder_keeps_every_release_sent(office: Office, tmp_path: Path) -> None:
    """The README says to keep the releases in one folder: the CSVs of one period no
    longer overwrite another's, and that folder is what --prior reads."""
    kept = tmp_path / "enviadas"
    first = panel.export(office.boss, "2026-Q1", kept)
    q1 = {p.name: p.read_bytes() for p in kept.iterdir()}
    panel.export(office.boss, "2026-Q2", kept)
    names = sorted(p.name for p in kept.iterdir())
    assert "panel-2026-Q1-t1_nacionalidad.csv" in names
    assert "panel-2026-Q2-t1_nacionalidad.csv" in names
    assert all(n.startswith(("panel-2026-Q1", "panel-2026-Q2")) for n in names)
    assert {p.name: p.read_bytes() for p in kept.iterdir() if p.name in q1} == q1
    assert sorted(p.name for p in first.files) == sorted(q1)
    # Read back as the releases already sent, by a copy made before: both quarters.
    copy, boss = _copy_before_sending(office, tmp_path)
    try:
        preview = panel.prepare(boss, "2026-Q3", prior_dir=kept)
        assert sorted(r.period.label for r in preview.from_files) == ["2026-Q1", "2026-Q2"]
    finally:
        copy.dispose()


def test_an_old_folder_with_unprefixed_csvs_still_reads(office: Office, tmp_path: Path) -> None:
    old = tmp_path / "antigua"
    panel.export(office.boss, "2026-Q1", old)
    for path in old.glob("panel-2026-Q1-*.csv"):  # as the first release wrote them
        path.rename(old / path.name.removeprefix("panel-2026-Q1-"))
    copy, boss = _copy_before_sending(office, tmp_path)
    try:
        preview = panel.prepare(boss, "2026-Q2", prior_dir=old)
        assert preview.refusal() is None and [r.period.label for r in preview.from_files] == [
            "2026-Q1"
        ]
        assert preview.notes == ()
    finally:
        copy.dispose()


def test_periods_in_lowercase_and_periods_not_started(office: Office, tmp_path: Path) -> None:
    clock.freeze(dt.datetime(2026, 5, 15, 15, 0, tzinfo=dt.UTC))
    with pytest.raises(ExportError) as refused:
        panel.export(office.boss, "2026-q3", tmp_path / "q3")
    assert refused.value.code == "period_not_started"
    assert "aún no comienza" in refused.value.message() and "2026-Q3" in str(refused.value)
    with pytest.raises(ExportError) as refused:
        panel.export(office.boss, "2026-q2", tmp_path / "q2")
    assert "aún no termina" in refused.value.message()
    clock.freeze(AFTER_THE_YEAR)
    done = panel.export(office.boss, "2026-q2", tmp_path / "q2")
    assert (tmp_path / "q2" / "panel-2026-Q2.json").exists() and not done.unchanged


def test_one_release_recorded_is_said_in_the_singular(
    office: Office,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cli_user: Callable[..., list[str]],
) -> None:
    sent = tmp_path / "enviadas"
    panel.export(office.boss, "2026-Q1", sent)
    copy, _boss = _copy_before_sending(office, tmp_path)
    sara = cli_user(copy, "sara")
    copy.dispose()
    args = ["export", "panel", "--period", "2026-Q2", "--out", str(tmp_path / "q2")]
    assert main([*args, "--prior", str(sent), "--db", str(tmp_path / "copia.db"), *sara]) == 0
    out = capsys.readouterr().out
    assert "Anotada en el registro 1 publicación ya enviada: 2026-Q1." in out
    assert "publicaciones" not in out


async def _panel_screen(pilot, app):  # type: ignore[no-untyped-def]
    from .test_desk import settle, sign_in_as

    await sign_in_as(pilot, "Sara Sup")
    await pilot.press("f4")
    await settle(pilot)
    return app.screen


async def test_f1_on_the_panel_screen_explains_it(office: Office) -> None:
    from textual.widgets import Static

    from casework.app import make_app

    from .test_desk import settle

    app = make_app(office.db)
    async with app.run_test(size=(80, 24)) as pilot:
        await _panel_screen(pilot, app)
        await pilot.press("f1")
        await settle(pilot)
        shown = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "help.PanelScreen" not in shown
        for words in ("la Mesa", "Ctrl+S", "Publicaciones ya enviadas", "dañado", "--none-sent"):
            assert words in shown, words


async def test_the_screen_names_a_relative_folder_in_full_and_empty_folders_refuse(
    office: Office, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Input, Static

    from casework.app import make_app

    from .test_desk import settle

    _send_quarters(office, tmp_path / "enviadas")
    copy, _boss = _copy_before_sending(office, tmp_path)
    (tmp_path / "vacia").mkdir()
    monkeypatch.chdir(tmp_path)
    try:
        app = make_app(copy)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _panel_screen(pilot, app)
            screen.query_one("#period", Input).value = "2026"
            screen.query_one("#prior", Input).value = "vacia"
            await pilot.press("ctrl+r")
            await settle(pilot)
            status = str(screen.query_one("#panel-status", Static).render())
            assert str(tmp_path / "vacia") in status and "--none-sent" in status
            assert "línea de comandos" in status and "escribió" not in status
    finally:
        copy.dispose()


async def test_the_focused_empty_field_of_the_panel_screen_stands_out(office: Office) -> None:
    """The folder of releases already sent is empty at first; focused, it must not look
    like the screen around it (it was 235 on 234, with no cursor drawn)."""
    from textual.color import Color
    from textual.widgets import Input

    from casework.app import make_app

    from .test_desk import settle

    def distance(a: Color, b: Color) -> int:
        return sum(abs(x - y) for x, y in zip(a.rgb, b.rgb, strict=True))

    app = make_app(office.db)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _panel_screen(pilot, app)
        prior = screen.query_one("#prior", Input)
        prior.focus()
        await settle(pilot)
        assert prior.has_focus and prior.value == ""
        around = screen.query_one("#panel-prior-form").background_colors[1]
        unfocused = screen.query_one("#folder", Input).background_colors[1]
        focused = prior.background_colors[1]
        assert distance(focused, around) >= 60, (focused, around)
        assert distance(focused, unfocused) >= 40, (focused, unfocused)


def test_a_restored_backup_made_before_the_upgrade_is_refused_too(
    office: Office, tmp_path: Path
) -> None:
    """A nightly backup from before migration 0021: restoring it upgrades it (which would
    stamp it as this database); the restore marks it restored, so the year still needs the
    quarters already sent."""
    from alembic import command

    from casework.db import sqlite_url

    office.db.dispose()
    old = tmp_path / "nocturno.db"
    shutil.copy(office.path, old)
    before = Database(sqlite_url(old))
    command.downgrade(before.alembic_config(), "0020")
    before.dispose()
    db = open_database(str(office.path))
    sent = tmp_path / "enviadas"
    for q in QUARTERS:
        panel.export(Context(db, office.boss.actor_id), q, sent / q)
    backup.restore(office.path, old, current=db, actor=office.admin.actor_id)
    restored = open_database(str(office.path))
    try:
        settings.set_municipality(
            Context(restored, office.admin.actor_id), {"code": "13101", "version": 0}
        )
        boss = Context(restored, office.boss.actor_id)
        with pytest.raises(ExportError) as refused:
            panel.export(boss, "2026", tmp_path / "anual")
        assert refused.value.code == "ledger_copy"
        result = panel.export(boss, "2026", tmp_path / "anual", prior_dir=sent)
        assert sorted(result.added) == list(QUARTERS)
    finally:
        restored.dispose()


def test_a_revision_into_the_same_folder_keeps_the_version_sent_before(
    office: Office, tmp_path: Path
) -> None:
    """Both versions of a quarter stay in the office's folder, so a copy given that folder
    knows both (before, the revision overwrote the first and --prior was refused for good)."""
    office.db.dispose()
    shutil.copy(office.path, tmp_path / "copia.db")  # made before anything was sent
    db = open_database(str(office.path))
    boss, desk = Context(db, office.boss.actor_id), Context(db, office.desk.actor_id)
    sent = tmp_path / "enviadas"
    first = panel.export(boss, "2026-Q1", sent)
    for i in range(15):
        data = intake_data(
            person_data(
                given_names=f"Nueva{i}",
                documents=[],
                nationality="VEN",
                sex="F",
                birth_date=dt.date(1990, 3, 1 + i),
            )
        )
        data["contact"] = {
            "reasons": ["regularization"],
            "occurred_at": dt.datetime(2026, 2, 10, 14, tzinfo=dt.UTC),
        }
        persons.register_intake(desk, data, allow_likely=True)
    second = panel.export(boss, "2026-Q1", sent)
    assert second.revision and second.content_hash != first.content_hash
    names = {p.name for p in sent.glob("*.json")}
    assert names == {"panel-2026-Q1.json", f"panel-2026-Q1-{second.content_hash[:12]}.json"}
    assert json.loads((sent / "panel-2026-Q1.json").read_bytes())["content_sha256"] == (
        first.content_hash
    )
    db.dispose()
    copy = open_database(str(tmp_path / "copia.db"))
    try:
        result = panel.export(
            Context(copy, office.boss.actor_id), "2026", tmp_path / "anual", prior_dir=sent
        )
        assert len(result.added) == 2
    finally:
        copy.dispose()


def test_a_ledger_of_two_codes_lets_the_administrator_choose_one_of_them(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """A ledger from before the setting, with releases under two codes (typed per export
    back then): the migration records none, and the administrator picks one of the codes
    already sent; a code never sent stays refused, and after the choice the code is bound."""
    db, admin, _boss, _desk = _open(tmp_path / "o.db", sqlite_template)
    try:
        with db.write() as s:
            for code, period in (("13101", "2025-Q1"), ("13110", "2025-Q2")):
                s.add(
                    PanelRelease(
                        period=period,
                        municipality=code,
                        schema_version="panel-v1",
                        k=10,
                        content_hash="0" * 64,
                        body="{}",
                        released_by=admin.actor_id,
                    )
                )
        with pytest.raises(Conflict):
            settings.set_municipality(admin, {"code": "13108", "version": 0})
        chosen = settings.set_municipality(admin, {"code": "13110", "version": 0})
        assert settings.municipality(admin) == "13110"
        with pytest.raises(Conflict):
            settings.set_municipality(
                admin, {"code": "13101", "version": chosen.municipality_version}
            )
    finally:
        db.dispose()
