"""Every read of a person's data goes through one gate (services/gate.py), on SQLite and
PostgreSQL: the service calls are enumerated, and each one that returns one person's data
is proved to refuse nobody signed in and a deactivated worker, to refuse an outside reader
without a reason, writing nothing, and to write one view row naming what was read (and the
reason) when it lets a read through."""

from __future__ import annotations

import importlib
import inspect
import itertools
import pkgutil
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import casework.services
from casework.db import Database
from casework.errors import NotAllowed
from casework.models import AuditEvent
from casework.services import (
    assignment,
    case_lifecycle,
    cases,
    followups,
    gate,
    guidance,
    merge,
    person_edit,
    person_file,
    persons,
    referrals,
    rights,
    staff,
)
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data

# Enumerating the service calls --------------------------------------------------------------

NO_DATA_RETURNS = {"None", "uuid.UUID", "bool", "int"}
"""Return types that cannot carry a person's data: a call returning one of them is a write
(or a check) whatever it takes."""

NOT_ONE_PERSON = {"worker_id", "programme_id"}


def _modules() -> Iterator[Any]:
    for info in pkgutil.iter_modules(casework.services.__path__):
        yield importlib.import_module(f"casework.services.{info.name}")


def service_calls() -> dict[str, Callable[..., Any]]:
    """Every public service call: a function of a services module taking a Context first."""
    found: dict[str, Callable[..., Any]] = {}
    for module in _modules():
        short = module.__name__.rsplit(".", 1)[-1]
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn):
                continue
            if fn.__module__ != module.__name__:
                continue
            params = list(inspect.signature(fn).parameters.values())
            if params and params[0].name == "ctx":
                found[f"{short}.{name}"] = fn
    return found


def person_types() -> set[str]:
    """Names of the output types that hold a person's data: a ``person_id`` or ``person``
    field, a PersonSummary, or a field of such a type (transitively)."""
    classes: dict[str, type] = {}
    for module in _modules():
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and obj.__module__.startswith("casework.services."):
                classes[name] = obj

    def fields(cls: type) -> dict[str, str]:
        out: dict[str, str] = {}
        for base in reversed(cls.__mro__):
            out.update({k: str(v) for k, v in vars(base).get("__annotations__", {}).items()})
        return out

    found = {
        name
        for name, cls in classes.items()
        if {"person_id", "person"} & set(fields(cls)) or issubclass(cls, persons.PersonSummary)
    }
    grew = True
    while grew:
        more = {
            name
            for name, cls in classes.items()
            if name not in found and any(t in v for v in fields(cls).values() for t in found)
        }
        found |= more
        grew = bool(more)
    return found


def touches_a_person(fn: Callable[..., Any], types: set[str]) -> bool:
    """Takes a person, or something of one person (a referral, a case, a request...), or
    returns rows that hold a person's data."""
    sig = inspect.signature(fn)
    returns = str(sig.return_annotation)
    if returns in NO_DATA_RETURNS:
        return False
    for p in sig.parameters.values():
        if p.name == "request_id" and p.kind is p.KEYWORD_ONLY:
            continue  # the idempotency key of a save, not a rights request
        if p.name.endswith(("_id", "_ids")) and p.name not in NOT_ONE_PERSON:
            return True
    return bool(set(re.findall(r"\w+", returns)) & types)


def test_every_service_call_that_touches_one_person_is_a_gated_read_or_says_why_not() -> None:
    calls = service_calls()
    types = person_types()
    assert {"PersonDetail", "FollowUpOut", "ReferralOut", "PersonFile"} <= types
    touching = {name for name, fn in calls.items() if touches_a_person(fn, types)}
    unclassified = touching - set(gate.PERSON_READS) - set(gate.NOT_PERSON_READS)
    assert unclassified == set(), (
        "these service calls take a person or return person data: mark them "
        "@gate.person_read (and pass gate.read_person) or list them, with the reason, in "
        "gate.NOT_PERSON_READS"
    )
    assert set(gate.PERSON_READS) & set(gate.NOT_PERSON_READS) == set()
    # The list of exceptions names only calls that exist and would otherwise be caught.
    assert set(gate.NOT_PERSON_READS) <= touching
    assert all(reason.strip() for reason in gate.NOT_PERSON_READS.values())
    # Every gated read is a service call, and the one below proves each of them.
    assert set(gate.PERSON_READS) <= set(calls)
    assert set(gate.PERSON_READS) == set(SPECS)


