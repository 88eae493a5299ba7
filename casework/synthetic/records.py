"""Synthetic Migrant Office records for evaluating the matcher (no real person's data).

Households of Venezuelan, Peruvian, Haitian, Colombian, Bolivian, Chilean, Cuban and Dominican
people are drawn from hand-made name lists with Zipf-like frequencies (list order = commonness).
Each person makes one or more visits; every visit is one record typed by a desk, with the errors
desks make: missing accents, upper case, typos, phonetic spellings (Yesenia/Yessenia,
Jhon/John, González/Gonzales), swapped or missing surnames, both surnames in one field,
shortened compound given names (María José -> María), Haitian hyphens (Jean-Baptiste /
Jean Baptiste / Jeanbaptiste), dropped particles (De la Cruz / Cruz), day/month swaps, a birth
year off by one, a wrong digit, a document missing, renewed or mistyped, a new phone.

Hard negatives come from the household structure and are deliberately over-represented:
siblings (same two surnames, different given names and birth dates), twins (same surnames and
birth date), children of a single mother (her two surnames), and namesakes (an unrelated
person given the full name of a common one, with another birth date).

    from casework.synthetic.records import generate
    data = generate(10_000, seed=1)   # data.records, data.entity[id], data.household[id]

Seeds used by bench/dedupe_quality.py: 1 = dev (fitting and threshold), 2 and 4 = error
analysis (20,000 and 100,000 records), 5 and 6 = held-back test sets of 20,000 and 100,000
persons (reported only), 3 = the 100k timing set.
``python -m casework.synthetic.records [N [SEED]]`` prints a sample.

``desk_variant`` is the demo's lighter version: one person typed again with one error.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from casework.ids import uuid7
from casework.matching import PersonRecord
from casework.synthetic.names import (
    CULTURES,
    PHONETIC_SUBS,
    VARIANTS,
    keyboard_neighbours,
    strip_accents,
)
from casework.synthetic.phones import mobile, typed
from casework.synthetic.population import TODAY, Households, Person


@dataclass
class Dataset:
    records: list[PersonRecord]
    entity: dict[str, str]  # record id -> person id
    household: dict[str, str]  # record id -> household id
    role: dict[str, str]  # person id -> role (single, father, child, twin, namesake ...)
    namesake_of: dict[str, str] = field(default_factory=dict)  # person id -> person id

    def lookalike_pairs(self) -> dict[str, list[tuple[str, str]]]:
        """Record pairs of different people who look alike: "sibling" (children of one
        household, twins included), "relative" (other members of one household: parents and
        children, couples) and "namesake" (an unrelated person given the same common full
        name)."""
        by_house: dict[str, list[str]] = {}
        by_person: dict[str, list[str]] = {}
        for rid in self.entity:
            by_house.setdefault(self.household[rid], []).append(rid)
            by_person.setdefault(self.entity[rid], []).append(rid)
        siblings: list[tuple[str, str]] = []
        relatives: list[tuple[str, str]] = []
        kids = {"child", "twin"}
        for ids in by_house.values():
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    pa, pb = self.entity[a], self.entity[b]
                    if pa == pb:
                        continue
                    if self.role[pa] in kids and self.role[pb] in kids:
                        siblings.append((a, b))
                    else:
                        relatives.append((a, b))
        namesakes = [
            (a, b)
            for pid, model in self.namesake_of.items()
            for a in by_person.get(pid, [])
            for b in by_person.get(model, [])
        ]
        return {"sibling": siblings, "relative": relatives, "namesake": namesakes}

    def true_pairs(self) -> set[tuple[str, str]]:
        by: dict[str, list[str]] = {}
        for rid, pid in self.entity.items():
            by.setdefault(pid, []).append(rid)
        out: set[tuple[str, str]] = set()
        for ids in by.values():
            ids.sort()
            for i in range(len(ids)):
                for j in range(i + 1, len(ids)):
                    out.add((ids[i], ids[j]))
        return out


# ------------------------------------------------------------------------------------------
# The demo's duplicates


_SPANISH_ACCENTS = str.maketrans("áéíóúÁÉÍÓÚñÑüÜ", "aeiouAEIOUnNuU")
"""What ``desk_variant`` has always dropped: Spanish accents only (Nadège keeps its grave
accent). Not ``strip_accents``, so that the demo's data for a seed stays as it was."""


