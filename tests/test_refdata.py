"""Shipped reference data and its loader (casework.refdata)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path

import pytest

from casework import refdata
from casework.refdata import Code

# Communes per region, regions 1..16 (domain-chile.md §4.3).
REGION_COUNTS = {
    "01": 7,
    "02": 9,
    "03": 9,
    "04": 15,
    "05": 38,
    "06": 33,
    "07": 30,
    "08": 33,
    "09": 32,
    "10": 30,
    "11": 10,
    "12": 11,
    "13": 52,
    "14": 12,
    "15": 4,
    "16": 21,
}

CODE_LISTS: dict[str, tuple[Code, ...]] = {
    "REFERRAL_OUTCOMES": refdata.REFERRAL_OUTCOMES,
    "REFERRAL_STATUSES": refdata.REFERRAL_STATUSES,
    "CONTACT_REASONS": refdata.CONTACT_REASONS,
    "CONTACT_CHANNELS": refdata.CONTACT_CHANNELS,
    "CIVIL_STATUSES": refdata.CIVIL_STATUSES,
    "GENDER_IDENTITIES": refdata.GENDER_IDENTITIES,
    "SEXES": refdata.SEXES,
    "RELATIONSHIPS": refdata.RELATIONSHIPS,
    "MIGRATION_STATUSES": refdata.MIGRATION_STATUSES,
    "INDIGENOUS_PEOPLES": refdata.INDIGENOUS_PEOPLES,
}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    refdata.reload()
    yield
    refdata.reload()


# --------------------------------------------------------------------------- communes


def test_346_communes_with_unique_five_digit_codes() -> None:
    communes = refdata.communes()
    assert len(communes) == 346
    codes = [c.code for c in communes]
    assert len(set(codes)) == 346
    assert all(len(c) == 5 and c.isdigit() for c in codes)
    assert all(c.code[:2] == c.region_code for c in communes)
    assert all(c.name and c.province and c.region for c in communes)


def test_communes_per_region() -> None:
    counts = Counter(c.region_code for c in refdata.communes())
    assert dict(counts) == REGION_COUNTS
    assert counts["13"] == 52
    assert len(refdata.regions()) == 16
    assert len({c.province for c in refdata.communes()}) == 56


def test_known_communes() -> None:
    santiago = refdata.commune("13101")
    assert santiago is not None
    assert (santiago.name, santiago.province, santiago.region_code) == (
        "Santiago",
        "Santiago",
        "13",
    )
    chillan = refdata.commune("16101")
    assert chillan is not None
    assert chillan.name == "Chillán"
    assert chillan.region == "Ñuble"
    macul = refdata.commune("13118")
    assert macul is not None
    assert macul.name == "Macul"  # the upstream fixture says "Macúl"
    iquique = refdata.commune("1101")  # leading zero dropped by a spreadsheet
    assert iquique is not None
    assert iquique.code == "01101"
    assert refdata.commune("99999") is None
    assert refdata.commune("santiago") is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Ñuñoa", "13120"),
        ("nunoa", "13120"),
        ("  ESTACION central ", "13106"),
        ("Maipu", "13119"),
        ("macúl", "13118"),
        ("Chillan", "16101"),
        ("o'higgins", "11302"),
        ("Til Til", "13303"),
        ("13101", "13101"),
        ("Santiago Centro", "13101"),
    ],
)
def test_find_commune(text: str, code: str) -> None:
    found = refdata.find_commune(text)
    assert found is not None
    assert found.code == code


def test_find_commune_unknown() -> None:
    assert refdata.find_commune("Gotham") is None
    assert refdata.find_commune("") is None


def test_search_communes_ranks_exact_then_prefix() -> None:
    names = [c.name for c in refdata.search_communes("san pedro")]
    assert names[0] == "San Pedro"
    assert {"San Pedro de Atacama", "San Pedro de La Paz"} <= set(names)
    assert refdata.search_communes("") == []


# --------------------------------------------------------------------------- countries


def test_countries_complete_and_unique() -> None:
    countries = refdata.countries()
    assert len(countries) >= 249
    for attr in ("alpha2", "alpha3", "numeric"):
        values = [getattr(c, attr) for c in countries]
        assert len(set(values)) == len(values), attr
    assert all(len(c.numeric) == 3 and c.numeric.isdigit() for c in countries)
    assert all(c.name_es and c.name_en for c in countries)


@pytest.mark.parametrize(
    ("query", "alpha3"),
    [
        ("HT", "HTI"),
        ("ht", "HTI"),
        ("HTI", "HTI"),
        ("332", "HTI"),
        ("Haití", "HTI"),
        ("haiti", "HTI"),
        ("862", "VEN"),
        ("Venezuela", "VEN"),
        ("Venezuela (República Bolivariana de)", "VEN"),
        ("venezolana", "VEN"),
        ("068", "BOL"),
        ("68", "BOL"),
        ("Bolivia", "BOL"),
        ("Perú", "PER"),
        ("peru", "PER"),
        ("PE", "PER"),
        ("República Dominicana", "DOM"),
        ("republica dominicana", "DOM"),
        ("Estados Unidos", "USA"),
        ("United States", "USA"),
        ("Reino Unido", "GBR"),
        ("Colombia", "COL"),
        ("152", "CHL"),
        ("Chile", "CHL"),
        ("032", "ARG"),
        ("Cuba", "CUB"),
        ("Ecuador", "ECU"),
        ("Brasil", "BRA"),
        ("Brazil", "BRA"),
        ("China", "CHN"),
        ("Corea del Sur", "KOR"),
        ("Rusia", "RUS"),
        ("Senegal", "SEN"),
    ],
)
def test_country_lookup(query: str, alpha3: str) -> None:
    found = refdata.country(query)
    assert found is not None, query
    assert found.alpha3 == alpha3


def test_country_spanish_names_are_the_usual_ones() -> None:
    expected = {
        "PER": "Perú",
        "HTI": "Haití",
        "VEN": "Venezuela",
        "BOL": "Bolivia",
        "DOM": "República Dominicana",
        "USA": "Estados Unidos",
        "GBR": "Reino Unido",
    }
    for alpha3, name in expected.items():
        found = refdata.country(alpha3)
        assert found is not None
        assert found.name_es == name


def test_country_unknown() -> None:
    assert refdata.country("") is None
    assert refdata.country("Atlantis") is None
    assert refdata.country("999") is None
    assert refdata.country("XX") is None


def test_search_countries() -> None:
    assert [c.alpha3 for c in refdata.search_countries("venez")] == ["VEN"]
    assert refdata.search_countries("rep")[0].name_es.startswith("República")


# --------------------------------------------------------------------------- identifiers


def test_document_types_follow_cl_core() -> None:
    types = refdata.document_types()
    assert [d.code for d in types] == [f"{n:02d}" for n in range(1, 15)]
    assert [d.key for d in types] == [
        "run",
        "run_provisional",
        "run_mother",
        "folio",
        "passport",
        "national_id",
        "birth_certificate",
        "nip",
        "nic",
        "ipa",
        "ipe",
        "clinical_record",
        "rnpi",
        "other",
    ]
    assert [d.key for d in types if d.checked_mod11] == ["run"]


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("01", "run"),
        ("1", "run"),
        ("run", "run"),
        ("RUT", "run"),
        ("pasaporte", "passport"),
        ("Passport", "passport"),
        ("05", "passport"),
        ("dni", "national_id"),
        ("DNI", "national_id"),
        ("cédula", "national_id"),
        ("cedula", "national_id"),
        ("national_id", "national_id"),
        ("ipe", "ipe"),
        ("IPA", "ipa"),
        ("otro", "other"),
        ("other", "other"),
        ("14", "other"),
        ("run_provisional", "run_provisional"),
        ("RUN provisorio", "run_provisional"),
    ],
)
def test_document_type_aliases(query: str, key: str) -> None:
    found = refdata.document_type(query)
    assert found is not None, query
    assert found.key == key


def test_document_type_unknown() -> None:
    assert refdata.document_type("15") is None
    assert refdata.document_type("licencia de pesca") is None


# --------------------------------------------------------------------------- languages


def test_languages() -> None:
    codes = {lang.code for lang in refdata.languages()}
    required = {"es", "ht", "fr", "en", "pt", "qu", "ay", "arn", "zh", "ar", "wo", "ru", "uk"}
    assert required <= codes
    assert refdata.languages()[0].code == "es"
    kreyol = refdata.language("kreyòl")
    assert kreyol is not None
    assert kreyol.code == "ht"
    mapudungun = refdata.language("ARN")
    assert mapudungun is not None
    assert mapudungun.name_es == "Mapudungun"


# --------------------------------------------------------------------------- code lists


def test_service_areas() -> None:
    assert [a.key for a in refdata.service_areas()] == [
        "health",
        "housing",
        "legal",
        "education",
        "employment",
        "social_protection",
        "violence_protection",
        "regularization",
        "other",
    ]


@pytest.mark.parametrize("name", sorted(CODE_LISTS))
def test_code_lists_have_unique_keys_and_both_names(name: str) -> None:
    codes = CODE_LISTS[name]
    assert codes, name
    keys = [c.key for c in codes]
    assert len(set(keys)) == len(keys)
    assert all(k == k.strip() and " " not in k for k in keys)
    assert all(c.name_es.strip() and c.name_en.strip() for c in codes)


def test_required_keys_present() -> None:
    assert {c.key for c in refdata.CONTACT_REASONS} == {
        "regularization",
        "health",
        "education",
        "housing",
        "work",
        "violence",
        "children",
        "refuge",
        "documentation",
        "social_aid",
        "other",
    }
    assert [c.key for c in refdata.CONTACT_CHANNELS] == ["desk", "phone", "outreach", "online"]
    statuses = {c.key for c in refdata.MIGRATION_STATUSES}
    assert {
        "no_permit",
        "transit_expired",
        "temporary_in_process",
        "temporary",
        "permanent_in_process",
        "permanent",
        "refugee_applicant",
        "refugee",
        "nationalised",
        "stateless",
        "unknown",
    } <= statuses
    assert [c.code for c in refdata.GENDER_IDENTITIES] == [f"0{n}" for n in range(1, 8)]
    assert {c.code for c in refdata.CIVIL_STATUSES} == {"01", "02", "03", "04", "05", "06", "99"}
    fhir = {c.code for c in refdata.REFERRAL_STATUSES}
    assert {"draft", "requested", "accepted", "in-progress", "completed"} <= fhir


def test_label() -> None:
    assert refdata.label(refdata.CONTACT_REASONS, "refuge") == "Refugio"
    assert refdata.label(refdata.CONTACT_REASONS, "refuge", "en") == "Asylum"
    assert refdata.label(refdata.CONTACT_REASONS, "nope", "es") == "nope"
    assert refdata.label(refdata.CONTACT_REASONS, None) == ""
    assert refdata.label(refdata.service_areas(), "legal", "en") == "Legal aid"
    assert refdata.code_list("contact_channels") == refdata.CONTACT_CHANNELS


# --------------------------------------------------------------------------- destinations


def test_destinations() -> None:
    destinations = refdata.destinations()
    assert 25 <= len(destinations) <= 35
    keys = [d.key for d in destinations]
    assert len(set(keys)) == len(keys)
    areas = {a.key for a in refdata.service_areas()}
    for d in destinations:
        assert d.service_area in areas, d.key
        assert all((d.name_es, d.name_en, d.when_es, d.typical_outcome_es, d.source)), d.key
    used = {d.service_area for d in destinations}
    assert used == areas  # every area has somewhere to refer to


def test_destination_privacy_flags() -> None:
    private = {d.key for d in refdata.destinations() if d.private}
    assert {"sjm", "fasic", "incami", "migraduch"} <= private
    assert not {"sermig", "cesfam", "registro_civil", "omil"} & private
    sermig = refdata.destination("sermig")
    assert sermig is not None
    assert sermig.service_area == "regularization"
    assert refdata.destination("nope") is None


# --------------------------------------------------------------------------- metadata


@pytest.mark.parametrize(
    "name",
    [
        "communes.csv",
        "countries.csv",
        "document_types.csv",
        "languages.csv",
        "codes.toml",
        "destinations.toml",
        "screening.toml",
        "rights.toml",
    ],
)
def test_every_file_is_dated(name: str) -> None:
    assert refdata.reviewed_on(name) == date(2026, 11, 23)


# --------------------------------------------------------------------------- routes


REQUIRED_ROUTES = {
    "humanitarian_nna",
    "humanitarian_pregnancy",
    "humanitarian_vif",
    "humanitarian_trafficking",
    "humanitarian_smuggling",
    "family_reunification",
    "temporary_extension_change",
    "permanent_residence",
    "refuge",
    "consular_application",
}


def test_routes_shipped_and_well_formed() -> None:
    routes = refdata.routes()
    ids = [r.id for r in routes]
    assert len(set(ids)) == len(ids)
    assert set(ids) >= REQUIRED_ROUTES
    known = {q.key for q in refdata.screening_questions()}
    for r in routes:
        assert all((r.name_es, r.name_en, r.summary_es, r.summary_en)), r.id
        assert all((r.fees_es, r.who_files_es)), r.id
        assert r.sources, r.id
        assert isinstance(r.last_reviewed, date)
        assert set(r.apply_from) <= set(refdata.APPLY_FROM)
        assert r.steps, r.id
        assert r.documents, r.id
        for keys in r.eligibility.values():
            assert set(keys) <= known, r.id
    assert refdata.route("refuge") is not None
    assert refdata.route("nope") is None


def test_route_deadlines() -> None:
    def days(route_id: str, key: str) -> int:
        r = refdata.route(route_id)
        assert r is not None
        d = r.deadline(key)
        assert d is not None, (route_id, key)
        return d.days

    assert days("family_reunification", "additional_documents") == 60
    assert days("family_reunification", "certificate_extension") == 180
    assert days("family_reunification", "id_card") == 30
    assert days("temporary_extension_change", "renewal_window") == 90
    assert days("permanent_residence", "renewal_window") == 90
    refuge = refdata.route("refuge")
    assert refuge is not None
    filing = refuge.deadline("filing")
    assert filing is not None
    assert (filing.days, filing.business_days) == (7, True)


def test_where_routes_can_be_requested() -> None:
    def apply_from(route_id: str) -> tuple[str, ...]:
        r = refdata.route(route_id)
        assert r is not None
        return r.apply_from

    assert "in_chile" in apply_from("family_reunification")
    assert "abroad" in apply_from("family_reunification")
    assert apply_from("consular_application") == ("abroad",)
    assert apply_from("humanitarian_trafficking") == ("institution",)
    nna = refdata.route("humanitarian_nna")
    assert nna is not None
    assert nna.fees_es.startswith("Gratuita")


def test_rights() -> None:
    keys = {r.key for r in refdata.rights()}
    assert {
        "health_emergency",
        "health_fonasa_ds67",
        "education",
        "chile_crece_contigo",
        "emergency_numbers",
    } <= keys
    assert all(r.text_es and r.text_en and r.source for r in refdata.rights())
    numbers = refdata.right("emergency_numbers")
    assert numbers is not None
    assert "131" in numbers.text_es


# --------------------------------------------------------------------------- screener


def _ids(answers: Mapping[str, bool | None], **kwargs: bool) -> list[str]:
    return [r.id for r, _ in refdata.screen_routes(answers, **kwargs)]


def test_screen_pregnant_woman() -> None:
    result = refdata.screen_routes({"pregnant": True})
    assert [r.id for r, _ in result] == ["humanitarian_pregnancy"]
    assert result[0][1] == ["Está embarazada."]


def test_screen_pregnant_irregular_entry_adds_caveat() -> None:
    [(route, reasons)] = refdata.screen_routes({"pregnant": True, "irregular_entry": True})
    assert route.id == "humanitarian_pregnancy"
    assert any("art. 43" in reason for reason in reasons)


def test_screen_minor() -> None:
    assert _ids({"minor": True}) == ["humanitarian_nna"]


def test_screen_pregnant_minor_gets_both() -> None:
    assert _ids({"minor": True, "pregnant": True}) == ["humanitarian_nna", "humanitarian_pregnancy"]


def test_screen_fear_of_return() -> None:
    assert _ids({"fear_of_return": True}) == ["refuge"]


def test_screen_violence() -> None:
    assert _ids({"violence_victim": True}) == ["humanitarian_vif"]


def test_screen_trafficking_and_smuggling() -> None:
    assert _ids({"trafficking_victim": True}) == ["humanitarian_trafficking"]
    assert _ids({"smuggling_victim": True}) == ["humanitarian_smuggling"]


def test_screen_family() -> None:
    assert _ids({"chilean_or_permanent_relative": True}) == ["family_reunification"]


def test_screen_temporary_resident() -> None:
    result = refdata.screen_routes({"current_temporary_resident": True})
    assert [r.id for r, _ in result] == ["temporary_extension_change", "permanent_residence"]
    # permit_expired unanswered: proposed, but flagged to confirm
    assert all(any(x.startswith("Por confirmar") for x in reasons) for _, reasons in result)
    expired = {"current_temporary_resident": True, "permit_expired": True}
    assert _ids(expired) == []
    valid = {"current_temporary_resident": True, "permit_expired": False}
    assert all(
        not any(x.startswith("Por confirmar") for x in reasons)
        for _, reasons in refdata.screen_routes(valid)
    )


def test_screen_entered_before_2022() -> None:
    assert _ids({"entered_before_2022_02_12": True}) == ["temporary_from_transit_before_2022"]
    assert _ids({"entered_before_2022_02_12": True, "irregular_entry": True}) == []


def test_screen_nothing_answered() -> None:
    for answers in ({}, dict.fromkeys(q.key for q in refdata.screening_questions())):
        result = refdata.screen_routes(answers)
        for r, _ in result:
            assert not r.eligibility["all"], r.id
            assert not r.eligibility["any"], r.id
    all_no = dict.fromkeys((q.key for q in refdata.screening_questions()), False)
    assert _ids(all_no) == []


def test_screen_include_abroad() -> None:
    assert "consular_application" not in _ids({})
    assert _ids({}, include_abroad=True) == ["consular_application"]
    assert _ids({"irregular_entry": True}, include_abroad=True) == ["consular_application"]


def test_screen_only_in_chile_routes_by_default() -> None:
    everything = dict.fromkeys((q.key for q in refdata.screening_questions()), True)
    everything["permit_expired"] = False
    everything["irregular_entry"] = False
    for r, reasons in refdata.screen_routes(everything):
        assert {"in_chile", "institution"} & set(r.apply_from)
        assert reasons


# --------------------------------------------------------------------------- overrides


def test_override_dir_replaces_and_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes_dir = tmp_path / "routes"
    routes_dir.mkdir()
    (routes_dir / "extraordinary.toml").write_text(
        """
