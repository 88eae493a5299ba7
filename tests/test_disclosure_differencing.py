"""Quarters, the year and revisions: no suppressed cell can be recovered by differencing."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from casework.disclosure import Period, PersonFacts, Policy, Release, build_release
from casework.disclosure.codebook import T1, TOTAL
from casework.disclosure.tabulate import TOTAL_KEY, CellKey

try:
    from tests.disclosure_fixtures import (
        MUNICIPALITY,
        adversarial_quarter,
        base_population,
        hidden_row_sums,
        interval_audit,
        key_of,
        person,
        split_quarters,
        true_counts,
    )
except ImportError:  # tests/ is not a package
    from disclosure_fixtures import (  # type: ignore[no-redef]
        MUNICIPALITY,
        adversarial_quarter,
        base_population,
        hidden_row_sums,
        interval_audit,
        key_of,
        person,
        split_quarters,
        true_counts,
    )

YEAR = 2026
PINNED = {"haitiana": 2, "cubano": 3, "nino": 1, "doce-derivaciones": 4, "|x|": 1}


def _period(slot: int) -> Period:
    return Period(YEAR) if slot == 4 else Period(YEAR, slot + 1)


@pytest.fixture(scope="module")
def people() -> list[PersonFacts]:
    return adversarial_quarter(n_base=560, seed=21)


@pytest.fixture(scope="module")
def quarters(people: list[PersonFacts]) -> dict[int, list[PersonFacts]]:
    return split_quarters(people, seed=4, pinned=PINNED)


def _facts(slot: int, people: list[PersonFacts], quarters: dict[int, list[PersonFacts]]):  # type: ignore[no-untyped-def]
    return people if slot == 4 else quarters[slot + 1]


def release_in_order(
    order: Sequence[int],
    people: list[PersonFacts],
    quarters: dict[int, list[PersonFacts]],
    policy: Policy | None = None,
) -> tuple[list[Release], dict[str, dict[CellKey, int]]]:
    releases: list[Release] = []
    truth: dict[str, dict[CellKey, int]] = {}
    for slot in order:
        facts = _facts(slot, people, quarters)
        release = build_release(
            _period(slot), facts, people, policy or Policy(), MUNICIPALITY, releases
        )
        # As the service does: the ledger keeps the internal record, read back next time.
        release = Release.from_ledger_record(release.ledger_record())
        releases.append(release)
        truth[release.period.label] = true_counts(facts, release)
    return releases, truth


def _assert_protected(
    releases: list[Release], truth: dict[str, dict[CellKey, int]], k: int = 10
) -> None:
    ranges = interval_audit(releases, truth, additive_year=True)
    pinned = {target: iv for target, iv in ranges.items() if not iv.lo < iv.hi}
    assert pinned == {}
    for release in releases:
        for line, hidden in hidden_row_sums(release, truth[release.period.label]):
            assert hidden >= k, (release.period.label, line)
        for _table_id, cell in release.cells():
            assert cell.count is None or cell.count == 0 or cell.count >= k
    # Columns: when the year's cell is published, the hidden quarter cells under it
    # hold at least k persons (or none).
    year = next((r for r in releases if r.period.is_year), None)
    if year is None:
        return
    by_label = {r.period.label: r for r in releases}
    for table_id, cell in year.cells():
        if cell.count is None:
            continue
        key = TOTAL_KEY if cell.dims == (TOTAL,) else (table_id, cell.dims)
        hidden = [
            truth[label][key]
            for label in (f"{YEAR}-Q{q}" for q in range(1, 5))
            if label in by_label and by_label[label].table(table_id).cell(*cell.dims).suppressed
        ]
        assert not hidden or sum(hidden) >= k, (table_id, cell.dims, hidden)


def test_quarters_then_year_keep_every_suppressed_cell_free(
    people: list[PersonFacts], quarters: dict[int, list[PersonFacts]]
) -> None:
    pytest.importorskip("scipy")
    releases, truth = release_in_order([0, 1, 2, 3, 4], people, quarters)
    assert sum(c.suppressed for r in releases for _t, c in r.cells()) > 20
    _assert_protected(releases, truth)


def test_year_first_then_quarters_keep_every_suppressed_cell_free(
    people: list[PersonFacts], quarters: dict[int, list[PersonFacts]]
) -> None:
    pytest.importorskip("scipy")
    releases, truth = release_in_order([4, 0, 1, 2, 3], people, quarters)
    _assert_protected(releases, truth)


def test_a_quarter_cell_cannot_be_had_by_subtracting_quarters_from_the_year() -> None:
    # 40 Bolivians in the year: 3 in Q1 (suppressed there), the rest in later quarters.
    pytest.importorskip("scipy")
    base = base_population(400, seed=8)
    bolivians = [person(5000 + i, nationality="BOL", age=40) for i in range(40)]
    people = [p for p in base if p.nationality != "BOL"] + bolivians
    quarters = split_quarters(people, seed=2)
    for q in quarters.values():
        q[:] = [p for p in q if p.nationality != "BOL"]
    quarters[1] += bolivians[:3]
    quarters[2] += bolivians[3:16]
    quarters[3] += bolivians[16:28]
    quarters[4] += bolivians[28:]
    releases, truth = release_in_order([0, 1, 2, 3, 4], people, quarters)
    q1, year = releases[0], releases[4]
    assert q1.table(T1.table_id).cell("BOL").suppressed
    published_later = [r.table(T1.table_id).cell("BOL").count for r in releases[1:4]]
    assert all(count is not None for count in published_later)
    assert year.table(T1.table_id).cell("BOL").suppressed  # else Q1 = year − Q2 − Q3 − Q4
    _assert_protected(releases, truth)


def test_re_export_with_the_same_data_is_byte_identical_even_after_later_releases(
    people: list[PersonFacts], quarters: dict[int, list[PersonFacts]]
) -> None:
    releases, _truth = release_in_order([0, 1, 2, 3, 4], people, quarters)
    again = build_release(_period(2), quarters[3], people, Policy(), MUNICIPALITY, releases)
    assert again.to_json() == releases[2].to_json()
    assert not again.is_revision


def test_a_small_back_dated_edit_publishes_nothing_new(
    people: list[PersonFacts], quarters: dict[int, list[PersonFacts]]
) -> None:
    # Four late registrations move the total by 4 (< k): the difference would show them, so
    # both units keep the earlier values and the earlier release itself is returned.
    releases, _truth = release_in_order([0, 1, 2], people, quarters)
    late = [
        person(8000 + i, nationality="PER", sex="M", age=50, status="temporary", label="tarde")
        for i in range(4)
    ]
    again = build_release(
        _period(2), [*quarters[3], *late], [*people, *late], Policy(), MUNICIPALITY, releases
    )
    assert again.to_json() == releases[2].to_json()
    assert not again.is_revision


def test_back_dated_edit_of_k_persons_gives_a_checked_revision(
    people: list[PersonFacts], quarters: dict[int, list[PersonFacts]]
) -> None:
    pytest.importorskip("scipy")
    releases, truth = release_in_order([0, 1, 2], people, quarters)
    old_q3 = releases[2]
    late = [
        person(8000 + i, nationality="PER", sex="M", age=50, status="temporary", label="tarde")
        for i in range(12)
    ]
    new_facts = [*quarters[3], *late]
    year_facts = [*people, *late]
    revised = build_release(_period(2), new_facts, year_facts, Policy(), MUNICIPALITY, releases)
    assert revised.is_revision
    assert revised.held_back == ()
    assert revised.revision_of == old_q3.content_hash()
    assert (
        revised.table(T1.table_id).cell(TOTAL).count != old_q3.table(T1.table_id).cell(TOTAL).count
    )
    exact_old = old_q3.exact_counts
    assert exact_old is not None
    new_truth = true_counts(new_facts, revised)
    for (table_id, old_cell), (_t, new_cell) in zip(old_q3.cells(), revised.cells(), strict=True):
        assert old_cell.dims == new_cell.dims
        assert old_cell.suppressed == new_cell.suppressed, (table_id, old_cell.dims)
        if not new_cell.suppressed:
            change = (
                new_truth[key_of(table_id, new_cell.dims)] - exact_old[(table_id, old_cell.dims)]
            )
            assert change == 0 or abs(change) >= 10, (table_id, old_cell.dims)
    # The revised quarter, with the other released quarters, still pins nothing.
    truth[_period(2).label] = new_truth
    ranges = interval_audit([releases[0], releases[1], revised], truth, additive_year=True)
    assert all(iv.lo < iv.hi for iv in ranges.values())
    # Re-exporting the revision reproduces it.
    again = build_release(
        _period(2), new_facts, year_facts, Policy(), MUNICIPALITY, [*releases, revised]
    )
    assert again.to_json() == revised.to_json()


def test_grouping_is_fixed_by_the_first_release_of_the_year() -> None:
    base = base_population(200, seed=5)
    early = [person(6000 + i, nationality="ECU") for i in range(3)]
    later = [person(6100 + i, nationality="ECU") for i in range(20)]
    q1_people = [*base[:100], *early]
    q1 = build_release(Period(YEAR, 1), q1_people, q1_people, Policy(), MUNICIPALITY)
    q2_people = [*base[100:], *later]
    year_so_far = [*q1_people, *q2_people]
    q2 = build_release(Period(YEAR, 2), q2_people, year_so_far, Policy(), MUNICIPALITY, [q1])
    dims = [c.dims for c in q1.table(T1.table_id).cells]
    assert dims == [c.dims for c in q2.table(T1.table_id).cells]
    assert ("ECU",) not in dims
    fresh = build_release(Period(YEAR, 2), q2_people, year_so_far, Policy(), MUNICIPALITY)
    assert ("ECU",) in [c.dims for c in fresh.table(T1.table_id).cells]


def test_priors_of_another_municipality_or_schema_are_refused() -> None:
    people = base_population(60, seed=5)
    q1 = build_release(Period(YEAR, 1), people, people, Policy(), "13114")
    with pytest.raises(ValueError, match="otro municipio"):
        build_release(Period(YEAR, 2), people, people, Policy(), MUNICIPALITY, [q1])
    old = build_release(
        Period(YEAR, 1), people, people, Policy(schema_version="panel-v0"), MUNICIPALITY
    )
    with pytest.raises(ValueError, match="otra versión del esquema"):
        build_release(Period(YEAR, 2), people, people, Policy(), MUNICIPALITY, [old])
    # Releases of other years are not linked to this one.
    other_year = build_release(Period(YEAR - 1), people, people, Policy(), MUNICIPALITY)
    alone = build_release(Period(YEAR, 2), people, people, Policy(), MUNICIPALITY)
    linked = build_release(Period(YEAR, 2), people, people, Policy(), MUNICIPALITY, [other_year])
    assert linked.to_json() == alone.to_json()


def test_the_audit_catches_differencing_when_the_ledger_is_ignored(
    people: list[PersonFacts], quarters: dict[int, list[PersonFacts]]
) -> None:
    # Negative control: a year built without its quarters as prior releases leaks, and the
    # interval audit must say so (otherwise the audits above would prove nothing).
    pytest.importorskip("scipy")
    releases, truth = release_in_order([0, 1, 2, 3], people, quarters)
    careless = build_release(_period(4), people, people, Policy(), MUNICIPALITY)
    truth[careless.period.label] = true_counts(people, careless)
    ranges = interval_audit([*releases, careless], truth, additive_year=True)
    pinned = [target for target, interval in ranges.items() if not interval.lo < interval.hi]
    assert pinned, "the audit failed to see a year that gives away its quarters"