def desk_variant(
    rng: random.Random, p: dict[str, Any], new_id: Callable[[], Any] = uuid7
) -> dict[str, Any]:
    """The same person typed again at another desk, the way desks really type."""
    q = dict(p)
    q["id"] = new_id()
    kind = rng.randrange(7)
    if kind == 0:
        q["given_names"] = q["given_names"].translate(_SPANISH_ACCENTS).upper()
        q["first_surname"] = q["first_surname"].translate(_SPANISH_ACCENTS).upper()
    elif kind == 1 and q["second_surname"]:
        q["first_surname"], q["second_surname"] = (q["second_surname"], q["first_surname"])
    elif kind == 2:
        q["second_surname"] = None
    elif kind == 3 and " " in q["given_names"]:
        q["given_names"] = q["given_names"].split(" ")[0]
    elif kind == 4 and q["birth_date"] is not None and (q["birth_date"].day <= 12):
        b = q["birth_date"]
        q["birth_date"] = dt.date(b.year, b.day, b.month)
    elif kind == 5:
        q["given_names"] = q["given_names"].replace("-", " ").replace("y", "ll", 1)
    else:
        name = q["first_surname"]
        if len(name) > 4:
            i = rng.randrange(1, len(name) - 2)
            q["first_surname"] = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    q["_duplicate_of"] = p["id"]
    return q


# ------------------------------------------------------------------------------------------
# Desk typing errors


class _Desk:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def typo(self, word: str) -> str:
        rng = self.rng
        letters = [i for i, ch in enumerate(word) if ch.isalpha()]
        if len(letters) < 3:
            return word
        i = rng.choice(letters[1:])  # desks rarely get the first letter wrong
        op = rng.random()
        if op < 0.3:
            return word[:i] + word[i + 1 :]
        if op < 0.55:
            return word[:i] + rng.choice(keyboard_neighbours(word[i].lower()) or "e") + word[i:]
        if op < 0.8:
            return (
                word[:i] + rng.choice(keyboard_neighbours(word[i].lower()) or "e") + word[i + 1 :]
            )
        if i + 1 < len(word):
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        return word[:i] + word[i] + word[i:]

    def phonetic(self, word: str) -> str:
        rng = self.rng
        variants = VARIANTS.get(word.lower())
        if variants and rng.random() < 0.8:
            return rng.choice(variants)
        low = strip_accents(word.lower())
        subs = [(a, b) for a, b in PHONETIC_SUBS if re.search(a, low[1:])]
        if not subs:
            return word
        a, b = rng.choice(subs)
        out = low[0] + re.sub(a, b, low[1:], count=1)
        return out[:1].upper() + out[1:]

    def name_field(self, text: str, p_typo: float, p_phon: float) -> str:
        """Mutate one word of a name field (typo or phonetic spelling)."""
        rng = self.rng
        words = text.split(" ")
        if rng.random() < p_phon:
            k = rng.randrange(len(words))
            parts = words[k].split("-")
            j = rng.randrange(len(parts))
            parts[j] = self.phonetic(parts[j])
            words[k] = "-".join(parts)
        if rng.random() < p_typo:
            k = rng.randrange(len(words))
            words[k] = self.typo(words[k])
        return " ".join(words)

    def hyphen(self, text: str) -> str:
        if "-" not in text:
            return text
        roll = self.rng.random()
        if roll < 0.5:
            return text.replace("-", " ")
        if roll < 0.6:
            return text.replace("-", "")
        return text

    def particle(self, text: str) -> str:
        low = text.lower()
        if not low.startswith(("de ", "del ", "san ")):
            return text
        roll = self.rng.random()
        if roll < 0.2:
            return text.split(" ")[-1]
        if roll < 0.3:
            return text.replace(" ", "")
        return text

    def doc_text(self, kind: str, number: str, p_typo: float) -> str:
        rng = self.rng
        if rng.random() < p_typo:
            digits = [i for i, ch in enumerate(number) if ch.isdigit()]
            if len(digits) >= 4:
                i = rng.choice(digits[:-1])
                if rng.random() < 0.5:
                    number = (
                        number[:i]
                        + str((int(number[i]) + rng.randint(1, 9)) % 10)
                        + number[i + 1 :]
                    )
                elif i + 1 < len(number) and number[i + 1].isdigit():
                    number = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        if kind in ("run", "ipe") and "-" in number:
            body, dv = number.split("-")
            style = rng.random()
            if style < 0.4:
                return f"{int(body):,}".replace(",", ".") + "-" + dv
            if style < 0.7:
                return number
            if style < 0.8:
                return body + dv.lower()
            return body + dv
        if kind == "national_id":
            style = rng.random()
            if style < 0.3 and len(number) >= 7:
                return f"{int(number):,}".replace(",", ".")
            if style < 0.4:
                return "V-" + number if len(number) == 8 else number + " "
            return number
        return number if rng.random() < 0.8 else number.lower()


