"""The supervisors' queue of sync conflicts (issue #17): keep theirs, apply mine, edit and
apply, the commands waiting behind released, scope, and two supervisors racing."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa

from casework.db import open_database
from casework.errors import CaseworkError, EditConflict, NotAllowed
from casework.models import AuditEvent, SyncConflict
from casework.services import persons, staff, sync_conflicts, sync_pull, sync_push
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from . import test_sync_push
from .test_sync_push import World, edit, notes, person

world = test_sync_push.world
"""The push tests' server and desk (a fixture)."""


def _conflicted(world: World) -> uuid.UUID:
    """The desk changed the phone the office changed meanwhile, then added a note behind it."""
    edit(world.on_server, world.person_id, phone=("+56987654321", "911112222"))
    edit(world.on_desk, world.person_id, phone=("+56987654321", "933334444"))
    persons.add_note(world.on_desk, world.person_id, {"text": "Después del cambio."})
    summary = sync_push.push(world.desk, world.server)
    assert (summary.conflicts, summary.waiting) == (1, 1)
    return uuid.UUID(summary.conflict_ids[0])


def _pull(world: World) -> sync_pull.PullSummary:
    """The desk takes a fresh copy of the server (its file replaced, opened again)."""
    path = world.desk.file_path
    assert path is not None
    world.desk.dispose()
    pulled = sync_pull.pull(path, world.server)
    world.desk = open_database(str(path))
    return pulled


def _sup(world: World) -> Context:
    return Context(world.server, world.supervisor.id)


def test_the_queue_shows_what_the_desk_wanted_and_why(world: World) -> None:
    cid = _conflicted(world)
    page = sync_conflicts.open_conflicts(_sup(world))
    assert [c.kind for c in page] == ["conflict", "waiting"]
    out = sync_conflicts.get(_sup(world), cid)
    assert out.desk_name == "Operativo Lo Valledor" and out.worker_name == "Daniela Fuentes"
    assert out.person_name and "Yesenia" in out.person_name
    assert out.what == "Corregir datos de la persona"
    assert "Teléfono" in out.reason
    (field,) = out.fields
    assert (field.label, field.current_text, field.typed_text) == (
        "Teléfono",
        "+56911112222",
        "+56933334444",
    )
    assert "detrás" in page[1].reason


def test_keep_theirs_drops_the_command_and_releases_what_waited(world: World) -> None:
    cid = _conflicted(world)
    result = sync_conflicts.resolve(_sup(world), cid, {"action": "theirs"})
    assert (result.status, result.released, result.still_waiting) == ("discarded", 1, 0)
    assert person(world.server, world.person_id).phone == "+56911112222"
    assert notes(world.server, world.person_id) == ["Después del cambio."]
    assert sync_conflicts.open_conflicts(_sup(world)) == []
    with world.server.read() as session:
        trail = session.scalars(
            sa.select(AuditEvent.details).where(AuditEvent.action == "resolve")
        ).all()
    assert sorted(d["resolution"] for d in trail) == ["after", "theirs"]
    # A later push of the same desk finds it settled: nothing sent again.
    assert sync_push.push(world.desk, world.server).sent == 0


def test_apply_mine_writes_the_desk_value_over_the_current_one(world: World) -> None:
    cid = _conflicted(world)
    result = sync_conflicts.resolve(_sup(world), cid, {"action": "mine", "version": 1})
    assert (result.status, result.released) == ("applied", 1)
    assert person(world.server, world.person_id).phone == "+56933334444"
    assert notes(world.server, world.person_id) == ["Después del cambio."]
    with world.server.read() as session:
        row = session.get(SyncConflict, cid)
        assert row is not None and (row.status, row.resolution) == ("applied", "mine")
    with pytest.raises(EditConflict):
        sync_conflicts.resolve(_sup(world), cid, {"action": "theirs"})


