"""Synthetic people: the demo's persons, one at a time, and the benchmark's households.

The demo (``demo_person``) draws from ``names.NAMES`` with the office's nationality mix; the
benchmark (``Households``) draws whole families from ``names.CULTURES`` so that its hard
negatives (siblings, twins, a single mother's children, namesakes) are there to be told apart.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from casework.synthetic.documents import alpha2, run_text
from casework.synthetic.names import CULTURES, F_SECOND, M_SECOND, NAMES, Culture, F, M
from casework.synthetic.phones import mobile

# ------------------------------------------------------------------------------------------
# The demo's persons

NATIONALITY_WEIGHTS = {
    "VEN": 30,
    "PER": 17,
    "HTI": 12,
    "COL": 12,
    "BOL": 9,
    "CUB": 5,
    "DOM": 5,
    "ECU": 4,
    "ARG": 3,
    "CHN": 1,
    "CHL": 2,
}
LANGUAGES = {"HTI": ("ht", "fr"), "CHN": ("zh",)}
RM_COMMUNES = (
    "13101",
    "13101",
    "13101",
    "13108",
    "13106",
    "13127",
    "13124",
    "13119",
    "13110",
    "13125",
    "13128",
    "13103",
    "13126",
    "13111",
    "13201",
    "13401",
)
OTHER_COMMUNES = ("02101", "01101", "15101", "05101", "08101", "04101")


def weighted(rng: random.Random, weights: dict[str, int]) -> Callable[[], str]:
    """A picker of keys with the given weights, drawing from ``rng``."""
    keys_ = list(weights)
    cum: list[int] = []
    total = 0
    for k in keys_:
        total += weights[k]
        cum.append(total)

    def pick() -> str:
        return rng.choices(keys_, cum_weights=cum)[0]

    return pick


def demo_person(
    rng: random.Random, pick_nat: Callable[[], str], today: dt.date, new_id: Callable[[], Any]
) -> dict[str, Any]:
    """One person of the demo: a dict of the fields the demo writes, ``docs`` as (type, number)."""
    nat = pick_nat()
    females, males, surnames = NAMES[nat]
    sex = F if rng.random() < 0.55 else M
    given = rng.choice(females if sex == F else males)
    first = rng.choice(surnames)
    second = rng.choice(surnames) if nat != "HTI" and rng.random() < 0.85 else None
    r = rng.random()
    age = (
        rng.randint(0, 17) if r < 0.18 else rng.randint(60, 82) if r > 0.95 else rng.randint(18, 59)
    )
    birth = today - dt.timedelta(days=age * 365 + rng.randrange(365))
    docs: list[tuple[str, str]] = []
    if age < 18 and rng.random() < 0.5:
        docs.append(("ipe", f"{rng.randrange(100000000, 999999999)}"))
    elif rng.random() < 0.75:
        docs.append(("passport", f"{alpha2(nat)}{rng.randrange(1000000, 99999999)}"))
    elif rng.random() < 0.6:
        docs.append(("national_id", f"{rng.randrange(1000000, 40000000)}"))
    return {
        "id": new_id(),
        "given_names": given,
        "first_surname": first,
        "second_surname": second,
        "sex": sex,
        "birth_date": birth if rng.random() > 0.03 else None,
        "age": age,
        "nationality": nat,
        "docs": docs,
        "phone": mobile(rng) if rng.random() < 0.85 else None,
        "commune": rng.choice(RM_COMMUNES) if rng.random() < 0.93 else rng.choice(OTHER_COMMUNES),
    }


# ------------------------------------------------------------------------------------------
# The benchmark's households

TODAY = date(2026, 11, 23)
"""The benchmark's fixed "today": ages and birth dates do not move with the calendar."""


@dataclass
class Person:
    pid: str
    hid: str
    culture: Culture
    given: str
    sur1: str
    sur2: str | None
    dob: date
    sex: str
    docs: list[tuple[str, str]]  # (type, canonical number)
    run: str | None  # a RUN obtained after some visits
    phones: list[str]
    role: str
    goes_by: int = 0  # which given name a shortened compound keeps (0 first, 1 second)
    namesake_of: str | None = None


