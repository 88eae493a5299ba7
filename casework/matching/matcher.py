"""Scoring: Fellegi–Sunter weights, term-frequency adjustment and look-alike classes."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from .features import (
    COMPARISONS,
    CORE,
    EXTRA_LEVELS,
    F_CROSSED,
    F_FIELDS_SWAPPED,
    F_SPLIT,
    F_SWAPPED,
    G_EXACT,
    G_HIGH,
    G_MID,
    G_PHON,
    G_SHORT,
    S1_CROSSED,
    S1_EXACT,
    S2_EXACT,
    SAME,
    Comparison,
    Prepared,
    compare_levels,
    prepare,
)
from .keys import (
    DEFAULT_MAX_BLOCK,
    LARGE_SCAN,
    WEAK_ALONE_KINDS,
    WEAK_ALONE_MAX_BLOCK,
    candidate_pairs,
    match_keys,
)
from .params import MatchParams
from .reasons import Reason
from .record import PersonRecord
from .tf import DOCUMENT, GIVEN, GIVEN_TOKEN, PHONE, SURNAME, TermFrequencies

__all__ = ["DEFAULT_MAX_BLOCK", "DEFAULT_THRESHOLD", "WEAK_ALONE_KINDS", "MatchResult", "Matcher"]

DEFAULT_THRESHOLD: float = 0.5
"""Match probability at or above which a pair is reported as a likely duplicate.

