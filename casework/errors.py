"""Errors a user can act on. They carry a message code and parameters, translated at the edge."""

from __future__ import annotations

import dataclasses
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


class CaseworkError(Exception):
    """Base for every error the service layer raises on purpose."""

    code = "generic"

    def __init__(self, code: str | None = None, **params: Any) -> None:
        self.code = code or type(self).code
        self.params = params
        super().__init__(self.code)

    def message(self, lang: str | None = None) -> str:
        from casework.i18n import t

        return t(f"error.{self.code}", lang=lang, **self.params)

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
        return "; ".join(f"{e.field}: {e.message(lang)}" for e in self.errors)

    def for_field(self, name: str) -> FieldError | None:
        return next((e for e in self.errors if e.field == name), None)
