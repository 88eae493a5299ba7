"""Secondary suppression across the tables of an export and the releases of its year.

The attacker model
------------------
The attacker has every release of the calendar year (four quarters and the year, each
possibly revised), knows the rounding rule and is assumed to know the published counts
*exactly* (the guarantee must hold before rounding). The attacker also assumes that the
year is the sum of its quarters, cell by cell (true when nobody is served in two quarters,
so it must be defended against). For one calendar year and one family of cells the
relations are then those of a two-way table with margins::

                  category 1 .. category m     total
    Q1..Q4        x[q][c]                       x[q][total]   (row:    sum_c x = total)
    year          x[Y][c]                       x[Y][total]   (column: sum_q x = year)

with a family per table T1..T5 (all five share the ``total`` column: the persons served)
and one per service area (columns: the outcomes of T7; ``total``: the area's cell in T6).

Guarantees checked for every cell of every release
---------------------------------------------------
* **G1 — no cell can be pinned by linear algebra.** Negating the year row and the total
  column turns every family into a table whose rows and columns all add up to zero, so
  the moves that keep every relation are exactly the cycles of the bipartite graph
  (periods × columns) of unknown cells. A cell is determined iff it lies on no cycle,
  i.e. it is a *bridge* of that graph; with the ``total`` column shared by five families,
  a bridge can still be free if the other families can balance the flow it pushes through
  the total column — a small linear system over the ≤ 5 periods decides it exactly.
  Unknown cells are suppressed cells and every cell of a period not yet released.
* **V1 — rows.** In the current release, the suppressed cells of a row whose total is
  published add up to at least k (so zeros stay possible and no small group is revealed
  by subtraction).
* **V2 — columns.** When the year's cell of a column is known, the unknown quarter cells
  of that column add up to at least k.
* **V3 — room to move.** Linear algebra ignores that counts cannot be negative: a hidden
  cell on a cycle can still be pinned when the cells the cycle must decrease are zero or
  at their bound (e.g. the year publishes a column whose hidden quarter cells must all be
  at their row maximum). Each family is a transshipment (source → quarter: its total;
  quarter → category: the quarter's cell; category → sink: the year's cell; sink →
  source: the year's total). If some point of the attacker's polytope makes every
  unknown, unpinned cell strictly positive, every cycle can move both ways, so no cell on
  a cycle is pinned (and, the matrix of a family being a network matrix, its integer
  range has at least two values). Feasibility is decided exactly by Gale's theorem
  (no node set that no unknown arc leaves may hold a surplus), enumerating the 2^6 sets
  of row nodes. The five families T1..T5 are checked one by one, each with the shared
  totals free: a necessary condition for the joint one, which the tests' audit covers.

* **V4 — the year against its four quarters.** When the year's cell and all four quarter
  cells of a column are known, the attacker, assuming the year is the sum of its quarters,
  reads ``year − Σ quarters`` as a count. A quarter changed after its release and never
  revised (a *stale* quarter: a late registration, an opt-out) shows there as 1 or −1.
  The residual is computed from the values the attacker knows (true counts of the current
  release, exact ledger counts of the others) and must not be in 1..k−1. A person served
  in two quarters makes the year smaller than the sum, so negative residuals are ordinary
  and not checked as such: measured on ``base_population`` with a fifth of the people
  served again in another quarter (5 offices each, quarters then year), year cells
  suppressed without V4 / positive residuals / both signs = 112 / 112 / 117 of 345 with
  400 persons, 18 / 18 / 41 of 345 with 1000 persons. Instead, when the current true
  counts of the other periods are given (``now``, exact knowledge only), the *stale* part
  — the residual the attacker reads minus the one today's data would give (the repeat
  visits) — must be 0 or at least k in absolute value: this catches a stale change of
  either sign and costs nothing when nothing is stale. A negative residual of 1..k−1 that
  only repeat visits explain stays visible: it tells how many repeat visits a column had,
  not who made them. A violation is fixed by suppressing the current release's cell of
  that column (even one the quarters determine: the attacker's sum is the old one).

V2, V3 and V4 use the values an attacker is assumed to know: true counts of the current
release, and for earlier releases their exact counts when they come from the ledger
(:meth:`Release.ledger_record`), else their published counts (then V2 subtracts the
rounding slack, and V3 is approximate).

Suppression is greedy and deterministic: primary suppressions first, then the first
violation found (in a fixed order) is fixed with the cheapest publishable cell of the
current release that fixes it. A violation that would remain even if the whole current
release were suppressed was not caused by it and cannot be fixed by it; it is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from casework.disclosure.codebook import (
    AREA_CATEGORIES,
    OUTCOME_CATEGORIES,
    PERSON_TABLES,
    STATUS_CATEGORIES,
    T4,
    T6,
    T7,
)
from casework.disclosure.period import YEAR_SLOT
from casework.disclosure.tabulate import TOTAL_KEY, CellKey, Grouping, Tabulation

SLOTS = YEAR_SLOT + 1
"""Q1, Q2, Q3, Q4 and the year."""
_CANDIDATE_LIMIT = 48

# Reasons for a suppression (shown to the supervisor before export; never exported).
PRIMARY = "primaria"
ZERO_SENSITIVE = "cero_en_tabla_sensible"
GROUP = "divulgacion_de_grupo"
MIN_TABLE = "tabla_bajo_tamano_minimo"
PRIOR_VERSION = "suprimida_en_version_anterior"
SECONDARY = "secundaria"
UNIT_TOGETHER = "revision_unidad_suprimida"
"""A revision of a release that was not protected against every release of its year: the
unit's cells are suppressed together (issue #18)."""

