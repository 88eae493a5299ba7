"""Model parameters: per-level probabilities for the classes of record pairs.

Classic Fellegi–Sunter has two classes, match (m) and non-match (u). Here the non-matches are
split into *strangers* (u, estimated on random pairs) and *look-alike* classes of different
people who share identity features for a reason other than chance:

- ``sibling``: children of one household. Siblings share both surnames, phone, address and,
  for twins, the birth date; under the two-class independence assumption they pile up weight
  from every shared field.
- ``relative``: other members of one household (parents and children, couples): a shared
  phone and address, one shared surname, a child of a single mother carrying her surnames.
- ``namesake``: people given the same common full name ("María José González Pérez"), far more
  often than independent name frequencies predict.

A pair scores as a match only when it looks more like one person than like two strangers,
two siblings, two relatives *or* two namesakes; each class keeps the independence assumption
only within itself. Without look-alike classes the model is plain Fellegi–Sunter.

The shipped values (`params.json`) are estimated offline from labelled synthetic records by
`casework.matching.training.fit_params`; see that module and `bench/dedupe_quality.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .features import COMPARISONS, EXTRA_LEVELS

__all__ = ["LevelProbs", "MatchParams"]

# P(level | match), P(level | stranger), then P(level | look-alike class) per class
LevelProbs = tuple[float, ...]


@dataclass(frozen=True)
class MatchParams:
    """Priors and level probabilities.

    `prior_match` and `lookalike_priors[name]` are the probabilities that two records drawn at
    random among `reference_records` records are the same person / a look-alike pair of that
    class (the matcher rescales them to the size of the population searched).
    `levels[comparison][level] = (m, u, *lookalike)`, look-alike probabilities in the order of
    `lookalike_priors`. Comparisons named ``extra:<key>`` score `PersonRecord.extra` fields of
    that key. `tf_min` floors the term frequency used for a value never seen before.
    """

    prior_match: float
    levels: dict[str, dict[str, LevelProbs]]
    lookalike_priors: dict[str, float] = field(default_factory=dict)
    tf_min: float = 1e-5
    reference_records: int = 0
    meta: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        width = 2 + len(self.lookalike_priors)
        for comp, lvls in self.levels.items():
            known = EXTRA_LEVELS if comp.startswith("extra:") else COMPARISONS.get(comp)
            if known is None:
                raise ValueError(f"unknown comparison {comp!r}")
            for lvl, probs in lvls.items():
                if lvl not in known:
                    raise ValueError(f"unknown level {comp}.{lvl}")
                if len(probs) != width:
                    raise ValueError(f"{comp}.{lvl}: expected {width} probabilities")

    @property
    def extra_keys(self) -> tuple[str, ...]:
        return tuple(c.removeprefix("extra:") for c in self.levels if c.startswith("extra:"))

    @property
    def lookalikes(self) -> tuple[str, ...]:
        return tuple(self.lookalike_priors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "prior_match": self.prior_match,
            "lookalike_priors": dict(self.lookalike_priors),
            "reference_records": self.reference_records,
            "tf_min": self.tf_min,
            "meta": dict(self.meta),
            "columns": ["match", "stranger", *self.lookalike_priors],
            "levels": {
                comp: {lvl: [float(f"{p:.6g}") for p in probs] for lvl, probs in lvls.items()}
                for comp, lvls in self.levels.items()
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchParams:
        levels = {
            str(comp): {str(lvl): tuple(float(x) for x in probs) for lvl, probs in lvls.items()}
            for comp, lvls in data["levels"].items()
        }
        return cls(
            prior_match=float(data["prior_match"]),
            levels=levels,
            lookalike_priors={
                str(k): float(v) for k, v in data.get("lookalike_priors", {}).items()
            },
            tf_min=float(data.get("tf_min", 1e-5)),
            reference_records=int(data.get("reference_records", 0)),
            meta={str(k): str(v) for k, v in data.get("meta", {}).items()},
        )

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", "utf-8")

    @classmethod
    def load(cls, path: Path) -> MatchParams:
        return cls.from_dict(json.loads(path.read_text("utf-8")))

    @classmethod
    def default(cls) -> MatchParams:
        """The parameters shipped with the package (`casework/matching/params.json`)."""
        return _shipped()


@cache
def _shipped() -> MatchParams:
    text = resources.files(__package__).joinpath("params.json").read_text("utf-8")
    return MatchParams.from_dict(json.loads(text))