def _visit(p: Person, k: int, desk: _Desk, first: bool) -> PersonRecord:
    """One record of person `p` at visit `k`, as a desk typed it."""
    rng = desk.rng
    err = 0.5 if first else 1.0  # first registrations are typed a little more carefully
    given, s1, s2 = p.given, p.sur1, p.sur2
    # given names
    if " " in given.strip() and "-" not in given and rng.random() < 0.25 * err:
        # María José -> María; someone who goes by the second name gives that one
        given = given.split(" ")[-1] if p.goes_by else given.split(" ")[0]
    if "-" in given and rng.random() < 0.25 * err:
        given = given.split("-")[0]  # Jean-Robert -> Jean
    given = desk.hyphen(given)
    given = desk.name_field(given, 0.08 * err, 0.12 * err)
    # surnames
    s1 = desk.particle(desk.hyphen(s1))
    s1 = desk.name_field(s1, 0.06 * err, 0.10 * err)
    if s2 is not None:
        s2 = desk.particle(desk.hyphen(s2))
        s2 = desk.name_field(s2, 0.06 * err, 0.10 * err)
        roll = rng.random()
        if roll < 0.06 * err:
            s1, s2 = s2, s1
        elif roll < 0.21 * err:
            s2 = None
        elif roll < 0.25 * err:
            s1, s2 = f"{s1} {s2}", None
    if rng.random() < 0.01 * err:
        given, s1 = s1, given
    # case and accents
    if rng.random() < 0.45:
        given, s1 = strip_accents(given), strip_accents(s1)
        s2 = strip_accents(s2) if s2 else s2
    if rng.random() < 0.2:
        given, s1 = given.upper(), s1.upper()
        s2 = s2.upper() if s2 else s2
    # birth date
    dob: date | None = p.dob
    roll = rng.random()
    if p.role != "child" and p.culture.code in ("HTI", "VEN") and rng.random() < 0.03:
        dob = date(p.dob.year, 1, 1)  # estimated age, registered as 1 January
    elif roll < 0.04 * err:
        dob = None
    elif roll < 0.08 * err and p.dob.day <= 12 and p.dob.day != p.dob.month:
        dob = date(p.dob.year, p.dob.day, p.dob.month)
    elif roll < 0.12 * err:
        dob = _safe_date(p.dob.year + rng.choice((-1, 1)), p.dob.month, p.dob.day)
    elif roll < 0.15 * err:
        dob = _digit_typo(p.dob, rng)
    elif roll < 0.155 * err:
        dob = TODAY - timedelta(days=rng.randint(0, 700))  # intake date typed as birth date
    # documents: each known document typed or not; passports get renewed; a RUN arrives later
    docs: list[tuple[str, str]] = []
    for kind, number in p.docs:
        if kind == "passport" and not first and rng.random() < 0.15:
            number = number[:2] + str(rng.randint(1_000_000, 9_999_999))
        if rng.random() < 0.55:
            docs.append((kind, desk.doc_text(kind, number, 0.02)))
    if p.run is not None and k >= 1 and rng.random() < 0.7:
        docs.append(("run", desk.doc_text("run", p.run, 0.02)))
    # phones
    phones: list[str] = []
    if p.phones and rng.random() < 0.75:
        phones = [p.phones[-1] if rng.random() < 0.7 else rng.choice(p.phones)]
        if not first and rng.random() < 0.25:
            phones = [mobile(rng)]
        phones = [typed(x, rng) for x in phones]
    sex: str | None = p.sex if rng.random() > 0.05 else None
    if sex is not None and rng.random() < 0.005:
        sex = "M" if sex == "F" else "F"
    nat: str | None = p.culture.code if rng.random() > 0.05 else None
    if nat is not None and rng.random() < 0.01:
        nat = rng.choice(CULTURES).code
    return PersonRecord(
        id="",
        given_names=given,
        first_surname=s1,
        second_surname=s2,
        birth_date=dob,
        sex=sex,
        nationality=nat,
        documents=tuple(docs),
        phones=tuple(phones),
    )