def test_a_marked_read_that_skips_the_gate_fails_instead_of_returning_data() -> None:
    def leaky(ctx: Context, person_id: uuid.UUID) -> str:
        return "the person's phone"

    marked = gate.person_read(leaky)
    try:
        with pytest.raises(gate.GateSkipped):
            marked(Context(None), uuid.uuid4())  # type: ignore[arg-type]
    finally:
        del gate.PERSON_READS["test_read_gate.leaky"]


# The world every gated read is tried on ---------------------------------------------------


@dataclass
class World:
    database: Database
    person_id: uuid.UUID
    referral_id: uuid.UUID
    guidance_id: uuid.UUID
    actors: dict[str, Context]
    folder: Path
    admin: Context
    desk: Context
    """The person's own worker, who registers their requests at the desk."""


def _worker(
    admin: Context, username: str, programme: str, role: str = "worker", office_wide: bool = False
) -> Context:
    made = staff.create_worker(
        admin,
        {
            "username": username,
            "full_name": f"Persona {username}",
            "programme_code": programme,
            "role": role,
            "office_wide": office_wide,
        },
    )
    return Context(admin.db, made.id)


@pytest.fixture
def world(
    database: Database,
    admin: WorkerOut,
    worker: WorkerOut,
    supervisor: WorkerOut,
    tmp_path: Path,
) -> World:
    admin_ctx = Context(database, admin.id)
    own = Context(database, worker.id)
    person_id = persons.register_intake(own, intake_data()).person_id
    persons.add_note(own, person_id, {"text": "Trae certificado de nacimiento."})
    referral_id = referrals.create(
        own,
        person_id,
        {"destination": "cesfam", "reason": "Inscripción en salud", "request_now": False},
    )
    guidance_id = guidance.start(own, person_id, {"route_id": "humanitarian_pregnancy"})
    staff.create_programme(admin_ctx, {"code": "OMIL", "name": "OMIL"})
    gone = _worker(admin_ctx, "sefue", "OFMIG")
    # Hers too, once: she helped at the desk (a file outside her caseload needs the reason).
    persons.record_contact(gone, person_id, {"reasons": ["health"]}, reason="desk_visit")
    assert gone.actor_id is not None
    staff.set_active(admin_ctx, gone.actor_id, False)
    return World(
        database=database,
        person_id=person_id,
        referral_id=referral_id,
        guidance_id=guidance_id,
        actors={
            "nobody": Context(database),
            "gone": gone,
            "own": own,
            "programme": Context(database, supervisor.id),
            "outside_desk": _worker(admin_ctx, "omil", "OMIL"),
            "outside_supervisor": _worker(admin_ctx, "supomil", "OMIL", "supervisor"),
            "office": _worker(admin_ctx, "jefa", "OMIL", "supervisor", office_wide=True),
        },
        folder=tmp_path / "answers",
        admin=admin_ctx,
        desk=own,
    )


@dataclass(frozen=True)
class Spec:
    """How to call one gated read, and who stands where to the person for it."""

    call: Callable[[Context, World, Any, str | None], object]
    prepare: Callable[[World], Any] = lambda w: None
    own: str = "own"
    """Who reads without a reason, and so their standing: "own" (the case's worker) or
    "programme" (its programme's supervisor, who answers the rights requests)."""
    outsider: str = "outside_desk"
    """Outside the caseload and programme, refused without a reason."""
    refused_code: str = "reason_required"
    reason: str | None = "colleague_help"
    """What the outsider gives; None: the call carries its own (a rights request)."""
    outsider_with_reason: str = "outside_desk"
    recorded_reason: str | None = "colleague_help"
    """None: the one let through without a reason is not outside (``with_access``)."""
    with_access: str = "outside"
    what: str = ""


_others = itertools.count(1)


def _another_person(w: World) -> uuid.UUID:
    """A second person of the same worker: the other side of a duplicate comparison."""
    n = next(_others)
    data = person_data(
        given_names=f"Otra{n:03d}", documents=[{"type": "passport", "number": f"CO{n:06d}"}]
    )
    return persons.register_intake(w.desk, intake_data(data), allow_likely=True).person_id


def _access_request(w: World) -> uuid.UUID:
    req = rights.register(w.desk, {"person_id": w.person_id, "kind": "access"})
    rights.confirm_identity(w.actors["programme"], req.id)  # the supervisor checks it
    return req.id


