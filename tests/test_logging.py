"""The log file: tracebacks without a person's data, rotation, owner-only modes, one handler."""

from __future__ import annotations

import argparse
import logging
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pydantic
import pytest
import sqlalchemy as sa
from platformdirs import user_log_path

from casework import logs, paths
from casework.errors import Conflict

# A synthetic person: none of this may reach the log file.
NAME = "Valentina Quispe Mamani"
RUN = "15.432.876-5"
PHONE = "+56 9 8765 4321"
DOCUMENT = "PX7731902"
NOTE = "vive con su hermana cerca del consultorio"
PERSONAL = (NAME, RUN, PHONE, DOCUMENT, NOTE, "Valentina", "15432876", "8765 4321")

log = logging.getLogger("casework.tests.logging")


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CASEWORK_LOG_DIR", str(tmp_path / "logs" / "casework"))
    path = logs.setup()
    yield path
    logs.reset()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _flush() -> None:
    for handler in logging.getLogger(logs.LOGGER).handlers:
        handler.flush()


def refuse_duplicate_document() -> None:
    raise Conflict("document_on_record", number=DOCUMENT, name=NAME)


class PhoneIn(pydantic.BaseModel):
    phone: int


def validate_phone() -> None:
    PhoneIn.model_validate({"phone": PHONE})


def insert_twice() -> None:
    engine = sa.create_engine("sqlite://")
    meta = sa.MetaData()
    people = sa.Table("people", meta, sa.Column("run", sa.String, primary_key=True))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(people.insert(), {"run": RUN})
        conn.execute(people.insert(), {"run": RUN})


def fail_with_a_note() -> None:
    try:
        raise KeyError(NOTE)
    except KeyError as exc:
        raise RuntimeError(f"{NAME} {PHONE}") from exc


def test_tracebacks_keep_types_and_frames_but_never_a_persons_data(log_file: Path) -> None:
    person_id = uuid.uuid4()
    for fails in (refuse_duplicate_document, validate_phone, insert_twice, fail_with_a_note):
        try:
            fails()
        except Exception as exc:
            str(exc)  # what a screen would show; the log must not
            log.error("background work failed for %s", person_id, exc_info=exc)
    log.warning("intake for %s (%s) had %d notes", NAME, logs.Code("OFMIG"), 3)
    log.warning(ValueError(NOTE))  # type: ignore[arg-type]
    log.info("phone %(phone)s, id %(id)s", {"phone": PHONE, "id": person_id})
    _flush()
    text = log_file.read_text(encoding="utf-8")
    for value in PERSONAL:
        assert value not in text, value
    # What the reader of the log needs is all there.
    # Four failures; the SQL one and the last one each with the exception under them.
    assert text.count("Traceback (most recent call last):") == 6
    for name in ("refuse_duplicate_document", "validate_phone", "insert_twice"):
        assert f"in {name}" in text
    assert "casework.errors.Conflict [document_on_record]" in text
    assert "pydantic_core._pydantic_core.ValidationError" in text
    assert "sqlalchemy.exc.IntegrityError" in text and "(from sqlite3.IntegrityError)" in text
    assert "KeyError" in text and "RuntimeError" in text
    assert "direct cause of the following exception" in text
    assert 'File "tests/test_logging.py"' in text or 'File "test_logging.py"' in text
    assert "raise Conflict(" in text  # the code line, which is source, not data
    assert str(person_id) in text
    assert "OFMIG" in text and "had 3 notes" in text and logs.WITHHELD in text
    assert "ERROR casework.tests.logging" in text