REASONS_ES = {
    PRIMARY: "menos de k personas",
    ZERO_SENSITIVE: "cero en la tabla de situación migratoria",
    GROUP: "casi todas las personas comparten una situación migratoria",
    MIN_TABLE: "la tabla tiene menos personas que el mínimo para publicar su detalle",
    PRIOR_VERSION: "estaba suprimida en una publicación anterior del mismo periodo",
    SECONDARY: "supresión secundaria, para que ninguna celda suprimida pueda calcularse",
    UNIT_TOGETHER: (
        "corrige un archivo del año que no se protegió contra los ya enviados: para no "
        "mostrar qué cambió, la tabla completa va suprimida"
    ),
}


@dataclass(frozen=True, slots=True)
class Group:
    """Families of cells linked by a shared total column."""

    name: str
    families: tuple[tuple[CellKey, ...], ...]
    total: CellKey

    def keys(self) -> tuple[CellKey, ...]:
        return (*(key for fam in self.families for key in fam), self.total)


def groups_for(grouping: Grouping) -> tuple[Group, ...]:
    """The independent groups of the table set: T1..T5 together, then one per area."""
    person = Group(
        "personas",
        tuple(
            tuple((spec.table_id, dims) for dims in grouping.categories(spec.table_id))
            for spec in PERSON_TABLES
        ),
        TOTAL_KEY,
    )
    areas = tuple(
        Group(
            f"area:{area}",
            (tuple((T7.table_id, (area, outcome)) for outcome in OUTCOME_CATEGORIES),),
            (T6.table_id, (area,)),
        )
        for area in AREA_CATEGORIES
    )
    return (person, *areas)


def primary_suppressions(tab: Tabulation, k: int, min_table_total: int) -> dict[CellKey, str]:
    """Cells that must be suppressed whatever else happens, with the reason."""
    counts = tab.counts
    out: dict[CellKey, str] = {}
    for key, value in counts.items():
        if 0 < value < k:
            out[key] = PRIMARY
    if tab.persons < k:
        out[TOTAL_KEY] = PRIMARY  # also an empty period: nothing is published
    status_keys = [(T4.table_id, (c,)) for c in STATUS_CATEGORIES]
    for key in status_keys:
        if counts[key] == 0:
            out.setdefault(key, ZERO_SENSITIVE)
    largest = max(counts[key] for key in status_keys)
    if tab.persons > 0 and tab.persons - largest < k:
        for key in status_keys:
            out.setdefault(key, GROUP)
    if tab.persons < min_table_total:
        for spec in PERSON_TABLES:
            for dims in tab.grouping.categories(spec.table_id):
                out.setdefault((spec.table_id, dims), MIN_TABLE)
    if tab.referred < min_table_total:
        for spec in (T6, T7):
            for dims in tab.grouping.categories(spec.table_id):
                out.setdefault((spec.table_id, dims), MIN_TABLE)
    return out


