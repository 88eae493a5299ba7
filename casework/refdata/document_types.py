"""Identifier types, HL7 Chile CL Core CSTipoIdentificador (document_types.csv)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from casework.refdata.loader import aliases, as_bool, cached, fold, index, read_csv, unique


@dataclass(frozen=True, slots=True)
class DocumentType:
    code: str  # CL Core CSTipoIdentificador, "01".."14"
    key: str  # run, run_provisional, run_mother, folio, passport, national_id, ...
    name_es: str
    name_en: str
    checked_mod11: bool  # only the RUN carries a módulo-11 check digit
    aliases: tuple[str, ...] = field(default=(), compare=False, repr=False)


@cached
def document_types() -> tuple[DocumentType, ...]:
    """Identifier types (HL7 Chile CL Core CSTipoIdentificador), ordered by code."""
    rows = [
        DocumentType(
            code=r["code"].zfill(2),
            key=r["key"],
            name_es=r["name_es"],
            name_en=r["name_en"],
            checked_mod11=as_bool(r["checked_mod11"]),
            aliases=aliases(r.get("aliases", "")),
        )
        for r in read_csv("document_types.csv")
    ]
    rows.sort(key=lambda d: d.code)
    unique(rows, lambda d: d.code, "document_types.csv")
    return unique(rows, lambda d: d.key, "document_types.csv")


@cached
def _document_index() -> dict[str, DocumentType]:
    return index(
        [
            *((d.key, d) for d in document_types()),
            *((a, d) for d in document_types() for a in d.aliases),
            *((d.name_es, d) for d in document_types()),
            *((d.name_en, d) for d in document_types()),
        ]
    )


@functools.lru_cache(maxsize=512)
def document_type(code_or_key_or_alias: str) -> DocumentType | None:
    """Identifier type by CL Core code ("05", "5"), our key ("passport") or an alias
    ("pasaporte", "rut", "dni", "cedula", "otro")."""
    text = code_or_key_or_alias.strip()
    if text.isdigit():
        return next((d for d in document_types() if d.code == text.zfill(2)), None)
    return _document_index().get(fold(text))
