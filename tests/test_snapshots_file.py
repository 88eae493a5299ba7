"""The person file's dialogs at 80x24 (issue #14 points 1 and 7): a follow-up closed without
saying what came of it, its message inside the dialog; a long note read whole in the viewer.
Same fixtures as tests/test_snapshots.py; review with --snapshot-update and look."""

from __future__ import annotations

import uuid

from casework.db import Database
from casework.services import followups, persons, staff
from casework.services.context import Context

from .test_snapshots import SIZE, _app, _settle, demo_db

__all__ = ["demo_db"]

NOTE = (
    "Vino con su hija de 9 años; trae el pasaporte vencido y el certificado de nacimiento "
    "de la niña apostillado.\n\n"
    "Pide orientación para la residencia temporal y para matricular a la niña en la escuela "
    "del barrio: se le explicó que la matrícula no depende de la situación migratoria y que "
    "la escuela debe darle un IPE. Se le entregó la lista de documentos para SERMIG.\n\n"
    "Volverá el jueves con el contrato de trabajo firmado ante notario."
)


def _desk(db: Database) -> Context:
    desk = staff.find_worker(Context(db), "demo")
    assert desk is not None
    return Context(db, desk.id)


def _pending_follow_up(db: Database) -> tuple[uuid.UUID, uuid.UUID]:
    """(person, follow-up) of the first recent person with a pending follow-up."""
    ctx = _desk(db)
    for person in persons.recent_persons(ctx, 20):
        for f in followups.for_person(ctx, person.id):
            if f.status == "pending":
                return person.id, f.id
    raise AssertionError("the demo has no pending follow-up")


def test_close_follow_up_without_outcome(snap_compare, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    person_id, follow_up_id = _pending_follow_up(demo_db)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        pilot.app.open_person(person_id)
        await _settle(pilot)
        await pilot.press("d")  # the follow-ups tab
        await _settle(pilot)
        pilot.app.clear_notifications()
        assert pilot.app.screen.query_one("#follow-ups").move_to(str(follow_up_id))
        await pilot.press("d", "shift+tab", "ctrl+s")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=SIZE, run_before=run_before)


def test_note_viewer(snap_compare, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    ctx = _desk(demo_db)
    [person] = persons.recent_persons(ctx, 1)
    note_id = persons.add_note(ctx, person.id, {"text": NOTE})

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        pilot.app.open_person(person.id)
        await _settle(pilot)
        assert pilot.app.screen.query_one("#timeline").move_to(f"note:{note_id}")
        await pilot.press("enter")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=SIZE, run_before=run_before)
