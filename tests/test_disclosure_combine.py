"""Panel side: combining the exports of several municipalities."""

from __future__ import annotations

import csv
import io

import pytest

from casework.disclosure import Period, Policy, Release, build_release, combine
from casework.disclosure.combine import Mark

try:
    from tests.disclosure_fixtures import adversarial_quarter, base_population
except ImportError:  # tests/ is not a package
    from disclosure_fixtures import adversarial_quarter, base_population  # type: ignore[no-redef]

Q3 = Period.parse("2026-Q3")


def _export(municipality: str, seed: int, policy: Policy | None = None) -> Release:
    people = adversarial_quarter(n_base=200, seed=seed)
    release = build_release(Q3, people, people, policy or Policy(), municipality)
    return Release.from_json(release.to_json())  # the Panel only ever sees the files


def test_two_municipalities_in_one_comparison_table() -> None:
    santiago, independencia = _export("13101", 1), _export("13108", 2)
    table = combine([independencia, santiago], Policy())
    assert table.municipalities == ("13101", "13108")
    rows = list(csv.reader(io.StringIO(table.to_csv().decode())))
    assert rows[0] == ["table", "period", "dimensions", "category", "13101", "13108"]
    totals = [r for r in rows if r[0] == "t1_nacionalidad" and r[3] == "total"]
    assert totals == [
        [
            "t1_nacionalidad",
            "2026-Q3",
            "nacionalidad",
            "total",
            str(santiago.table("t1_nacionalidad").cell("total").count),
            str(independencia.table("t1_nacionalidad").cell("total").count),
        ]
    ]
    values = [v for row in table.rows for v in row.values]
    assert Mark.SUPPRESSED in values
    assert all(
        v in (Mark.SUPPRESSED, Mark.ABSENT) or (isinstance(v, int) and v % 5 == 0) for v in values
    )
    text = table.to_text()
    assert "2026-Q3" in text
    assert "13108" in text


def test_a_weaker_threshold_is_refused() -> None:
    weak = _export("13108", 2, Policy(k=5))
    with pytest.raises(ValueError, match="k=5"):
        combine([_export("13101", 1), weak], Policy())
    # A Panel whose own policy is k=5 accepts files made with k=10 or k=5.
    assert combine([_export("13101", 1), weak], Policy(k=5)).municipalities == ("13101", "13108")


def test_another_schema_version_is_refused() -> None:
    other = _export("13108", 2, Policy(schema_version="panel-v0"))
    with pytest.raises(ValueError, match="panel-v0"):
        combine([_export("13101", 1), other], Policy())


def test_weaker_rounding_or_minimum_size_is_refused() -> None:
    exact = _export("13108", 2, Policy(rounding_base=1))
    with pytest.raises(ValueError, match="redondea"):
        combine([exact], Policy())
    small_tables = _export("13108", 2, Policy(min_table_factor=1))
    with pytest.raises(ValueError, match="publica tablas desde"):
        combine([small_tables], Policy())


def test_mixed_periods_duplicates_and_nothing_are_refused() -> None:
    people = base_population(80, seed=3)
    q2 = build_release(Period.parse("2026-Q2"), people, people, Policy(), "13108")
    with pytest.raises(ValueError, match="periodos"):
        combine([_export("13101", 1), q2], Policy())
    with pytest.raises(ValueError, match="dos veces"):
        combine([_export("13101", 1), _export("13101", 3)], Policy())
    with pytest.raises(ValueError, match="no hay archivos"):
        combine([], Policy())


def test_a_withheld_municipality_reads_r_in_every_cell() -> None:
    santiago = _export("13101", 1)
    table = combine([santiago], Policy(), withheld=["13108"])
    assert table.municipalities == ("13101", "13108")
    assert table.withheld == ("13108",)
    assert {row.values[1] for row in table.rows} == {Mark.WITHHELD}
    assert all(row.values[0] != Mark.WITHHELD for row in table.rows)
    rows = list(csv.reader(io.StringIO(table.to_csv().decode())))
    assert {row[5] for row in rows[1:]} == {"r"}
    # Santiago's numbers are the same as when it is combined alone.
    alone = combine([santiago], Policy())
    assert [row.values[0] for row in table.rows] == [row.values[0] for row in alone.rows]
    assert "r = retenida: pendiente de un archivo corregido." in table.to_text()
    assert "r = retenida" not in alone.to_text()


def test_every_municipality_withheld_still_gives_a_table_of_the_period() -> None:
    table = combine([], Policy(), withheld=["13101"], period=Q3)
    assert table.period == Q3 and table.withheld == ("13101",)
    with pytest.raises(ValueError, match="no hay archivos"):
        combine([], Policy(), withheld=["13101"])
    with pytest.raises(ValueError, match="dos veces"):
        combine([_export("13101", 1)], Policy(), withheld=["13101"])
