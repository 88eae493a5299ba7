"""The Panel checks what it receives (issue #18, point 2): each office's release chain.

Every release here is built by the engine (``build_release``) on synthetic people and read
back from its public JSON, as the Panel only ever sees the files.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest

from casework.cli import main
from casework.disclosure import Period, PersonFacts, Policy, Release, build_release
from casework.disclosure.chain import Received, check, directory_order
from casework.services import panel_side
from casework.services.panel import ExportError

try:
    from tests.disclosure_fixtures import base_population
except ImportError:  # tests/ is not a package
    from disclosure_fixtures import base_population  # type: ignore[no-redef]

YEAR = Period(2026)
SANTIAGO, INDEPENDENCIA = "13101", "13108"


def _public(release: Release) -> Release:
    return Release.from_json(release.to_json())


class Office:
    """One synthetic office's year: four quarters of different people."""

    def __init__(self, municipality: str = SANTIAGO, seed: int = 0) -> None:
        self.municipality = municipality
        self.quarters: list[list[PersonFacts]] = [
            base_population(60, seed=seed * 10 + q, start=1000 * q) for q in range(1, 5)
        ]
        self.year = [p for people in self.quarters for p in people]

    def release(self, period: Period, prior: list[Release]) -> Release:
        people = self.year if period.is_year else self.quarters[(period.quarter or 1) - 1]
        built = build_release(period, people, self.year, Policy(), self.municipality, prior)
        return _public(built)

    def normal_quarters(self) -> list[Release]:
        """Q1..Q4, each exported from the office's ledger (the earlier ones as prior)."""
        made: list[Release] = []
        for q in range(1, 5):
            made.append(self.release(Period(2026, q), list(made)))
        return made


def _received(*releases: Release) -> list[Received]:
    return [Received.of(f"{r.period.label}-{i}.json", r) for i, r in enumerate(releases)]


def _write(folder: Path, name: str, release: Release) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(release.to_json())
    return path


def _column(csv_bytes: bytes, municipality: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(csv_bytes.decode())))
    index = rows[0].index(municipality)
    return [row[index] for row in rows[1:]]


# -- the chain check ---------------------------------------------------------------------------


def test_a_normal_year_is_accepted_and_every_period_used() -> None:
    office = Office()
    quarters = office.normal_quarters()
    year = office.release(YEAR, quarters)
    result = check(_received(*quarters, year))
    assert [v.accepted for v in result.verdicts] == [True] * 5
    assert result.all_accepted and not result.withheld
    assert result.used[(SANTIAGO, YEAR)] == year
    assert result.used[(SANTIAGO, Period(2026, 3))] == quarters[2]


def test_a_year_made_from_a_copy_without_the_quarters_is_flagged_and_withheld(
    tmp_path: Path,
) -> None:
    office = Office()
    quarters = office.normal_quarters()
    copy_year = office.release(YEAR, [])  # a copy of the database made before the quarters
    result = check(_received(*quarters, copy_year))
    *ok, flagged = result.verdicts
    assert all(v.accepted for v in ok)
    assert not flagged.accepted
    assert [r.period for r in flagged.unprotected] == [Period(2026, q) for q in range(1, 5)]
    assert (SANTIAGO, YEAR) in result.withheld and (SANTIAGO, YEAR) not in result.used
    reason = panel_side.reason(flagged)
    assert reason.startswith(f"2026 ({copy_year.content_hash()[:12]}) no fue protegido contra ")
    assert f"2026-Q2 ({quarters[1].content_hash()[:12]})" in reason
    assert reason.endswith("que la Mesa ya tiene")

    files = [_write(tmp_path, f"{i}.json", r) for i, r in enumerate([*quarters, copy_year])]
    combined = panel_side.combine_paths(files, "2026")
    assert combined.table.withheld == (SANTIAGO,)
    assert set(_column(combined.table.to_csv(), SANTIAGO)) == {"r"}
    # The quarters were accepted: they are combined with their numbers.
    q2 = panel_side.combine_paths(files, "2026-Q2").table
    assert q2.withheld == ()
    assert q2.to_csv() == panel_side.combine_paths(files[:2], "2026-Q2").table.to_csv()
    assert "r" not in set(_column(q2.to_csv(), SANTIAGO))