def _rights_answer(call: Callable[[Context, World, Any, str | None], object]) -> Spec:
    """The answer to an access request: the work of the person's programme's supervisor
    (another programme's is refused) or of an office-wide supervisor."""
    return Spec(
        call,
        prepare=_access_request,
        own="programme",
        outsider="outside_supervisor",
        refused_code="other_programme",
        reason=None,
        outsider_with_reason="office",
        recorded_reason=None,
        with_access="office",
        what="rights_export",
    )


SPECS: dict[str, Spec] = {
    "person_file.open_file": Spec(
        lambda c, w, _a, r: person_file.open_file(c, w.person_id, r), what="file"
    ),
    "person_file.get_person": Spec(
        lambda c, w, _a, r: person_file.get_person(c, w.person_id, reason=r), what="detail"
    ),
    "person_file.timeline": Spec(
        lambda c, w, _a, r: person_file.timeline(c, w.person_id, reason=r), what="timeline"
    ),
    "person_edit.form": Spec(
        lambda c, w, _a, r: person_edit.form(c, w.person_id, reason=r), what="detail"
    ),
    "followups.for_person": Spec(
        lambda c, w, _a, r: followups.for_person(c, w.person_id, reason=r), what="follow_ups"
    ),
    "referrals.for_person": Spec(
        lambda c, w, _a, r: referrals.for_person(c, w.person_id, reason=r), what="referrals"
    ),
    "referrals.get": Spec(
        lambda c, w, _a, r: referrals.get(c, w.referral_id, reason=r), what="referral"
    ),
    "guidance.for_person": Spec(
        lambda c, w, _a, r: guidance.for_person(c, w.person_id, reason=r), what="guidance"
    ),
    "guidance.get": Spec(
        lambda c, w, _a, r: guidance.get(c, w.guidance_id, reason=r), what="guidance"
    ),
    "cases.current_case": Spec(
        lambda c, w, _a, r: cases.current_case(c, w.person_id, reason=r), what="current_case"
    ),
    "case_lifecycle.current": Spec(
        lambda c, w, _a, r: case_lifecycle.current(c, w.person_id, reason=r),
        what="current_case",
    ),
    "assignment.case_assignment": Spec(
        lambda c, w, _a, r: assignment.case_assignment(c, w.person_id, reason=r),
        what="current_case",
    ),
    "rights.blocked": Spec(
        lambda c, w, _a, r: rights.blocked(c, w.person_id, reason=r), what="blocked"
    ),
    "merge.compare": Spec(
        lambda c, w, other, r: merge.compare(c, w.person_id, other, reason=r),
        prepare=_another_person,
        what="detail",
    ),
    "rights.answer_access": _rights_answer(lambda c, _w, req, _r: rights.answer_access(c, req)),
    "rights.answer_access_to": _rights_answer(
        lambda c, w, req, _r: rights.answer_access_to(c, req, w.folder)
    ),
}


def _rows(database: Database) -> list[AuditEvent]:
    with database.read() as s:
        return list(s.scalars(sa.select(AuditEvent).order_by(AuditEvent.at)))


def _views(database: Database, person_id: uuid.UUID, since: int) -> list[AuditEvent]:
    return [
        e
        for e in _rows(database)[since:]
        if e.action == "view" and e.entity == "person" and e.person_id == person_id
    ]


def _refused(spec: Spec, w: World, who: str, reason: str | None) -> str:
    """Call as ``who``; the refusal's code. Nothing at all may be written."""
    args = spec.prepare(w)
    before = len(_rows(w.database))
    with pytest.raises(NotAllowed) as refused:
        spec.call(w.actors[who], w, args, reason)
    assert len(_rows(w.database)) == before, f"a refused read by {who} wrote to the trail"
    return refused.value.code


def _let_through(spec: Spec, w: World, who: str, reason: str | None) -> dict[str, Any]:
    """Call as ``who``; the details of the one view row the read wrote."""
    args = spec.prepare(w)
    before = len(_rows(w.database))
    result = spec.call(w.actors[who], w, args, reason)
    assert result is not None or spec.what == "blocked"  # no block on this file
    [view] = _views(w.database, w.person_id, before)
    assert view.worker_id == w.actors[who].actor_id
    assert view.entity_id == w.person_id
    return dict(view.details)


