"""Languages the office meets, ISO 639 (languages.csv)."""

from __future__ import annotations

from dataclasses import dataclass, field

from casework.refdata.loader import aliases, cached, fold, index, read_csv, unique


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # ISO 639-1, or 639-3 when there is no 639-1 code
    name_es: str
    name_en: str
    aliases: tuple[str, ...] = field(default=(), compare=False, repr=False)


@cached
def languages() -> tuple[Language, ...]:
    """Languages the office meets, in file order (Spanish first)."""
    rows = [
        Language(
            code=r["code"].lower(),
            name_es=r["name_es"],
            name_en=r["name_en"],
            aliases=aliases(r.get("aliases", "")),
        )
        for r in read_csv("languages.csv")
    ]
    return unique(rows, lambda lang: lang.code, "languages.csv")


def language(code_or_name: str) -> Language | None:
    """Language by ISO code or by Spanish/English name or alias ("kreyol", "creole")."""
    text = code_or_name.strip()
    by_code = {lang.code: lang for lang in languages()}
    if text.lower() in by_code:
        return by_code[text.lower()]
    names = index(
        [
            *((lang.name_es, lang) for lang in languages()),
            *((lang.name_en, lang) for lang in languages()),
            *((a, lang) for lang in languages() for a in lang.aliases),
        ]
    )
    return names.get(fold(text))
