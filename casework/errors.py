"""Errors a user can act on. They carry a message code and parameters, translated at the edge."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def message(self, lang: str | None = None) -> str:
        from casework.i18n import t

        return t(f"error.{self.code}", lang=lang, **self.params)


FIELD_LABELS = (
    "spanish.field",
    "ui.field",
    "edit.field",
    "concurrency.field",
    "protection.readable.field",
)
"""Where the catalogues name the fields the services check (the first that names it wins)."""


def field_label(location: str, lang: str | None = None) -> str | None:
    """A field the services name by its place in what was sent ("person.documents.0.number",
    "username") as the worker reads it ("Número de documento"); None when no catalogue
    names it: the message is then shown alone, never with the internal location."""
    from casework.i18n import t

    parts = [p for p in location.split(".") if p and not p.isdigit()]
    for name in reversed(parts):
        for prefix in FIELD_LABELS:
            key = f"{prefix}.{name}"
            text = t(key, lang=lang)
            if text != key:
                return text[:1].upper() + text[1:]
    return None


class CaseworkError(Exception):
    """Base for every error the service layer raises on purpose."""

    code = "generic"

    def __init__(self, code: str | None = None, **params: Any) -> None:
        self.code = code or type(self).code
        self.params = params
        super().__init__(self.code)

    def message(self, lang: str | None = None) -> str:
        from casework.i18n import t

        params = dict(self.params)
        if self.code == "role_required" and isinstance(params.get("role"), str):
            # Role codes ("supervisor / admin") by the names the desk shows.
            params["role"] = " / ".join(
                t(f"role.{r.strip()}", lang=lang) for r in params["role"].split("/")
            )
        return t(f"error.{self.code}", lang=lang, **params)

    def __str__(self) -> str:
        return self.message()


class NotFound(CaseworkError):
    code = "not_found"


class Conflict(CaseworkError):
    code = "conflict"


class NotAllowed(CaseworkError):
    code = "not_allowed"


class Busy(Conflict):
    """The database stayed locked by another operation (an import, a scan) past the wait:
    nothing was written, and the same action can simply be tried again."""

    code = "database_busy"


class InvalidTransition(CaseworkError):
    code = "invalid_transition"


class InvalidInput(CaseworkError):
    """One or more fields are wrong; nothing was written."""

    code = "invalid_input"

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__(self.code, count=len(errors))

    def message(self, lang: str | None = None) -> str:
        parts = []
        for e in self.errors:
            label = field_label(e.field, lang)
            parts.append(f"{label}: {e.message(lang)}" if label else e.message(lang))
        return "; ".join(parts)

    def for_field(self, name: str) -> FieldError | None:
        return next((e for e in self.errors if e.field == name), None)


@dataclass(frozen=True)
class FieldConflict:
    """One field another desk changed while a form was open: the value the form started
    from, the value now on record and the value the worker typed. ``labels`` names where
    the values' display names are (an i18n prefix such as ``"fu"``, or ``"codes:<list>"``
    for a code list of casework/data/codes.toml)."""

    field: str
    base: Any
    current: Any
    typed: Any
    labels: str | None = None

    def label(self, lang: str | None = None) -> str:
        from casework.i18n import t

        for key in (f"concurrency.field.{self.field}", f"ui.merge_field.{self.field}"):
            text = t(key, lang=lang)
            if text != key:
                return text
        return self.field

    def message(self, lang: str | None = None) -> str:
        from casework.i18n import t

        return t(
            "error.edit_conflict_field",
            lang=lang,
            field=self.label(lang),
            base=shown(self.base, self.labels, lang),
            current=shown(self.current, self.labels, lang),
            typed=shown(self.typed, self.labels, lang),
        )


class EditConflict(Conflict):
    """Another desk changed what this edit started from: nothing of the edit was written.

    ``conflicts`` lists every such field. A message code other than ``edit_conflict`` gives
    a headline of its own (who closed a follow-up, and when); its ``params`` are shown as
    values (dates in the UI language's form, codes by the names ``labels`` gives them), and
    ``list_fields=False`` leaves the per-field lines out when the headline says it all."""

    code = "edit_conflict"

    def __init__(
        self,
        conflicts: Sequence[FieldConflict] = (),
        code: str | None = None,
        *,
        labels: Mapping[str, str] | None = None,
        list_fields: bool = True,
        **params: Any,
    ) -> None:
        self.conflicts = tuple(conflicts)
        self.labels = dict(labels or {})
        self.list_fields = list_fields
        super().__init__(code, **params)

    def for_field(self, name: str) -> FieldConflict | None:
        return next((c for c in self.conflicts if c.field == name), None)

    def message(self, lang: str | None = None) -> str:
        from casework.i18n import t

        params = {k: shown(v, self.labels.get(k), lang) for k, v in self.params.items()}
        head = t(f"error.{self.code}", lang=lang, **params)
        if not self.list_fields:
            return head
        return " ".join([head, *(c.message(lang) + "." for c in self.conflicts)])


def shown(value: Any, labels: str | None = None, lang: str | None = None) -> str:
    """A stored value as a worker reads it in a message: dates in the UI language's form,
    codes by their names, lists joined, nothing as "(vacío)"."""
    from casework.i18n import current_language, t

    lang = lang or current_language()
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None or value == "" or (isinstance(value, list | tuple | set) and not value):
        return t("error.value_empty", lang=lang)
    if isinstance(value, bool):
        return t("error.value_yes" if value else "error.value_no", lang=lang)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(shown(v, labels, lang) for v in value)
    if isinstance(value, dt.datetime):
        local = value.astimezone()
        day = local.strftime("%d-%m-%Y") if lang == "es" else local.date().isoformat()
        return f"{day} {local:%H:%M}"
    if isinstance(value, dt.date):
        return value.strftime("%d-%m-%Y") if lang == "es" else value.isoformat()
    text = str(value)
    if labels and labels.startswith("codes:"):
        from casework import refdata

        found = refdata.label(refdata.code_list(labels[6:]), text.replace("-", "_"), lang)
        return found or text
    if labels:
        key = f"{labels}.{text}"
        found = t(key, lang=lang)
        return text if found == key else found
    return text
