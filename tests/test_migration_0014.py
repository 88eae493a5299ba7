"""0014 adds person_correction: a database with persons and a correction goes down to the
revision before it and up again; the persons stay, the table comes back empty and usable."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from casework.db import Database
from casework.models import Person, PersonCorrection
from casework.services import person_edit, persons
from casework.services.context import Context

from .factories import intake_data


def _before_0014(db: Database) -> str:
    """The revision 0014 follows."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db.alembic_config()).get_revision("0014")
    assert script is not None and isinstance(script.down_revision, str)
    return script.down_revision


def test_down_and_up_keeps_the_persons_and_the_table_works_again(
    database: Database, ctx: Context
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    form = person_edit.form(ctx, pid)
    change = {"address": {"base": form.values["address"], "new": "Calle Uno 1"}}
    person_edit.save(ctx, pid, {"person": change})
    cfg = database.alembic_config()
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, _before_0014(database))
        assert "person_correction" not in sa.inspect(conn).get_table_names()
    database.upgrade(backup=False)
    with database.read() as s:
        assert s.scalar(sa.select(Person.address).where(Person.id == pid)) == "Calle Uno 1"
        assert s.scalar(sa.select(sa.func.count()).select_from(PersonCorrection)) == 0
    change = {"address": {"base": "Calle Uno 1", "new": "Calle Dos 2"}}
    assert person_edit.save(ctx, pid, {"person": change}).fields == ["address"]