def test_other_handlers_still_see_the_record_unchanged(
    log_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    logging.getLogger(logs.LOGGER).propagate = True  # so caplog's root handler sees it
    with caplog.at_level(logging.INFO, logger=logs.LOGGER):
        log.info("name %s", NAME)
    assert caplog.records[0].getMessage() == f"name {NAME}"
    _flush()
    assert NAME not in log_file.read_text(encoding="utf-8")


def test_file_and_folder_are_owner_only(log_file: Path) -> None:
    folder = log_file.parent
    assert not folder.exists()  # nothing is made until there is something to write
    log.info("started")
    _flush()
    if os.name != "nt":
        assert _mode(folder) == 0o700
        assert _mode(folder.parent) == 0o700
        assert _mode(log_file) == 0o600


def test_an_existing_log_is_tightened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "old"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    (folder / logs.FILE_NAME).write_text("older\n")
    (folder / logs.FILE_NAME).chmod(0o644)
    monkeypatch.setenv("CASEWORK_LOG_DIR", str(folder))
    path = logs.setup()
    log.info("again")
    _flush()
    if os.name != "nt":
        assert _mode(folder) == 0o700
        assert _mode(path) == 0o600
    assert path.read_text().startswith("older\n")


def test_the_file_rotates_and_every_generation_is_owner_only(
    log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [handler] = logging.getLogger(logs.LOGGER).handlers
    assert isinstance(handler, logs.PrivateFileHandler)
    assert handler.maxBytes == logs.MAX_BYTES and handler.backupCount == logs.BACKUPS
    monkeypatch.setattr(handler, "maxBytes", 2000)
    for number in range(400):
        log.info("line %d of the rotation test", number)
    _flush()
    names = sorted(p.name for p in log_file.parent.iterdir())
    assert names == [logs.FILE_NAME, *(f"{logs.FILE_NAME}.{n}" for n in range(1, 6))]
    for path in log_file.parent.iterdir():
        assert path.stat().st_size <= 2000
        if os.name != "nt":
            assert _mode(path) == 0o600
    assert "line 399 " in log_file.read_text()


def test_setup_twice_adds_no_second_handler(log_file: Path) -> None:
    assert logs.setup() == log_file
    assert len(logging.getLogger(logs.LOGGER).handlers) == 1
    log.info("once")
    _flush()
    assert log_file.read_text().count("once") == 1


def test_importing_casework_configures_no_logging() -> None:
    # The autouse fixture reset whatever an earlier test set up; nothing else adds one.
    assert logging.getLogger(logs.LOGGER).handlers == []


def test_the_log_folder_follows_the_override_and_the_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEWORK_LOG_DIR", str(tmp_path / "x"))
    assert paths.log_dir() == tmp_path / "x"
    monkeypatch.delenv("CASEWORK_LOG_DIR")
    assert paths.log_dir() == user_log_path("casework", appauthor=False)


def test_a_folder_that_cannot_be_made_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("CASEWORK_LOG_DIR", str(blocker / "logs"))
    logs.setup()
    log.error("nowhere to go %s", NAME)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_a_command_that_fails_unexpectedly_logs_its_traceback_not_its_message(
    log_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from casework import cli

    def cmd_catalogue(args: argparse.Namespace) -> int:
        raise RuntimeError(f"{NAME} {RUN}")

    class Parser:
        def parse_args(self, argv: object) -> argparse.Namespace:
            return argparse.Namespace(lang="es", func=cmd_catalogue)

    monkeypatch.setattr(cli, "build_parser", Parser)
    assert cli.main(["catalogue", "list"]) == 1
    assert "RuntimeError" in capsys.readouterr().err  # the user's one line, as before
    _flush()
    text = log_file.read_text(encoding="utf-8")
    assert "command catalogue failed" in text
    assert "RuntimeError" in text and "cmd_catalogue" in text
    assert not [p for p in PERSONAL if p in text]


def test_a_failed_background_task_is_named_in_the_file(log_file: Path) -> None:
    from casework.screens.base import background_failed

    try:
        raise RuntimeError(f"{NAME} {PHONE}")
    except RuntimeError as exc:
        background_failed("casework.services.persons.search_persons", exc)
    _flush()
    text = log_file.read_text(encoding="utf-8")
    assert "background task casework.services.persons.search_persons failed: RuntimeError" in text
    assert logs.WITHHELD not in text.splitlines()[0]
    assert not [p for p in PERSONAL if p in text]
