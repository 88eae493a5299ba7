"""The office's own referral destinations: an administrator adds and deactivates them;
desks refer to them like to the shipped ones, with the same consent gate."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from casework import refdata
from casework.cli import main
from casework.db import Database
from casework.errors import InvalidInput, NotAllowed
from casework.models import AuditEvent, FollowUp, LocalDestination
from casework.services import auth, catalogue, persons, referrals, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data

NGO = {
    "name_es": "Fundación Vecinos de Yungay",
    "service_area": "legal",
    "when_es": "Asesoría para arriendos abusivos",
    "typical_outcome_es": "Orientación y patrocinio",
    "contact_es": "Libertad 53, Santiago · martes y jueves",
    "private": True,
}
CESFAM = {
    "key": "cesfam_yungay",
    "name_es": "CESFAM Yungay",
    "name_en": "Yungay primary health centre",
    "service_area": "health",
    "contact_es": "Esperanza 1090",
}


@pytest.fixture
def admin_ctx(database: Database, admin: WorkerOut) -> Context:
    return Context(database, admin.id)


def test_added_destinations_are_offered_after_the_shipped_ones(
    admin_ctx: Context, ctx: Context, database: Database
) -> None:
    ngo = catalogue.add_destination(admin_ctx, NGO)
    cesfam = catalogue.add_destination(admin_ctx, CESFAM)
    assert ngo.key == "fundacion_vecinos_de_yungay"  # made from the name, accents folded
    assert ngo.name_en == NGO["name_es"]  # no English name: the Spanish one is shown
    assert cesfam.key == "cesfam_yungay"

    offered = catalogue.destinations(ctx)  # any worker sees the whole catalogue
    shipped = refdata.destinations()
    assert offered[: len(shipped)] == shipped
    assert [d.key for d in offered[len(shipped) :]] == ["cesfam_yungay", ngo.key]
    local = offered[-1]
    assert (local.private, local.contact_es, local.source) == (True, NGO["contact_es"], "local")

    # The same name again gets its own key; a given key that is taken is refused by field.
    assert catalogue.add_destination(admin_ctx, NGO).key == f"{ngo.key}_2"
    with pytest.raises(InvalidInput) as err:
        catalogue.add_destination(admin_ctx, {**CESFAM, "key": "cesfam"})  # a shipped key
    assert (err.value.errors[0].field, err.value.errors[0].code) == ("key", "destination_exists")

    with database.read() as s:
        events = s.execute(
            sa.select(AuditEvent.action, AuditEvent.details).where(
                AuditEvent.entity == "destination"
            )
        ).all()
    assert [action for action, _ in events] == ["create", "create", "create"]
    assert all(set(details) <= {"private"} for _, details in events)  # ids only, no text


def test_bad_input_is_refused_field_by_field(admin_ctx: Context) -> None:
    with pytest.raises(InvalidInput) as err:
        catalogue.add_destination(
            admin_ctx, {"name_es": " ", "service_area": "astrology", "key": "Con Espacios"}
        )
    codes = {e.field: e.code for e in err.value.errors}
    assert codes == {
        "name_es": "required",
        "service_area": "unknown_service_area",
        "key": "destination_key_format",
    }
    key_error = next(e for e in err.value.errors if e.field == "key")
    assert "minúsculas" in key_error.message("es") and "lower-case" in key_error.message("en")


def test_only_an_administrator_changes_the_catalogue(
    admin_ctx: Context, ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    for who in (ctx, Context(database, supervisor.id)):
        with pytest.raises(NotAllowed):
            catalogue.add_destination(who, NGO)
    key = catalogue.add_destination(admin_ctx, NGO).key
    with pytest.raises(NotAllowed):
        catalogue.set_destination_active(ctx, key, False)
    with pytest.raises(NotAllowed):
        catalogue.update_destination(ctx, key, {**NGO, "contact_es": "otra"})
    with pytest.raises(InvalidInput):
        catalogue.set_destination_active(admin_ctx, "sermig", False)  # shipped: read-only here


def test_a_referral_to_a_local_destination_is_saved_with_its_follow_up(
    admin_ctx: Context, ctx: Context, database: Database
) -> None:
    key = catalogue.add_destination(admin_ctx, CESFAM).key
    pid = persons.register_intake(ctx, intake_data()).person_id
    rid = referrals.create(ctx, pid, {"destination": key, "reason": "Inscripción"})
    ref = referrals.get(ctx, rid)
    assert (ref.destination_key, ref.service_area, ref.status) == (key, "health", "requested")
    with database.read() as s:
        what = s.scalar(sa.select(FollowUp.what).where(FollowUp.referral_id == rid))
        basis = s.scalar(
            sa.select(AuditEvent.details).where(
                AuditEvent.entity_id == rid, AuditEvent.action == "legal_basis"
            )
        )
    assert what == "Derivación a CESFAM Yungay: ¿hubo respuesta?"
    assert basis == {"basis": "public_function", "destination": key}  # a public body


def test_a_private_local_destination_needs_consent(
    admin_ctx: Context, ctx: Context, database: Database
) -> None:
    key = catalogue.add_destination(admin_ctx, NGO).key
    pid = persons.register_intake(ctx, intake_data()).person_id
    data = {"destination": key, "reason": "Arriendo abusivo"}
    with pytest.raises(NotAllowed) as err:
        referrals.create(ctx, pid, data)
    assert err.value.code == "consent_required"
    rid = referrals.create(ctx, pid, {**data, "consent_given": True})
    assert referrals.get(ctx, rid).status == "requested"
    with database.read() as s:
        assert persons.has_consent(s, pid, key)


def test_a_deactivated_destination_is_no_longer_offered_but_old_referrals_keep_it(
    admin_ctx: Context, ctx: Context, database: Database
) -> None:
    key = catalogue.add_destination(admin_ctx, CESFAM).key
    pid = persons.register_intake(ctx, intake_data()).person_id
    rid = referrals.create(ctx, pid, {"destination": key, "reason": "Inscripción"})
    catalogue.set_destination_active(admin_ctx, key, False)

    assert key not in {d.key for d in catalogue.destinations(ctx)}
    assert referrals.get(ctx, rid).destination_key == key
    old = catalogue.destination(ctx, key)
    assert old is not None and old.name_es == "CESFAM Yungay"  # names old referrals
    with pytest.raises(InvalidInput) as err:
        referrals.create(ctx, pid, {"destination": key, "reason": "Otra vez"})
    assert err.value.errors[0].code == "unknown_destination"
    with database.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(LocalDestination)) == 1

    catalogue.set_destination_active(admin_ctx, key, True)
    assert key in {d.key for d in catalogue.destinations(ctx)}
    edited = {name: value for name, value in CESFAM.items() if name != "key"}
    updated = catalogue.update_destination(
        admin_ctx, key, {**edited, "contact_es": "Esperanza 1090, Santiago"}
    )
    assert updated.key == key and updated.contact_es.endswith("Santiago")
    with database.read() as s:
        actions = list(
            s.scalars(
                sa.select(AuditEvent.action)
                .where(AuditEvent.entity == "destination")
                .order_by(AuditEvent.at)
            )
        )
    assert actions == ["create", "deactivate", "reactivate", "update"]


def test_an_unknown_destination_is_still_refused(ctx: Context) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    with pytest.raises(InvalidInput) as err:
        referrals.create(ctx, pid, {"destination": "nowhere", "reason": "x"})
    assert (err.value.errors[0].field, err.value.errors[0].code) == (
        "destination",
        "unknown_destination",
    )


def test_consent_can_name_a_local_destination_at_intake_and_later(
    admin_ctx: Context, ctx: Context
) -> None:
    """Consent to share is recorded for the office's own destinations too, at intake or in
    the file; a key that is in no catalogue is refused by field and nothing is saved."""
    key = catalogue.add_destination(admin_ctx, NGO).key
    share = {"purpose": "share_with_destination", "destination_key": key}
    pid = persons.register_intake(ctx, intake_data(consents=[share])).person_id
    with ctx.db.read() as s:
        assert persons.has_consent(s, pid, key)
    # Consent already given: the referral to the private destination goes through.
    referrals.create(ctx, pid, {"destination": key, "reason": "Arriendo abusivo"})

    rosa = person_data(given_names="Rosa", documents=[{"type": "passport", "number": "P77"}])
    other = persons.register_intake(ctx, intake_data(rosa)).person_id
    persons.record_consent(ctx, other, share)
    with pytest.raises(InvalidInput) as err:
        persons.record_consent(ctx, other, {**share, "destination_key": "nowhere"})
    assert (err.value.errors[0].field, err.value.errors[0].code) == (
        "destination",
        "unknown_destination",
    )
    with pytest.raises(InvalidInput):
        persons.register_intake(ctx, intake_data(consents=[{**share, "destination_key": "x"}]))


def test_catalogue_command_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from casework.db import open_database

    path = str(tmp_path / "office.db")
    db = open_database(path)
    ctx = Context(db)
    first = staff.first_run(
        ctx,
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "ana", "full_name": "Ana Pizarro"},
    )
    auth.choose_first_password(ctx, first.id, "frase larga de ana")
    monkeypatch.setattr("casework.cli.stdin_is_terminal", lambda: True)  # at a terminal
    monkeypatch.setattr("builtins.input", lambda _prompt: "ana")
    monkeypatch.setattr("getpass.getpass", lambda _prompt: "frase larga de ana")
    add = ["catalogue", "add", "--name", "ONG Vecinos", "--area", "housing", "--private"]
    assert main([*add, "--contact", "Libertad 53", "--db", path]) == 0
    assert "ong_vecinos" in capsys.readouterr().out
    assert main(["catalogue", "add", "--name", "X", "--area", "nope", "--db", path]) == 2
    assert main(["catalogue", "deactivate", "ong_vecinos", "--db", path]) == 0
    assert main(["catalogue", "list", "--db", path]) == 0
    listing = capsys.readouterr().out
    assert "sermig" in listing and "ong_vecinos" in listing and "desactivado" in listing
    assert "ong_vecinos" not in {d.key for d in catalogue.destinations(ctx)}
    db.dispose()
