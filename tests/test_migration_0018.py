"""0018 (follow-through): a database where a person had the same route open twice goes
down to 0014 and up again; the earliest stays open, the later copy is closed (its
checklist kept), and the route then opens once."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from alembic import command

from casework.db import Database
from casework.models import Guidance
from casework.services import guidance, persons
from casework.services.context import Context

from .factories import intake_data


def test_the_later_copy_of_an_open_route_is_closed_and_the_route_then_opens_once(
    database: Database, ctx: Context
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    first = guidance.start(ctx, pid, {"route_id": "refuge"})
    cfg = database.alembic_config()
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0014")
        assert "dedupe_scan" not in sa.inspect(conn).get_table_names()
        # Before 0018 nothing stopped a second copy of the open route.
        later = uuid.uuid4()
        row = conn.execute(sa.text("SELECT * FROM guidance")).mappings().one()
        made = row["created_at"]
        if isinstance(made, str):  # SQLite keeps the text
            made = dt.datetime.fromisoformat(made)
        copy = {**row, "created_at": made + dt.timedelta(seconds=1)}
        conn.execute(
            sa.text(
                "INSERT INTO guidance (id, person_id, case_id, worker_id, route_id, closed,"
                " created_at, version) VALUES (:id, :person_id, :case_id, :worker_id,"
                " :route_id, :closed, :created_at, 1)"
            ),
            {
                **copy,
                "id": str(later).replace("-", "")
                if database.url.get_backend_name() == "sqlite"
                else later,
            },
        )
    database.upgrade(backup=False)
    with database.read() as s:
        states = dict(s.execute(sa.select(Guidance.id, Guidance.closed)).all())  # type: ignore[arg-type]
    assert states == {first: False, later: True}
    assert guidance.open_route(ctx, pid, {"route_id": "refuge"}).id == first