def test_edit_and_apply_writes_the_corrected_value(world: World) -> None:
    cid = _conflicted(world)
    sync_conflicts.resolve(_sup(world), cid, {"action": "edited", "values": {"phone": "955556666"}})
    assert person(world.server, world.person_id).phone == "+56955556666"


def test_a_waiting_command_is_not_resolved_on_its_own(world: World) -> None:
    _conflicted(world)
    waiting = sync_conflicts.open_conflicts(_sup(world))[1]
    with pytest.raises(CaseworkError) as refused:
        sync_conflicts.resolve(_sup(world), waiting.id, {"action": "mine"})
    assert refused.value.code == "waits_behind"


def test_only_supervisors_in_scope_see_or_resolve(world: World, admin: WorkerOut) -> None:
    cid = _conflicted(world)
    with pytest.raises(NotAllowed):
        sync_conflicts.open_conflicts(world.on_server)
    with pytest.raises(NotAllowed):
        sync_conflicts.resolve(world.on_server, cid, {"action": "theirs"})
    staff.create_programme(Context(world.server, admin.id), {"code": "OMIL", "name": "OMIL"})
    other = staff.create_worker(
        Context(world.server, admin.id),
        {
            "username": "omilsup",
            "full_name": "Otra Sup",
            "role": "supervisor",
            "programme_code": "OMIL",
        },
    )
    assert sync_conflicts.open_conflicts(Context(world.server, other.id)) == []
    with pytest.raises(NotAllowed):
        sync_conflicts.get(Context(world.server, other.id), cid)


@pytest.mark.parametrize("round_", range(3))
def test_two_supervisors_racing_resolve_it_once(
    world: World, admin: WorkerOut, round_: int
) -> None:
    cid = _conflicted(world)
    second = staff.create_worker(
        Context(world.server, admin.id),
        {
            "username": f"sup{round_}",
            "full_name": "Segunda Sup",
            "role": "supervisor",
            "programme_code": "OFMIG",
        },
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def go(actor: uuid.UUID, action: str) -> None:
        barrier.wait()
        try:
            sync_conflicts.resolve(
                Context(world.server, actor), cid, {"action": action, "version": 1}
            )
            outcomes.append("won")
        except EditConflict:
            outcomes.append("lost")

    threads = [
        threading.Thread(target=go, args=(world.supervisor.id, "mine")),
        threading.Thread(target=go, args=(second.id, "mine" if round_ else "theirs")),
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes) == ["lost", "won"]
    assert notes(world.server, world.person_id) == ["Después del cambio."]  # released once
    with world.server.read() as session:
        resolved = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "resolve", AuditEvent.entity_id == cid)
        ).all()
    assert len(resolved) == 1


def test_a_conflict_resolved_on_the_desk_and_at_the_office_is_decided_once(
    world: World,
) -> None:
    cid = _conflicted(world)
    _pull(world)  # the desk's new copy holds its conflict
    on_desk = Context(world.desk, world.supervisor.id)
    sync_conflicts.resolve(on_desk, cid, {"action": "mine"})  # offline, on the desk
    sync_conflicts.resolve(_sup(world), cid, {"action": "theirs"})  # at the office, first
    summary = sync_push.push(world.desk, world.server)
    assert (summary.sent, summary.decided, summary.conflicts) == (1, 1, 0)
    assert sync_conflicts.open_conflicts(_sup(world)) == []  # no new, meaningless conflict
    assert person(world.server, world.person_id).phone == "+56911112222"  # the office's stands
    assert sync_push.push(world.desk, world.server).sent == 0


def test_work_held_behind_a_conflict_still_shows_on_the_desk_after_the_pull(
    world: World,
) -> None:
    cid = _conflicted(world)
    assert _pull(world).held == 1
    # The note the worker wrote offline is still on the person's file on the desk...
    assert notes(world.desk, world.person_id) == ["Después del cambio."]
    assert notes(world.server, world.person_id) == []  # ...and still waits on the server.
    # Resolved on the desk, the note is not written twice there.
    result = sync_conflicts.resolve(
        Context(world.desk, world.supervisor.id), cid, {"action": "theirs"}
    )
    assert result.released == 1
    assert notes(world.desk, world.person_id) == ["Después del cambio."]
    sync_push.push(world.desk, world.server)
    assert notes(world.server, world.person_id) == ["Después del cambio."]