def _safe_date(y: int, m: int, d: int) -> date:
    while True:
        try:
            return date(y, m, d)
        except ValueError:
            d -= 1


def _digit_typo(d: date, rng: random.Random) -> date | None:
    s = f"{d.year:04d}{d.month:02d}{d.day:02d}"
    for _ in range(20):
        i = rng.choice((2, 3, 4, 5, 6, 7))
        t = s[:i] + str(rng.randint(0, 9)) + s[i + 1 :]
        if t == s:
            continue
        try:
            typo = date(int(t[:4]), int(t[4:6]), int(t[6:]))
        except ValueError:
            continue
        if typo <= TODAY:  # intake forms refuse dates in the future
            return typo
    return d


def generate(
    n_records: int,
    seed: int,
    dup_rate: float = 0.3,
    namesake_rate: float = 0.03,
    *,
    people: int | None = None,
) -> Dataset:
    """About `n_records` records (whole households), deterministic for a seed; with `people`,
    about that many persons instead (and `n_records` is ignored).

    A person makes one visit, or with probability `dup_rate` two to five visits.
    """
    gen = Households(seed)
    rng = gen.rng
    desk = _Desk(rng)
    visits: list[tuple[Person, PersonRecord]] = []
    while len(visits) < n_records if people is None else len(gen.people) < people:
        members = gen.household()
        if rng.random() < namesake_rate * len(members):
            # namesakes share a *common* full name (a common given name and surnames)
            common = [
                p
                for p in gen.people[-300:]
                if p.sur1 in p.culture.surnames[:6]
                and p.given.split(" ")[0]
                in [*(p.culture.female + p.culture.male)[:6], "María", *p.culture.male[:6]]
            ]
            if common:
                members.append(gen.namesake(rng.choice(common)))
        for p in members:
            n_visits = 1
            if rng.random() < dup_rate:
                n_visits = 1 + min(1 + int(rng.expovariate(1.2)), 4)
            for k in range(n_visits):
                visits.append((p, _visit(p, k, desk, first=k == 0)))
    rng.shuffle(visits)
    records: list[PersonRecord] = []
    entity: dict[str, str] = {}
    household: dict[str, str] = {}
    for n, (p, rec) in enumerate(visits, start=1):
        rid = f"R{seed:02d}{n:07d}"
        records.append(replace(rec, id=rid))
        entity[rid] = p.pid
        household[rid] = p.hid
    role = {p.pid: p.role for p in gen.people}
    namesake_of = {p.pid: p.namesake_of for p in gen.people if p.namesake_of}
    return Dataset(records, entity, household, role, namesake_of)


def _main(argv: list[str]) -> None:
    n = int(argv[1]) if len(argv) > 1 else 30
    seed = int(argv[2]) if len(argv) > 2 else 1
    data = generate(n, seed)
    by_entity: dict[str, list[PersonRecord]] = {}
    for rec in data.records:
        by_entity.setdefault(data.entity[rec.id], []).append(rec)
    show: Callable[[PersonRecord], str] = lambda r: (  # noqa: E731
        f"{r.given_names} | {r.first_surname} | {r.second_surname} | {r.birth_date} | "
        f"{r.sex} {r.nationality} | {list(r.documents)} | {list(r.phones)}"
    )
    for pid, recs in sorted(by_entity.items()):
        print(pid, data.role[pid])
        for rec in recs:
            print("   ", rec.id, show(rec))


if __name__ == "__main__":
    _main(sys.argv)