class _Basis:
    """Span of 0/1 vectors over the ≤ 5 periods (exact rational elimination)."""

    def __init__(self, masks: Sequence[int]) -> None:
        self.rows: list[tuple[int, list[Fraction]]] = []
        for mask in masks:
            vec = self._reduce(self._vector(mask))
            pivot = next((i for i, v in enumerate(vec) if v != 0), None)
            if pivot is not None:
                scale = vec[pivot]
                self.rows.append((pivot, [v / scale for v in vec]))

    @staticmethod
    def _vector(mask: int) -> list[Fraction]:
        return [Fraction(1) if mask >> i & 1 else Fraction(0) for i in range(SLOTS)]

    def _reduce(self, vec: list[Fraction]) -> list[Fraction]:
        for pivot, row in self.rows:
            factor = vec[pivot]
            if factor != 0:
                vec = [a - factor * b for a, b in zip(vec, row, strict=True)]
        return vec

    def contains(self, mask: int) -> bool:
        return all(v == 0 for v in self._reduce(self._vector(mask)))


class _Violation(NamedTuple):
    kind: str  # "v1" row sum, "v2" column sum, "v4" year − Σ quarters, "g1" pinned, "v3" room
    slot: int
    key: CellKey
    family: int = -1


_Bridge = tuple[int, CellKey, int, int]
"""(period slot, cell, slot mask of one side, slot mask of the component)."""


def _family_analysis(
    columns: Sequence[CellKey], unknown: Sequence[frozenset[CellKey] | set[CellKey]]
) -> tuple[list[int], list[_Bridge]]:
    """Components (as slot masks) and bridges of the graph of unknown cells of a family."""
    n = SLOTS + len(columns)
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    edges: list[tuple[int, int]] = []
    for j, key in enumerate(columns):
        node = SLOTS + j
        for slot in range(SLOTS):
            if key in unknown[slot]:
                eid = len(edges)
                edges.append((slot, j))
                adj[slot].append((node, eid))
                adj[node].append((slot, eid))
    disc = [-1] * n
    low = [0] * n
    sub = [0] * n
    comps: list[int] = []
    bridges: list[_Bridge] = []
    timer = 0
    for root in range(n):
        if disc[root] >= 0 or not adj[root]:
            continue
        disc[root] = low[root] = timer
        timer += 1
        sub[root] = 1 << root if root < SLOTS else 0
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]
        pending: list[tuple[int, int, int]] = []
        while stack:
            node, parent_edge, index = stack[-1]
            if index < len(adj[node]):
                stack[-1] = (node, parent_edge, index + 1)
                other, eid = adj[node][index]
                if eid == parent_edge:
                    continue
                if disc[other] < 0:
                    disc[other] = low[other] = timer
                    timer += 1
                    sub[other] = 1 << other if other < SLOTS else 0
                    stack.append((other, eid, 0))
                elif disc[other] < low[node]:
                    low[node] = disc[other]
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    if low[node] < low[parent]:
                        low[parent] = low[node]
                    sub[parent] |= sub[node]
                    if low[node] > disc[parent]:
                        slot, j = edges[parent_edge]
                        pending.append((slot, j, sub[node]))
        comp = sub[root]
        comps.append(comp)
        bridges.extend((slot, columns[j], side, comp) for slot, j, side in pending)
    return comps, bridges


