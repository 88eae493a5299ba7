"""Form fields: a label, the input and the line under it where its error shows; a date
typed as dd-mm-aaaa; a document number."""

from __future__ import annotations

import datetime as dt
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from casework.i18n import t
from casework.text import alnum_upper
from casework.widgets.formats import parse_date


class FieldError(Static):
    """The line under a field that says what is wrong with it; hidden until then. Its id is
    ``error-<field name>``, the name the services give the field in an InvalidInput."""

    def __init__(self, name: str) -> None:
        super().__init__("", id=f"error-{name}", classes="field-error error")
        self.display = False

    def show(self, message: str) -> None:
        self.update(message)
        self.display = True

    def clear(self) -> None:
        self.display = False


def error_slot(name: str) -> FieldError:
    """The error line of field ``name`` (see :class:`FieldError`)."""
    return FieldError(name)


def labelled(label: str, widget: Widget, *, error: str | None = None) -> ComposeResult:
    """A form field stacked: its label, the widget, and (with ``error``) its error line."""
    yield Label(label)
    yield widget
    if error is not None:
        yield FieldError(error)


def labelled_row(label: str, widget: Widget, *, error: str) -> ComposeResult:
    """A form field on one line (label beside the widget), its error line below."""
    with Horizontal(classes="row"):
        yield Label(label)
        yield widget
    yield FieldError(error)


class DateInput(Input):
    """A date typed as dd-mm-aaaa (also d/m/aaaa or aaaa-mm-dd); the hint says so."""

    def __init__(self, value: str | None = None, *, id: str, **kwargs: Any) -> None:
        kwargs.setdefault("placeholder", t("ui.date_hint"))
        kwargs.setdefault("compact", True)
        super().__init__(value, id=id, **kwargs)

    @property
    def date(self) -> dt.date | None:
        """The date typed; None when empty; ValueError when it cannot be read."""
        return parse_date(self.value)


class DocumentInput(Input):
    """A document number (a RUN with its check digit, a passport...): what is typed stays
    as typed; ``number`` is it without spaces around, ``comparable`` without punctuation."""

    def __init__(self, value: str | None = None, *, id: str, **kwargs: Any) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(value, id=id, **kwargs)

    @property
    def number(self) -> str:
        return self.value.strip()

    @property
    def comparable(self) -> str:
        """Upper-case letters and digits only: "12.345.678-5" and "123456785" are equal."""
        return alnum_upper(self.value)
