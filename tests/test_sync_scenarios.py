"""Offline desks and the office server (issue #17, point 2): one office day on PostgreSQL
with two desk files (the second SQLCipher), played once for the module and checked scenario
by scenario (about 20 s: 200 other offline intakes go through the matcher).

The office server has a few persons and referrals; both desks take a copy (pull), then
work offline while the office goes on online: it registers someone a desk also registers,
blocks a person a desk writes a note on, and merges a person a desk records a contact
with. Desk 1 pushes first, cut off by the network part-way with answers lost, and resumes;
then desk 2 pushes; then a supervisor resolves a conflict and the command waiting behind it
goes through.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from casework.db import Database, open_database
from casework.models import (
    AuditEvent,
    Contact,
    MatchPair,
    Note,
    Person,
    Referral,
    SyncApplied,
    SyncConflict,
    SyncOutbox,
)
from casework.services import (
    merge,
    outbox,
    person_file,
    persons,
    referrals,
    rights,
    staff,
    sync_conflicts,
    sync_pull,
    sync_push,
)
from casework.services.context import Context
from casework.synthetic.names import NAMES

from .conftest import PgServer
from .factories import intake_data, person_data

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("sync_day")]
"""One office day for the whole module: its tests run on one worker, in order."""

PASSPHRASE = "frase de prueba del puesto dos"
OTHERS_PER_DESK = 100
"""Other offline intakes per desk, none of them anyone else: no pair may be queued."""


def _intake(given: str, first: str, second: str | None, **person: Any) -> dict[str, Any]:
    return intake_data(
        person_data(given_names=given, first_surname=first, second_surname=second, **person)
    )


def _doc(number: str) -> list[dict[str, str]]:
    return [{"type": "passport", "number": number}]


def _others(rng: random.Random, count: int, taken: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """Distinct synthetic persons: no two share a name, a phone, a document or a birth date."""
    out: list[dict[str, Any]] = []
    nats = ["VEN", "PER", "COL", "BOL", "HTI"]
    while len(out) < count:
        nat = rng.choice(nats)
        females, males, surnames = NAMES[nat]
        sex = rng.choice(["F", "M"])
        given = rng.choice(females if sex == "F" else males)
        first = rng.choice(surnames)
        if (given, first) in taken:
            continue
        taken.add((given, first))
        n = len(taken)
        out.append(
            _intake(
                given,
                first,
                None,
                sex=sex,
                nationality=nat,
                birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=97 * n),
                phone=f"9{40000000 + 7919 * n:08d}",
                documents=_doc(f"ZZ{5000000 + 104729 * n}"),
            )
        )
    return out


@dataclass
class Day:
    server: Database
    desk1: Database
    desk2: Database
    desk2_path: Path
    ana: uuid.UUID
    beto: uuid.UUID
    sofia: uuid.UUID
    p: dict[str, uuid.UUID] = field(default_factory=dict)
    """Persons by role in the story."""
    r: dict[str, uuid.UUID] = field(default_factory=dict)
    first_push: Any = None
    cut: Any = None
    resumed: Any = None
    second_push_desk1: Any = None
    push2: Any = None
    resolved: Any = None
    desk1_commands: list[SyncOutbox] = field(default_factory=list)
    desk2_commands: list[SyncOutbox] = field(default_factory=list)
    desk1_view_ids: list[uuid.UUID] = field(default_factory=list)
    others: list[uuid.UUID] = field(default_factory=list)
    encrypted_after_pull: bool = False


def _phone_of(db: Database, person_id: uuid.UUID) -> tuple[str | None, str | None]:
    with db.read() as s:
        p = s.get(Person, person_id)
        assert p is not None
        return p.phone, p.commune_code


def _outbox(db: Database) -> list[SyncOutbox]:
    with db.read() as s:
        return list(s.scalars(sa.select(SyncOutbox).order_by(SyncOutbox.seq)))


@pytest.fixture(scope="module")
def day(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    url = pg_server.create()
    server = open_database(url)
    tmp = tmp_path_factory.mktemp("sync")
    try:
        yield _play(server, tmp)
    finally:
        server.dispose()
        pg_server.drop(url)


def _play(server: Database, tmp: Path) -> Day:
    admin = staff.first_run(
        Context(server),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    a = Context(server, admin.id)

    def new(username: str, name: str, role: str = "worker") -> uuid.UUID:
        return staff.create_worker(
            a,
            {"username": username, "full_name": name, "role": role, "programme_code": "OFMIG"},
        ).id

    ana, beto, sofia = (
        new("amora", "Ana Mora"),
        new("bsoto", "Beto Soto"),
        new("sreyes", "Sofía Reyes", "supervisor"),
    )
    online = Context(server, sofia)  # the office's supervisor, working online meanwhile
    at_office = Context(server, ana)  # Ana registered these at the office before the day
    p: dict[str, uuid.UUID] = {}
    r: dict[str, uuid.UUID] = {}

    def reg(role: str, data: dict[str, Any]) -> None:
        p[role] = persons.register_intake(at_office, data, allow_likely=True).person_id

    reg("edited", _intake("Marisol", "Quispe", "Mamani", phone="911110001", documents=_doc("PE1")))
    reg("fields", _intake("Julio", "Condori", None, phone="911110002", documents=_doc("PE2")))
    reg("referred", _intake("Rosa", "Blanco", None, phone="911110003", documents=_doc("VE3")))
    reg("blocked", _intake("Luis", "Paredes", None, phone="911110004", documents=_doc("CO4")))
    reg("survivor", _intake("Carmen", "Rojas", None, phone="911110005", documents=_doc("BO5")))
    reg("merged", _intake("Karmen", "Rojas", None, phone="911110005", documents=_doc("BO6")))
    referral = {"destination": "cesfam", "reason": "Inscripción en salud", "consent_given": True}
    r["done_or_cancelled"] = referrals.create(at_office, p["referred"], referral)
    r["two_moves"] = referrals.create(at_office, p["referred"], referral)
    referrals.move(
        at_office, r["done_or_cancelled"], {"to": "accepted", "from_status": "requested"}
    )

    # Both desks take their copy of the office.
    desk1_path, desk2_path = tmp / "desk1.db", tmp / "desk2.db"
    sync_pull.pull(desk1_path, server, name="Puesto 1")
    sync_pull.pull(desk2_path, server, passphrase=PASSPHRASE, name="Operativo terreno")
    desk1 = open_database(str(desk1_path))
    desk2 = open_database(str(desk2_path), passphrase=PASSPHRASE)
    d1, d2 = Context(desk1, ana), Context(desk2, beto)
    day = Day(server, desk1, desk2, desk2_path, ana, beto, sofia, p, r)

    # Offline, desk 1.
    same = _intake("Yorman", "Gutiérrez", "Silva", phone="922220001", documents=_doc("VE9001"))
    p["twin1"] = persons.register_intake(d1, same).person_id
    office_too = _intake("Nayeli", "Huamán", None, phone="922220002", documents=_doc("PE9002"))
    p["office_too_desk"] = persons.register_intake(d1, office_too).person_id
    no_doc = {"phone": "922220003", "birth_date": dt.date(1988, 3, 9), "documents": []}
    p["john"] = persons.register_intake(d1, _intake("John", "Pérez", "Loayza", **no_doc)).person_id
    edited_phone, _ = _phone_of(desk1, p["edited"])
    persons.update_person(d1, p["edited"], {"phone": {"base": edited_phone, "new": "933330001"}})
    fields_phone, fields_commune = _phone_of(desk1, p["fields"])
    persons.update_person(d1, p["fields"], {"phone": {"base": fields_phone, "new": "933330002"}})
    referrals.move(
        d1,
        r["done_or_cancelled"],
        {"to": "completed", "from_status": "accepted", "outcome": "resolved"},
    )
    referrals.move(d1, r["two_moves"], {"to": "accepted", "from_status": "requested"})
    persons.add_note(d1, p["blocked"], {"text": "Trae certificado de antecedentes."})
    persons.record_contact(d1, p["merged"], {"reasons": ["regularization"]})
    person_file.open_file(d1, p["edited"])  # a read: its view row must reach the server
    rng = random.Random(17)
    taken: set[tuple[str, str]] = set()
    for data in _others(rng, OTHERS_PER_DESK, taken):
        day.others.append(persons.register_intake(d1, data).person_id)

    # Offline, desk 2 (SQLCipher).
    p["twin2"] = persons.register_intake(d2, same).person_id
    p["jhon"] = persons.register_intake(d2, _intake("Jhon", "Peres", None, **no_doc)).person_id
    persons.update_person(
        d2,
        p["edited"],
        {
            "phone": {"base": edited_phone, "new": "944440001"},
            "address": {"base": None, "new": "Pasaje Los Aromos 1234"},
        },
        reason="desk_visit",
    )
    persons.add_note(
        d2, p["edited"], {"text": "Cambió de domicilio."}, reason="desk_visit"
    )  # waits behind it
    persons.update_person(
        d2,
        p["fields"],
        {"commune_code": {"base": fields_commune, "new": "13114"}},
        reason="desk_visit",
    )
    referrals.move(
        d2,
        r["done_or_cancelled"],
        {"to": "cancelled", "from_status": "accepted", "note": "La persona se mudó."},
        reason="desk_visit",
    )
    referrals.move(
        d2,
        r["two_moves"],
        {
            "to": "rejected",
            "from_status": "requested",
            "declined_by": "provider",
            "decline_reason": "Sin cupo.",
        },
        reason="desk_visit",
    )
    for data in _others(rng, OTHERS_PER_DESK, taken):
        day.others.append(persons.register_intake(d2, data).person_id)

    # Meanwhile, online at the office.
    p["office_too"] = persons.register_intake(online, office_too).person_id
    rights.register(online, {"person_id": p["blocked"], "kind": "blocking"})
    merge.merge(online, p["survivor"], p["merged"])

    day.desk1_commands, day.desk2_commands = _outbox(desk1), _outbox(desk2)
    with desk1.read() as s:
        day.desk1_view_ids = list(
            s.scalars(
                sa.select(AuditEvent.id).where(
                    AuditEvent.action == "view", AuditEvent.person_id == p["edited"]
                )
            )
        )

    # Desk 1 pushes; the network drops as the 38th answer comes back: the server applied
    # that command, the desk never heard.
    answers = {"n": 0}
    real_answer = sync_push._answer

    def flaky(*args: Any, **kwargs: Any) -> Any:
        answers["n"] += 1
        if answers["n"] >= 38:
            raise ConnectionError("network cut")
        return real_answer(*args, **kwargs)

    sync_push._answer = flaky  # type: ignore[assignment]
    try:
        with pytest.raises(sync_push.PushInterrupted) as cut:
            sync_push.push(desk1, server)
    finally:
        sync_push._answer = real_answer  # type: ignore[assignment]
    day.cut = cut.value.summary
    day.resumed = sync_push.push(desk1, server)
    day.second_push_desk1 = sync_push.push(desk1, server)
    day.push2 = sync_push.push(desk2, server)

    # Desk 2 takes its new copy: still encrypted, with its conflicts in it.
    desk2.dispose()
    sync_pull.pull(desk2_path, server, passphrase=PASSPHRASE)
    day.encrypted_after_pull = not desk2_path.read_bytes()[:16].startswith(b"SQLite format 3")
    day.desk2 = open_database(str(desk2_path), passphrase=PASSPHRASE)
    return day


# The scenarios ------------------------------------------------------------------------------


def _pairs(db: Database) -> set[frozenset[uuid.UUID]]:
    with db.read() as s:
        return {
            frozenset((a, b))
            for a, b in s.execute(sa.select(MatchPair.person_a, MatchPair.person_b))
        }


def _conflicts(db: Database) -> list[SyncConflict]:
    with db.read() as s:
        return list(s.scalars(sa.select(SyncConflict).order_by(SyncConflict.seq)))


def test_same_passport_on_two_desks_is_two_records_and_one_queued_pair(day: Day) -> None:
    with day.server.read() as s:
        assert s.get(Person, day.p["twin1"]) is not None
        assert s.get(Person, day.p["twin2"]) is not None
    assert frozenset((day.p["twin1"], day.p["twin2"])) in _pairs(day.server)


def test_no_document_name_typed_differently_same_phone_and_birth_is_queued(day: Day) -> None:
    assert frozenset((day.p["john"], day.p["jhon"])) in _pairs(day.server)


def test_someone_the_office_registered_meanwhile_is_queued_not_merged(day: Day) -> None:
    assert frozenset((day.p["office_too"], day.p["office_too_desk"])) in _pairs(day.server)
    with day.server.read() as s:
        desk_copy = s.get(Person, day.p["office_too_desk"])
        assert desk_copy is not None and desk_copy.merged_into_id is None


def test_no_false_pairs_among_hundreds_of_other_intakes(day: Day) -> None:
    others = set(day.others)
    assert len(others) == 2 * OTHERS_PER_DESK
    with day.server.read() as s:
        on_server = set(s.scalars(sa.select(Person.id).where(Person.id.in_(others))))
    assert on_server == others
    false = [pair for pair in _pairs(day.server) if pair & others]
    assert false == []
    expected = {
        frozenset((day.p["twin1"], day.p["twin2"])),
        frozenset((day.p["john"], day.p["jhon"])),
        frozenset((day.p["office_too"], day.p["office_too_desk"])),
    }
    assert expected <= _pairs(day.server)


def test_same_field_on_two_desks_one_applies_one_conflicts_nothing_half_applied(
    day: Day,
) -> None:
    edit = [c for c in _conflicts(day.server) if c.command == "persons.update_person"]
    assert len(edit) == 1 and edit[0].code == "edit_conflict"
    assert [f["field"] for f in edit[0].fields] == ["phone"]
    with day.server.read() as s:
        person = s.get(Person, day.p["edited"])
        assert person is not None
        assert person.address is None  # the other field of the refused command: not written
        assert person.phone is not None and person.phone.endswith("933330001")  # desk 1's


def test_different_fields_on_two_desks_both_apply(day: Day) -> None:
    phone, commune = _phone_of(day.server, day.p["fields"])
    assert phone is not None and phone.endswith("933330002")
    assert commune == "13114"


def test_completed_on_one_desk_and_cancelled_on_the_other(day: Day) -> None:
    with day.server.read() as s:
        done = s.get(Referral, day.r["done_or_cancelled"])
        two = s.get(Referral, day.r["two_moves"])
        assert done is not None and done.status == "completed"
        assert two is not None and two.status == "accepted"
    moves = [c for c in _conflicts(day.server) if c.command == "referrals.move"]
    assert sorted(c.payload["kwargs"]["data"]["to"] for c in moves) == ["cancelled", "rejected"]
    assert all(c.desk_name == "Operativo terreno" and c.kind == "conflict" for c in moves)


def test_a_note_on_a_person_blocked_meanwhile_is_a_conflict(day: Day) -> None:
    (blocked,) = [
        c
        for c in _conflicts(day.server)
        if c.command == "persons.add_note" and c.person_id == day.p["blocked"]
    ]
    assert blocked.code == "person_blocked" and blocked.kind == "conflict"


def test_a_contact_on_a_person_merged_meanwhile_follows_the_merge(day: Day) -> None:
    (cmd,) = [c for c in day.desk1_commands if c.command == "persons.record_contact"]
    contact_id = uuid.UUID(cmd.ids["contact#0"])
    with day.server.read() as s:
        contact = s.get(Contact, contact_id)
        assert contact is not None and contact.person_id == day.p["survivor"]


def test_a_cut_mid_push_with_lost_answers_then_resume_applies_nothing_twice(day: Day) -> None:
    total = len(day.desk1_commands)
    assert day.cut.sent == 37  # answered before the cut
    assert day.resumed.already == 1  # its answer was lost: the server had it already
    assert day.resumed.sent == total - 37
    with day.server.read() as s:
        applied = s.scalar(
            sa.select(sa.func.count())
            .select_from(SyncApplied)
            .where(SyncApplied.command_id.in_([c.id for c in day.desk1_commands]))
        )
        conflicts = s.scalar(
            sa.select(sa.func.count())
            .select_from(SyncConflict)
            .where(SyncConflict.command_id.in_([c.id for c in day.desk1_commands]))
        )
        created = s.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "create",
                AuditEvent.entity == "person",
                AuditEvent.person_id.in_(day.others),
            )
        )
    assert applied + conflicts == total  # each command settled exactly once
    assert created == 2 * OTHERS_PER_DESK  # one "create person" each: 0 double applies
    assert [c.state for c in _outbox(day.desk1)] == ["sent"] * total


def test_a_second_push_sends_nothing(day: Day) -> None:
    assert day.second_push_desk1.sent == 0


def test_every_audit_row_of_the_desk_is_on_the_server_with_its_id(day: Day) -> None:
    settled_ok = []
    with day.server.read() as s:
        conflicted = set(s.scalars(sa.select(SyncConflict.command_id)))
        server_ids = {str(i) for i in s.scalars(sa.select(AuditEvent.id))}
        views = set(
            s.scalars(sa.select(AuditEvent.id).where(AuditEvent.id.in_(day.desk1_view_ids)))
        )
    for cmd in day.desk1_commands + day.desk2_commands:
        if cmd.id in conflicted:
            continue
        settled_ok.extend(v for k, v in cmd.ids.items() if k.startswith("audit_event:"))
    missing = [i for i in settled_ok if i not in server_ids]
    assert missing == []
    assert len(settled_ok) > 4 * OTHERS_PER_DESK
    assert day.desk1_view_ids and views == set(day.desk1_view_ids)


def test_the_encrypted_desk_stays_encrypted_after_pull_and_shows_its_conflicts(day: Day) -> None:
    assert day.encrypted_after_pull
    status = outbox.desk_status(day.desk2)
    assert status is not None and status.name == "Operativo terreno"
    assert status.waiting == 0
    assert status.conflicts == 3  # the edit and the two referral moves
    assert status.held == 1  # the note waiting behind the edit


def test_a_supervisor_resolves_and_the_waiting_note_goes_through(day: Day) -> None:
    sup = Context(day.server, day.sofia)
    queue = sync_conflicts.open_conflicts(sup)
    edit = next(c for c in queue if c.command == "persons.update_person")
    waiting = [c for c in queue if c.kind == "waiting"]
    assert [w.blocked_by for w in waiting] == [edit.id]
    result = sync_conflicts.resolve(sup, edit.id, {"action": "mine", "version": edit.version})
    assert result.status == "applied" and result.released == 1
    phone, _ = _phone_of(day.server, day.p["edited"])
    assert phone is not None and phone.endswith("944440001")
    with day.server.read() as s:
        person = s.get(Person, day.p["edited"])
        assert person is not None and person.address == "Pasaje Los Aromos 1234"
    (note_cmd,) = [c for c in day.desk2_commands if c.command == "persons.add_note"]
    with day.server.read() as s:
        note = s.get(Note, uuid.UUID(note_cmd.ids["note#0"]))
        assert note is not None and note.text == "Cambió de domicilio."
    assert all(c.kind != "waiting" for c in sync_conflicts.open_conflicts(sup))