id = "extraordinary_test"
order = 1
name_es = "Proceso extraordinario (prueba)"
name_en = "Extraordinary process (test)"
apply_from = ["in_chile"]
summary_es = "x"
summary_en = "x"
fees_es = "x"
who_files_es = "x"
sources = ["test"]
last_reviewed = 2026-11-23

[eligibility]
all = ["irregular_entry"]

[[steps]]
key = "a"
text_es = "x"
text_en = "x"

[[documents]]
key = "b"
text_es = "x"
text_en = "x"
""",
        encoding="utf-8",
    )
    monkeypatch.setenv(refdata.OVERRIDE_ENV, str(tmp_path))
    refdata.reload()
    assert _ids({"irregular_entry": True}) == ["extraordinary_test"]
    assert len(refdata.communes()) == 346  # files not overridden still come from the package

    (routes_dir / "extraordinary.toml").write_text(
        (routes_dir / "extraordinary.toml")
        .read_text(encoding="utf-8")
        .replace('all = ["irregular_entry"]', 'all = ["has_a_unicorn"]'),
        encoding="utf-8",
    )
    refdata.reload()
    with pytest.raises(ValueError, match="has_a_unicorn"):
        refdata.routes()


def test_override_destination_with_unknown_area_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "destinations.toml").write_text(
        '[[destination]]\nkey = "x"\nname_es = "x"\nname_en = "x"\nservice_area = "magic"\n'
        'when_es = "x"\ntypical_outcome_es = "x"\nprivate = false\nsource = "x"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(refdata.OVERRIDE_ENV, str(tmp_path))
    refdata.reload()
    with pytest.raises(ValueError, match="magic"):
        refdata.destinations()


def test_the_extra_sensitive_flags_are_case_flags_the_office_can_set() -> None:
    """Hiding works only on flags that exist: the code list must keep all three."""
    from casework.services import cases, visibility

    assert visibility.SENSITIVE_CASE_FLAGS.issubset(cases.CASE_FLAGS)
    assert [c.key for c in refdata.code_list("case_flags")] == list(cases.CASE_FLAGS)