def test_a_restored_ledger_quarter_passes_but_its_year_is_flagged() -> None:
    office = Office()
    q1 = office.release(Period(2026, 1), [])
    q2 = office.release(Period(2026, 2), [q1])
    q3 = office.release(Period(2026, 3), [q1, q2])
    # The office restores a backup made before Q3 was exported, then exports Q4 and the year.
    q4 = office.release(Period(2026, 4), [q1, q2])
    year = office.release(YEAR, [q1, q2, q4])
    result = check(_received(q1, q2, q3, q4, year))
    assert [v.accepted for v in result.verdicts] == [True, True, True, True, False]
    # Q3 and Q4 are different quarters with no year between them: nothing to subtract.
    assert [(r.period, r.content_hash) for r in result.verdicts[-1].unprotected] == [
        (Period(2026, 3), q3.content_hash())
    ]
    assert (SANTIAGO, YEAR) in result.withheld


def test_a_corrected_year_is_accepted_and_used_instead_of_the_flagged_one() -> None:
    office = Office()
    quarters = office.normal_quarters()
    flagged = office.release(YEAR, [])
    # The corrected file: protected against the four quarters and, as a revision, against
    # the flagged year (an earlier version of its period the Panel holds).
    protected = office.release(YEAR, quarters)
    corrected = _public(
        replace(
            protected,
            revision_of=flagged.content_hash(),
            chain=(*protected.chain, flagged.link()),
        )
    )
    result = check(_received(*quarters, flagged, corrected))
    assert [v.accepted for v in result.verdicts] == [True] * 4 + [False, True]
    assert result.used[(SANTIAGO, YEAR)] == corrected
    assert not result.withheld


def test_the_engine_corrects_a_flagged_year_given_every_file_sent() -> None:
    office = Office()
    quarters = office.normal_quarters()
    flagged = office.release(YEAR, [])
    corrected = office.release(YEAR, [*quarters, flagged])
    assert corrected.revision_of == flagged.content_hash()
    result = check(_received(*quarters, flagged, corrected))
    assert result.used[(SANTIAGO, YEAR)] == corrected


def test_a_newer_flagged_version_withholds_the_period_not_the_older_one() -> None:
    office = Office()
    quarters = office.normal_quarters()
    year = office.release(YEAR, quarters)
    # A later re-export of the year from a copy lacking everything: not silently replaced
    # by the older accepted version.
    stray = office.release(YEAR, [quarters[0]])
    result = check(_received(*quarters, year, stray))
    assert not result.verdicts[-1].accepted
    assert (SANTIAGO, YEAR) in result.withheld and (SANTIAGO, YEAR) not in result.used


def test_a_chain_that_misstates_an_earlier_release_is_flagged() -> None:
    office = Office()
    q1, q2 = office.normal_quarters()[:2]
    other_q1 = Office(seed=7).release(Period(2026, 1), [])
    # Q2 claims it was protected against Q1, but shows other tables under Q1's hash.
    lying = _public(replace(q2, chain=(replace(q1.link(), tables=other_q1.tables),)))
    # Or names Q1's hash under another period.
    moved = _public(replace(q2, chain=(replace(q1.link(), period=Period(2026, 3)),)))
    for bad in (lying, moved):
        result = check(_received(q1, bad))
        verdict = result.verdicts[-1]
        assert not verdict.accepted
        assert [r.content_hash for r in verdict.misstated] == [q1.content_hash()]
        assert "no declara lo que se publicó en" in panel_side.reason(verdict)
    # The same chain with Q1's true tables is accepted.
    assert check(_received(q1, q2)).all_accepted


def test_identical_files_count_once() -> None:
    office = Office()
    quarters = office.normal_quarters()
    result = check(_received(quarters[0], quarters[0], *quarters[1:]))
    assert result.all_accepted
    assert result.verdicts[1].duplicate_of == result.verdicts[0].received.source


