"""Schema only through alembic: from empty to head on both backends, matching the models."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from casework.db import Database, open_database
from casework.models import Base
from casework.services.context import Context

from .conftest import PgServer


def _assert_matches_models(db: Database) -> None:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []
    assert db.current_revision() == db.head_revision()


def test_sqlite_upgrades_from_empty_with_pragmas(tmp_path: Path) -> None:
    db = open_database(str(tmp_path / "new.db"))
    _assert_matches_models(db)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    db.dispose()


@pytest.mark.postgres
def test_postgres_upgrades_from_empty(pg_server: PgServer) -> None:
    url = pg_server.create()
    db = open_database(url)
    try:
        _assert_matches_models(db)
    finally:
        db.dispose()
        pg_server.drop(url)


def test_upgrade_of_a_current_database_changes_nothing_and_backs_up_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.db"
    open_database(str(path)).dispose()
    db = Database(f"sqlite:///{path}")
    report = db.upgrade()
    assert report.before == report.after and report.backup is None
    db.dispose()


def test_upgrade_of_an_older_database_backs_it_up_first(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = open_database(str(path))
    with db.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE keepsake (v TEXT)"))
        conn.execute(sa.text("INSERT INTO keepsake VALUES ('still here')"))
        # Pretend the file is one revision behind: alembic replays from the base.
        conn.execute(sa.text("DELETE FROM alembic_version"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(sa.text(f'DROP TABLE "{table.name}"'))
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('0000')"))
    db.dispose()
    db = Database(f"sqlite:///{path}")
    with pytest.raises(Exception, match="0000"):
        db.upgrade()  # alembic refuses the unknown revision, but only after the copy
    db.dispose()
    [copy] = (tmp_path / "backups").glob("old-*-pre-*.db")
    with sa.create_engine(f"sqlite:///{copy}").connect() as conn:
        assert conn.execute(sa.text("SELECT v FROM keepsake")).scalar() == "still here"


def test_backups_keep_only_the_newest(tmp_path: Path) -> None:
    db = open_database(str(tmp_path / "b.db"))
    copies = [db.backup_file(reason=f"n{i}") for i in range(13)]
    assert all(c is not None for c in copies)
    remaining = sorted((tmp_path / "backups").glob("b-*.db"))
    assert len(remaining) == 10
    db.dispose()


def test_0007_keys_national_ids_already_on_record_by_their_digits(
    tmp_path: Path, ctx: Context
) -> None:
    """A national id recorded before 0007 is found at intake when typed without its prefix."""
    from alembic import command

    from casework.models import PersonKey
    from casework.services import candidates, match_records, persons

    from .factories import intake_data, person_data

    doc = {"type": "national_id", "number": "HT-998877"}
    pid = persons.register_intake(ctx, intake_data(person_data(documents=[doc]))).person_id
    probe = match_records.record_of(
        "intake", "", "", None, None, None, None, [("national_id", "998877")]
    )
    assert [c.person.id for c in candidates.intake_candidates(ctx, probe)] == [pid]  # new records
    db = ctx.db
    cfg = db.alembic_config()
    with db.engine.begin() as conn:  # as an older version left it: the stored number only
        conn.execute(
            sa.delete(PersonKey).where(PersonKey.person_id == pid, PersonKey.key == "998877")
        )
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    with db.read() as session:  # no signed-in worker to load at 0006: the search itself
        assert candidates.candidate_ids(session, probe) == []
    db.upgrade(backup=False)
    [found] = candidates.intake_candidates(ctx, probe)
    assert found.person.id == pid