class Households:
    """The benchmark's population, drawn household by household; ``people`` keeps them all."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n_person = 0
        self.n_house = 0
        self.people: list[Person] = []
        self._zipf_cache: dict[int, list[float]] = {}

    # -- drawing ------------------------------------------------------------------------------

    def zipf(self, items: Sequence[str], s: float = 0.75) -> str:
        weights = self._zipf_cache.get(len(items))
        if weights is None:
            weights = [1.0 / (k + 1) ** s for k in range(len(items))]
            self._zipf_cache[len(items)] = weights
        return self.rng.choices(items, weights=weights)[0]

    def given(self, c: Culture, sex: str) -> str:
        first = self.zipf(c.female if sex == "F" else c.male)
        if "-" in first or self.rng.random() >= c.compound_rate:
            return first
        if c.code == "HTI":
            second = self.rng.choice(c.female_second if sex == "F" else c.male_second)
            return f"{first}-{second}" if self.rng.random() < 0.6 else f"{first} {second}"
        pool = (c.female_second or F_SECOND) if sex == "F" else (c.male_second or M_SECOND)
        second = self.rng.choice([p for p in pool if p != first] or pool)
        if sex == "F" and self.rng.random() < 0.4:
            first = "María"
        if second == first:
            return first
        return f"{first} {second}"

    def birth(self, age_lo: int, age_hi: int) -> date:
        days = self.rng.randint(age_lo * 365, age_hi * 365 + 364)
        return TODAY - timedelta(days=days)

    def digits(self, n: int) -> str:
        return str(self.rng.randint(10 ** (n - 1), 10**n - 1))

    def run_number(self, lo: int, hi: int) -> str:
        return run_text(self.rng.randint(lo, hi))

    def foreign_docs(self, c: Culture, age: int) -> list[tuple[str, str]]:
        r = self.rng.random
        docs: list[tuple[str, str]] = []
        if c.code == "CHL":
            return [("run", self.run_number(5_000_000, 26_000_000))]
        natid = {
            "VEN": (0.9, lambda: str(self.rng.randint(5_000_000, 33_000_000))),
            "PER": (0.9, lambda: f"{self.rng.randint(1_000_000, 79_999_999):08d}"),
            "COL": (0.85, lambda: str(self.rng.randint(1_000_000, 1_199_999_999))),
            "BOL": (0.85, lambda: self.digits(self.rng.choice((6, 7, 8)))),
            "HTI": (0.3, lambda: self.digits(10)),
            "CUB": (0.5, lambda: self.digits(11)),
            "DOM": (0.7, lambda: self.digits(11)),
        }[c.code]
        if age >= 10 and r() < natid[0]:
            docs.append(("national_id", natid[1]()))
        pass_rate = {"HTI": 0.7, "CUB": 0.7, "VEN": 0.4, "DOM": 0.4, "COL": 0.3}.get(c.code, 0.2)
        if r() < pass_rate or not docs:
            letters = "ABCDEFGHJKLMNPRSTUVXYZ"
            num = self.rng.choice(letters) + self.rng.choice(letters) + self.digits(7)
            if c.code in ("VEN", "PER", "COL"):
                num = self.digits(9)
            docs.append(("passport", num))
        if age < 18 and r() < 0.5:
            docs.append(("ipe", self.run_number(100_000_000, 100_999_999)))
        return docs

    def phone(self) -> str:
        return mobile(self.rng)

    def person(
        self,
        hid: str,
        c: Culture,
        sex: str,
        given: str,
        sur1: str,
        sur2: str | None,
        dob: date,
        phones: list[str],
        role: str,
    ) -> Person:
        self.n_person += 1
        age = (TODAY - dob).days // 365
        run = None
        if c.code != "CHL" and self.rng.random() < 0.25:
            run = self.run_number(25_000_000, 28_999_999)
        goes_by = 1 if " " in given and "-" not in given and self.rng.random() < 0.1 else 0
        p = Person(
            f"P{self.n_person:06d}",
            hid,
            c,
            given,
            sur1,
            sur2 if c.two_surnames else None,
            dob,
            sex,
            self.foreign_docs(c, age),
            run,
            phones,
            role,
            goes_by,
        )
        self.people.append(p)
        return p

    # -- households ---------------------------------------------------------------------------

    def household(self) -> list[Person]:
        rng = self.rng
        c = rng.choices(CULTURES, weights=[x.weight for x in CULTURES])[0]
        self.n_house += 1
        hid = f"H{self.n_house:06d}"
        shared = [self.phone()] if rng.random() < 0.55 else []

        def own_phones(adult: bool) -> list[str]:
            return [*shared, self.phone()] if adult and rng.random() < 0.6 else list(shared)

        def surnames() -> tuple[str, str | None]:
            s1 = self.zipf(c.surnames)
            s2 = self.zipf(c.surnames) if c.two_surnames else None
            return s1, s2

        kind = rng.random()
        out: list[Person] = []
        if kind < 0.4:
            sex = rng.choice("FM")
            s1, s2 = surnames()
            dob = self.birth(18, 70)
            out.append(
                self.person(
                    hid, c, sex, self.given(c, sex), s1, s2, dob, own_phones(True), "single"
                )
            )
            return out
        mother_s = surnames()
        mother_dob = self.birth(20, 55)
        mother = self.person(
            hid,
            c,
            "F",
            self.given(c, "F"),
            *mother_s,
            mother_dob,
            own_phones(True),
            "mother",
        )
        out.append(mother)
        with_father = kind < 0.8
        if with_father:
            father_s = surnames()
            father_dob = mother_dob + timedelta(days=rng.randint(-3000, 2000))
            out.append(
                self.person(
                    hid,
                    c,
                    "M",
                    self.given(c, "M"),
                    *father_s,
                    father_dob,
                    own_phones(True),
                    "father",
                )
            )
            child_s1, child_s2 = father_s[0], mother_s[0] if c.two_surnames else None
        else:
            child_s1, child_s2 = mother_s  # a single mother's children carry her two surnames
        n_children = rng.choice((0, 1, 1, 2, 2, 2, 3, 3, 4)) if with_father else rng.randint(1, 3)
        mother_age = (TODAY - mother_dob).days // 365
        taken: set[str] = set()
        twins = n_children >= 2 and rng.random() < 0.12
        last_dob: date | None = None
        for k in range(n_children):
            if twins and k == 1 and last_dob is not None:
                dob = last_dob
                role = "twin"
            else:
                hi = max(mother_age - 17, 0)
                dob = self.birth(0, min(hi, 25)) if hi > 0 else self.birth(0, 1)
                role = "child"
            sex = rng.choice("FM")
            given = self.given(c, sex)
            for _ in range(50):
                # siblings never share a first given name, except as compounds that differ
                # in the second one (María José / María Fernanda)
                first = given.split(" ")[0].split("-")[0]
                if given not in taken and (first not in taken or " " in given):
                    break
                given = self.given(c, sex)
            elder = [q for q in out[2 if with_father else 1 :] if q.sex == sex and " " in q.given]
            if elder and c.code != "HTI" and rng.random() < 0.35:
                # Latin-American families often repeat the first name of a compound
                first = elder[0].given.split(" ")[0]
                pool = (c.female_second or F_SECOND) if sex == "F" else (c.male_second or M_SECOND)
                seconds = [x for x in pool if f"{first} {x}" not in taken and x != first]
                if seconds:
                    given = f"{first} {rng.choice(seconds)}"
            taken.add(given)
            taken.add(given.split(" ")[0].split("-")[0])
            last_dob = dob
            age = (TODAY - dob).days // 365
            out.append(
                self.person(
                    hid,
                    c,
                    sex,
                    given,
                    child_s1,
                    child_s2,
                    dob,
                    own_phones(age >= 16),
                    role,
                )
            )
        return out

    def namesake(self, model: Person) -> Person:
        """An unrelated person with the same full name as `model`, another birth date."""
        self.n_house += 1
        hid = f"H{self.n_house:06d}"
        dob = self.birth(18, 70)
        while abs((dob - model.dob).days) < 400:
            dob = self.birth(18, 70)
        new = self.person(
            hid,
            model.culture,
            model.sex,
            model.given,
            model.sur1,
            model.sur2,
            dob,
            [self.phone()] if self.rng.random() < 0.6 else [],
            "namesake",
        )
        new.namesake_of = model.pid
        return new
