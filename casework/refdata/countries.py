"""Countries and territories, ISO 3166-1 (countries.csv)."""

from __future__ import annotations

from dataclasses import dataclass, field

from casework.refdata.loader import aliases, cached, fold, index, read_csv, search, unique


@dataclass(frozen=True, slots=True)
class Country:
    alpha2: str
    alpha3: str
    numeric: str  # three digits, zero-padded: "068"
    name_es: str
    name_en: str
    aliases: tuple[str, ...] = field(default=(), compare=False, repr=False)


@cached
def countries() -> tuple[Country, ...]:
    """ISO 3166-1 countries and territories, ordered by Spanish name."""
    rows = [
        Country(
            alpha2=r["alpha2"].upper(),
            alpha3=r["alpha3"].upper(),
            numeric=r["numeric"].zfill(3),
            name_es=r["name_es"],
            name_en=r["name_en"],
            aliases=aliases(r.get("aliases", "")),
        )
        for r in read_csv("countries.csv")
    ]
    rows.sort(key=lambda c: fold(c.name_es))
    return unique(rows, lambda c: c.alpha3, "countries.csv")


@cached
def _country_index() -> tuple[dict[str, Country], dict[str, Country]]:
    codes: dict[str, Country] = {}
    for c in countries():
        codes[c.alpha2] = c
        codes[c.alpha3] = c
        codes[str(int(c.numeric))] = c
    names = index(
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
    return names.get(fold(text))


def search_countries(text: str, limit: int = 10) -> list[Country]:
    """Countries whose Spanish/English name or alias starts with, then contains, ``text``."""
    return search(
        fold(text),
        (*((c.name_es, c) for c in countries()), *((c.name_en, c) for c in countries())),
        ((a, c) for c in countries() for a in c.aliases),
        limit,
    )


@cached
def _nationality_index() -> dict[str, Country]:
    by_alpha3 = {c.alpha3: c for c in countries()}
    out: dict[str, Country] = {}
    for row in read_csv("nationality_aliases.csv"):
        code = row["alpha3"].upper()
        if code not in by_alpha3:
            raise ValueError(f"nationality_aliases.csv: unknown code {code!r} ({row['alias']})")
        key = fold(row["alias"])
        if key:
            out.setdefault(key, by_alpha3[code])
    return out


def match_country(text: str) -> Country | None:
    """Country as a spreadsheet gives a nationality: ISO code, Spanish or English name,
    alias or demonym ("venezolana", "haitian"; nationality_aliases.csv), ignoring accents,
    case and punctuation."""
    found = country(text)
    if found is not None:
        return found
    return _nationality_index().get(fold(text))
