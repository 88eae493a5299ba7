"""Blocking keys, stored as ``person_key`` rows of kind ``m.<kind>`` (dedupe.md §6).

Every key is a plain string compared for equality, so retrieval is one indexed lookup per key
on SQLite and PostgreSQL alike. Kinds:

==============  ==========================================================================
``doc``         normalised document number, any type ("12345678-5", "AB123456")
``rut_body``    RUN/IPE body without check digit (a wrong DV still meets the right one)
``phone8``      last eight digits of a phone
``sur_skel``    phonetic skeleton of each surname ("gnsls" for González / Gonsales)
``giv_skel``    skeleton of each given-name token, and of the joined given names
``sur+giv``     surname and given-token skeletons, unordered (names only, no date yet)
``sur+sur``     both surname skeletons, unordered (swapped surnames, typo'd given names)
``dob_sorted``  year + min(day, month) + max(day, month): exact dates and day/month swaps
``sur+yob``     surname skeleton | birth year (typo'd or missing day/month)
``sur+mmdd``    surname skeleton | month-day (birth year off)
``giv+yob``     first given-name skeleton | birth year (surname typo'd or swapped)
``giv+mmdd``    first given-name skeleton | month-day (surname typo'd and year off)
==============  ==========================================================================

About 16 keys per person (1.6 million rows for 100,000 persons).

Retrieval for a probe: look up every key of `query_keys(probe)`, skip keys shared by too many
people (see `KeyIndex.max_postings`), rank persons by how many distinct keys they share with
the probe, keep the first ~200 and score them with `Matcher.rank`. In SQL, one query:
``SELECT person_id FROM person_key WHERE (kind, key) IN (...) GROUP BY person_id
ORDER BY count(*) DESC LIMIT 200`` (after dropping keys whose count is over the limit).

A full scan pairs records sharing a key (`candidate_pairs`): the self-join of the key table
per key, skipping oversized blocks.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence

from .features import Prepared, prepare
from .normalise import skeleton
from .record import PersonRecord

__all__ = [
    "DEFAULT_MAX_BLOCK",
    "LARGE_SCAN",
    "WEAK_ALONE_KINDS",
    "WEAK_ALONE_MAX_BLOCK",
    "KeyIndex",
    "candidate_pairs",
    "match_keys",
    "query_keys",
]

Key = tuple[str, str]

DEFAULT_MAX_BLOCK: int = 60
"""`scan_pairs` skips a key shared by more records than this (finer keys cover those pairs)."""

WEAK_ALONE_KINDS: frozenset[str] = frozenset({"sur_skel", "giv_skel", "sur+yob", "giv+yob"})
"""Key kinds whose larger blocks propose a pair in a large scan only with a second shared key.

