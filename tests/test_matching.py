"""Scoring, reasons, ranking and scanning of casework.matching (synthetic people only)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from casework.matching import (
    DEFAULT_THRESHOLD,
    KeyIndex,
    Matcher,
    MatchParams,
    MatchResult,
    PersonRecord,
    Reason,
    TermFrequencies,
    describe,
)
from casework.matching.reasons import REASON_TEXT

PHONE = "+56 9 8765 4321"


def person(
    rid: str,
    given: str,
    s1: str,
    s2: str | None = None,
    dob: date | None = None,
    sex: str | None = "F",
    nat: str | None = "VEN",
    docs: tuple[tuple[str, str], ...] = (),
    phones: tuple[str, ...] = (),
) -> PersonRecord:
    return PersonRecord(rid, given, s1, s2, dob, sex, nat, docs, phones)


def population() -> list[PersonRecord]:
    """A small synthetic office: many González and María, one Exantus."""
    out: list[PersonRecord] = []
    givens = ["María", "María José", "Ana", "Luis", "José", "Carmen", "Yesenia", "Jhon"]
    surnames = ["González", "Pérez", "Rodríguez", "Quispe", "Mamani", "Rojas", "Silva"]
    n = 0
    for g in givens:
        for s1 in surnames:
            for s2 in surnames:
                n += 1
                out.append(
                    person(f"pop{n}", g, s1, s2, date(1950 + n % 60, 1 + n % 12, 1 + n % 28))
                )
    out += [person(f"gz{k}", "Rosa", "González", "Silva", date(1980, 1, 1 + k)) for k in range(20)]
    out.append(person("ex1", "Wislande", "Exantus", None, date(1985, 5, 1), nat="HTI"))
    return out


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(tf=TermFrequencies.from_records(population()))


BASE = person("a", "María José", "González", "Pérez", date(1990, 3, 7), phones=(PHONE,))


def codes(result: MatchResult) -> set[str]:
    return {r.code for r in result.reasons}


# -- desk variants match ----------------------------------------------------------------------

DESK_VARIANTS = {
    "accents and case": person("b", "MARIA JOSE", "GONZALEZ", "PEREZ", date(1990, 3, 7)),
    "surnames swapped": person("b", "María José", "Pérez", "González", date(1990, 3, 7)),
    "second surname missing": person("b", "María José", "González", None, date(1990, 3, 7)),
    "compound given name shortened": person("b", "María", "González", "Pérez", date(1990, 3, 7)),
    "day and month swapped": person("b", "María José", "González", "Pérez", date(1990, 7, 3)),
    "year off by one": person("b", "María José", "González", "Pérez", date(1991, 3, 7)),
    "phonetic spelling": person("b", "Maria Jose", "Gonzales", "Peres", date(1990, 3, 7)),
    "typo": person("b", "Maria Jsoe", "Gonzalez", "Perez", date(1990, 3, 7)),
    "both surnames in one field": person(
        "b", "María José", "González Pérez", None, date(1990, 3, 7)
    ),
    "given name and surname swapped": person(
        "b", "González", "María José", "Pérez", date(1990, 3, 7)
    ),
    "new document on a later visit": person(
        "b", "María José", "González", "Pérez", date(1990, 3, 7), docs=(("passport", "X1"),)
    ),
}


@pytest.mark.parametrize("variant", DESK_VARIANTS.values(), ids=DESK_VARIANTS.keys())
def test_desk_variants_score_above_threshold(matcher: Matcher, variant: PersonRecord) -> None:
    result = matcher.compare(BASE, variant)
    assert result.score >= DEFAULT_THRESHOLD, result


def test_haitian_compound_names(matcher: Matcher) -> None:
    a = person("a", "Jean-Baptiste", "Saint-Fleur", None, date(1985, 5, 1), "M", "HTI")
    for given, surname in [
        ("Jean Baptiste", "Saint Fleur"),
        ("Jeanbaptiste", "Saintfleur"),
        ("JEAN-BAPTISTE", "SAINT FLEUR"),
    ]:
        b = person("b", given, surname, None, date(1985, 5, 1), "M", "HTI")
        result = matcher.compare(a, b)
        assert result.score >= 0.99
        assert "same_given_names" in codes(result)


# -- hard negatives do not ----------------------------------------------------------------------

HARD_NEGATIVES = {
    "sibling": person(
        "b", "María Fernanda", "González", "Pérez", date(1993, 8, 21), phones=(PHONE,)
    ),
    "twin": person("b", "Ana Lucía", "González", "Pérez", date(1990, 3, 7), phones=(PHONE,)),
    "twin with a shared first name": person(
        "b", "María Fernanda", "González", "Pérez", date(1990, 3, 7), phones=(PHONE,)
    ),
    "brother twin": person("b", "José Luis", "González", "Pérez", date(1990, 3, 7), "M"),
    "same full name, other birth date": person(
        "b", "María José", "González", "Pérez", date(1975, 11, 2)
    ),
    "common name, other birth date": person("b", "María", "González", None, date(1968, 1, 15)),
    "mother with the same surnames": person(
        "b", "Carmen", "González", "Pérez", date(1966, 2, 10), phones=(PHONE,)
    ),
}


@pytest.mark.parametrize("other", HARD_NEGATIVES.values(), ids=HARD_NEGATIVES.keys())
def test_hard_negatives_score_below_threshold(matcher: Matcher, other: PersonRecord) -> None:
    assert matcher.compare(BASE, other).score < DEFAULT_THRESHOLD
    # and without term frequencies (level averages) too
    assert Matcher().compare(BASE, other).score < DEFAULT_THRESHOLD


def test_twin_brothers_with_everything_shared_but_the_name(matcher: Matcher) -> None:
    a = person("a", "Kevin", "Quispe", "Mamani", date(2012, 6, 1), "M", "PER", phones=(PHONE,))
    b = person("b", "Brayan", "Quispe", "Mamani", date(2012, 6, 1), "M", "PER", phones=(PHONE,))
    result = matcher.compare(a, b)
    assert result.score < DEFAULT_THRESHOLD
    assert "possible_sibling" in codes(result)


# -- reasons ----------------------------------------------------------------------------------


def test_reasons_for_each_desk_error(matcher: Matcher) -> None:
    expect = {
        "surnames swapped": "surnames_swapped",
        "second surname missing": "second_surname_missing",
        "compound given name shortened": "given_name_shortened",
        "day and month swapped": "dob_day_month_swapped",
        "year off by one": "dob_year_off_by_one",
        "phonetic spelling": "phonetic_surname",
        "given name and surname swapped": "given_surname_swapped",
        "both surnames in one field": "surnames_in_one_field",
        "accents and case": "same_birth_date",
    }
    for variant, code in expect.items():
        assert code in codes(matcher.compare(BASE, DESK_VARIANTS[variant])), variant
    yes = person("b", "Yessenia", "González", "Pérez", date(1990, 3, 7))
    assert "phonetic_given_name" in codes(
        matcher.compare(yes, replace(BASE, given_names="Yesenia"))
    )


def test_document_and_phone_reasons(matcher: Matcher) -> None:
    a = person("a", "Luis", "Rojas", None, date(1980, 1, 2), "M", docs=(("passport", "ab 123456"),))
    b = person("b", "Luis Alberto", "Rojas", "Silva", None, "M", docs=(("passport", "AB-123456"),))
    result = matcher.compare(a, b)
    same = [r for r in result.reasons if r.code == "same_document"]
    assert same and same[0].params["type"] == "passport" and same[0].weight > 10
    assert describe(same[0]) == "mismo pasaporte"
    assert describe(same[0], "en") == "same passport"

    c = person("c", "Luis", "Rojas", None, date(1980, 1, 2), "M", phones=("912345678",))
    d = person("d", "Luis", "Rojas", None, None, "M", phones=("+56 9 1234 5678",))
    assert "same_phone" in codes(matcher.compare(c, d))

    # a RUN with a wrong check digit is a typing error, not another person
    e = person("e", "Luis", "Rojas", None, date(1980, 1, 2), "M", docs=(("run", "12.345.678-5"),))
    f = person("f", "Luis", "Rojas", None, date(1980, 1, 2), "M", docs=(("run", "12345678-4"),))
    similar = matcher.compare(e, f)
    assert "similar_document" in codes(similar)
    assert similar.score >= DEFAULT_THRESHOLD


def test_a_different_run_is_strong_evidence_against(matcher: Matcher) -> None:
    a = person("a", "Luis", "Rojas", "Silva", date(1980, 1, 2), "M", docs=(("run", "12345678-5"),))
    b = person("b", "Luis", "Rojas", "Silva", date(1980, 1, 2), "M", docs=(("run", "11111111-1"),))
    no_doc = person("c", "Luis", "Rojas", "Silva", date(1980, 1, 2), "M")
    result = matcher.compare(a, b)
    diff = [r for r in result.reasons if r.code == "different_document"]
    assert diff and diff[0].params["type"] == "run" and diff[0].weight < -8
    assert result.score < matcher.compare(a, no_doc).score
    # while a passport renewed between visits counts only mildly against
    p1 = person(
        "a", "Luis", "Rojas", "Silva", date(1980, 1, 2), "M", docs=(("passport", "AB1234567"),)
    )
    p2 = person(
        "b", "Luis", "Rojas", "Silva", date(1980, 1, 2), "M", docs=(("passport", "AB7654321"),)
    )
    renewed = matcher.compare(p1, p2)
    assert renewed.score >= DEFAULT_THRESHOLD
    assert next(r for r in renewed.reasons if r.code == "different_document").weight > -5


def test_different_birth_date_reason(matcher: Matcher) -> None:
    result = matcher.compare(BASE, HARD_NEGATIVES["same full name, other birth date"])
    assert "different_birth_date" in codes(result)
    assert next(r for r in result.reasons if r.code == "different_birth_date").weight < -5
    # where the name is not known to be common, the namesake class is what holds it back
    other = Matcher().compare(BASE, HARD_NEGATIVES["same full name, other birth date"])
    assert "possible_namesake" in codes(other)


def test_placeholder_birth_date(matcher: Matcher) -> None:
    a = person("a", "Wislande", "Exantus", None, date(1985, 5, 1), nat="HTI")
    b = person("b", "Wislande", "Exantus", None, date(1985, 1, 1), nat="HTI")
    assert "dob_placeholder_same_year" in codes(matcher.compare(a, b))


def test_reasons_are_sorted_and_weighted(matcher: Matcher) -> None:
    result = matcher.compare(BASE, DESK_VARIANTS["surnames swapped"])
    weights = [abs(r.weight) for r in result.reasons]
    assert weights == sorted(weights, reverse=True)
    assert all("weight" in r.params for r in result.reasons)
    assert 0.0 <= result.score <= 1.0


def test_describe_every_code_in_both_languages() -> None:
    for code in REASON_TEXT:
        reason = Reason(code, {"type": "run", "field": "suburb", "weight": "+1.0"})
        assert describe(reason, "es") and describe(reason, "en")
        assert "{" not in describe(reason, "es") + describe(reason, "en")
    assert describe(Reason("surnames_swapped")) == "apellidos invertidos"
    assert describe(Reason("no_such_code")) == "no such code"


# -- term frequencies -------------------------------------------------------------------------


def test_common_surname_weighs_less_than_rare(matcher: Matcher) -> None:
    common = matcher.compare(
        person("a", "Rosa", "González", None, None), person("b", "Rosa", "González", None, None)
    )
    rare = matcher.compare(
        person("a", "Rosa", "Exantus", None, None), person("b", "Rosa", "Exantus", None, None)
    )

    def weight(result: MatchResult) -> float:
        return next(r for r in result.reasons if r.code == "same_first_surname").weight

    assert weight(common) < weight(rare) - 2
    assert common.score < rare.score
    assert next(r for r in common.reasons if r.code == "same_first_surname").params[
        "frequency"
    ] in ("common", "usual")


def test_a_misspelt_common_name_weighs_no_more_than_the_name_itself(matcher: Matcher) -> None:
    """ "Gonzales" against "González" is no rarer a coincidence than "González" itself."""
    exact = matcher.compare(
        person("a", "Rosa", "González", None, None), person("b", "Rosa", "González", None, None)
    )
    misspelt = matcher.compare(
        person("a", "Rosa", "Gonzales", None, None), person("b", "Rosa", "González", None, None)
    )
    rare = matcher.compare(
        person("a", "Rosa", "Exantis", None, None), person("b", "Rosa", "Exantus", None, None)
    )

    def surname_weight(result: MatchResult) -> float:
        return next(r for r in result.reasons if "surname" in r.code).weight

    assert surname_weight(misspelt) <= surname_weight(exact)
    assert surname_weight(rare) > surname_weight(misspelt) + 2


def test_same_sex_adds_nothing_once_the_given_names_agree(matcher: Matcher) -> None:
    def sex_weight(a: PersonRecord, b: PersonRecord) -> float:
        return next(r for r in matcher.compare(a, b).reasons if r.code == "same_sex").weight

    assert sex_weight(person("a", "Rosa", "Rojas"), person("b", "Rosa", "Rojas")) == 0.0
    assert sex_weight(person("a", "Rosa", "Rojas"), person("b", "Ana", "Rojas")) > 0.5


def test_intake_finds_a_year_off_by_one_with_a_mistyped_name() -> None:
    index = KeyIndex()
    index.extend(population())
    index.add(person("t", "Blanca Andrea", "Infante", None, date(2001, 1, 8), nat="COL"))
    probe = PersonRecord("p", "Blannca", "Infanrte", "Marín", date(2000, 1, 8), "F")
    assert "t" in {r.id for r in index.candidates(probe)}


def test_a_phone_on_many_files_weighs_less() -> None:
    office = "+56 2 2345 6789"
    crowd = [person(f"o{k}", "Ana", f"Apellido{k}", None, phones=(office,)) for k in range(40)]
    own = [
        person(f"w{k}", "Ana", f"Otro{k}", None, phones=(f"+56 9 1111 {k:04d}",)) for k in range(40)
    ]
    tf = TermFrequencies.from_records(crowd + own)
    m = Matcher(tf=tf)
    a = person("a", "Luis", "Rojas", None, None, "M", phones=(office,))
    b = person("b", "Luis", "Rojas", None, None, "M", phones=(office,))
    c = person("c", "Luis", "Rojas", None, None, "M", phones=("+56 9 1111 0001",))
    d = person("d", "Luis", "Rojas", None, None, "M", phones=("+56 9 1111 0001",))

    def phone_weight(x: PersonRecord, y: PersonRecord) -> float:
        return next(r for r in m.compare(x, y).reasons if r.code == "same_phone").weight

    assert phone_weight(a, b) < phone_weight(c, d) - 3
    assert (
        next(r for r in m.compare(a, b).reasons if r.code == "same_phone").params["records"] == "40"
    )


def test_term_frequencies_per_nationality() -> None:
    recs = [person(f"h{k}", "Jean", "Pierre", None, nat="HTI") for k in range(300)]
    recs += [person(f"v{k}", "Luis", "Pérez", "Rojas", nat="VEN") for k in range(3000)]
    tf = TermFrequencies.from_records(recs)
    overall = tf.freq("surname", "pierre")
    within = tf.freq("surname", "pierre", group="HTI")
    assert overall is not None and within is not None and within > 5 * overall


# -- rank -------------------------------------------------------------------------------------


def test_rank_puts_true_match_first_for_partial_input(matcher: Matcher) -> None:
    truth = person("t", "María José", "González", "Pérez", date(1990, 3, 7), phones=(PHONE,))
    distractors = [
        replace(HARD_NEGATIVES["sibling"], id="s"),
        person("d1", "María", "González", "Rojas", date(1971, 5, 5)),
        person("d2", "José", "González", "Pérez", date(1960, 9, 9), "M"),
        person("d3", "María José", "Gómez", "Pérez", date(1992, 1, 1)),
        person("d4", "María José", "González", "Silva", date(1988, 8, 8)),
        *population()[:150],
    ]
    candidates = [*distractors[:3], truth, *distractors[3:]]
    partial_forms = [
        PersonRecord("p", "Maria Jose", "Gonzales", None, None, None, None),
        PersonRecord("p", "María José", "González", "Pérez", None, None, None),
        PersonRecord("p", "Maria", "Gonzalez", "Perez", date(1990, 3, 7), None, None),
        PersonRecord("p", "María José", "", None, None, None, None, phones=("987654321",)),
    ]
    for probe in partial_forms:
        ranked = matcher.rank(probe, candidates, limit=5)
        assert ranked[0].b_id == "t", (probe, ranked[:2])
        assert len(ranked) == 5
        assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)


def test_rank_skips_the_probe_itself_and_honours_min_score(matcher: Matcher) -> None:
    ranked = matcher.rank(BASE, [BASE, DESK_VARIANTS["typo"]], limit=5)
    assert [r.b_id for r in ranked] == ["b"]
    assert matcher.rank(BASE, [HARD_NEGATIVES["sibling"]], min_score=0.5) == []


def test_rank_with_key_index(matcher: Matcher) -> None:
    index = KeyIndex()
    index.extend(population())
    index.add(person("t", "Wislande", "Exantus", None, date(1985, 5, 1), nat="HTI"))
    probe = PersonRecord("p", "Wislande", "Exantis", None, None, None, "HTI")
    ranked = matcher.rank(probe, index.candidates(probe))
    assert ranked[0].b_id in {"t", "ex1"}


# -- scan_pairs -------------------------------------------------------------------------------


def test_scan_pairs_finds_duplicates_once_without_closure() -> None:
    a = person("a", "María José", "González", "Pérez", date(1990, 3, 7))
    b = person("b", "María", "González", "Pérez", date(1990, 3, 7))  # shortened: matches a
    c = person("c", "María Fernanda", "González", "Pérez", date(1990, 3, 7))  # a's twin sister
    d = person("d", "Yesenia", "Quispe", "Mamani", date(1979, 12, 1), nat="PER")
    e = person("e", "Yessenia", "Kispe", None, date(1979, 1, 12), nat="PER")
    records = [a, b, c, d, e, *population()]
    matcher = Matcher()
    results = list(matcher.scan_pairs(records, min_score=DEFAULT_THRESHOLD))
    pairs = [frozenset((r.a_id, r.b_id)) for r in results]
    assert len(pairs) == len(set(pairs))
    assert frozenset(("a", "b")) in pairs
    assert frozenset(("d", "e")) in pairs
    assert frozenset(("a", "c")) not in pairs  # twins
    assert all(r.score >= DEFAULT_THRESHOLD for r in results)
    assert all(r.a_id != r.b_id for r in results)
    # pairs are scored independently: b~c may or may not score, a~c is never implied by it
    low = list(matcher.scan_pairs(records, min_score=0.0))
    assert len({frozenset((r.a_id, r.b_id)) for r in low}) == len(low)


def test_scan_pairs_skips_oversized_blocks_but_keeps_fine_keys() -> None:
    crowd = [
        person(f"m{k}", "María", "González", None, date(1940 + k, 1 + k % 12, 1 + k % 28))
        for k in range(80)
    ]
    a = person("a", "Yesenia", "González", "Rojas", date(1991, 4, 5))
    b = person("b", "Yesenia", "Gonzales", "Rojas", date(1991, 4, 5))
    results = list(Matcher().scan_pairs([*crowd, a, b], min_score=0.5, max_block=10))
    assert {(r.a_id, r.b_id) for r in results} == {("a", "b")}


# -- parameters -------------------------------------------------------------------------------


def test_params_round_trip_and_validation() -> None:
    params = MatchParams.default()
    assert params.lookalikes == ("sibling", "relative", "namesake")
    again = MatchParams.from_dict(json.loads(json.dumps(params.to_dict())))
    assert again.levels.keys() == params.levels.keys()
    assert again.prior_match == pytest.approx(params.prior_match)
    bad = params.to_dict()
    bad["levels"]["given"]["nonsense"] = [0.1] * 5
    with pytest.raises(ValueError, match="unknown level"):
        MatchParams.from_dict(bad)


def test_population_rescales_priors() -> None:
    small, large = Matcher(population=1_000), Matcher(population=1_000_000)
    a, b = BASE, PersonRecord("b", "María José", "González", "Pérez", None, None, None)
    assert small.compare(a, b).score > large.compare(a, b).score
