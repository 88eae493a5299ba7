"""Duplicate-person matching: normalisation, blocking keys and a Fellegi–Sunter scorer.

Pure Python on rapidfuzz: no database, no UI (method: /work/shared/dedupe.md).

Wiring, in short:

- On save, store `match_keys(record)` as ``person_key`` rows (kind ``m.<kind>``, indexed
  on kind and key: casework/services/match_records.py) and call
  `TermFrequencies.update(record)`; persist the term frequencies with `to_dict` /
  `from_dict` or rebuild them with `from_records` at start-up.
- At intake, on each keystroke: look up `query_keys(form_as_record)`, skip keys held by more
  than ~1,000 people, order persons by the number of distinct keys they share with the form,
  keep ~200, and call `Matcher(tf).rank(form, candidates)`. `KeyIndex` does the same in
  memory.
- For supervisors: `Matcher(tf).scan_pairs(records, DEFAULT_THRESHOLD)` yields scored pairs
  (never clusters) with reasons; `describe(reason, "es")` renders a reason.

`MatchResult.score` is a probability; `reasons` explain it strongest first (each carries its
log2 weight). Parameters ship in ``params.json`` (fitted offline on synthetic records by
``bench/dedupe_quality.py fit``).
"""

from .keys import (
    DEFAULT_MAX_BLOCK,
    LARGE_SCAN,
    WEAK_ALONE_KINDS,
    WEAK_ALONE_MAX_BLOCK,
    KeyIndex,
    candidate_pairs,
    match_keys,
    query_keys,
)
from .matcher import DEFAULT_THRESHOLD, Matcher, MatchResult
from .normalise import is_valid_rut, normalise_document, normalise_name, normalise_phone, rut_dv
from .params import MatchParams
from .reasons import Reason, describe
from .record import PersonRecord
from .tf import TermFrequencies

__all__ = [
    "DEFAULT_MAX_BLOCK",
    "DEFAULT_THRESHOLD",
    "LARGE_SCAN",
    "WEAK_ALONE_KINDS",
    "WEAK_ALONE_MAX_BLOCK",
    "KeyIndex",
    "MatchParams",
    "MatchResult",
    "Matcher",
    "PersonRecord",
    "Reason",
    "TermFrequencies",
    "candidate_pairs",
    "describe",
    "is_valid_rut",
    "match_keys",
    "normalise_document",
    "normalise_name",
    "normalise_phone",
    "query_keys",
    "rut_dv",
]