def test_a_directory_is_taken_in_the_order_the_files_were_made(tmp_path: Path) -> None:
    office = Office()
    quarters = office.normal_quarters()
    year = office.release(YEAR, quarters)
    # Names that sort backwards: the year first.
    names = ["a.json", "b.json", "c.json", "d.json", "e.json"]
    paths = [
        _write(tmp_path / "in", name, r)
        for name, r in zip(names, [year, *reversed(quarters)], strict=True)
    ]
    # Named one by one in that order (a shell glob), the quarters arrive after the year, but
    # the year's chain names them: the year was made after them and nobody is blamed.
    backwards = panel_side.check_paths(paths)
    assert backwards.all_accepted
    assert backwards.used[(SANTIAGO, YEAR)] == year
    # As a directory: ordered by year, length of chain and period.
    as_dir = panel_side.check_paths([tmp_path / "in"])
    assert as_dir.all_accepted
    assert [Path(v.received.source).name for v in as_dir.verdicts] == list(reversed(names))
    received = [v.received for v in backwards.verdicts]
    assert [r.release.period for r in directory_order(received)] == [
        *(q.period for q in quarters),
        YEAR,
    ]


def test_whatever_the_order_the_releases_used_are_protected_against_each_other(
    tmp_path: Path,
) -> None:
    """The year from a copy knows no quarter. Named in any order, the releases the Panel
    uses are protected against each other; in a folder, the copy's year is the one withheld."""
    office = Office()
    quarters = office.normal_quarters()
    careless = office.release(YEAR, [])
    orders = ([careless, *quarters], [*quarters, careless], [quarters[2], careless, *quarters])
    for n, order in enumerate(orders):
        paths = [_write(tmp_path / f"o{n}", f"{i}.json", r) for i, r in enumerate(order)]
        used = list(panel_side.check_paths(paths).used.values())
        for a in used:
            for b in used:
                if a is not b and (a.period.is_year or b.period.is_year):
                    named = {link.content_hash for link in a.chain}
                    named_back = {link.content_hash for link in b.chain}
                    assert b.content_hash() in named or a.content_hash() in named_back, order
        as_dir = panel_side.check_paths([tmp_path / f"o{n}"])
        assert (SANTIAGO, YEAR) in as_dir.withheld
        assert all(as_dir.used[(SANTIAGO, q.period)] == q for q in quarters)


def test_two_offices_one_withheld_the_other_still_combined(tmp_path: Path) -> None:
    santiago, independencia = Office(SANTIAGO, 1), Office(INDEPENDENCIA, 2)
    s_quarters = santiago.normal_quarters()
    s_year = santiago.release(YEAR, [])  # made from a copy: flagged
    i_quarters = independencia.normal_quarters()
    i_year = independencia.release(YEAR, i_quarters)
    for release in [*s_quarters, s_year]:
        _write(tmp_path / SANTIAGO, f"panel-{release.period.label}.json", release)
    for release in [*i_quarters, i_year]:
        _write(tmp_path / INDEPENDENCIA, f"panel-{release.period.label}.json", release)

    combined = panel_side.combine_paths([tmp_path], "2026")
    table = combined.table
    assert table.municipalities == (SANTIAGO, INDEPENDENCIA)
    assert table.withheld == (SANTIAGO,)
    assert set(_column(table.to_csv(), SANTIAGO)) == {"r"}
    independencia_total = i_year.table("t1_nacionalidad").cell("total").count
    rows = list(csv.reader(io.StringIO(table.to_csv().decode())))
    total_row = next(r for r in rows if r[0] == "t1_nacionalidad" and r[3] == "total")
    assert total_row[4:] == ["r", str(independencia_total)]
    text = combined.to_text()
    assert "r = retenida: pendiente de un archivo corregido." in text
    assert f"- {SANTIAGO}: {tmp_path / SANTIAGO / 'panel-2026.json'}: 2026 (" in text
    assert "no fue protegido contra 2026-Q1" in text