class _GroupEngine:
    """Greedy secondary suppression of one group of the current release."""

    def __init__(
        self,
        group: Group,
        cur: int,
        true: Mapping[CellKey, int],
        prior_known: Sequence[Mapping[CellKey, int]],
        supp: dict[CellKey, str],
        k: int,
        slack: int,
        released: frozenset[int],
        now: Sequence[Mapping[CellKey, int] | None] | None = None,
    ) -> None:
        self.group = group
        self.now = now
        self.released = released | {cur}
        self.cur = cur
        self.true = true
        self.prior_known = prior_known
        self.supp = supp
        self.k = k
        self.slack = slack
        self.keys = group.keys()
        self.order = {key: i for i, key in enumerate(self.keys)}
        self.family_of: dict[CellKey, int] = {
            key: f for f, fam in enumerate(group.families) for key in fam
        }
        # Unknown cells of the other periods (suppressed or not yet released).
        self.room_baseline: list[bool] = []
        self.prior_unknown: list[frozenset[CellKey]] = [
            frozenset(key for key in self.keys if key not in prior_known[slot])
            for slot in range(SLOTS)
        ]

    # -- state -----------------------------------------------------------------------------

    def _unknown_sets(
        self, extra: CellKey | None = None
    ) -> list[frozenset[CellKey] | set[CellKey]]:
        current = {key for key in self.keys if key in self.supp}
        if extra is not None:
            current.add(extra)
        sets: list[frozenset[CellKey] | set[CellKey]] = list(self.prior_unknown)
        sets[self.cur] = current
        return sets

    def _is_unknown(self, slot: int, key: CellKey) -> bool:
        if slot == self.cur:
            return key in self.supp
        return key in self.prior_unknown[slot]

    def determined(
        self, unknown: Sequence[frozenset[CellKey] | set[CellKey]], only: int | None = None
    ) -> set[tuple[int, CellKey]]:
        """Unknown cells that the published ones pin exactly (G1).

        ``only``: analyse a single family (valid when no total is unknown).
        """
        total = self.group.total
        umask = sum(1 << slot for slot in range(SLOTS) if total in unknown[slot])
        families = range(len(self.group.families)) if only is None else (only,)
        vectors: list[int] = []
        bridges: list[_Bridge] = []
        for f in families:
            comps, fam_bridges = _family_analysis(self.group.families[f], unknown)
            vectors.extend(c & umask for c in comps if c & umask)
            bridges.extend(fam_bridges)
        found: set[tuple[int, CellKey]] = set()
        if umask == 0:
            found.update((slot, key) for slot, key, _side, _comp in bridges)
            return found
        basis = _Basis(vectors)
        for slot in range(SLOTS):
            if umask >> slot & 1 and basis.contains(1 << slot):
                found.add((slot, total))
        for slot, key, side, _comp in bridges:
            if basis.contains(side & umask):
                found.add((slot, key))
        return found

    def room_to_move(
        self,
        family: int,
        unknown: Sequence[frozenset[CellKey] | set[CellKey]],
        pinned: set[tuple[int, CellKey]],
    ) -> tuple[int, frozenset[CellKey]] | None:
        """V3: is there a point where every unknown, unpinned cell of the family is > 0?

        The family is a transshipment on nodes source, sink, Q1..Q4 and one node per
        category, every unknown cell an arc of unlimited capacity that must carry at least
        1 (data scaled by |E|+1, so this means "strictly positive"), every known cell a
        fixed flow. By Gale's theorem it is feasible iff no set of nodes that no unknown
        arc leaves holds a surplus. Categories only lead to the sink, so it suffices to
        try the 2^6 sets of row nodes, with the categories grouped by their neighbours.

        Returns None when feasible, else a closed set with a surplus as
        ``(row-node mask, its categories)`` for :meth:`_open_closed_set`.
        """
        columns = self.group.families[family]
        total = self.group.total
        # Row nodes: 0..3 quarters, 4 sink (the year's row), 5 source (the total column).
        sink, source = YEAR_SLOT, YEAR_SLOT + 1
        n_edges = sum(1 for slot in range(SLOTS) for key in columns if key in unknown[slot])
        n_edges += sum(1 for slot in range(SLOTS) if total in unknown[slot])
        scale = n_edges + 1
        row_excess = [0] * 6
        row_touched = [False] * 6
        # Arcs between row nodes: source -> quarter (its total), sink -> source (year total).
        row_out = [0] * 6  # bit mask of row nodes reachable by one unknown arc
        for slot in range(SLOTS):
            u, v = (sink, source) if slot == YEAR_SLOT else (source, slot)
            if total in unknown[slot]:
                lower = 0 if (slot, total) in pinned else 1
                row_excess[v] += lower
                row_excess[u] -= lower
                row_out[u] |= 1 << v
                row_touched[u] = row_touched[v] = True
            else:
                value = self._value(slot, total) * scale
                row_excess[v] += value
                row_excess[u] -= value
        # Categories, grouped by (quarters with an unknown arc into them, unknown arc out).
        classes: dict[tuple[int, bool], list[int]] = {}
        details: list[tuple[CellKey, int, bool, int]] = []
        for key in columns:
            excess = 0
            in_mask = 0
            to_sink = False
            touched = False
            for slot in range(SLOTS):
                if key in unknown[slot]:
                    touched = True
                    lower = 0 if (slot, key) in pinned else 1
                    if slot == YEAR_SLOT:
                        to_sink = True
                        excess -= lower
                        row_excess[sink] += lower
                        row_touched[sink] = True
                    else:
                        in_mask |= 1 << slot
                        excess += lower
                        row_excess[slot] -= lower
                        row_touched[slot] = True
                else:
                    value = self._value(slot, key) * scale
                    if slot == YEAR_SLOT:
                        excess -= value
                        row_excess[sink] += value
                    else:
                        excess += value
                        row_excess[slot] -= value
            if not touched:
                continue
            details.append((key, in_mask, to_sink, excess))
            sums = classes.setdefault((in_mask, to_sink), [0, 0])
            sums[0] += excess
            sums[1] += max(excess, 0)
        rows = [r for r in range(6) if row_touched[r]]
        for bits in range(1 << len(rows)):
            mask = 0
            for i, r in enumerate(rows):
                if bits >> i & 1:
                    mask |= 1 << r
            if any(mask >> r & 1 and row_out[r] & ~mask for r in rows):
                continue  # an unknown arc leaves the set
            surplus = sum(row_excess[r] for r in rows if mask >> r & 1)
            sink_in = bool(mask >> sink & 1)
            closed = True
            for (in_mask, to_sink), (all_sum, positive_sum) in classes.items():
                if in_mask & mask:
                    if to_sink and not sink_in:
                        closed = False
                        break
                    surplus += all_sum
                elif not to_sink or sink_in:
                    surplus += positive_sum
            if closed and surplus > 0:
                members = frozenset(
                    key
                    for key, in_mask, to_sink, excess in details
                    if in_mask & mask or (excess > 0 and (not to_sink or sink_in))
                )
                return mask, members
        return None

    # -- violations --------------------------------------------------------------------------

    def _value(self, slot: int, key: CellKey) -> int:
        return self.true[key] if slot == self.cur else self.prior_known[slot][key]

    def _first_violation(
        self, baseline: set[tuple[int, CellKey]], skip: set[_Violation]
    ) -> _Violation | None:
        cur, k = self.cur, self.k
        total = self.group.total
        # V1: rows of the current release with a published total.
        if total not in self.supp:
            for f, fam in enumerate(self.group.families):
                hidden = [key for key in fam if key in self.supp and (cur, key) not in baseline]
                violation = _Violation("v1", cur, total, f)
                if hidden and violation not in skip and sum(self.true[key] for key in hidden) < k:
                    return violation
        # V2: columns whose year cell is known.
        for key in self.keys:
            violation = _Violation("v2", YEAR_SLOT, key)
            if violation in skip or self._is_unknown(YEAR_SLOT, key):
                continue
            hidden_q = [
                q for q in range(YEAR_SLOT) if self._is_unknown(q, key) and (q, key) not in baseline
            ]
            if not hidden_q:
                continue
            known_q = [q for q in range(YEAR_SLOT) if not self._is_unknown(q, key)]
            residual = self._value(YEAR_SLOT, key) - sum(self._value(q, key) for q in known_q)
            rounded_values = sum(1 for q in known_q if q != cur) + (cur != YEAR_SLOT)
            if residual - self.slack * rounded_values < k:
                return violation
        # V4: the year against its four quarters, all known.
        for key in self.keys:
            violation = _Violation("v4", YEAR_SLOT, key)
            if violation in skip or any(self._is_unknown(s, key) for s in range(SLOTS)):
                continue
            residual = self._value(YEAR_SLOT, key) - sum(
                self._value(q, key) for q in range(YEAR_SLOT)
            )
            spread = self.slack * 4
            if 0 < residual < k + spread:
                return violation
            today = self._today(key)
            if self.slack == 0 and today is not None and 0 < abs(residual - today) < k:
                return violation
        # G1: cells pinned by the published ones (and not already pinned without us).
        # Cells of periods not released yet are no one's secret yet: they only carry cycles.
        unknown = self._unknown_sets()
        determined = self.determined(unknown)
        pinned = {(slot, key) for slot, key in determined - baseline if slot in self.released}
        for slot, key in sorted(pinned, key=lambda sk: (sk[0], self.order[sk[1]])):
            violation = _Violation("g1", slot, key)
            if violation not in skip:
                return violation
        # V3: room to move, for the families where the current release can provide it.
        for f in range(len(self.group.families)):
            violation = _Violation("v3", cur, total, f)
            if violation in skip or not self.room_baseline[f]:
                continue
            if self.room_to_move(f, unknown, determined) is not None:
                return violation
        return None

    def _today(self, key: CellKey) -> int | None:
        """``year − Σ quarters`` of a column in today's data, when every period's current
        true counts are known (the current release's are)."""
        if self.now is None:
            return None
        values = []
        for slot in range(SLOTS):
            counts = self.true if slot == self.cur else self.now[slot]
            if counts is None:
                return None
            values.append(counts[key])
        return values[YEAR_SLOT] - sum(values[:YEAR_SLOT])

    # -- fixes -------------------------------------------------------------------------------

    def _candidates(self, baseline: set[tuple[int, CellKey]]) -> list[CellKey]:
        """Publishable cells of the current release, cheapest first."""
        cands = [
            key for key in self.keys if key not in self.supp and (self.cur, key) not in baseline
        ]
        total = self.group.total
        cands.sort(
            key=lambda key: (key == total, self.true[key] == 0, self.true[key], self.order[key])
        )
        return cands

    def _choose(self, violation: _Violation, baseline: set[tuple[int, CellKey]]) -> CellKey | None:
        cands = self._candidates(baseline)
        if violation.kind == "v1":
            fam = set(self.group.families[violation.family])
            return next((c for c in cands if c in fam and self.true[c] > 0), None)
        if violation.kind == "v2":
            return violation.key if violation.key in cands else None
        if violation.kind == "v4":
            # Even a cell the quarters determine: the attacker's sum is the old one, the
            # published value would be the new one.
            return violation.key if violation.key not in self.supp else None
        if violation.kind == "v3":
            return self._open_closed_set(violation.family, cands)
        slot, key = violation.slot, violation.key
        total = self.group.total
        family = self.family_of.get(key)
        if family is not None and not any(self._is_unknown(s, total) for s in range(SLOTS)):
            fam = set(self.group.families[family])
            tried = [c for c in cands if c in fam]
            only: int | None = family
        else:
            tried = cands
            only = None
        for cand in tried[:_CANDIDATE_LIMIT]:
            if (slot, key) not in self.determined(self._unknown_sets(cand), only=only):
                return cand
        # No single cell fixes it: take a step towards a cycle and try again next round.
        if slot != self.cur and key in cands:
            return key
        pool = tried or cands
        linked = [
            c for c in pool if any(self._is_unknown(s, c) for s in range(SLOTS) if s != self.cur)
        ]
        positive = [c for c in (linked or pool) if self.true[c] > 0]
        choice = positive or linked or pool
        return choice[0] if choice else None

    def _open_closed_set(self, family: int, cands: Sequence[CellKey]) -> CellKey | None:
        """Cheapest current cell whose suppression opens an arc out of the closed set that
        holds a surplus (a necessary step towards room to move; the loop repeats)."""
        unknown = self._unknown_sets()
        found = self.room_to_move(family, unknown, self.determined(unknown))
        if found is None:
            return None
        mask, in_set = found
        sink, source = YEAR_SLOT, YEAR_SLOT + 1
        total = self.group.total
        columns = self.group.families[family]
        cur = self.cur
        family_keys = set(columns)
        opening: list[CellKey] = []
        for cand in cands:
            if cand == total:
                tail, head = (sink, source) if cur == YEAR_SLOT else (source, cur)
                if mask >> tail & 1 and not mask >> head & 1:
                    opening.append(cand)
            elif cand in family_keys:
                if cur == YEAR_SLOT:
                    if cand in in_set and not mask >> sink & 1:
                        opening.append(cand)
                elif mask >> cur & 1 and cand not in in_set:
                    opening.append(cand)
        pool = opening or [c for c in cands if c in family_keys]
        return pool[0] if pool else None

    def run(self) -> None:
        everything = set(self.keys)
        baseline_sets = self._unknown_sets()
        baseline_sets[self.cur] = everything
        baseline = self.determined(baseline_sets)
        self.room_baseline = [
            self.room_to_move(f, baseline_sets, baseline) is None
            for f in range(len(self.group.families))
        ]
        skip: set[_Violation] = set()
        while True:
            violation = self._first_violation(baseline, skip)
            if violation is None:
                return
            pick = self._choose(violation, baseline)
            if pick is None:
                skip.add(violation)
            else:
                self.supp[pick] = SECONDARY


def protect(
    grouping: Grouping,
    cur: int,
    true: Mapping[CellKey, int],
    prior_known: Sequence[Mapping[CellKey, int]],
    forced: Mapping[CellKey, str],
    k: int,
    slack: int,
    released: frozenset[int] = frozenset(),
    *,
    now: Sequence[Mapping[CellKey, int] | None] | None = None,
) -> dict[CellKey, str]:
    """Suppressed cells of the current release (``cur`` = its slot) with their reasons.

    ``prior_known[slot]`` maps the cells published by earlier releases of the same year to
    their published counts (the entry of the current slot is ignored); ``released`` are the
    slots of those earlier releases. ``forced`` are the primary suppressions and those
    inherited from earlier versions of the period. ``now[slot]``: today's true counts of
    the other released periods, None where unknown (V4).
    """
    supp = dict(forced)
    for group in groups_for(grouping):
        _GroupEngine(group, cur, true, prior_known, supp, k, slack, released, now).run()
    return supp
