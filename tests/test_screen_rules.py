"""Rules the screens ask the services for: the route screener's prefill and proposal
(services/guidance.py), the moves a referral may make (services/desk.py). Plain
functions, no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from casework import refdata
from casework.models.enums import ReferralStatus, referral_can_move
from casework.services import desk, guidance


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
