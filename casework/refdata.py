"""Shipped reference data: communes, countries, identifiers, code lists, referral
catalogue, regularization routes and the rights that hold regardless of status.

Everything is read from plain files in ``casework/data`` (CSV and TOML) with the
standard library only, parsed once and cached. The files are meant to be edited by
the office: rules (which route is open to whom) live in the data, not in this code.

Set the environment variable ``CASEWORK_REFDATA_DIR`` to a directory holding edited
copies of some of the files (same names, ``routes/`` included) to override the shipped
ones; call :func:`reload` after changing it at run time.

Lookups are accent-, case- and punctuation-insensitive (``"haiti"`` finds Haití).
"""

from __future__ import annotations

import csv
import os
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Protocol, TypeVar

__all__ = [
    "APPLY_FROM",
    "CIVIL_STATUSES",
    "CONTACT_CHANNELS",
    "CONTACT_REASONS",
    "GENDER_IDENTITIES",
    "INDIGENOUS_PEOPLES",
    "MIGRATION_STATUSES",
    "REFERRAL_OUTCOMES",
    "REFERRAL_STATUSES",
    "RELATIONSHIPS",
    "SEXES",
    "Code",
    "Commune",
    "Country",
    "Destination",
    "DocumentType",
    "Labelled",
    "Language",
    "Region",
    "Right",
    "Route",
    "RouteDeadline",
    "RouteDocument",
    "RouteStep",
    "ScreeningQuestion",
    "ServiceArea",
    "code_list",
    "commune",
    "communes",
    "countries",
    "country",
    "destination",
    "destinations",
    "document_type",
    "document_types",
    "find_commune",
    "label",
    "language",
    "languages",
    "regions",
    "reload",
    "reviewed_on",
    "right",
    "rights",
    "route",
    "routes",
    "screen_routes",
    "screening_questions",
    "search_communes",
    "search_countries",
    "service_area",
    "service_areas",
]

OVERRIDE_ENV: Final = "CASEWORK_REFDATA_DIR"
#: Where a route can be requested from.
APPLY_FROM: Final = ("abroad", "in_chile", "institution")
_CONDITION_KINDS: Final = ("all", "any", "none")


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Region:
    code: str  # two digits, "13"
    name: str


