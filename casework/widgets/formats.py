"""Dates, numbers, code labels and error texts as the desk shows them: pure functions of the
UI language and the reference data, no Textual (screens, widgets and tests share them)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from casework import clock, refdata, rut
from casework.db import busy_error
from casework.errors import CaseworkError, InvalidInput
from casework.i18n import current_language, t


def fmt_date(value: dt.date | None) -> str:
    """dd-mm-yyyy in Spanish, yyyy-mm-dd in English."""
    if value is None:
        return "—"
    if current_language() == "es":
        return value.strftime("%d-%m-%Y")
    return value.isoformat()


def fmt_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    local = value.astimezone()
    return f"{fmt_date(local.date())} {local:%H:%M}"


_DATE_FORMS = (
    re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
)


def parse_date(text: str) -> dt.date | None:
    """dd-mm-yyyy, d/m/yyyy or yyyy-mm-dd; None for empty; ValueError when unreadable."""
    text = text.strip()
    if not text:
        return None
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
    raise ValueError(text)


def age_text(birth: dt.date | None) -> str:
    if birth is None:
        return "—"
    today = clock.today()
    years = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return str(years)


def country_name(code: str | None) -> str:
    if not code:
        return "—"
    country = refdata.country(code)
    if country is None:
        return code
    return country.name_es if current_language() == "es" else country.name_en


def commune_name(code: str | None) -> str:
    found = refdata.commune(code) if code else None
    return found.name if found else (code or "—")


def code_label(code_list: tuple[refdata.Code, ...], key: str | None) -> str:
    if not key:
        return "—"
    return refdata.label(code_list, key.replace("-", "_"), current_language()) or key


def doc_text(document: str | None) -> str:
    """ "run:12345678-5" -> "RUN 12.345.678-5"."""
    if not document:
        return "—"
    type_key, _, number = document.partition(":")
    doc_type = refdata.document_type(type_key)
    if doc_type is not None and doc_type.checked_mod11:
        return f"RUN {rut.display(number)}"
    name = (
        doc_type.name_es
        if doc_type and current_language() == "es"
        else (doc_type.name_en if doc_type else type_key)
    )
    short = {"passport": "Pas.", "national_id": "DNI", "ipe": "IPE", "ipa": "IPA"}.get(
        type_key, name
    )
    return f"{short} {number}"


_LOCAL_NAMES: dict[str, tuple[str, str]] = {}
"""Names of the office's own destinations (services/catalogue.py), deactivated ones too:
loaded at sign-in and whenever the administrator's screen reloads the catalogue."""


def remember_destinations(local: Iterable[Any]) -> None:
    """Keep the names of the office's own destinations (``LocalDestinationOut`` rows)."""
    _LOCAL_NAMES.clear()
    _LOCAL_NAMES.update({d.key: (d.name_es, d.name_en or d.name_es) for d in local})


def destination_name(key: str) -> str:
    dest = refdata.destination(key)
    if dest is not None:
        names = (dest.name_es, dest.name_en)
    elif key in _LOCAL_NAMES:
        names = _LOCAL_NAMES[key]
    else:
        return key
    return names[0] if current_language() == "es" else names[1]


def route_name(route_id: str) -> str:
    route = refdata.route(route_id)
    if route is None:
        return route_id
    return route.name_es if current_language() == "es" else route.name_en


def item_text(route_id: str, item_key: str) -> str:
    """A guidance checklist item ("step:..." or "document:...") in the UI language."""
    route = refdata.route(route_id)
    kind, _, key = item_key.partition(":")
    if route is None:
        return key
    items = route.steps if kind == "step" else route.documents
    found = next((i for i in items if i.key == key), None)
    if found is None:
        return key
    return found.text_es if current_language() == "es" else found.text_en


def error_text(exc: BaseException) -> str:
    if isinstance(exc, CaseworkError):
        return exc.message()
    busy = busy_error(exc)  # a lock lost outside a service's session: say so, not "unexpected"
    if busy is not None:
        return busy.message()
    return t("ui.unexpected_error", error=type(exc).__name__)


def field_errors(exc: BaseException) -> dict[str, str]:
    """Field name (last part of the path) -> translated message, for an InvalidInput."""
    if not isinstance(exc, InvalidInput):
        return {}
    out: dict[str, str] = {}
    for error in exc.errors:
        parts = [p for p in error.field.split(".") if not p.isdigit()]
        name = parts[-1] if parts else "form"
        if len(parts) >= 2 and parts[-2] == "documents":
            name = "documents"
        out.setdefault(name, error.message())
    return out


def matched_text(codes: Iterable[str]) -> str:
    """What a search matched, as the worker reads it: ["name", "surname_near"] ->
    "nombre, apellido ~1 letra"."""
    return ", ".join(t(f"search.matched.{code}") for code in codes) or "—"
