"""Synthetic populations, canaries and an independent interval audit for the disclosure tests.

Everything here is synthetic. The interval audit is written from the attacker's side and
does not reuse the package's suppression code: it rebuilds the linear relations between the
published tables (rows add up to the total, T7 rows add up to T6, and — when the data are
additive — the year is the sum of its quarters), fixes every published cell to its *true*
count (the guarantee must hold before rounding) and asks an integer program for the smallest
and largest value each suppressed cell can take.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from casework.disclosure import Period, PersonFacts, Release
from casework.disclosure.codebook import (
    AREA_CATEGORIES,
    LABELS_ES,
    OUTCOME_CATEGORIES,
    PERSON_TABLES,
    RULES_ES,
    STATUS_MAP,
    T6,
    T7,
    TABLES,
    TOTAL,
    reading_note_es,
)
from casework.disclosure.release import grouping_of
from casework.disclosure.tabulate import TOTAL_KEY, CellKey, tabulate

MUNICIPALITY = "13101"
"""Santiago (synthetic office)."""
CANARY = "CANARY-7Q"
"""Planted in every identifying value the tests can reach; must never be exported."""
DATE_RE = re.compile(rb"\d{4}-\d{2}-\d{2}")

# --- people -------------------------------------------------------------------------------


def canary_key(i: int, label: str = "") -> str:
    """An opaque key stuffed with what a careless service might put there."""
    return (
        f"{CANARY}|{label}|RUN 12.345.{i:03d}-K|Pasaporte P{i:07d}|María José Pérez Núñez|"
        f"+56 9 5555 {i:04d}|Pasaje Los Aromos {i} depto 4B|nota libre 2026-05-{i % 28 + 1:02d}"
    )


def person(
    i: int,
    *,
    nationality: str | None = "VEN",
    sex: str | None = "F",
    age: int | None = 30,
    status: str | None = "no_permit",
    commune: str | None = "13101",
    referrals: tuple[tuple[str, str], ...] = (),
    excluded: bool = False,
    label: str = "",
) -> PersonFacts:
    return PersonFacts(
        key=canary_key(i, label),
        nationality=nationality,
        sex=sex,
        age=age,
        status=status,
        commune=commune,
        referrals=referrals,
        excluded=excluded,
    )


_BASE_NATS = ["VEN"] * 9 + ["COL"] * 3 + ["PER"] * 3 + ["BOL"] * 2
_BASE_STATUS = (
    ["no_permit"] * 5
    + ["transit_expired"] * 2
    + [
        "temporary_in_process",
        "temporary",
        "permanent",
        "refugee_applicant",
        "unknown",
    ]
)
_BASE_COMMUNES = ["13101"] * 6 + ["13114", "13120", "13106"]
_AREAS = ["health", "housing", "legal", "education", "employment", "social_protection"]
_OUTCOMES = ["completed", "pending", "not_completed"]


def base_population(n: int, seed: int, start: int = 0) -> list[PersonFacts]:
    """Ordinary adults: several large nationalities and communes, mixed statuses."""
    rng = random.Random(seed)
    people = []
    for i in range(start, start + n):
        refs = tuple(
            (rng.choice(_AREAS), rng.choice(_OUTCOMES)) for _ in range(rng.choice((0, 1, 1, 2)))
        )
        people.append(
            person(
                i,
                nationality=rng.choice(_BASE_NATS),
                sex=rng.choice(("F", "M")),
                age=rng.randint(18, 59),
                status=rng.choice(_BASE_STATUS),
                commune=rng.choice(_BASE_COMMUNES),
                referrals=refs,
            )
        )
    return people


RARE_COMMUNE = "13132"
"""Vitacura: nobody else from the office lives there."""
CUBAN_COMMUNE = "13125"
"""Quilicura: only the three Cubans."""


def planted() -> dict[str, list[PersonFacts]]:
    """The risky people of privacy.md §7, each with canaries in the key."""
    return {
        "haitian_woman": [
            person(
                9001,
                nationality="HTI",
                sex="F",
                age=67,
                status="refugee",
                commune=RARE_COMMUNE,
                label="haitiana",
            )
        ],
        "cubans": [
            person(
                9010 + j,
                nationality="CUB",
                sex="M",
                age=35 + j,
                status="no_permit",
                commune=CUBAN_COMMUNE,
                label="cubano",
            )
            for j in range(3)
        ],
        "twelve_referrals": [
            person(
                9020,
                referrals=(("legal", "pending"),) * 11 + (("legal", "completed"),),
                label="doce-derivaciones",
            )
        ],
        "legal_others": [
            person(9030 + j, referrals=(("legal", "completed"),), label="juridica")
            for j in range(9)
        ],
        "child": [person(9040, age=12, status="temporary_in_process", label="nino")],
        "nonbinary": [person(9050 + j, sex="X", label="x") for j in range(2)],
    }


def adversarial_quarter(n_base: int = 300, seed: int = 7) -> list[PersonFacts]:
    people = base_population(n_base, seed)
    for group in planted().values():
        people.extend(group)
    return people


def split_quarters(
    people: Sequence[PersonFacts], seed: int, pinned: Mapping[str, int] | None = None
) -> dict[int, list[PersonFacts]]:
    """Each person served in exactly one quarter (so the year is the sum of its quarters)."""
    rng = random.Random(seed)
    out: dict[int, list[PersonFacts]] = {q: [] for q in range(1, 5)}
    for p in people:
        q = rng.randint(1, 4)
        for marker, fixed in (pinned or {}).items():
            if marker in p.key:
                q = fixed
        out[q].append(p)
    return out


def commune_office(
    counts: Sequence[int], decoy: Sequence[int] = (10, 10, 10, 10)
) -> tuple[list[PersonFacts], dict[int, list[PersonFacts]]]:
    """An office where commune 13114 has ``counts[q]`` persons in quarter q+1 (and 13120,
    the cheaper cell for secondary suppression, ``decoy[q]``)."""
    base = [replace(p, commune="13101") for p in base_population(400, seed=8)]
    quarters = split_quarters(base, seed=2)
    people = list(base)
    i = 0
    for commune, numbers in (("13114", counts), ("13120", decoy)):
        for q, n in enumerate(numbers, start=1):
            for _ in range(n):
                p = person(5000 + i, nationality="VEN", age=33, commune=commune, label="c")
                i += 1
                quarters[q].append(p)
                people.append(p)
    return people, quarters


# --- reading exports ------------------------------------------------------------------------


def output_bytes(release: Release) -> list[bytes]:
    return [release.to_json(), *release.to_csv_files().values()]


def allowed_strings(release: Release) -> set[str]:
    """Every string an export may contain: codebook, fixed texts, its own codes and hash."""
    allowed: set[str] = {TOTAL, release.period.label, release.municipality, "year", "quarter"}
    allowed |= {"rounded", "suppressed", ""}
    for name, labels in LABELS_ES.items():
        allowed.add(name)
        allowed |= set(labels)
        allowed |= set(labels.values())
    allowed |= set(RULES_ES.values()) | set(RULES_ES)
    allowed |= set(STATUS_MAP) | set(STATUS_MAP.values())
    for spec in TABLES:
        allowed |= {spec.table_id, spec.title_es, *spec.dimensions}
    allowed.add(reading_note_es(release.k, release.rounding_base, release.min_table_total))
    allowed |= {"cifra publicada, redondeada", "cifra suprimida (sin valor)"}
    grouping = grouping_of(release)
    allowed |= set(grouping.nationalities) | set(grouping.communes)
    return allowed


def true_counts(people: Iterable[PersonFacts], release: Release) -> dict[CellKey, int]:
    """True counts of a period, with the grouping the release used."""
    return dict(tabulate(people, grouping_of(release)).counts)


def key_of(table_id: str, dims: tuple[str, ...]) -> CellKey:
    return TOTAL_KEY if dims == (TOTAL,) else (table_id, dims)


# --- interval audit -------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    lo: float
    hi: float  # math.inf when unbounded

    @property
    def free(self) -> bool:
        return self.hi - self.lo >= 1 - 1e-6


def interval_audit(
    releases: Sequence[Release],
    truth: Mapping[str, Mapping[CellKey, int]],
    *,
    additive_year: bool,
    exact: bool = True,
) -> dict[tuple[str, CellKey], Interval]:
    """Feasible integer range of every suppressed cell, given everything published.

    One data state (:class:`SequenceAudit` with exact knowledge): ``truth[period_label]``
    holds the true counts of each released period and published cells are fixed to them
    (not to their rounded values). With ``additive_year`` the four quarters and the year
    of the releases' calendar year are all variables, linked by year = sum of quarters
    (periods not released are free, non-negative unknowns).

    Without ``exact`` only whether each range has two integers is decided (one solve when
    the maximum already exceeds the true value); the other end is then the true value.
    """
    audit = SequenceAudit(
        [Step(r, truth[r.period.label]) for r in releases], additive_year=additive_year
    )
    out: dict[tuple[str, CellKey], Interval] = {}
    for state, label, key in dict.fromkeys(audit.targets):
        i = audit.index[(state, label, key)]
        hi = audit.bound(i, True)
        true_value = float(truth[label][key])
        if not exact and hi >= true_value + 1 - 1e-6:
            out[(label, key)] = Interval(true_value, hi)
        else:
            out[(label, key)] = Interval(audit.bound(i, False), hi)
    return out


# --- sequences of releases: several data states, exact or rounded knowledge -----------------


@dataclass(frozen=True)
class Step:
    """One release as the Panel receives it, with the truth it was built from.

    ``state`` names the data state (the database as it was when the release was built):
    releases of one state share their variables, releases of different states do not (a
    revision, or a release made after the data changed). Two releases of the same period
    in different states are *versions*: their cell-by-cell difference is audited too.
    """

    release: Release
    truth: Mapping[CellKey, int]
    state: str = "A"


@dataclass(frozen=True)
class Finding:
    """A suppressed cell (``kind`` "cell") or a difference between two versions of a period
    (``kind`` "diff", ``state`` = "old>new") whose feasible range gives a small count away."""

    kind: str
    state: str
    label: str
    key: CellKey
    interval: Interval


def held_keys(release: Release) -> set[CellKey]:
    """Cells of the units a revision holds back (they repeat the earlier version)."""
    from casework.disclosure.release import unit_keys

    grouping = grouping_of(release)
    return {key for unit in release.held_back for key in unit_keys(grouping, unit)}


class SequenceAudit:
    """The attacker's integer program over a sequence of releases (see :class:`Step`).

    Variables are per (data state, period, cell). Within a state: every table's rows add up
    to its total, T7 rows to their T6 cell and (``additive_year``) the year is the sum of
    its quarters, periods not released in that state being free non-negative unknowns.
    Knowledge: ``exact`` fixes each published cell to its true count; otherwise a cell
    published as c > 0 is known to lie in [max(k, c − slack), c + slack] (the attacker
    knows that only 0 or at least k is ever published) and a published 0 is exact.
    A release equal to an earlier one (a faithful re-export, or a revision that held
    everything back) adds nothing; the held-back units of a revision add nothing either.
    ``empty``: labels of periods the attacker knows hold nobody (quarters after the date of
    a year-to-date export), fixed at 0 in every state.
    """

    def __init__(
        self,
        steps: Sequence[Step],
        *,
        k: int = 10,
        exact: bool = True,
        additive_year: bool = True,
        empty: Sequence[str] = (),
    ) -> None:
        import numpy as np

        self.k = k
        seen: set[str] = set()
        self.steps: list[Step] = []
        for step in steps:
            digest = step.release.content_hash()
            if digest not in seen:
                seen.add(digest)
                self.steps.append(step)
        first = self.steps[0].release
        year = first.period.year
        grouping = grouping_of(first)
        keys: list[CellKey] = [TOTAL_KEY]
        for spec in TABLES:
            keys.extend((spec.table_id, dims) for dims in grouping.categories(spec.table_id))
        states = list(dict.fromkeys(step.state for step in self.steps))
        index: dict[tuple[str, str, CellKey], int] = {}
        self.labels: dict[str, list[str]] = {}
        for state in states:
            if additive_year:
                labels = [Period(year, q).label for q in range(1, 5)] + [Period(year).label]
            else:
                labels = sorted({s.release.period.label for s in self.steps if s.state == state})
            self.labels[state] = labels
            for label in labels:
                for key in keys:
                    index[(state, label, key)] = len(index)
        n = len(index)
        rows: list[dict[int, float]] = []
        for state in states:
            labels = self.labels[state]
            for label in labels:
                for spec in PERSON_TABLES:
                    row = {
                        index[(state, label, (spec.table_id, d))]: 1.0
                        for d in grouping.categories(spec.table_id)
                    }
                    row[index[(state, label, TOTAL_KEY)]] = -1.0
                    rows.append(row)
                for area in AREA_CATEGORIES:
                    row = {
                        index[(state, label, (T7.table_id, (area, o)))]: 1.0
                        for o in OUTCOME_CATEGORIES
                    }
                    row[index[(state, label, (T6.table_id, (area,)))]] = -1.0
                    rows.append(row)
            if additive_year:
                for key in keys:
                    row = {index[(state, labels[q], key)]: 1.0 for q in range(4)}
                    row[index[(state, labels[4], key)]] = -1.0
                    rows.append(row)
        lower = np.zeros(n)
        upper = np.full(n, np.inf)
        for (_state, label, _key), i in index.items():
            if label in empty:
                upper[i] = 0.0
        self.targets: list[tuple[str, str, CellKey]] = []
        self.skipped: list[set[CellKey]] = []
        for step in self.steps:
            release, state = step.release, step.state
            label = release.period.label
            skip = held_keys(release)
            self.skipped.append(skip)
            slack = release.rounding_base // 2 if release.rounding_base > 1 else 0
            for table_id, cell in release.cells():
                key = key_of(table_id, cell.dims)
                if key in skip:
                    continue
                i = index[(state, label, key)]
                if cell.count is None:
                    self.targets.append((state, label, key))
                    continue
                if exact:
                    lo = hi = float(step.truth[key])
                elif cell.count == 0:
                    lo = hi = 0.0
                else:
                    lo, hi = float(max(k, cell.count - slack)), float(cell.count + slack)
                lower[i] = max(lower[i], lo)
                upper[i] = min(upper[i], hi)
        self.index, self.rows, self.lower, self.upper = index, rows, lower, upper
        self.fixed = lower == upper
        parent = list(range(n))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for row in rows:
            free = [i for i in row if not self.fixed[i]]
            for a, b in itertools.pairwise(free):
                parent[find(a)] = find(b)
        self.root = [find(i) for i in range(n)]
        self.a_full = np.zeros((len(rows), n))
        for r, row in enumerate(rows):
            for i, coef in row.items():
                self.a_full[r, i] = coef
        self._blocks: dict[int, object] = {}
        self._bounds: dict[tuple[int, bool], float] = {}

    def _block(self, root: int):  # type: ignore[no-untyped-def]
        import numpy as np
        from scipy.optimize import Bounds, LinearConstraint

        if root not in self._blocks:
            n = len(self.lower)
            members = [i for i in range(n) if not self.fixed[i] and self.root[i] == root]
            member_set = set(members)
            row_ids = [r for r, row in enumerate(self.rows) if any(i in member_set for i in row)]
            a = self.a_full[np.ix_(row_ids, members)]
            fixed_ids = [i for i in range(n) if self.fixed[i]]
            rhs = -self.a_full[np.ix_(row_ids, fixed_ids)] @ self.lower[fixed_ids]
            bounds = Bounds(self.lower[members], self.upper[members])
            position = {i: p for p, i in enumerate(members)}
            self._blocks[root] = (LinearConstraint(a, rhs, rhs), bounds, position, len(members))
        return self._blocks[root]

    def bound(self, i: int, upper: bool) -> float:
        """Smallest (or largest) integer value variable ``i`` can take."""
        import numpy as np
        from scipy.optimize import milp

        if self.fixed[i]:
            return float(self.lower[i])
        if (i, upper) in self._bounds:
            return self._bounds[(i, upper)]
        cons, bounds, position, size = self._block(self.root[i])
        c = np.zeros(size)
        c[position[i]] = -1.0 if upper else 1.0
        integrality = np.ones(size)
        result = milp(c, constraints=cons, bounds=bounds, integrality=integrality)
        if result.status == 0:
            value = -float(result.fun) if upper else float(result.fun)
        else:  # HiGHS may answer "infeasible or unbounded": tell them apart
            probe = milp(0 * c, constraints=cons, bounds=bounds, integrality=integrality)
            assert probe.status == 0, f"audit model infeasible: {probe.message}"
            assert upper
            value = float("inf")
        self._bounds[(i, upper)] = value
        return value

    def cell_range(self, state: str, label: str, key: CellKey) -> Interval:
        i = self.index[(state, label, key)]
        return Interval(self.bound(i, False), self.bound(i, True))

    def _small(self, lo: float, hi: float) -> bool:
        k = self.k
        return (lo >= 1 - 1e-6 and hi <= k - 1 + 1e-6) or (
            lo >= -(k - 1) - 1e-6 and hi <= -1 + 1e-6
        )

    def findings(self) -> list[Finding]:
        """Every suppressed cell, and every difference between two versions of a period,
        whose feasible range excludes 0 and every value of at least k (in absolute value)."""
        out: list[Finding] = []
        for state, label, key in dict.fromkeys(self.targets):
            i = self.index[(state, label, key)]
            hi = self.bound(i, True)
            if hi >= self.k - 1e-6:
                continue
            lo = self.bound(i, False)
            if self._small(lo, hi):
                out.append(Finding("cell", state, label, key, Interval(lo, hi)))
        # The Panel keeps every version of a period and can subtract any two of them: every
        # pair of versions in different data states is audited, not only consecutive ones.
        for new_pos, step in enumerate(self.steps):
            label = step.release.period.label
            for old_pos in range(new_pos):
                old = self.steps[old_pos]
                if old.release.period.label == label and old.state != step.state:
                    out.extend(self._differences(old_pos, new_pos))
        return out

    def _differences(self, old_pos: int, new_pos: int) -> list[Finding]:
        old, new = self.steps[old_pos], self.steps[new_pos]
        label = new.release.period.label
        out: list[Finding] = []
        # Held-back cells repeat an earlier version (compared with the others on its own).
        skip = self.skipped[new_pos] | self.skipped[old_pos]
        for table_id, cell in new.release.cells():
            key = key_of(table_id, cell.dims)
            if key in skip:
                continue
            skip.add(key)  # the shared total once
            i_new = self.index[(new.state, label, key)]
            i_old = self.index[(old.state, label, key)]
            hi = self.bound(i_new, True) - self.bound(i_old, False)
            if hi <= -self.k + 1e-6:
                continue
            lo = self.bound(i_new, False) - self.bound(i_old, True)
            if self._small(lo, hi):
                out.append(
                    Finding("diff", f"{old.state}>{new.state}", label, key, Interval(lo, hi))
                )
        return out


def sequence_audit(
    steps: Sequence[Step],
    *,
    k: int = 10,
    exact: bool = True,
    additive_year: bool = True,
    empty: Sequence[str] = (),
) -> list[Finding]:
    """Findings of :class:`SequenceAudit` (empty when the sequence gives nothing away)."""
    audit = SequenceAudit(steps, k=k, exact=exact, additive_year=additive_year, empty=empty)
    return audit.findings()


def hidden_row_sums(release: Release, truth: Mapping[CellKey, int]) -> list[tuple[str, int]]:
    """For every row with a published total: the true sum of its suppressed cells."""
    out = []
    cells = {key_of(t, c.dims): c for t, c in release.cells()}
    total_published = cells[TOTAL_KEY].count is not None
    for spec in PERSON_TABLES:
        if not total_published:
            break
        keys = [(spec.table_id, d) for d in grouping_of(release).categories(spec.table_id)]
        hidden = [k for k in keys if cells[k].count is None]
        if hidden:
            out.append((spec.table_id, sum(truth[k] for k in hidden)))
    for area in AREA_CATEGORIES:
        if cells[(T6.table_id, (area,))].count is None:
            continue
        keys = [(T7.table_id, (area, o)) for o in OUTCOME_CATEGORIES]
        hidden = [k for k in keys if cells[k].count is None]
        if hidden:
            out.append((f"{T7.table_id}:{area}", sum(truth[k] for k in hidden)))
    return out


def with_key_suffix(people: Iterable[PersonFacts], suffix: str) -> list[PersonFacts]:
    return [replace(p, key=p.key + suffix) for p in people]