@dataclass(frozen=True, slots=True)
class Commune:
    code: str  # five-digit CUT, "13101"
    name: str
    province: str
    region_code: str  # "13"
    region: str
    aliases: tuple[str, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Country:
    alpha2: str
    alpha3: str
    numeric: str  # three digits, zero-padded: "068"
    name_es: str
    name_en: str
    aliases: tuple[str, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class DocumentType:
    code: str  # CL Core CSTipoIdentificador, "01".."14"
    key: str  # run, run_provisional, run_mother, folio, passport, national_id, ...
    name_es: str
    name_en: str
    checked_mod11: bool  # only the RUN carries a módulo-11 check digit
    aliases: tuple[str, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # ISO 639-1, or 639-3 when there is no 639-1 code
    name_es: str
    name_en: str
    aliases: tuple[str, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Code:
    """One entry of a small code list; ``code`` is an external code (MINSAL, FHIR) if any."""

    key: str
    name_es: str
    name_en: str
    code: str = ""


@dataclass(frozen=True, slots=True)
class ServiceArea:
    key: str
    name_es: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Destination:
    key: str
    name_es: str
    name_en: str
    service_area: str
    when_es: str
    typical_outcome_es: str
    private: bool  # a private organisation needs the person's consent to share data
    source: str
    when_en: str = ""
    typical_outcome_en: str = ""
    contact_es: str = ""  # address / phone / web, for the office to fill in


@dataclass(frozen=True, slots=True)
class RouteStep:
    key: str
    text_es: str
    text_en: str


@dataclass(frozen=True, slots=True)
class RouteDocument:
    key: str
    text_es: str
    text_en: str
    note_es: str = ""


@dataclass(frozen=True, slots=True)
class RouteDeadline:
    key: str
    days: int
    text_es: str
    text_en: str
    business_days: bool = False  # días hábiles rather than calendar days


@dataclass(frozen=True, slots=True)
class Route:
    """A regularization route (a residence subcategory or procedure), as data."""

    id: str
    name_es: str
    name_en: str
    apply_from: tuple[str, ...]  # subset of APPLY_FROM
    summary_es: str
    summary_en: str
    # {"all": (...), "any": (...), "none": (...)} over screening-answer keys
    eligibility: Mapping[str, tuple[str, ...]] = field(hash=False)
    steps: tuple[RouteStep, ...]
    documents: tuple[RouteDocument, ...]
    deadlines: tuple[RouteDeadline, ...]
    fees_es: str
    who_files_es: str
    sources: tuple[str, ...]
    last_reviewed: date
    # answer key -> note (Spanish) shown when that answer is yes
    notes: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    caveat_es: str = ""  # shown with the route: what is unstable / to verify
    order: int = 100

    def deadline(self, key: str) -> RouteDeadline | None:
        return next((d for d in self.deadlines if d.key == key), None)


@dataclass(frozen=True, slots=True)
class ScreeningQuestion:
    key: str
    text_es: str
    text_en: str
    reason_es: str  # why a route is proposed when the answer is yes
    reason_en: str


@dataclass(frozen=True, slots=True)
class Right:
    key: str
    text_es: str
    text_en: str
    source: str
    title_es: str = ""
    title_en: str = ""


class Labelled(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def name_es(self) -> str: ...
    @property
    def name_en(self) -> str: ...


_T = TypeVar("_T")


# --------------------------------------------------------------------------- helpers


def _fold(text: str) -> str:
    """Accent-, case- and punctuation-insensitive form used by every lookup."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.casefold().replace("'", "").replace("’", "").replace("´", "")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", bare).split())


def _override_dir() -> Path | None:
    value = os.environ.get(OVERRIDE_ENV, "").strip()
    return Path(value) if value else None


def _shipped(*parts: str) -> Traversable:
    node: Traversable = resources.files("casework") / "data"
    for part in parts:
        node = node / part
    return node


def _read_text(*parts: str) -> str:
    override = _override_dir()
    if override is not None:
        candidate = override.joinpath(*parts)
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    return _shipped(*parts).read_text(encoding="utf-8")


def _read_csv(name: str) -> list[dict[str, str]]:
    lines = [ln for ln in _read_text(name).splitlines() if ln.strip() and not ln.startswith("#")]
    rows: list[dict[str, str]] = []
    for row in csv.DictReader(lines):
        rows.append({(k or "").strip(): (v or "").strip() for k, v in row.items()})
    return rows


def _read_toml(*parts: str) -> dict[str, Any]:
    where = "/".join(parts)
    try:
        return tomllib.loads(_read_text(*parts))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{where}: {exc}") from exc


def _aliases(value: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in value.split("|") if a.strip())


def _bool(value: str) -> bool:
    return _fold(value) in {"true", "1", "yes", "si", "x"}


def _s(table: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise ValueError(f"{where}: '{key}' must be a non-empty string")
    return value.strip()


def _strs(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: '{key}' must be a list of strings")
    return tuple(v.strip() for v in value)


def _tables(table: Mapping[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"{where}: '{key}' must be an array of tables ([[{key}]])")
    return value


def _unique(items: Sequence[_T], key: Callable[[_T], str], where: str) -> tuple[_T, ...]:
    seen: set[str] = set()
    for item in items:
        k = key(item)
        if k in seen:
            raise ValueError(f"{where}: duplicate key {k!r}")
        seen.add(k)
    return tuple(items)


def _index(entries: Iterable[tuple[str, _T]]) -> dict[str, _T]:
    """Folded-name index; the first entry wins so the canonical name beats an alias."""
    out: dict[str, _T] = {}
    for text, item in entries:
        folded = _fold(text)
        if folded:
            out.setdefault(folded, item)
    return out


def reload() -> None:
    """Forget every cached file (after editing data or changing CASEWORK_REFDATA_DIR)."""
    for fn in _CACHED:
        fn.cache_clear()


def reviewed_on(name: str) -> date | None:
    """``last_reviewed`` of a data file (``"communes.csv"``, ``"routes/refuge.toml"``)."""
    text = _read_text(*name.split("/"))
    match = re.search(r"last_reviewed\s*=\s*(\d{4}-\d{2}-\d{2})", text)
    return date.fromisoformat(match.group(1)) if match else None


# --------------------------------------------------------------------------- communes


@cache
def communes() -> tuple[Commune, ...]:
    """The 346 communes of Chile, ordered by CUT code."""
    rows = [
        Commune(
            code=r["code"].zfill(5),
            name=r["name"],
            province=r["province"],
            region_code=r["region_code"].zfill(2),
            region=r["region"],
            aliases=_aliases(r.get("aliases", "")),
        )
        for r in _read_csv("communes.csv")
    ]
    return _unique(sorted(rows, key=lambda c: c.code), lambda c: c.code, "communes.csv")


@cache
def _commune_by_code() -> dict[str, Commune]:
    return {c.code: c for c in communes()}


@cache
def _commune_by_name() -> dict[str, Commune]:
    names = [(c.name, c) for c in communes()]
    aliases = [(a, c) for c in communes() for a in c.aliases]
    return _index([*names, *aliases])


def commune(code: str) -> Commune | None:
    """Commune by CUT code ("13101"; "1101" is read as "01101")."""
    code = code.strip()
    return _commune_by_code().get(code.zfill(5)) if code.isdigit() else None


def find_commune(text: str) -> Commune | None:
    """Commune by CUT code or by name, ignoring accents, case and punctuation."""
    text = text.strip()
    if text.isdigit():
        return commune(text)
    return _commune_by_name().get(_fold(text))


def search_communes(text: str, limit: int = 10) -> list[Commune]:
    """Communes whose name (or alias) starts with, then contains, ``text``."""
    return _search(
        _fold(text),
        ((c.name, c) for c in communes()),
        ((a, c) for c in communes() for a in c.aliases),
        limit,
    )


@cache
def regions() -> tuple[Region, ...]:
    """The 16 regions, ordered by code."""
    seen = {c.region_code: c.region for c in communes()}
    return tuple(Region(code, name) for code, name in sorted(seen.items()))


def _search(
    folded: str,
    primary: Iterable[tuple[str, _T]],
    aliases: Iterable[tuple[str, _T]],
    limit: int,
) -> list[_T]:
    """Rank: exact name or alias, name starts with the text, a word of the name does, an
    alias starts or has a word starting with it, then any name or alias contains it."""
    if not folded or limit <= 0:
        return []
    tiers: list[list[_T]] = [[], [], [], [], []]
    for is_alias, entries in ((False, primary), (True, aliases)):
        for text, item in entries:
            name = _fold(text)
            if name == folded:
                tier = 0
            elif name.startswith(folded):
                tier = 3 if is_alias else 1
            elif any(word.startswith(folded) for word in name.split()):
                tier = 3 if is_alias else 2
            elif folded in name:
                tier = 4
            else:
                continue
            tiers[tier].append(item)
    out: list[_T] = []
    for tier_items in tiers:
        for item in tier_items:
            if item not in out:
                out.append(item)
    return out[:limit]


# --------------------------------------------------------------------------- countries


@cache
def countries() -> tuple[Country, ...]:
    """ISO 3166-1 countries and territories, ordered by Spanish name."""
    rows = [
        Country(
            alpha2=r["alpha2"].upper(),
            alpha3=r["alpha3"].upper(),
            numeric=r["numeric"].zfill(3),
            name_es=r["name_es"],
            name_en=r["name_en"],
            aliases=_aliases(r.get("aliases", "")),
        )
        for r in _read_csv("countries.csv")
    ]
    rows.sort(key=lambda c: _fold(c.name_es))
    return _unique(rows, lambda c: c.alpha3, "countries.csv")


@cache
def _country_index() -> tuple[dict[str, Country], dict[str, Country]]:
    codes: dict[str, Country] = {}
    for c in countries():
        codes[c.alpha2] = c
        codes[c.alpha3] = c
        codes[str(int(c.numeric))] = c
    names = _index(
        [
            *((c.name_es, c) for c in countries()),
            *((c.name_en, c) for c in countries()),
            *((a, c) for c in countries() for a in c.aliases),
        ]
    )
    return codes, names


def country(code_or_name: str) -> Country | None:
    """Country by alpha-2, alpha-3, numeric ("068", "68") or Spanish/English name or alias."""
    text = code_or_name.strip()
    if not text:
        return None
    codes, names = _country_index()
    if text.isdigit():
        return codes.get(str(int(text)))
    if len(text) in (2, 3) and text.isalpha() and text.isascii():
        found = codes.get(text.upper())
        if found is not None:
            return found
    return names.get(_fold(text))


def search_countries(text: str, limit: int = 10) -> list[Country]:
    """Countries whose Spanish/English name or alias starts with, then contains, ``text``."""
    return _search(
        _fold(text),
        (*((c.name_es, c) for c in countries()), *((c.name_en, c) for c in countries())),
        ((a, c) for c in countries() for a in c.aliases),
        limit,
    )


# --------------------------------------------------------------------------- identifiers


@cache
def document_types() -> tuple[DocumentType, ...]:
    """Identifier types (HL7 Chile CL Core CSTipoIdentificador), ordered by code."""
    rows = [
        DocumentType(
            code=r["code"].zfill(2),
            key=r["key"],
            name_es=r["name_es"],
            name_en=r["name_en"],
            checked_mod11=_bool(r["checked_mod11"]),
            aliases=_aliases(r.get("aliases", "")),
        )
        for r in _read_csv("document_types.csv")
    ]
    rows.sort(key=lambda d: d.code)
    _unique(rows, lambda d: d.code, "document_types.csv")
    return _unique(rows, lambda d: d.key, "document_types.csv")


@cache
def _document_index() -> dict[str, DocumentType]:
    return _index(
        [
            *((d.key, d) for d in document_types()),
            *((a, d) for d in document_types() for a in d.aliases),
            *((d.name_es, d) for d in document_types()),
            *((d.name_en, d) for d in document_types()),
        ]
    )


def document_type(code_or_key_or_alias: str) -> DocumentType | None:
    """Identifier type by CL Core code ("05", "5"), our key ("passport") or an alias
    ("pasaporte", "rut", "dni", "cedula", "otro")."""
    text = code_or_key_or_alias.strip()
    if text.isdigit():
        return next((d for d in document_types() if d.code == text.zfill(2)), None)
    return _document_index().get(_fold(text))


# --------------------------------------------------------------------------- languages


@cache
def languages() -> tuple[Language, ...]:
    """Languages the office meets, in file order (Spanish first)."""
    rows = [
        Language(
            code=r["code"].lower(),
            name_es=r["name_es"],
            name_en=r["name_en"],
            aliases=_aliases(r.get("aliases", "")),
        )
        for r in _read_csv("languages.csv")
    ]
    return _unique(rows, lambda lang: lang.code, "languages.csv")


def language(code_or_name: str) -> Language | None:
    """Language by ISO code or by Spanish/English name or alias ("kreyol", "creole")."""
    text = code_or_name.strip()
    by_code = {lang.code: lang for lang in languages()}
    if text.lower() in by_code:
        return by_code[text.lower()]
    index = _index(
        [
            *((lang.name_es, lang) for lang in languages()),
            *((lang.name_en, lang) for lang in languages()),
            *((a, lang) for lang in languages() for a in lang.aliases),
        ]
    )
    return index.get(_fold(text))


# --------------------------------------------------------------------------- code lists


@cache
def _codes_file() -> dict[str, Any]:
    return _read_toml("codes.toml")


@cache
def _code_lists() -> dict[str, tuple[Code, ...]]:
    data = _codes_file()
    lists = data.get("lists")
    if not isinstance(lists, dict):
        raise ValueError("codes.toml: missing [lists] table")
    out: dict[str, tuple[Code, ...]] = {}
    for name, entries in lists.items():
        where = f"codes.toml [lists.{name}]"
        if not isinstance(entries, list):
            raise ValueError(f"{where}: must be an array of tables")
        items = [
            Code(
                key=_s(e, "key", where),
                name_es=_s(e, "name_es", where),
                name_en=_s(e, "name_en", where),
                code=_s(e, "code", where, ""),
            )
            for e in _tables(lists, name, where)
        ]
        out[name] = _unique(items, lambda c: c.key, where)
    return out


def code_list(name: str) -> tuple[Code, ...]:
    """A code list from codes.toml by name ("contact_reasons"); KeyError if unknown."""
    return _code_lists()[name]


@cache
def service_areas() -> tuple[ServiceArea, ...]:
    """Service areas of the referral catalogue (health, housing, legal, ...)."""
    where = "codes.toml [[service_areas]]"
    items = [
        ServiceArea(_s(e, "key", where), _s(e, "name_es", where), _s(e, "name_en", where))
        for e in _tables(_codes_file(), "service_areas", where)
    ]
    return _unique(items, lambda a: a.key, where)


def service_area(key: str) -> ServiceArea | None:
    return next((a for a in service_areas() if a.key == key), None)


def label(code_list: Iterable[Labelled], key: str | None, lang: str = "es") -> str:
    """Display name of ``key`` in ``code_list`` ("es" or "en"); the key itself if unknown."""
    if not key:
        return ""
    for item in code_list:
        if item.key == key:
            return item.name_en if lang.lower().startswith("en") else item.name_es
    return key


# --------------------------------------------------------------------------- referrals


@cache
def destinations() -> tuple[Destination, ...]:
    """The referral catalogue (destinations.toml), in file order."""
    data = _read_toml("destinations.toml")
    known_areas = {a.key for a in service_areas()}
    items: list[Destination] = []
    for e in _tables(data, "destination", "destinations.toml"):
        where = f"destinations.toml [[destination]] {e.get('key', '?')!r}"
        private = e.get("private", False)
        if not isinstance(private, bool):
            raise ValueError(f"{where}: 'private' must be true or false")
        item = Destination(
            key=_s(e, "key", where),
            name_es=_s(e, "name_es", where),
            name_en=_s(e, "name_en", where),
            service_area=_s(e, "service_area", where),
            when_es=_s(e, "when_es", where),
            typical_outcome_es=_s(e, "typical_outcome_es", where),
            private=private,
            source=_s(e, "source", where),
            when_en=_s(e, "when_en", where, ""),
            typical_outcome_en=_s(e, "typical_outcome_en", where, ""),
            contact_es=_s(e, "contact_es", where, ""),
        )
        if item.service_area not in known_areas:
            raise ValueError(f"{where}: unknown service_area {item.service_area!r}")
        items.append(item)
    return _unique(items, lambda d: d.key, "destinations.toml")


def destination(key: str) -> Destination | None:
    return next((d for d in destinations() if d.key == key), None)


# --------------------------------------------------------------------------- routes


@cache
def screening_questions() -> tuple[ScreeningQuestion, ...]:
    """The yes/no questions the route screener understands (screening.toml)."""
    where = "screening.toml [[question]]"
    items = [
        ScreeningQuestion(
            key=_s(e, "key", where),
            text_es=_s(e, "text_es", where),
            text_en=_s(e, "text_en", where),
            reason_es=_s(e, "reason_es", where),
            reason_en=_s(e, "reason_en", where),
        )
        for e in _tables(_read_toml("screening.toml"), "question", where)
    ]
    return _unique(items, lambda q: q.key, where)


def _route_files() -> list[tuple[str, str]]:
    """(file name, text) of every routes/*.toml, overrides replacing shipped files."""
    texts: dict[str, str] = {}
    shipped = _shipped("routes")
    if shipped.is_dir():
        for node in shipped.iterdir():
            if node.name.endswith(".toml") and not node.name.startswith("_"):
                texts[node.name] = node.read_text(encoding="utf-8")
    override = _override_dir()
    if override is not None and (override / "routes").is_dir():
        for path in (override / "routes").glob("*.toml"):
            if not path.name.startswith("_"):
                texts[path.name] = path.read_text(encoding="utf-8")
    return sorted(texts.items())


def _parse_route(name: str, text: str, known: set[str]) -> Route:
    where = f"routes/{name}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{where}: {exc}") from exc

    apply_from = _strs(data, "apply_from", where)
    if not apply_from or not set(apply_from) <= set(APPLY_FROM):
        raise ValueError(f"{where}: apply_from must be a non-empty subset of {APPLY_FROM}")

    elig_raw = data.get("eligibility", {})
    if not isinstance(elig_raw, dict):
        raise ValueError(f"{where}: [eligibility] must be a table")
    unknown_kinds = set(elig_raw) - {*_CONDITION_KINDS, "notes"}
    if unknown_kinds:
        raise ValueError(f"{where}: unknown eligibility entries {sorted(unknown_kinds)}")
    eligibility = {kind: _strs(elig_raw, kind, where) for kind in _CONDITION_KINDS}
    notes_raw = elig_raw.get("notes", {})
    if not isinstance(notes_raw, dict) or not all(isinstance(v, str) for v in notes_raw.values()):
        raise ValueError(f"{where}: [eligibility.notes] must map answer keys to strings")
    notes = {str(k): str(v).strip() for k, v in notes_raw.items()}
    used = {k for keys in eligibility.values() for k in keys} | set(notes)
    if used - known:
        raise ValueError(f"{where}: unknown screening keys {sorted(used - known)}")

    reviewed = data.get("last_reviewed")
    if not isinstance(reviewed, date):
        raise ValueError(f"{where}: last_reviewed must be a TOML date (2026-11-23)")

    order = data.get("order", 100)
    if not isinstance(order, int):
        raise ValueError(f"{where}: order must be an integer")

    steps = tuple(
        RouteStep(_s(t, "key", where), _s(t, "text_es", where), _s(t, "text_en", where))
        for t in _tables(data, "steps", where)
    )
    documents = tuple(
        RouteDocument(
            _s(t, "key", where),
            _s(t, "text_es", where),
            _s(t, "text_en", where),
            _s(t, "note_es", where, ""),
        )
        for t in _tables(data, "documents", where)
    )
    deadlines: list[RouteDeadline] = []
    for t in _tables(data, "deadlines", where):
        days, business = t.get("days"), t.get("business_days", False)
        if not isinstance(days, int) or days <= 0 or not isinstance(business, bool):
            raise ValueError(f"{where}: deadline days must be a positive integer")
        deadlines.append(
            RouteDeadline(
                _s(t, "key", where),
                days,
                _s(t, "text_es", where),
                _s(t, "text_en", where),
                business,
            )
        )
    _unique(steps, lambda x: x.key, f"{where} [[steps]]")
    _unique(documents, lambda x: x.key, f"{where} [[documents]]")
    _unique(deadlines, lambda x: x.key, f"{where} [[deadlines]]")

    return Route(
        id=_s(data, "id", where),
        name_es=_s(data, "name_es", where),
        name_en=_s(data, "name_en", where),
        apply_from=apply_from,
        summary_es=_s(data, "summary_es", where),
        summary_en=_s(data, "summary_en", where),
        eligibility=MappingProxyType(eligibility),
        steps=steps,
        documents=documents,
        deadlines=tuple(deadlines),
        fees_es=_s(data, "fees_es", where),
        who_files_es=_s(data, "who_files_es", where),
        sources=_strs(data, "sources", where),
        last_reviewed=reviewed,
        notes=MappingProxyType(notes),
        caveat_es=_s(data, "caveat_es", where, ""),
        order=order,
    )


@cache
def routes() -> tuple[Route, ...]:
    """Every regularization route in routes/*.toml, by ``order`` then id."""
    known = {q.key for q in screening_questions()}
    items = [_parse_route(name, text, known) for name, text in _route_files()]
    items.sort(key=lambda r: (r.order, r.id))
    return _unique(items, lambda r: r.id, "routes/")


def route(route_id: str) -> Route | None:
    return next((r for r in routes() if r.id == route_id), None)


def screen_routes(
    answers: Mapping[str, bool | None], *, include_abroad: bool = False
) -> list[tuple[Route, list[str]]]:
    """Routes whose eligibility holds for ``answers`` (yes / no / None = unknown), each
    with the reasons in Spanish.

    A route holds when every ``all`` key is yes, at least one ``any`` key is yes (if
    there are any) and no ``none`` key is yes (unknown passes, and is listed as
    "Por confirmar"). Only routes that can be requested from inside Chile (by the person
    or by an institution) are considered unless ``include_abroad``.
    """
    questions = {q.key: q for q in screening_questions()}

    def yes(key: str) -> bool:
        return answers.get(key) is True

    result: list[tuple[Route, list[str]]] = []
    for r in routes():
        if not include_abroad and not {"in_chile", "institution"} & set(r.apply_from):
            continue
        must, some, never = r.eligibility["all"], r.eligibility["any"], r.eligibility["none"]
        if not all(yes(k) for k in must):
            continue
        if some and not any(yes(k) for k in some):
            continue
        if any(yes(k) for k in never):
            continue
        reasons = [questions[k].reason_es for k in (*must, *some) if yes(k)]
        reasons += [note for k, note in r.notes.items() if yes(k)]
        reasons += [
            f"Por confirmar: {questions[k].text_es}" for k in never if answers.get(k) is None
        ]
        result.append((r, reasons))
    return result


# --------------------------------------------------------------------------- rights


@cache
def rights() -> tuple[Right, ...]:
    """Rights that hold regardless of migration status (rights.toml), in file order."""
    where = "rights.toml [[right]]"
    items = [
        Right(
            key=_s(e, "key", where),
            text_es=_s(e, "text_es", where),
            text_en=_s(e, "text_en", where),
            source=_s(e, "source", where),
            title_es=_s(e, "title_es", where, ""),
            title_en=_s(e, "title_en", where, ""),
        )
        for e in _tables(_read_toml("rights.toml"), "right", where)
    ]
    return _unique(items, lambda r: r.key, where)


def right(key: str) -> Right | None:
    return next((r for r in rights() if r.key == key), None)


_CACHED: Final[tuple[Any, ...]] = (
    communes,
    _commune_by_code,
    _commune_by_name,
    regions,
    countries,
    _country_index,
    document_types,
    _document_index,
    languages,
    _codes_file,
    _code_lists,
    service_areas,
    destinations,
    screening_questions,
    routes,
    rights,
)

# --------------------------------------------------------------------------- constants
# Loaded from codes.toml at import time; edit the file, not this module.

REFERRAL_OUTCOMES: Final = code_list("referral_outcomes")
REFERRAL_STATUSES: Final = code_list("referral_statuses")
CONTACT_REASONS: Final = code_list("contact_reasons")
CONTACT_CHANNELS: Final = code_list("contact_channels")
CIVIL_STATUSES: Final = code_list("civil_statuses")
GENDER_IDENTITIES: Final = code_list("gender_identities")
SEXES: Final = code_list("sexes")
RELATIONSHIPS: Final = code_list("relationships")
MIGRATION_STATUSES: Final = code_list("migration_statuses")
INDIGENOUS_PEOPLES: Final = code_list("indigenous_peoples")
