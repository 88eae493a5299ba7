"""Normalisation, phonetic keys, documents and blocking keys of casework.matching."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework.matching import (
    KeyIndex,
    PersonRecord,
    TermFrequencies,
    candidate_pairs,
    is_valid_rut,
    match_keys,
    normalise_document,
    normalise_name,
    normalise_phone,
    query_keys,
    rut_dv,
)
from casework.matching.normalise import phon_form, skeleton


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("María José", "maria jose"),
        ("  MUÑOZ  ", "munoz"),
        ("Jean-Baptiste", "jean baptiste"),
        ("De la Cruz", "cruz"),
        ("del Carmen", "carmen"),
        ("María de los Ángeles", "maria angeles"),
        ("Ortega y Gasset", "ortega gasset"),
        ("Saint-Fleur", "saint fleur"),
        ("O'Higgins", "o higgins"),
        ("Dos Santos", "santos"),
        ("De", "de"),  # only a particle: kept rather than emptied
        ("", ""),
    ],
)
def test_normalise_name(typed: str, expected: str) -> None:
    assert normalise_name(typed) == expected


@given(st.text(max_size=40))
def test_normalise_name_is_idempotent(text: str) -> None:
    once = normalise_name(text)
    assert normalise_name(once) == once


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("gonzalez", "gonsales"),
        ("yesenia", "yessenia"),
        ("jhon", "john"),
        ("jhoana", "johana"),
        ("quispe", "kispe"),
        ("huaman", "guaman"),
        ("jimenez", "ximenez"),
        ("chavez", "chaves"),
        ("llanos", "yanos"),
        ("barrios", "varrios"),
        ("nathaly", "nataly"),
        ("yeison", "jeison"),
        ("kevin", "kevyn"),
    ],
)
def test_phonetic_form_merges_spelling_variants(a: str, b: str) -> None:
    assert phon_form(a) == phon_form(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("hernandez", "fernandez"), ("maria", "mario"), ("luis", "luisa"), ("jean", "juan")],
)
def test_phonetic_form_keeps_different_names_apart(a: str, b: str) -> None:
    assert phon_form(a) != phon_form(b)


def test_skeleton_is_coarse() -> None:
    assert skeleton("estefania") == skeleton("stefany")
    assert skeleton("brayan") == skeleton("bryan")
    assert skeleton("exantus") == skeleton("exantis")


@pytest.mark.parametrize(
    "rut",
    [
        "12345678-5",
        "12.678.579-8",
        "15509661-6",
        "30686957-4",
        "76086428-5",
        "11111111-1",
        "7775735-K",
        "7.775.735-k",
        "6-K",
        "1-9",
        "100000000-7",
        "25577885-4",
        "25 577 885 4",
    ],
)
def test_valid_ruts(rut: str) -> None:
    assert is_valid_rut(rut)


@pytest.mark.parametrize("rut", ["12345678-4", "7775735-1", "", "K", "abc-1", "12.345.678"])
def test_invalid_ruts(rut: str) -> None:
    assert not is_valid_rut(rut)


@given(st.integers(min_value=1, max_value=999_999_999))
def test_rut_dv_round_trip(body: int) -> None:
    rut = f"{body}-{rut_dv(body)}"
    assert is_valid_rut(rut)
    assert normalise_document("run", rut) == rut


@pytest.mark.parametrize(
    ("kind", "typed", "expected"),
    [
        ("run", "12.345.678-5", "12345678-5"),
        ("run", "12345678-5", "12345678-5"),
        ("run", " 7.775.735-k ", "7775735-K"),
        ("run", "077757355", "7775735-5"),  # leading zero dropped, invalid DV kept as typed
        ("ipe", "100.123.456-7", "100123456-7"),
        ("passport", "ab 123-456", "AB123456"),
        ("passport", "Ñ1234567", "N1234567"),
        ("national_id", "V-12.345.678", "12345678"),
        ("national_id", "1234567 LP", "1234567"),
        ("other", "x-9", "X9"),
    ],
)
def test_normalise_document(kind: str, typed: str, expected: str) -> None:
    assert normalise_document(kind, typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+56 9 1234 5678", "12345678"),
        ("912345678", "12345678"),
        ("(2) 2345 6789", "23456789"),
        ("1234", ""),
        ("", ""),
    ],
)
def test_normalise_phone_keeps_last_eight_digits(typed: str, expected: str) -> None:
    assert normalise_phone(typed) == expected


def _rec(rid: str, given: str, s1: str, s2: str | None = None, **kw: object) -> PersonRecord:
    return PersonRecord(rid, given, s1, s2, **kw)  # type: ignore[arg-type]


def test_match_keys_kinds() -> None:
    rec = _rec(
        "1",
        "María José",
        "González",
        "Pérez",
        birth_date=date(1990, 3, 7),
        documents=(("run", "12.345.678-5"), ("passport", "ab123456")),
        phones=("+56 9 1234 5678",),
    )
    keys = match_keys(rec)
    kinds = {k for k, _ in keys}
    assert {
        "doc",
        "rut_body",
        "phone8",
        "sur_skel",
        "giv_skel",
        "sur+giv",
        "sur+sur",
        "dob_sorted",
        "sur+yob",
        "sur+mmdd",
        "giv+yob",
        "giv+mmdd",
    } <= kinds
    assert ("doc", "12345678-5") in keys
    assert ("rut_body", "12345678") in keys
    assert ("doc", "AB123456") in keys
    assert ("dob_sorted", "19900307") in keys
    # a day/month swap lands on the same key
    swapped = match_keys(_rec("2", "María José", "González", "Pérez", birth_date=date(1990, 7, 3)))
    assert ("dob_sorted", "19900307") in swapped


def test_query_keys_for_partial_forms() -> None:
    names_only = query_keys(_rec("p", "Maria", "Gonzales"))
    assert names_only
    assert {k for k, _ in names_only} <= {"sur_skel", "giv_skel", "sur+giv"}
    doc_only = query_keys(_rec("p", "", "", documents=(("run", "12345678-5"),)))
    assert doc_only == {("doc", "12345678-5"), ("rut_body", "12345678")}
    assert query_keys(_rec("p", "", "")) == set()


def test_keys_survive_swapped_fields_and_surnames() -> None:
    stored = match_keys(_rec("1", "Brayan", "Martínez", "Rojas", birth_date=date(2001, 4, 4)))
    swapped_fields = query_keys(_rec("p", "Martinez", "Brayan"))
    swapped_surnames = query_keys(_rec("p", "Jhon", "Rojas", "Martínez"))
    assert stored & swapped_fields
    assert ("sur+sur", next(v for k, v in stored if k == "sur+sur")) in swapped_surnames


def test_key_index_candidates_rank_by_shared_keys() -> None:
    index = KeyIndex()
    target = _rec("t", "Wislande", "Exantus", birth_date=date(1985, 5, 1), nationality="HTI")
    index.extend(
        [
            target,
            _rec("x", "Guerline", "Exantus", birth_date=date(1979, 2, 2)),
            _rec("y", "Wislande", "Pierre", birth_date=date(1990, 1, 9)),
        ]
    )
    probe = _rec("p", "Wisland", "Exantis", birth_date=date(1985, 5, 1))
    assert index.candidate_ids(query_keys(probe))[0] == "t"
    assert [r.id for r in index.candidates(target)] != [] and all(
        r.id != "t" for r in index.candidates(target)
    )
    with pytest.raises(ValueError, match="already indexed"):
        index.add(target)


def test_candidate_pairs_blocking_rules() -> None:
    keys = [
        {("sur+yob", "gnsls|1990"), ("doc", "A1")},
        {("sur+yob", "gnsls|1990")},
        {("sur+yob", "gnsls|1990"), ("giv+yob", "mr|1990")},
        {("giv+yob", "mr|1990"), ("doc", "A1")},
        {("dob_sorted", "19900101")},
    ]
    pairs = {(i, j) for i, later in candidate_pairs(keys) for j in later}
    assert pairs == {(0, 1), (0, 2), (1, 2), (0, 3), (2, 3)}
    # an oversized block is skipped
    assert {(i, j) for i, later in candidate_pairs(keys, max_block=2) for j in later} == {
        (0, 3),
        (2, 3),
    }
    # large scans: a big block of a weak kind pairs only with a second shared key
    strict = {
        (i, j) for i, later in candidate_pairs(keys, 60, weak_alone_max_block=2) for j in later
    }
    assert strict == {(0, 3), (2, 3)}


def test_term_frequencies_round_trip() -> None:
    recs = [
        _rec("1", "María", "González", "Pérez", nationality="VEN"),
        _rec("2", "María José", "González", None, nationality="VEN"),
        _rec("3", "Jean", "Exantus", None, nationality="HTI"),
    ]
    tf = TermFrequencies.from_records(recs)
    assert tf.records == 3
    assert tf.count("surname", "gonzalez") == 2
    assert tf.count("given_token", "maria") == 2
    assert tf.count("surname", "gonzalez", group="VEN") == 2
    again = TermFrequencies.from_dict(tf.to_dict())
    assert again.to_dict() == tf.to_dict()
    version = tf.version
    tf.update(_rec("4", "Rosa", "Quispe"))
    assert tf.version > version
    assert TermFrequencies(surnames=["González", "Gonzalez"]).count("surname", "gonzalez") == 2
    assert TermFrequencies().freq("surname", "x") is None


def test_core_imports_no_ui_or_database() -> None:
    code = (
        "import sys, casework.matching; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'sqlalchemy')]; "
        "print(bad); raise SystemExit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