def test_every_gated_read_refuses_or_records(world: World) -> None:
    reached: list[str] = []
    for name, spec in SPECS.items():
        # Nobody signed in, and a worker since deactivated (the person was hers), read nothing.
        assert _refused(spec, world, "nobody", spec.reason) == "no_actor", name
        assert _refused(spec, world, "gone", spec.reason) == "no_actor", name
        # Another programme's worker without a reason: refused, nothing written.
        assert _refused(spec, world, spec.outsider, None) == spec.refused_code, name
        # With one: let through, one view row naming what was read and the reason's code.
        details = _let_through(spec, world, spec.outsider_with_reason, spec.reason)
        expected = {"what": spec.what, "access": spec.with_access}
        if spec.recorded_reason is not None:
            expected["reason"] = spec.recorded_reason
        assert details == expected, name
        # Her own file (or the programme's supervisor's): no reason asked, none recorded.
        own = _let_through(spec, world, spec.own, None)
        assert own == {"what": spec.what, "access": spec.own}, name
        reached.append(name)
    assert reached == list(SPECS)


def test_a_reload_is_checked_like_any_read(world: World) -> None:
    outsider = world.actors["outside_desk"]
    before = len(_rows(world.database))
    with pytest.raises(NotAllowed) as refused:
        person_file.open_file(outsider, world.person_id, reload=True)
    assert refused.value.code == "reason_required"
    with pytest.raises(NotAllowed):
        person_file.open_file(world.actors["gone"], world.person_id, reload=True)
    assert len(_rows(world.database)) == before
    opened = person_file.open_file(outsider, world.person_id, "desk_visit", reload=True)
    assert opened.access == "outside" and opened.detail.given_names == "Yesenia Carolina"
    [view] = _views(world.database, world.person_id, before)
    assert view.details == {
        "what": "file",
        "access": "outside",
        "reason": "desk_visit",
        "reload": True,
    }


def test_a_comparison_records_what_two_detail_reads_recorded(world: World) -> None:
    """The duplicate comparison reads both records in one call: one view row per person,
    the same as person_file.get_person writes for each."""
    other = _another_person(world)
    reviewer = world.actors["outside_supervisor"]

    def views_of(read: Callable[[], object]) -> list[tuple[Any, ...]]:
        before = len(_rows(world.database))
        read()
        return [
            (e.action, e.entity, e.entity_id, e.person_id, e.worker_id, e.details)
            for e in _rows(world.database)[before:]
        ]

    one_by_one = views_of(
        lambda: [
            person_file.get_person(reviewer, pid, reason="duplicate_check")
            for pid in (world.person_id, other)
        ]
    )
    together = views_of(
        lambda: merge.compare(reviewer, world.person_id, other, reason="duplicate_check")
    )
    assert together == one_by_one
    assert [row[2] for row in together] == [world.person_id, other]
    compared = merge.compare(reviewer, world.person_id, other, reason="duplicate_check")
    assert compared.a == person_file.get_person(reviewer, world.person_id, reason="duplicate_check")
    assert compared.b.id == other
    # Refused for one side, nothing is recorded for either.
    before = len(_rows(world.database))
    with pytest.raises(NotAllowed):
        merge.compare(reviewer, world.person_id, other)
    assert len(_rows(world.database)) == before


def test_a_rights_request_of_someone_else_is_no_reason(world: World) -> None:
    """The gate checks the request it is given: an outsider answering the request of
    another person cannot read this one with it."""
    outsider = world.actors["outside_supervisor"]
    own = world.desk
    someone = person_data(
        given_names="Marisol", documents=[{"type": "passport", "number": "PE7654321"}]
    )
    other = persons.register_intake(own, intake_data(someone)).person_id
    req = rights.register(
        world.actors["programme"], {"person_id": other, "kind": "access", "identity_checked": True}
    )
    before = len(_rows(world.database))
    with world.database.write() as s, pytest.raises(NotAllowed) as refused:
        person_file.read_file(
            s, outsider, world.person_id, gate.Read.RIGHTS_EXPORT, rights_request=req.id
        )
    assert refused.value.code == "reason_required"
    assert len(_rows(world.database)) == before


def test_only_the_services_load_a_persons_data_inside_a_transaction() -> None:
    """The loaders that run after the gate (``load_for_person``, ``read_file``) and the gate
    itself are the services' own: no screen or command calls them."""
    root = Path(casework.services.__file__).parent.parent
    outside = [p for p in root.rglob("*.py") if "services" not in p.relative_to(root).parts]
    assert outside
    for path in outside:
        text = path.read_text(encoding="utf-8")
        for name in ("load_for_person", "read_file(", "read_person("):
            assert name not in text, f"{path.relative_to(root)} calls {name}"