Chosen on dev data only: `bench/dedupe_quality.py choose-threshold` sweeps thresholds on the
dev splits (the synthetic Migrant Office dev seed the parameters were fitted on; FEBRL2, on
which the FEBRL model is fitted, with all fields and with names + DOB only) and keeps, among
the thresholds within 0.001 of the best mean dev F1, the one closest to 0.5. The plateau was
0.3-0.6, so 0.5. The test figures (FEBRL3, the Migrant Office test seed) use this value.
"""

SHARED_NUMBER_MIN = 6
"""A phone or document number on more files than this is weighed by its frequency."""

_NEG_INF = float("-inf")
_FLOOR = -60.0  # log2 of a probability treated as zero
_LOOKALIKE_SHOWN = math.log2(0.05)  # posterior of a look-alike class worth a reason


class _Priors(NamedTuple):
    match: float  # log2 P(match) for a pair
    others: tuple[float, ...]  # log2 P(stranger), then each look-alike class
    odds: float  # log2 prior odds of a match


@dataclass(frozen=True)
class MatchResult:
    """A scored pair. `score` is the match probability (0..1); `weight` is the total log2
    Bayes factor (match against not-match) that moved the prior to `score`; `reasons` explain
    it, strongest evidence first."""

    a_id: str
    b_id: str
    score: float
    weight: float
    reasons: tuple[Reason, ...]


# Reason code per (comparison, level); None: no reason for that level.
_REASON_CODES: dict[str, tuple[str | None, ...]] = {
    "given": (
        "same_given_names",
        "phonetic_given_name",
        "given_name_shortened",
        "similar_given_names",
        "similar_given_names",
        "given_names_partly_different",
        "given_name_other_gender",
        "different_given_names",
        "different_given_names",
        None,
    ),
    "surname1": (
        "same_first_surname",
        "surname_in_other_position",
        "phonetic_surname",
        "similar_surname",
        "similar_surname",
        "different_surname",
        "different_surname",
        None,
    ),
    "surname2": (
        "same_second_surname",
        "phonetic_surname",
        "similar_surname",
        "similar_surname",
        "different_second_surname",
        "second_surname_missing",
        None,
    ),
    "birth_date": (
        "same_birth_date",
        "same_placeholder_birth_date",
        "dob_day_month_swapped",
        "dob_year_off_by_one",
        "dob_placeholder_same_year",
        "dob_one_digit",
        "dob_two_digits",
        "dob_close",
        "different_birth_date",
        None,
    ),
    "document": (
        "same_document",
        "similar_document",
        "different_document",
        "different_document",
        None,
    ),
    "phone": ("same_phone", "different_phone", None),
    "sex": ("same_sex", "different_sex", None),
    "nationality": ("same_nationality", "different_nationality", None),
}
_EXTRA_REASONS: tuple[str | None, ...] = (
    "same_extra",
    "similar_extra",
    "similar_extra",
    "different_extra",
    None,
)
assert all(len(v) == len(COMPARISONS[k]) for k, v in _REASON_CODES.items())

_G, _S1, _S2, _DOC, _PHONE, _SEX = 0, 1, 2, 4, 5, 6
_G_AGREES = frozenset({G_EXACT, G_PHON, G_SHORT, G_HIGH, G_MID})


def _frequency_label(tf: float) -> str:
    return "common" if tf >= 0.01 else "rare" if tf < 0.001 else "usual"


def _log2(p: float) -> float:
    return math.log2(p) if p > 0 else _FLOOR


def _rows(params: MatchParams, comp: str, names: tuple[str, ...]) -> list[tuple[float, ...]]:
    """Per level: log2 of (m, u, look-alike ...); absent levels and "null" weigh 0."""
    width = 2 + len(params.lookalike_priors)
    given = params.levels.get(comp, {})
    out: list[tuple[float, ...]] = []
    for name in names:
        probs = given.get(name)
        if probs is None or name == "null":
            out.append((0.0,) * width)
        else:
            out.append(tuple(_log2(p) for p in probs))
    return out


def _logsumexp2(xs: Iterable[float]) -> float:
    vals = list(xs)
    hi = max(vals)
    if hi == _NEG_INF:
        return hi
    return hi + math.log2(sum(math.pow(2.0, x - hi) for x in vals))


class Matcher:
    """Scores pairs of person records.

    `tf`: term frequencies of the population being searched (build them from the database with
    `TermFrequencies.from_records` and keep them up to date with `update`); without them the
    average frequency of each level is used. `params`: the model (default: the shipped one).
    `population`: number of person records searched, for the priors (default: the records
    counted in `tf`).
    """

    def __init__(
        self,
        tf: TermFrequencies | None = None,
        params: MatchParams | None = None,
        population: int | None = None,
    ):
        self.tf = tf
        self.params = params if params is not None else MatchParams.default()
        self.population = population
        p = self.params
        self._extra_keys = p.extra_keys
        self._lookalikes = p.lookalikes
        self._rows: list[list[tuple[float, ...]]] = [
            _rows(p, comp, COMPARISONS[comp]) for comp in CORE
        ] + [_rows(p, f"extra:{key}", EXTRA_LEVELS) for key in self._extra_keys]
        # log2(m / u) per level: the match-vs-stranger weight, an upper bound on the evidence
        self._w: list[list[float]] = [[row[0] - row[1] for row in rows] for rows in self._rows]
        self._tf_cache: dict[tuple[str, str, str], float] = {}
        self._tf_seen: tuple[int, int] = (0, -1)
        self._prior_cache: dict[int, _Priors] = {}

    def priors(self, records: int | None = None) -> _Priors:
        """Log2 priors for a population of `records` records.

        The shipped priors are pair rates observed on `params.reference_records` records. The
        number of duplicate (and look-alike) pairs grows like the number of records while the
        number of all pairs grows like its square, so the per-pair priors scale as
        (reference - 1) / (records - 1). Population used: the `population` given to the
        matcher, else `records`, else the records counted in the term frequencies, else the
        reference itself.
        """
        p = self.params
        n = self.population or records
        if n is None and self.tf is not None and self.tf.records:
            n = self.tf.records
        n = n or p.reference_records or 0
        cached = self._prior_cache.get(n)
        if cached is not None:
            return cached
        scale = 1.0
        if n > 1 and p.reference_records > 1:
            scale = (p.reference_records - 1) / (n - 1)
        pm = min(p.prior_match * scale, 0.5)
        looks = [min(v * scale, 0.1) for v in p.lookalike_priors.values()]
        stranger = 1.0 - pm - sum(looks)
        pri = _Priors(
            _log2(pm),
            (_log2(stranger), *(_log2(v) for v in looks)),
            _log2(pm) - _log2(1.0 - pm),
        )
        self._prior_cache[n] = pri
        return pri

    # -- scoring ------------------------------------------------------------------------------

    def _sync_tf(self, tf: TermFrequencies | None) -> None:
        """Drop cached term-frequency weights when the counts changed."""
        seen = (id(tf), tf.version if tf is not None else -1)
        if seen != self._tf_seen:
            self._tf_cache.clear()
            self._tf_seen = seen

    def _tf_u(
        self, tf: TermFrequencies, cat: str, value: str, lm: float, group: str
    ) -> float | None:
        """log2 u for an exact agreement on `value`, from its frequency (never above log2 m,
        so agreeing never counts against a match)."""
        key = (cat, value, group)
        lu = self._tf_cache.get(key)
        if lu is None:
            freq = tf.freq(cat, value, self.params.tf_min, group)
            if freq is None:
                return None
            lu = math.log2(freq)
            self._tf_cache[key] = lu
        return lu if lu < lm else lm

    def _adjusted_u(self, cmp: Comparison, tf: TermFrequencies) -> list[tuple[int, float]]:
        """(comparison index, log2 u) replacements from term frequencies."""
        out: list[tuple[int, float]] = []
        lv, grp, rows = cmp.levels, cmp.group, self._rows
        given_agrees = lv[_G] in _G_AGREES
        if cmp.tf_given or cmp.tf_given_tok:
            lm = rows[_G][lv[_G]][0]
            if cmp.tf_given:
                adj = self._tf_u(tf, GIVEN, cmp.tf_given, lm, grp)
            else:
                found = [
                    a
                    for a in (
                        self._tf_u(tf, GIVEN_TOKEN, tok, lm, grp)
                        for tok in cmp.tf_given_tok.split("|")
                    )
                    if a is not None
                ]
                adj = max(found) if found else None  # the commoner name of the two
            if adj is not None:
                out.append((_G, adj))
        if given_agrees and lv[_SEX] == SAME:
            # a shared given name already says the sex (names are gendered): counting "same
            # sex" on top would add a bit of evidence twice
            out.append((_SEX, rows[_SEX][SAME][0]))
        for ci, values in cmp.tf_fuzzy:
            # a near agreement never weighs more than the exact agreement on the commoner of
            # the two values would ("Josse" ~ "José" is no rarer than "José" itself)
            cat = GIVEN if ci == _G else SURNAME
            exact_m = rows[ci][0][0]
            freqs = [tf.freq(cat, v, self.params.tf_min, grp) for v in values.split("|")]
            known = [f for f in freqs if f is not None]
            if known:
                lvl_m, lvl_u = rows[ci][lv[ci]][0], rows[ci][lv[ci]][1]
                floor = lvl_m - exact_m + math.log2(max(known))
                if floor > lvl_u:
                    out.append((ci, min(floor, lvl_m)))
        if cmp.tf_s1 and lv[_S1] in (S1_EXACT, S1_CROSSED):
            adj = self._tf_u(tf, SURNAME, cmp.tf_s1, rows[_S1][lv[_S1]][0], grp)
            if adj is not None:
                out.append((_S1, adj))
        if cmp.tf_s2 and lv[_S2] == S2_EXACT:
            adj = self._tf_u(tf, SURNAME, cmp.tf_s2, rows[_S2][lv[_S2]][0], grp)
            if adj is not None:
                out.append((_S2, adj))
        # a number typed on many files (an office phone, a parent's passport) is weak
        # evidence; one on a few files, as a person's own duplicates are, keeps the level's u
        if cmp.tf_doc and tf.count(DOCUMENT, cmp.tf_doc) > SHARED_NUMBER_MIN:
            adj = self._tf_u(tf, DOCUMENT, cmp.tf_doc, rows[_DOC][lv[_DOC]][0], "")
            if adj is not None and adj > rows[_DOC][lv[_DOC]][1]:
                out.append((_DOC, adj))
        if cmp.tf_phone and tf.count(PHONE, cmp.tf_phone) > SHARED_NUMBER_MIN:
            adj = self._tf_u(tf, PHONE, cmp.tf_phone, rows[_PHONE][lv[_PHONE]][0], "")
            if adj is not None and adj > rows[_PHONE][lv[_PHONE]][1]:
                out.append((_PHONE, adj))
        return out

    def _field_weights(self, cmp: Comparison, tf: TermFrequencies | None) -> list[float]:
        """Per-field match-vs-stranger weights log2(m / u), term-frequency adjusted."""
        levels = cmp.levels + cmp.extra if cmp.extra else cmp.levels
        rows = [self._rows[ci][lvl] for ci, lvl in enumerate(levels)]
        lus = [row[1] for row in rows]
        if tf is not None:
            for ci, lu in self._adjusted_u(cmp, tf):
                lus[ci] = lu
        return [row[0] - lu for row, lu in zip(rows, lus, strict=True)]

    def _class_logs(
        self, cmp: Comparison, tf: TermFrequencies | None, pri: _Priors
    ) -> tuple[float, list[float]]:
        """log2 P(match, v) and log2 P(class, v) for strangers and each look-alike class."""
        tabs = self._rows
        lv = cmp.levels
        rows = [tabs[ci][lvl] for ci, lvl in enumerate(lv)]
        if cmp.extra:
            rows += [tabs[ci][lvl] for ci, lvl in enumerate(cmp.extra, start=len(CORE))]
        sums = [sum(col) for col in zip(*rows, strict=True)]
        if tf is not None and _asks_frequencies(cmp):
            for ci, lu in self._adjusted_u(cmp, tf):
                sums[1] += lu - tabs[ci][lv[ci]][1]
        return pri.match + sums[0], [p + s for p, s in zip(pri.others, sums[1:], strict=True)]

    def _upper_bound(self, cmp: Comparison, tf: TermFrequencies | None, pri: _Priors) -> float:
        """log2 P(match, v) - log2 P(stranger, v): never below the posterior log odds (the
        look-alike classes only add to the denominator), and cheap, so a scan skips most
        candidate pairs without the full sum."""
        w = self._w
        lv = cmp.levels
        total = pri.match - pri.others[0]
        for ci, lvl in enumerate(lv):
            total += w[ci][lvl]
        if cmp.extra:
            for ci, lvl in enumerate(cmp.extra, start=len(CORE)):
                total += w[ci][lvl]
        if tf is not None and _asks_frequencies(cmp):
            for ci, lu in self._adjusted_u(cmp, tf):
                total += self._rows[ci][lv[ci]][1] - lu
        return total

    def _log_odds(self, cmp: Comparison, tf: TermFrequencies | None, pri: _Priors) -> float:
        """Posterior log2 odds of a match."""
        lm, others = self._class_logs(cmp, tf, pri)
        return lm - _logsumexp2(others)

    def _compare(self, pa: Prepared, pb: Prepared) -> Comparison:
        return compare_levels(pa, pb, self._extra_keys)

    def _result(
        self,
        pa: Prepared,
        pb: Prepared,
        cmp: Comparison,
        tf: TermFrequencies | None,
        pri: _Priors,
    ) -> MatchResult:
        lm, others = self._class_logs(cmp, tf, pri)
        log_odds = lm - _logsumexp2(others)
        per = self._field_weights(cmp, tf)
        reasons = self._reasons(cmp, per, tf)
        weight = log_odds - pri.odds
        unexplained = weight - sum(per)
        if len(others) > 1 and unexplained < -1.0:
            # name the look-alike class when it is a credible explanation of the pair
            best = max(range(1, len(others)), key=lambda k: others[k])
            if others[best] - _logsumexp2([lm, *others]) >= _LOOKALIKE_SHOWN:
                code = f"possible_{self._lookalikes[best - 1]}"
                reasons.append(Reason(code, {"weight": f"{unexplained:+.1f}"}))
        reasons.sort(key=lambda r: -abs(r.weight))
        return MatchResult(pa.id, pb.id, _probability(log_odds), weight, tuple(reasons))

    def _reasons(
        self, cmp: Comparison, per: list[float], tf: TermFrequencies | None
    ) -> list[Reason]:
        out: list[Reason] = []
        lv = cmp.levels
        flags = cmp.flags
        skip: set[int] = set()
        if flags & F_FIELDS_SWAPPED:
            out.append(Reason("given_surname_swapped", {"weight": f"{per[_G] + per[_S1]:+.1f}"}))
            skip.update((_G, _S1))
        if flags & F_SWAPPED:
            out.append(Reason("surnames_swapped", {"weight": f"{per[_S1] + per[_S2]:+.1f}"}))
            skip.update((_S1, _S2))
        if flags & F_SPLIT and not flags & (F_SWAPPED | F_CROSSED):
            out.append(Reason("surnames_in_one_field", {"weight": "+0.0"}))
        for ci, comp in enumerate(CORE):
            if ci in skip:
                continue
            code = _REASON_CODES[comp][lv[ci]]
            if code is None:
                continue
            params = {"weight": f"{per[ci]:+.1f}"}
            if comp == "document":
                params["type"] = cmp.doc_kind or "other"
            shared = cmp.tf_doc if ci == _DOC else cmp.tf_phone if ci == _PHONE else ""
            if shared and tf is not None:
                params["records"] = str(tf.count(DOCUMENT if ci == _DOC else PHONE, shared))
            value, cat = "", ""
            if ci == _G:
                value, cat = (
                    (cmp.tf_given, GIVEN)
                    if cmp.tf_given
                    else (cmp.tf_given_tok.split("|")[0], GIVEN_TOKEN)
                )
            elif ci == _S1 and lv[ci] in (S1_EXACT, S1_CROSSED):
                value, cat = cmp.tf_s1, SURNAME
            elif ci == _S2 and lv[ci] == S2_EXACT:
                value, cat = cmp.tf_s2, SURNAME
            if value:
                params["value"] = value
                freq = tf.freq(cat, value, 0.0, cmp.group) if tf is not None else None
                if freq is not None:
                    params["frequency"] = _frequency_label(freq)
            out.append(Reason(code, params))
        for xi, key in enumerate(self._extra_keys):
            code = _EXTRA_REASONS[cmp.extra[xi]]
            if code is not None:
                w = per[len(CORE) + xi]
                out.append(Reason(code, {"weight": f"{w:+.1f}", "field": key}))
        return out

    # -- public API ---------------------------------------------------------------------------

    # -- public API ---------------------------------------------------------------------------

    def compare(self, a: PersonRecord, b: PersonRecord) -> MatchResult:
        """Score one pair, with reasons."""
        pa, pb = prepare(a), prepare(b)
        self._sync_tf(self.tf)
        return self._result(pa, pb, self._compare(pa, pb), self.tf, self.priors())

    def rank(
        self,
        probe: PersonRecord,
        candidates: Iterable[PersonRecord],
        limit: int = 5,
        min_score: float = 0.0,
    ) -> list[MatchResult]:
        """Best `limit` candidates for a (possibly partly typed) probe, best first.

        Candidates with the probe's own id are skipped. Only the returned results get reasons,
        so scoring ~200 candidates stays within a keystroke.
        """
        pp = prepare(probe)
        tf = self.tf
        self._sync_tf(tf)
        pri = self.priors()
        scored: list[tuple[float, int, Prepared, Comparison]] = []
        for n, cand in enumerate(candidates):
            if cand.id == probe.id:
                continue
            pc = prepare(cand)
            cmp = self._compare(pp, pc)
            scored.append((self._log_odds(cmp, tf, pri), -n, pc, cmp))
        best = heapq.nlargest(limit, scored, key=lambda t: (t[0], t[1]))
        results = [self._result(pp, pc, cmp, tf, pri) for _, _, pc, cmp in best]
        return [r for r in results if r.score >= min_score]

    def comparison(self, a: Prepared, b: Prepared) -> Comparison:
        """The comparison :meth:`rank` makes of a probe ``a`` and a candidate ``b``."""
        return self._compare(a, b)

    def rank_compared(
        self,
        probe: Prepared,
        compared: Iterable[tuple[Prepared, Comparison]],
        limit: int = 5,
        min_score: float = 0.0,
    ) -> list[MatchResult]:
        """:meth:`rank` of candidates already compared (:meth:`comparison`): a caller that
        reads the frequencies the comparisons ask about before scoring compares once. The
        same results; a candidate whose cheap upper bound cannot reach the best ``limit``
        so far (or ``min_score``) is not scored in full."""
        tf = self.tf
        self._sync_tf(tf)
        pri = self.priors()
        if limit <= 0:
            return []
        least = _min_log_odds(min_score) - _BOUND_SLACK
        best: list[tuple[float, int, Prepared, Comparison]] = []  # a min-heap of the best
        for n, (pc, cmp) in enumerate(compared):
            if pc.id == probe.id:
                continue
            floor = max(least, best[0][0] - _BOUND_SLACK) if len(best) == limit else least
            if floor > _NEG_INF and self._upper_bound(cmp, tf, pri) < floor:
                continue
            item = (self._log_odds(cmp, tf, pri), -n, pc, cmp)
            if len(best) < limit:
                heapq.heappush(best, item)
            elif item[:2] > best[0][:2]:
                heapq.heapreplace(best, item)
        best.sort(key=lambda t: (t[0], t[1]), reverse=True)
        results = [self._result(probe, pc, cmp, tf, pri) for _, _, pc, cmp in best]
        return [r for r in results if r.score >= min_score]

    def pair_scorer(self, min_score: float) -> Callable[[Prepared, Prepared], MatchResult | None]:
        """Score prepared pairs one at a time, as a streamed scan meets them: the result
        when the pair scores at least `min_score`, else None (most pairs are dropped by a
        cheap upper bound before the full sum). Scores on the matcher's term frequencies
        as they are when this is called."""
        tf = self.tf
        self._sync_tf(tf)
        pri = self.priors()
        limit = _min_log_odds(min_score)
        extra, bound, log_odds = self._extra_keys, self._upper_bound, self._log_odds

        def score(pa: Prepared, pb: Prepared) -> MatchResult | None:
            cmp = compare_levels(pa, pb, extra)
            if bound(cmp, tf, pri) >= limit and log_odds(cmp, tf, pri) >= limit:
                return self._result(pa, pb, cmp, tf, pri)
            return None

        return score

    def scan_pairs(
        self,
        records: Iterable[PersonRecord],
        min_score: float,
        max_block: int = DEFAULT_MAX_BLOCK,
        kinds: Collection[str] | None = None,
    ) -> Iterator[MatchResult]:
        """Every candidate pair scoring at least `min_score`, each pair once, in input order of
        its first record. Pairs, never clusters: no transitive closure is taken. All in
        memory: the reference for the streamed scan (services/duplicate_queue.py), which
        blocks on the key kinds a database stores (`kinds`: only those; default all).

        Candidates share at least one `match_keys` key held by at most `max_block` records
        (a key shared by more is skipped; the finer keys still pair those records); in scans
        of more than `LARGE_SCAN` records, two keys when the shared ones are all large blocks
        of `WEAK_ALONE_KINDS`. Without term frequencies on the matcher, they are counted from
        `records`.
        """
        recs = list(records)
        tf = self.tf if self.tf is not None else TermFrequencies.from_records(recs)
        self._sync_tf(tf)
        pri = self.priors(None if self.tf is not None else len(recs))
        preps = [Prepared(r) for r in recs]
        limit = _min_log_odds(min_score)
        compare, log_odds, extra = compare_levels, self._log_odds, self._extra_keys
        bound = self._upper_bound
        weak_max = WEAK_ALONE_MAX_BLOCK if len(recs) > LARGE_SCAN else None
        keys = (match_keys(r) for r in recs)
        if kinds is not None:
            keys = ({k for k in ks if k[0] in kinds} for ks in keys)
        for i, later in candidate_pairs(list(keys), max_block, weak_max):
            pa = preps[i]
            for j in later:
                pb = preps[j]
                if pb.id == pa.id:
                    continue
                cmp = compare(pa, pb, extra)
                if bound(cmp, tf, pri) >= limit and log_odds(cmp, tf, pri) >= limit:
                    yield self._result(pa, pb, cmp, tf, pri)


def _asks_frequencies(cmp: Comparison) -> bool:
    """Whether a comparison agrees on any value whose frequency adjusts its weight."""
    return bool(
        cmp.tf_given
        or cmp.tf_given_tok
        or cmp.tf_s1
        or cmp.tf_s2
        or cmp.tf_doc
        or cmp.tf_phone
        or cmp.tf_fuzzy
    )


def _probability(log_odds: float) -> float:
    if log_odds > 60:
        return 1.0
    if log_odds < -60:
        return 0.0
    return 1.0 / (1.0 + math.pow(2.0, -log_odds))


_BOUND_SLACK = 1e-6
"""Rounding room between an upper bound and the log odds it bounds."""


def _min_log_odds(min_score: float) -> float:
    if min_score <= 0.0:
        return _NEG_INF
    if min_score >= 1.0:
        return 60.0
    return math.log2(min_score / (1.0 - min_score))
