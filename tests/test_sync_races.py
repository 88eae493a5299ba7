"""Two offline desks pushing at the same moment (issue #17), on SQLite and PostgreSQL,
repeated: the same field edited on both is applied once and a conflict for the other,
different fields both stand, two intakes of the same passport are two records and one
queued pair, and nothing is applied twice."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework.db import Database
from casework.models import MatchPair, Person, SyncApplied, SyncConflict
from casework.services import persons, sync_push
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from . import test_sync_push
from .factories import intake_data, person_data
from .test_sync_push import World, copy_to_desk, edit, person

world = test_sync_push.world
"""The push tests' server and first desk (a fixture)."""


def _race(*pushes: tuple[Database, Database]) -> list[object]:
    """Every push at once (a barrier), each in its own thread: their summaries or errors."""
    barrier = threading.Barrier(len(pushes))
    out: list[object] = [None] * len(pushes)

    def run(i: int, desk: Database, server: Database) -> None:
        barrier.wait()
        try:
            out[i] = sync_push.push(desk, server)
        except Exception as exc:  # reported to the test, not swallowed
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, d, s)) for i, (d, s) in enumerate(pushes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


@pytest.mark.parametrize("round_", range(3))
def test_two_desks_pushing_at_once_nothing_lost_nothing_doubled(
    world: World, worker: WorkerOut, tmp_path: Path, sqlite_template: Path, round_: int
) -> None:
    second = copy_to_desk(world.server, tmp_path / f"desk2-{round_}.db", sqlite_template)
    try:
        one, two = world.on_desk, Context(second, worker.id)
        phone = person(world.desk, world.person_id).phone
        edit(one, world.person_id, phone=(phone, "911110001"))
        edit(two, world.person_id, phone=(phone, "922220002"))
        other = person(world.desk, world.other_id)
        edit(one, world.other_id, email=(other.email, "wilmer@example.org"))
        edit(two, world.other_id, address=(other.address, "Pasaje Las Acacias 55"))
        twin = intake_data(
            person_data(
                given_names="Yorman",
                first_surname="Gutiérrez",
                second_surname="Silva",
                phone="933330003",
                documents=[{"type": "passport", "number": f"VE90{round_}1"}],
            )
        )
        a = persons.register_intake(one, twin).person_id
        b = persons.register_intake(two, twin).person_id

        results = _race((world.desk, world.server), (second, world.server))
        assert all(isinstance(r, sync_push.PushSummary) for r in results), results
        summaries = [r for r in results if isinstance(r, sync_push.PushSummary)]
        assert sum(s.sent for s in summaries) == 6
        assert sum(s.conflicts for s in summaries) == 1  # the phone, for whoever came second

        final = person(world.server, world.person_id)
        assert final.phone in ("+56911110001", "+56922220002")
        both = person(world.server, world.other_id)
        assert both.email == "wilmer@example.org"
        assert both.address == "Pasaje Las Acacias 55"
        with world.server.read() as s:
            assert s.get(Person, a) is not None and s.get(Person, b) is not None
            pairs = s.scalar(
                sa.select(sa.func.count())
                .select_from(MatchPair)
                .where(
                    sa.or_(
                        sa.and_(MatchPair.person_a == a, MatchPair.person_b == b),
                        sa.and_(MatchPair.person_a == b, MatchPair.person_b == a),
                    )
                )
            )
            settled = s.scalar(sa.select(sa.func.count()).select_from(SyncApplied))
            conflicts = s.scalar(sa.select(sa.func.count()).select_from(SyncConflict))
        assert pairs == 1  # queued once, whichever intake came second
        assert settled + conflicts == 6  # each command settled exactly once
        # Again: nothing left to send, nothing applied twice.
        again = _race((world.desk, world.server), (second, world.server))
        assert [r.sent for r in again if isinstance(r, sync_push.PushSummary)] == [0, 0]
    finally:
        second.dispose()
