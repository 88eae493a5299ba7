"""Offline estimation of `MatchParams` from labelled (synthetic) records.

m: level frequencies over every pair of records of one person; u: over random pairs of
records of different people that are not look-alike pairs; one more distribution per look-alike
class (e.g. "relative": records of different people of one household; "namesake": records of
different people given the same full name). Counts are Laplace-smoothed and taken over the
pairs where the field is present on both sides (a missing field is no evidence either way); a
level never observed in any class is neutral. Priors are the observed pair rates. This is the
"labelled synthetic data" route of dedupe.md §1.1; EM is not needed because the generator
knows the truth.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence

from .features import COMPARISONS, CORE, EXTRA_LEVELS, Prepared, compare_levels
from .params import LevelProbs, MatchParams
from .record import PersonRecord

__all__ = ["fit_params", "group_pairs"]


def group_pairs(ids: Sequence[str], group_of: Mapping[str, str]) -> list[tuple[str, str]]:
    """Id pairs of records sharing a group (e.g. the same person)."""
    members: dict[str, list[str]] = defaultdict(list)
    for rid in ids:
        members[group_of[rid]].append(rid)
    return [
        (idx[x], idx[y])
        for idx in members.values()
        for x in range(len(idx))
        for y in range(x + 1, len(idx))
    ]


def fit_params(
    records: Sequence[PersonRecord],
    entity: Mapping[str, str],
    lookalike: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    *,
    n_random: int = 300_000,
    seed: int = 0,
    alpha: float = 1.0,
    extra_keys: Sequence[str] = (),
    meta: Mapping[str, str] | None = None,
) -> MatchParams:
    """Estimate level probabilities and priors from records labelled with their person
    (`entity[id]`) and, optionally, labelled look-alike pairs per class name."""
    ids = [r.id for r in records]
    pos = {rid: i for i, rid in enumerate(ids)}
    preps = [Prepared(r) for r in records]
    keys = tuple(extra_keys)
    comps = [*CORE, *(f"extra:{k}" for k in keys)]
    names = [COMPARISONS[c] for c in CORE] + [EXTRA_LEVELS] * len(keys)
    classes = dict(lookalike or {})

    def count(pairs: Sequence[tuple[str, str]]) -> list[list[int]]:
        counts = [[0] * len(n) for n in names]
        for a, b in pairs:
            cmp = compare_levels(preps[pos[a]], preps[pos[b]], keys)
            for ci, lvl in enumerate(cmp.levels + cmp.extra):
                counts[ci][lvl] += 1
        return counts

    match_pairs = group_pairs(ids, entity)
    special = {frozenset(p) for pairs in classes.values() for p in pairs}
    rng = random.Random(seed)
    n = len(records)
    rand_pairs: list[tuple[str, str]] = []
    attempts = 0
    while len(rand_pairs) < n_random and attempts < 4 * n_random and n > 1:
        attempts += 1
        a, b = ids[rng.randrange(n)], ids[rng.randrange(n)]
        if a == b or entity[a] == entity[b] or frozenset((a, b)) in special:
            continue
        rand_pairs.append((a, b))

    counted = [count(match_pairs), count(rand_pairs)] + [count(p) for p in classes.values()]
    sizes = [len(match_pairs), len(rand_pairs)] + [len(p) for p in classes.values()]

    def probs(counts: list[int], level_names: tuple[str, ...]) -> list[float]:
        live = [k for k, nm in enumerate(level_names) if nm != "null"]
        total = sum(counts[k] for k in live)
        out = [1.0] * len(level_names)
        for k in live:
            out[k] = (counts[k] + alpha) / (total + alpha * len(live))
        return out

    tiny = 1.0 / (sum(sizes) + 1)
    levels: dict[str, dict[str, LevelProbs]] = {}
    for ci, comp in enumerate(comps):
        per_class = [probs(c[ci], names[ci]) for c in counted]
        entry: dict[str, LevelProbs] = {}
        for k, nm in enumerate(names[ci]):
            if nm == "null":
                entry[nm] = tuple(1.0 for _ in counted)
            elif sum(c[ci][k] for c in counted) == 0:
                # never observed in any class: smoothing alone would turn the unequal sample
                # sizes into a weight, so the level is made neutral instead
                entry[nm] = tuple(tiny for _ in counted)
            else:
                entry[nm] = tuple(p[k] for p in per_class)
        levels[comp] = entry
    total_pairs = n * (n - 1) / 2 if n > 1 else 1.0
    info = {
        "records": str(n),
        "match_pairs": str(len(match_pairs)),
        "random_pairs": str(len(rand_pairs)),
    }
    info.update({f"{name}_pairs": str(len(p)) for name, p in classes.items()})
    info.update(meta or {})
    return MatchParams(
        prior_match=len(match_pairs) / total_pairs,
        levels=levels,
        lookalike_priors={name: len(p) / total_pairs for name, p in classes.items()},
        tf_min=1.0 / max(n, 1),
        reference_records=n,
        meta=info,
    )