Two records sharing nothing but a common surname sound and a birth year (or a lone given-name
or surname sound) are rarely one person: on 100k synthetic records such pairs were ~40 % of
all candidates and held 0.1 % of the true pairs (the scan ran in 49 s instead of 72 s). On
small scans every pair is cheap, and on sparse records (FEBRL's single-token names) these keys
matter more, so the rule applies from `LARGE_SCAN` records on. The intake lookup uses every
key."""

WEAK_ALONE_MAX_BLOCK: int = 8
"""In a large scan, a block of a `WEAK_ALONE_KINDS` key this small still pairs on its own."""

LARGE_SCAN: int = 30_000
"""Scans of more records than this apply the `WEAK_ALONE_KINDS` rule."""


def _surname_skeletons(p: Prepared) -> set[str]:
    out: set[str] = set()
    for s1, s2 in p.sur_opts:
        for unit in (s1, s2):
            if unit is not None:
                out.add(skeleton(unit.key))
                if unit.full != unit.key:
                    out.add(skeleton(unit.full))
    out.discard("")
    return out


def _given_skeletons(p: Prepared) -> tuple[set[str], set[str]]:
    """(all given skeletons, skeletons of the first token and of the joined names)."""
    if p.given is None:
        return set(), set()
    toks = p.given.tokens
    every = {skeleton(t) for t in toks}
    first = {skeleton(toks[0])}
    if len(toks) > 1:
        joined = skeleton(p.given.key)
        every.add(joined)
        first.add(joined)
    every.discard("")
    first.discard("")
    return every, first


def dob_sorted(day: dt.date) -> str:
    """A birth date's blocking key with day and month in either order (a date typed
    dd-mm or mm-dd finds the same block): year, then the smaller, then the larger."""
    lo, hi = sorted((day.month, day.day))
    return f"{day.year:04d}{lo:02d}{hi:02d}"


def _keys(p: Prepared) -> set[Key]:
    keys: set[Key] = set()
    for doc in p.docs:
        keys.add(("doc", doc.number))
        for body in doc.bodies:
            keys.add(("rut_body", body))
    for phone in p.phones:
        keys.add(("phone8", phone))
    surs = _surname_skeletons(p)
    givs, giv_first = _given_skeletons(p)
    for s in surs:
        keys.add(("sur_skel", s))
        for g in givs:
            # unordered, so given names and surname typed in each other's fields still meet
            keys.add(("sur+giv", f"{s}|{g}" if s <= g else f"{g}|{s}"))
    for g in givs:
        keys.add(("giv_skel", g))
    for s1, s2 in p.sur_opts:
        if s1 is not None and s2 is not None:
            x, y = sorted((skeleton(s1.key), skeleton(s2.key)))
            keys.add(("sur+sur", f"{x}|{y}"))
    if p.dob is not None:
        d = p.dob
        keys.add(("dob_sorted", dob_sorted(d)))
        year, mmdd = f"{d.year:04d}", f"{d.month:02d}{d.day:02d}"
        for s in surs:
            keys.add(("sur+yob", f"{s}|{year}"))
            keys.add(("sur+mmdd", f"{s}|{mmdd}"))
        for g in giv_first:
            keys.add(("giv+yob", f"{g}|{year}"))
            keys.add(("giv+mmdd", f"{g}|{mmdd}"))
    return keys


def match_keys(rec: PersonRecord, *, remember: bool = True) -> set[Key]:
    """(kind, key) rows to store for a saved person. ``remember=False`` (a bulk load, whose
    records are each seen once) leaves the record's features out of `prepare`'s cache."""
    return _keys(prepare(rec) if remember else Prepared(rec))


def query_keys(partial: PersonRecord) -> set[Key]:
    """Keys to look up for a partly typed intake form: whatever fields are filled (names only,
    a document only, names and date ...) give their keys; empty fields give none.

    The keys are the ones `match_keys` stores for the same fields, so one equality lookup per
    key finds every stored person sharing it (the unordered name keys already cover given
    names and surnames typed into each other's fields).

    With a birth date, the date and the given-name + year keys are also looked up for the
    year before and after (same day and month): an estimated age is the commonest date error,
    and with a mistyped name besides, no stored key of that person's would be shared."""
    p = prepare(partial)
    keys = _keys(p)
    if p.dob is not None:
        _, giv_first = _given_skeletons(p)
        for year in (p.dob.year - 1, p.dob.year + 1):
            day = _replace_year(p.dob, year)
            if day is None:
                continue
            keys.add(("dob_sorted", dob_sorted(day)))
            for g in giv_first:
                keys.add(("giv+yob", f"{g}|{year:04d}"))
    return keys


def _replace_year(day: dt.date, year: int) -> dt.date | None:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return None


class KeyIndex:
    """In-memory key table: what `person_match_key` holds, for scans, tests and benchmarks."""

    def __init__(self, max_postings: int = 1000) -> None:
        self.max_postings = max_postings
        self._postings: dict[Key, list[str]] = defaultdict(list)
        self._records: dict[str, PersonRecord] = {}

    def __len__(self) -> int:
        return len(self._records)

    def add(self, rec: PersonRecord) -> None:
        if rec.id in self._records:
            raise ValueError(f"record {rec.id!r} already indexed")
        self._records[rec.id] = rec
        for key in match_keys(rec):
            self._postings[key].append(rec.id)

    def extend(self, records: Iterable[PersonRecord]) -> None:
        for rec in records:
            self.add(rec)

    def get(self, record_id: str) -> PersonRecord:
        return self._records[record_id]

    def postings(self, key: Key) -> list[str]:
        return self._postings.get(key, [])

    def candidate_ids(self, keys: Iterable[Key], limit: int = 200) -> list[str]:
        """Ids sharing at least one key, most shared keys first (ties: insertion order);
        keys held by more than `max_postings` records are skipped."""
        hits: Counter[str] = Counter()
        for key in sorted(keys):  # sorted: ties at the limit fall the same way every run
            ids = self._postings.get(key)
            if ids and len(ids) <= self.max_postings:
                hits.update(ids)
        return [rid for rid, _ in hits.most_common(limit)]

    def candidates(self, probe: PersonRecord, limit: int = 200) -> list[PersonRecord]:
        """Records to score for a probe (the probe's own id is left out)."""
        ids = self.candidate_ids(query_keys(probe), limit + 1)
        return [self._records[i] for i in ids if i != probe.id][:limit]


def candidate_pairs(
    keys_per_record: Sequence[Iterable[Key]],
    max_block: int = DEFAULT_MAX_BLOCK,
    weak_alone_max_block: int | None = None,
) -> Iterator[tuple[int, list[int]]]:
    """Blocking for a full scan: for each record index i, the sorted indices j > i sharing a
    key with it. Keys held by more than `max_block` records are skipped. With
    `weak_alone_max_block`, blocks of `WEAK_ALONE_KINDS` keys larger than that count only when
    a second key is shared. Each pair comes once."""
    keys = [list(k) for k in keys_per_record]
    blocks: dict[Key, list[int]] = defaultdict(list)
    for i, rec_keys in enumerate(keys):
        for key in rec_keys:
            blocks[key].append(i)
    for i, rec_keys in enumerate(keys):
        strong: set[int] = set()
        weak: Counter[int] = Counter()
        for key in rec_keys:
            members = blocks[key]
            if 2 <= len(members) <= max_block:
                later = members[bisect_right(members, i) :]
                if (
                    weak_alone_max_block is not None
                    and key[0] in WEAK_ALONE_KINDS
                    and len(members) > weak_alone_max_block
                ):
                    weak.update(later)
                else:
                    strong.update(later)
        strong.update(j for j, n in weak.items() if n >= 2)
        if strong:
            yield i, sorted(strong)
