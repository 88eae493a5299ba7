"""Rules the screens ask the services for: the route screener's prefill and proposal and
the checklist's state order (services/guidance.py), the moves a referral may make
(services/desk.py), how a rights request is finished (services/rights.py). Plain
functions, no database."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from casework import clock, refdata
from casework.models.enums import GuidanceItemState, ReferralStatus, referral_can_move
from casework.services import desk, followups, guidance, rights
from casework.services.schemas import RightsRequestOut


@dataclass
class _Status:
    entry_date: dt.date | None = None
    entry_authorised: bool | None = None
    refuge_requested: bool = False


@dataclass
class _Person:
    birth_date: dt.date | None = None
    current_status: str | None = None
    statuses: list[_Status] = field(default_factory=list)


TODAY = dt.date(2026, 6, 1)


def test_a_file_that_says_nothing_prefills_nothing() -> None:
    assert guidance.initial_answers(_Person(), TODAY) == {}


def test_minor_until_the_eighteenth_birthday() -> None:
    eve = _Person(birth_date=dt.date(2008, 6, 2))
    birthday = _Person(birth_date=dt.date(2008, 6, 1))
    assert guidance.initial_answers(eve, TODAY) == {"minor": True}
    assert guidance.initial_answers(birthday, TODAY) == {"minor": False}


def test_the_status_says_whether_the_permit_ran_out() -> None:
    temporary = guidance.initial_answers(_Person(current_status="temporary"), TODAY)
    assert temporary == {"current_temporary_resident": True, "permit_expired": False}
    for expired in ("transit_expired", "temporary_expired"):
        answers = guidance.initial_answers(_Person(current_status=expired), TODAY)
        assert answers == {"current_temporary_resident": False, "permit_expired": True}


def test_the_latest_status_says_how_and_when_the_person_entered() -> None:
    old = _Status(entry_date=dt.date(2019, 1, 1), entry_authorised=True)
    latest = _Status(entry_date=dt.date(2022, 2, 11), entry_authorised=False, refuge_requested=True)
    answers = guidance.initial_answers(_Person(statuses=[old, latest]), TODAY)
    assert answers == {
        "irregular_entry": True,
        "fear_of_return": True,
        "entered_before_2022_02_12": True,
    }
    on_the_day = _Status(entry_date=dt.date(2022, 2, 12))
    assert guidance.initial_answers(_Person(statuses=[on_the_day]), TODAY) == {
        "entered_before_2022_02_12": False
    }


def test_the_proposal_is_the_screener_over_the_shipped_routes() -> None:
    answers = {"pregnant": True, "irregular_entry": True}
    proposed = guidance.propose_routes(answers)
    assert proposed == refdata.screen_routes(answers)
    assert proposed and all(reasons for _, reasons in proposed)
    assert guidance.propose_routes({}) == refdata.screen_routes({})


def test_a_referral_moves_only_where_the_state_machine_allows() -> None:
    for current in ReferralStatus:
        moves = desk.referral_moves(current.value)
        assert moves == [s for s in ReferralStatus if referral_can_move(current, s)]
    assert desk.referral_moves("draft")


def test_a_checklist_item_steps_through_its_states_and_wraps_round() -> None:
    assert guidance.next_item_state("pending") == "explained"
    assert guidance.next_item_state("pending", -1) == "not_applicable"
    assert guidance.next_item_state("not_applicable") == "pending"
    state, seen = "pending", []
    for _ in range(6):
        state = guidance.next_item_state(state)
        seen.append(state)
    assert sorted(seen) == sorted(s.value for s in GuidanceItemState)


def _request(kind: str, identity_checked: bool) -> RightsRequestOut:
    today = dt.date(2026, 6, 1)
    return RightsRequestOut(
        id=uuid.uuid4(),
        person_id=uuid.uuid4(),
        kind=kind,
        status="received",
        received_on=today,
        due_on=today + dt.timedelta(days=30),
        identity_checked=identity_checked,
        extended_on=None,
        answered_at=None,
        refusal_ground=None,
        answer_sha256=None,
    )


def test_each_request_is_finished_its_own_way_and_only_once_identity_is_checked() -> None:
    finish = rights.finish_refusal
    assert finish(_request("erasure", True), "answer") == "protection.rights.use_erase"
    assert finish(_request("blocking", True), "answer") == "protection.rights.use_lift"
    assert finish(_request("access", True), "erase") == "protection.rights.only_erasure"
    assert finish(_request("access", True), "lift") == "protection.rights.only_blocking"
    assert finish(_request("access", False), "answer") == "protection.rights.identity_first"
    assert finish(_request("erasure", False), "erase") == "protection.rights.identity_first"
    assert finish(_request("blocking", False), "lift") is None  # a block needs no check
    assert finish(_request("rectification", True), "answer") is None
    assert finish(_request("erasure", True), "erase") is None
    assert rights.answered_with_files("access") and rights.answered_with_files("portability")
    assert not rights.answered_with_files("rectification")


def _follow_up(due_on: dt.date, status: str = "pending") -> followups.FollowUpOut:
    return followups.FollowUpOut(
        id=uuid.uuid4(),
        person_id=uuid.uuid4(),
        worker_id=uuid.uuid4(),
        referral_id=None,
        guidance_id=None,
        due_on=due_on,
        what="Llamar",
        status=status,
        completed_at=None,
        outcome=None,
    )


def test_follow_up_dates_the_forms_propose() -> None:
    clock.freeze(dt.datetime(2026, 6, 1, 15, 0, tzinfo=dt.UTC))
    try:
        assert followups.default_due() == dt.date(2026, 6, 8)
        # Postponing proposes a week after the due day, or after today once that is past.
        assert _follow_up(dt.date(2026, 6, 20)).postponed_to() == dt.date(2026, 6, 27)
        assert _follow_up(dt.date(2026, 5, 1)).postponed_to() == dt.date(2026, 6, 8)
    finally:
        clock.freeze(None)


def test_only_an_open_follow_up_is_closed_or_postponed() -> None:
    assert _follow_up(TODAY).open
    assert not _follow_up(TODAY, "done").open
    assert not _follow_up(TODAY, "missed").open


def test_a_visit_carried_into_a_kept_contact_draft_loses_nothing() -> None:
    from casework.screens.forms import joined

    kept = {"reasons": ["health"], "note": "Llamó ayer.", "channel": "desk"}
    carried = {"reasons": ["regularization", "health"], "note": "Viene por su hija."}
    assert joined(kept, carried) == {
        "reasons": ["health", "regularization"],
        "note": "Llamó ayer.\n\nViene por su hija.",
        "channel": "desk",
    }
    assert joined({}, carried) == carried