# -- the command line --------------------------------------------------------------------------


def test_check_prints_each_file_and_exits_1_when_one_is_withheld(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    office = Office()
    quarters = office.normal_quarters()
    good = [_write(tmp_path, f"q{i}.json", r) for i, r in enumerate(quarters, 1)]
    assert main(["panel", "check", *map(str, good)]) == 0
    out = capsys.readouterr().out
    assert f"{good[0]}: municipio 13101, periodo 2026-Q1, huella " in out
    assert out.count(": aceptado") == 4
    assert "Todos los archivos están protegidos" in out

    copy_year = _write(tmp_path, "year.json", office.release(YEAR, []))
    assert main(["panel", "check", *map(str, good), str(copy_year)]) == 1
    out = capsys.readouterr().out
    assert f"{copy_year}: municipio 13101, periodo 2026, huella " in out
    assert ": retenido: 2026 (" in out
    assert "Municipio 13101, periodo 2026: retenido hasta que llegue un archivo corregido." in out
    assert "Archivos retenidos: 1." in out


def test_check_shows_what_a_revision_holds_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    office = Office()
    # As the office's ledger keeps it: with exact counts.
    q1 = build_release(Period(2026, 1), office.quarters[0], office.year, Policy(), SANTIAGO)
    # Fifteen late registrations alike, one referred: the person tables change by at least
    # k and are shown, the referral tables would change by one and keep their figures.
    alike = base_population(1, seed=99, start=50_000)[0]
    late = [replace(alike, key=f"tarde-{i}", referrals=()) for i in range(14)]
    late.append(replace(alike, key="tarde-14", referrals=(("legal", "pending"),)))
    revised = _public(
        build_release(
            Period(2026, 1), office.quarters[0] + late, office.year, Policy(), SANTIAGO, [q1]
        )
    )
    assert revised.revision_of == q1.content_hash()
    assert revised.held_back == ("derivaciones",)
    # The revision's name sorts first; in a directory it comes after the version it revises
    # (its chain is longer), so both are accepted and the revision is used.
    _write(tmp_path / "in", "a-corregido.json", revised)
    _write(tmp_path / "in", "b-original.json", q1)
    assert main(["panel", "check", str(tmp_path / "in")]) == 0
    out = capsys.readouterr().out
    assert f"Municipio 13101, periodo 2026-Q1: la Mesa usa {revised.content_hash()[:12]}." in out
    assert f"revisión de {q1.content_hash()[:12]}; mantiene las cifras ya publicadas en: " in out
    assert "derivaciones" in out


def test_unreadable_input_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text("{}", encoding="utf-8")
    assert main(["panel", "check", str(junk)]) == 2
    assert "junk.json no es una exportación válida" in capsys.readouterr().err
    missing = tmp_path / "nowhere.json"
    assert main(["panel", "check", str(missing)]) == 2
    assert f"No se pudo leer {missing}" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["panel", "combine", str(tmp_path / "empty")]) == 2
    assert "No hay archivos .json de publicaciones en" in capsys.readouterr().err


def test_combine_asks_for_a_period_when_the_files_hold_several(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    office = Office()
    quarters = office.normal_quarters()
    folder = tmp_path / "recibidos"
    for release in [*quarters, office.release(YEAR, quarters)]:
        _write(folder, f"panel-{release.period.label}.json", release)
    assert main(["panel", "combine", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "varios periodos (2026-Q1, 2026-Q2, 2026-Q3, 2026-Q4, 2026)" in err
    assert main(["panel", "combine", str(folder), "--period", "2025-Q1"]) == 2
    assert "No hay archivos del periodo 2025-Q1" in capsys.readouterr().err
    assert main(["panel", "combine", str(folder), "--period", "2026"]) == 0
    out = capsys.readouterr().out
    assert "periodo 2026 —" in out and "retenida" not in out
    with pytest.raises(ExportError):
        panel_side.combine_paths([folder], "2026", k=15)