def test_after_a_pull_the_desks_new_edit_still_waits_behind_its_old_conflict(
    world: World,
) -> None:
    cid = _conflicted(world)
    _pull(world)  # a new outbox: the desk's order must go on
    now = person(world.desk, world.person_id).phone
    edit(world.on_desk, world.person_id, phone=(now, "955556666"))
    summary = sync_push.push(world.desk, world.server)
    assert (summary.applied, summary.waiting) == (0, 1)
    result = sync_conflicts.resolve(_sup(world), cid, {"action": "mine"})
    assert result.released == 2  # the note, then the newer edit
    # The desk's older value went first; its newer edit, made from the value the office had,
    # is now a conflict of its own for the supervisor -- not applied before the older one
    # and then silently overwritten by it.
    assert person(world.server, world.person_id).phone == "+56933334444"
    (newer,) = [c for c in sync_conflicts.open_conflicts(_sup(world)) if c.kind == "conflict"]
    assert [f.typed for f in newer.fields] == ["+56955556666"]
    sync_conflicts.resolve(_sup(world), newer.id, {"action": "mine"})
    assert person(world.server, world.person_id).phone == "+56955556666"


def test_a_release_cut_part_way_is_finished_later_nothing_stays_stuck(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _conflicted(world)
    real = sync_push.apply_command

    def cut(*args: object, **kwargs: object) -> int:
        raise ConnectionError("network cut")

    monkeypatch.setattr(sync_push, "apply_command", cut)
    with pytest.raises(ConnectionError):
        sync_conflicts.resolve(_sup(world), cid, {"action": "theirs"})
    monkeypatch.setattr(sync_push, "apply_command", real)
    assert notes(world.server, world.person_id) == []
    assert sync_conflicts.release_stranded(world.server) == 1  # what casework sync runs first
    assert notes(world.server, world.person_id) == ["Después del cambio."]
    assert sync_conflicts.open_conflicts(_sup(world)) == []


def test_a_resolution_made_on_the_desk_reaches_the_server_with_its_audit_ids_once(
    world: World,
) -> None:
    cid = _conflicted(world)
    _pull(world)
    sync_conflicts.resolve(Context(world.desk, world.supervisor.id), cid, {"action": "theirs"})
    with world.desk.read() as session:
        desk_rows = set(
            session.scalars(sa.select(AuditEvent.id).where(AuditEvent.action == "resolve"))
        )
    sync_push.push(world.desk, world.server)
    with world.server.read() as session:
        trail = session.execute(
            sa.select(AuditEvent.id, AuditEvent.details).where(AuditEvent.action == "resolve")
        ).all()
    assert sorted(d["resolution"] for _, d in trail) == ["after", "theirs"]  # not twice
    assert {i for i, _ in trail} == desk_rows  # the desk's ids, both of them


def test_edit_and_apply_on_a_whole_refusal_says_there_is_nothing_to_edit(world: World) -> None:
    from casework.services import rights

    rights.register(
        Context(world.server, world.worker.id), {"person_id": world.person_id, "kind": "blocking"}
    )
    persons.add_note(world.on_desk, world.person_id, {"text": "Bloqueada entretanto."})
    summary = sync_push.push(world.desk, world.server)
    (cid,) = summary.conflict_ids
    with pytest.raises(CaseworkError) as refused:
        sync_conflicts.resolve(
            _sup(world), uuid.UUID(cid), {"action": "edited", "values": {"x": 1}}
        )
    assert refused.value.code == "sync_nothing_to_edit"
    assert "nada que corregir" in refused.value.message("es")
