"""Regularization routes (routes/*.toml), one route per file, and the screener that
proposes them from yes/no answers to screening.toml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Final

from casework.refdata.loader import (
    cached,
    override_dir,
    parse_toml,
    shipped,
    str_field,
    str_list,
    table_list,
    unique,
)
from casework.refdata.screening import screening_questions

#: Where a route can be requested from.
APPLY_FROM: Final = ("abroad", "in_chile", "institution")
_CONDITION_KINDS: Final = ("all", "any", "none")


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
    before: bool = False
    """Counted back from its date (the window that opens ``days`` before a permit expires)."""


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


def _route_files() -> list[tuple[str, str]]:
    """(file name, text) of every routes/*.toml, overrides replacing shipped files."""
    texts: dict[str, str] = {}
    shipped_dir = shipped("routes")
    if shipped_dir.is_dir():
        for node in shipped_dir.iterdir():
            if node.name.endswith(".toml") and not node.name.startswith("_"):
                texts[node.name] = node.read_text(encoding="utf-8")
    override = override_dir()
    if override is not None and (override / "routes").is_dir():
        for path in (override / "routes").glob("*.toml"):
            if not path.name.startswith("_"):
                texts[path.name] = path.read_text(encoding="utf-8")
    return sorted(texts.items())


def _parse_route(name: str, text: str, known: set[str]) -> Route:
    where = f"routes/{name}"
    data = parse_toml(text, where)

    apply_from = str_list(data, "apply_from", where)
    if not apply_from or not set(apply_from) <= set(APPLY_FROM):
        raise ValueError(f"{where}: apply_from must be a non-empty subset of {APPLY_FROM}")

    elig_raw = data.get("eligibility", {})
    if not isinstance(elig_raw, dict):
        raise ValueError(f"{where}: [eligibility] must be a table")
    unknown_kinds = set(elig_raw) - {*_CONDITION_KINDS, "notes"}
    if unknown_kinds:
        raise ValueError(f"{where}: unknown eligibility entries {sorted(unknown_kinds)}")
    eligibility = {kind: str_list(elig_raw, kind, where) for kind in _CONDITION_KINDS}
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
        RouteStep(
            str_field(t, "key", where),
            str_field(t, "text_es", where),
            str_field(t, "text_en", where),
        )
        for t in table_list(data, "steps", where)
    )
    documents = tuple(
        RouteDocument(
            str_field(t, "key", where),
            str_field(t, "text_es", where),
            str_field(t, "text_en", where),
            str_field(t, "note_es", where, ""),
        )
        for t in table_list(data, "documents", where)
    )
    deadlines: list[RouteDeadline] = []
    for t in table_list(data, "deadlines", where):
        days, business = t.get("days"), t.get("business_days", False)
        before = t.get("before", False)
        if not isinstance(days, int) or days <= 0 or not isinstance(business, bool):
            raise ValueError(f"{where}: deadline days must be a positive integer")
        if not isinstance(before, bool):
            raise ValueError(f"{where}: deadline before must be true or false")
        deadlines.append(
            RouteDeadline(
                str_field(t, "key", where),
                days,
                str_field(t, "text_es", where),
                str_field(t, "text_en", where),
                business,
                before,
            )
        )
    unique(steps, lambda x: x.key, f"{where} [[steps]]")
    unique(documents, lambda x: x.key, f"{where} [[documents]]")
    unique(deadlines, lambda x: x.key, f"{where} [[deadlines]]")

    return Route(
        id=str_field(data, "id", where),
        name_es=str_field(data, "name_es", where),
        name_en=str_field(data, "name_en", where),
        apply_from=apply_from,
        summary_es=str_field(data, "summary_es", where),
        summary_en=str_field(data, "summary_en", where),
        eligibility=MappingProxyType(eligibility),
        steps=steps,
        documents=documents,
        deadlines=tuple(deadlines),
        fees_es=str_field(data, "fees_es", where),
        who_files_es=str_field(data, "who_files_es", where),
        sources=str_list(data, "sources", where),
        last_reviewed=reviewed,
        notes=MappingProxyType(notes),
        caveat_es=str_field(data, "caveat_es", where, ""),
        order=order,
    )


@cached
def routes() -> tuple[Route, ...]:
    """Every regularization route in routes/*.toml, by ``order`` then id."""
    known = {q.key for q in screening_questions()}
    items = [_parse_route(name, text, known) for name, text in _route_files()]
    items.sort(key=lambda r: (r.order, r.id))
    return unique(items, lambda r: r.id, "routes/")


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
