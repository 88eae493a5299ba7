"""Communes and regions of Chile (communes.csv)."""

from __future__ import annotations

from dataclasses import dataclass, field

from casework.refdata.loader import aliases, cached, fold, index, read_csv, search, unique


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


@cached
def communes() -> tuple[Commune, ...]:
    """The 346 communes of Chile, ordered by CUT code."""
    rows = [
        Commune(
            code=r["code"].zfill(5),
            name=r["name"],
            province=r["province"],
            region_code=r["region_code"].zfill(2),
            region=r["region"],
            aliases=aliases(r.get("aliases", "")),
        )
        for r in read_csv("communes.csv")
    ]
    return unique(sorted(rows, key=lambda c: c.code), lambda c: c.code, "communes.csv")


@cached
def _commune_by_code() -> dict[str, Commune]:
    return {c.code: c for c in communes()}


@cached
def _commune_by_name() -> dict[str, Commune]:
    names = [(c.name, c) for c in communes()]
    alias_names = [(a, c) for c in communes() for a in c.aliases]
    return index([*names, *alias_names])


def commune(code: str) -> Commune | None:
    """Commune by CUT code ("13101"; "1101" is read as "01101")."""
    code = code.strip()
    return _commune_by_code().get(code.zfill(5)) if code.isdigit() else None


def find_commune(text: str) -> Commune | None:
    """Commune by CUT code or by name, ignoring accents, case and punctuation."""
    text = text.strip()
    if text.isdigit():
        return commune(text)
    return _commune_by_name().get(fold(text))


def search_communes(text: str, limit: int = 10) -> list[Commune]:
    """Communes whose name (or alias) starts with, then contains, ``text``."""
    return search(
        fold(text),
        ((c.name, c) for c in communes()),
        ((a, c) for c in communes() for a in c.aliases),
        limit,
    )


@cached
def regions() -> tuple[Region, ...]:
    """The 16 regions, ordered by code."""
    seen = {c.region_code: c.region for c in communes()}
    return tuple(Region(code, name) for code, name in sorted(seen.items()))


@cached
def _commune_by_alias() -> dict[str, Commune]:
    """Names, aliases and the desk abbreviations of commune_aliases.csv, folded with their
    spaces removed ("P.A.C." and "PAC" are one key)."""
    by_code = _commune_by_code()
    out: dict[str, Commune] = {}
    for text, found in _commune_by_name().items():
        out.setdefault(text.replace(" ", ""), found)
    for row in read_csv("commune_aliases.csv"):
        code = row["cut"].zfill(5)
        if code not in by_code:
            raise ValueError(f"commune_aliases.csv: unknown CUT code {code!r} ({row['alias']})")
        key = fold(row["alias"]).replace(" ", "")
        if key:
            out.setdefault(key, by_code[code])
    return out


_REGION_SUFFIXES = (
    "region metropolitana de santiago",
    "region metropolitana",
    "metropolitana",
    "region",
    "rm",
    "r m",
    "chile",
    "santiago",
    "stgo",
)
_PREFIXES = ("comuna de ", "comuna ")


def match_commune(text: str) -> Commune | None:
    """Commune as desks type it: CUT code, name, alias or abbreviation ("Stgo Centro",
    "Est. Central", "PAC"), ignoring accents, case, punctuation and spaces, and a trailing
    region ("La Florida, RM", "Maipú (Región Metropolitana)")."""
    text = text.strip()
    if not text:
        return None
    found = find_commune(text)
    if found is not None:
        return found
    index_ = _commune_by_alias()
    candidates = [text]
    if "," in text:
        candidates.append(text.split(",", 1)[0])
    for candidate in candidates:
        folded = fold(candidate)
        for prefix in _PREFIXES:
            if folded.startswith(prefix):
                folded = folded[len(prefix) :]
        while True:
            hit = index_.get(folded.replace(" ", ""))
            if hit is not None:
                return hit
            for suffix in _REGION_SUFFIXES:
                if folded.endswith(" " + suffix):
                    folded = folded[: -len(suffix) - 1].strip()
                    break
            else:
                break
    return None
