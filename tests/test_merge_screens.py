"""Merge with care (#14 point 9) at the desk, 80x24: the confirmation before a merge, and a
supervisor undoing one from Recent merges."""

from __future__ import annotations

import uuid

import pytest
from textual.geometry import Region
from textual.widgets import Static

from casework.app import make_app
from casework.db import Database
from casework.models import Contact, Referral
from casework.screens.dedupe import CompareScreen, DedupeQueueScreen
from casework.screens.merge_confirm import MergeConfirmModal, RecentMergesScreen
from casework.services import merge, persons, referrals
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.widgets import ConfirmModal

from .factories import intake_data, person_data
from .test_desk import settle, sign_in_as, text_of
from .test_merge_races import pointer as merged_into
from .test_merge_races import rows as count

pytestmark = pytest.mark.usefixtures("frozen_clock")
SIZE = (80, 24)


@pytest.fixture
def database(desk_database: Database) -> Database:
    return desk_database


def two_records(ctx: Context) -> tuple[uuid.UUID, uuid.UUID]:
    keep = persons.register_intake(ctx, intake_data(), allow_likely=True).person_id
    other = persons.register_intake(
        ctx,
        intake_data(
            person_data(
                given_names="YESENIA",
                first_surname="RONDON",
                second_surname=None,
                phone="+51987654321",
                documents=[],
            )
        ),
        allow_likely=True,
    ).person_id
    referrals.create(
        ctx, other, {"destination": "omil", "reason": "Trabajo", "consent_given": True}
    )
    return keep, other


def seen(widget: Static) -> str:
    """The widget's text as drawn on screen (a table too), line by line."""
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, *widget.size)))


async def open_compare(pilot) -> CompareScreen:  # type: ignore[no-untyped-def]
    await sign_in_as(pilot, "Carolina Reyes")
    await pilot.press("f6")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DedupeQueueScreen)
    await pilot.press("s")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    return screen


async def test_ctrl_s_asks_first_esc_merges_nothing_enter_merges(
    database: Database, ctx: Context, supervisor: WorkerOut
) -> None:
    keep, other = two_records(ctx)
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        compare = await open_compare(pilot)
        if compare.left is not None and compare.left.id != keep:
            await pilot.press("x")
        assert compare.left is not None and compare.right is not None
        stays, goes = compare.left.id, compare.right.id
        assert (stays, goes) == (keep, other)
        await pilot.press("ctrl+s")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, MergeConfirmModal)
        shown = "\n".join(seen(w) for w in modal.query(Static))
        assert "Yesenia Carolina Rondón Briceño" in shown and "YESENIA RONDON" in shown
        assert "Atenciones: 1" in shown and "Derivaciones: 1" in shown
        # Each differing field, the value kept marked on the side that stays.
        assert "✓ +56987654321             +51987654321" in shown
        # Every line of the dialog is inside the 80x24 screen.
        box = modal.query_one("#merge-confirm")
        assert box.region.right <= 80 and box.region.bottom <= 24
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is compare
        assert merged_into(database, keep) is None and merged_into(database, other) is None

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MergeConfirmModal)
        await pilot.press("ctrl+s")  # the key that opened it never confirms it
        await settle(pilot)
        assert isinstance(app.screen, MergeConfirmModal)
        assert merged_into(database, goes) is None
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DedupeQueueScreen)
        assert merged_into(database, goes) == stays
        assert count(database, Referral, stays) == 1


async def test_a_supervisor_undoes_a_merge_and_both_files_are_back(
    database: Database, ctx: Context, supervisor: WorkerOut
) -> None:
    keep, other = two_records(ctx)
    merge.merge(Context(database, supervisor.id), keep, other)
    assert count(database, Referral, other) == 0
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RecentMergesScreen)
        assert "1 fusiones" in text_of(screen.query_one("#status", Static))
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "YESENIA RONDON" in text_of(app.screen.query_one("#question", Static))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        status = text_of(screen.query_one("#status", Static))
        assert "Fusión deshecha" in status and "YESENIA RONDON" in status
        assert screen.merges == []
    assert merged_into(database, other) is None
    assert count(database, Referral, other) == 1 and count(database, Contact, other) == 1
    assert count(database, Referral, keep) == 0 and count(database, Contact, keep) == 1


async def test_a_social_worker_cannot_undo(
    database: Database, ctx: Context, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    keep, other = two_records(ctx)
    merge.merge(Context(database, supervisor.id), keep, other)
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        # The queue is not offered to her; were the list reached, undo still says no.
        await pilot.press("f6")
        await settle(pilot)
        assert not isinstance(app.screen, DedupeQueueScreen)
        app.push_screen(RecentMergesScreen())
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RecentMergesScreen)
        await pilot.press("u")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmModal)
        status = text_of(screen.query_one("#status", Static))
        assert "Solo un supervisor puede deshacer una fusión" in status
    assert merged_into(database, other) == keep


def test_coded_fields_read_by_their_names_in_the_comparison() -> None:
    from casework.screens.merge_confirm import field_text

    assert field_text("birth_date_precision", "exact") == "Exacta"
    assert field_text("birth_date_precision", "year") == "Aproximada (solo año)"
    assert field_text("sex", "F") != "F"


async def test_an_empty_queue_says_how_to_look_for_duplicates(
    database: Database, ctx: Context, supervisor: WorkerOut
) -> None:
    two_records(ctx)
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        await pilot.press("f6")
        await settle(pilot)
        status = app.screen.query_one("#status", Static)
        assert "Pulse s para buscar" in seen(status)
        await pilot.press("s")
        await settle(pilot)
        assert "1 pares por revisar" in seen(status)
