"""Correct and complete a person at any later visit: one scrolling form over everything
the file holds about who the person is (services/person_edit.py decides what needs a
reason, what conflicts, what is saved; this form only presents and reads what was typed).

Opened from the person file (i) and, for a rectification request, from the rights register.
Ctrl+S saves everything in one call; an error shows beside its field and nothing typed is
lost; a field another desk changed meanwhile shows what is on record now.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Input, Select, Static
from textual.worker import get_current_worker

from casework import refdata
from casework.errors import EditConflict, InvalidInput, shown
from casework.i18n import current_language, t
from casework.screens.base import CaseworkScreen
from casework.screens.forms import BAD_DATE, FormModal
from casework.services import person_edit, persons
from casework.services.person_edit import EditForm, EditResult
from casework.services.person_file import HouseholdLinkOut, HouseholdOut
from casework.services.schemas import PersonSummary
from casework.widgets import (
    DateInput,
    DocumentInput,
    FieldError,
    PersonPicker,
    code_label,
    commune_name,
    country_name,
    destination_name,
    error_slot,
    error_text,
    fmt_date,
    labelled,
    parse_date,
)

SEARCH_LIMIT = 8

_TEXT_FIELDS = (
    "given_names",
    "first_surname",
    "second_surname",
    "social_name",
    "phone",
    "phone2",
    "email",
    "address",
)
_IDENTITY_TEXT = ("given_names", "first_surname", "second_surname")
_CONTACT_TEXT = ("social_name", "phone", "phone2", "email", "address")


def _name(item: Any) -> str:
    return str(item.name_es if current_language() == "es" else item.name_en)


def _codes(codes: tuple[Any, ...]) -> list[tuple[str, str]]:
    return [(_name(c), c.key) for c in codes]


def field_label(name: str) -> str:
    """A changed field's name as the worker reads it (documents and household rows by their
    section)."""
    if name.startswith("doc_"):
        name = "documents"
    elif name.startswith("household_"):
        name = "household"
    return t(f"edit.field.{name}")


def correction_text(data: dict[str, Any], whole: bool = False) -> tuple[str, str]:
    """(what, detail) of a correction: on the timeline line, the fields changed; ``whole``
    (the viewer), each change as before → after, and the reason given."""
    what = t("edit.timeline_rectification" if data.get("rectification") else "edit.timeline")
    fields = ", ".join(field_label(f) for f in data.get("fields", []))
    if not whole:
        return what, fields
    lines = [
        f"{field_label(c.get('field', ''))}: {change_value(c.get('before'), c.get('field'))} → "
        f"{change_value(c.get('after'), c.get('field'))}"
        for c in data.get("changes", [])
    ]
    if data.get("reason"):
        lines.append(t("edit.viewer_reason", reason=data["reason"]))
    return what, "\n".join(lines) or fields


def change_value(value: Any, field: str | None = None) -> str:
    """A value before or after a correction of ``field``, as the worker reads it: coded
    values by their names, dates dd-mm-aaaa, a document or household row by what it says
    (never by its ids), an empty value as —."""
    if value is None or value == "" or value == []:
        return "—"
    if field in _NAMED:
        return _NAMED[field](value)
    if isinstance(value, bool):
        return t("ui.yes") if value else t("ui.no")
    if isinstance(value, list):
        return ", ".join(change_value(v) for v in value)
    if isinstance(value, dict):
        parts = [
            _part(k, v)
            for k, v in value.items()
            if v not in (None, "", False) and not k.endswith("_id") and k != "live"
        ]
        return " ".join(parts) or "—"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return fmt_date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _language(code: Any) -> str:
    found = refdata.language(str(code))
    if found is None:
        return str(code)
    return found.name_es if current_language() == "es" else found.name_en


_NAMED: dict[str, Callable[[Any], str]] = {
    "commune_code": commune_name,
    "nationality": country_name,
    "birth_country": country_name,
    "sex": lambda v: t(f"sex.{v}"),
    "languages": lambda v: (
        ", ".join(_language(c) for c in v) if isinstance(v, list) else _language(v)
    ),
}
"""Fields whose stored value is a code: how the worker reads it."""


def _part(key: str, value: Any) -> str:
    """One part of a document, household or consent row, coded values by their names."""
    if key == "type":
        found = refdata.document_type(str(value))
        if found is not None:
            return found.name_es if current_language() == "es" else found.name_en
    if key == "relationship":
        return code_label(refdata.RELATIONSHIPS, value)
    if key == "purpose":
        return t(f"consent.{value}")
    if key == "issuing_country":
        return country_name(value)
    return change_value(value)


def household_line(h: HouseholdOut) -> str:
    """A household member on the person's file; a linked one by the name on record."""
    who = h.related_name or h.name or "—"
    born = f", {h.birth_year}" if h.birth_year else ""
    rel = code_label(refdata.RELATIONSHIPS, h.relationship_key)
    return f"{who} ({rel}{born})" + (" ↔" if h.related_person_id else "")


def household_of_line(link: HouseholdLinkOut) -> str:
    """The link back, on the linked member's file: "Padre / madre de X"."""
    if link.inverse_key is None:
        return t("edit.household_of_plain", name=link.name)
    rel = code_label(refdata.RELATIONSHIPS, link.inverse_key)
    return f"{link.name} ({rel}) ↔"


def open_edit_form(
    screen: CaseworkScreen,
    person_id: uuid.UUID,
    *,
    reason: str | None = None,
    rights_request_id: uuid.UUID | None = None,
    on_saved: Callable[[bool | None], None] | None = None,
) -> None:
    """Read the form's data (one service call), then open the form over ``screen``."""

    def loaded(form: EditForm) -> None:
        screen.app.push_screen(PersonEditModal(form, reason), on_saved)

    screen.call_service(
        person_edit.form,
        screen.ctx,
        person_id,
        reason=reason,
        rights_request_id=rights_request_id,
        on_done=loaded,
        on_error=lambda exc: screen.notify(error_text(exc), severity="error", timeout=8),
    )


class PersonEditModal(FormModal):
    """The edit form. ``form`` is its read model: the values it starts from."""

    TITLE_KEY = "edit.title"

    def __init__(self, form: EditForm, reason: str | None = None) -> None:
        super().__init__(reason)
        self.form = form
        self.person_id = form.person_id
        self.shown: dict[str, str] = {}
        """Each field's text as the form opened (or as rebased): typed differently, changed."""
        self.link: PersonSummary | None = None
        """The person on record the new household member is linked to."""
        self.sent_docs: list[str] = []
        self.sent_household: list[str] = []
        self.result: EditResult | None = None

    # Layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        f = self.form
        title = "edit.title_rectification" if f.rights_request_id else "edit.title"
        # The keys and the message stay below the scrolling fields (not docked over them:
        # a field the cursor moves to is never hidden behind them).
        with Vertical(classes="modal-box", id="person-edit-box"):
            with VerticalScroll(id="person-edit"):
                yield from self._fields(title)
            with Vertical(classes="form-foot"):
                yield Static("", id="form-error", classes="error")
                yield Static(t("edit.keys"), classes="help-text form-keys")

    def _fields(self, title: str) -> ComposeResult:
        f = self.form
        yield Static(t(title, name=f.full_name), classes="title")
        if f.rights_request_id:
            yield Static(t("edit.rectification_intro"), classes="help-text")
        yield Static(t("edit.identity"), classes="section")
        yield Static(t("edit.identity_hint"), classes="help-text")
        for name in _IDENTITY_TEXT:
            yield from self._text(name, t(f"ui.merge_field.{name}"))
        yield from labelled(
            t("ui.merge_field.sex"),
            Select(
                [(t("sex.F"), "F"), (t("sex.M"), "M"), (t("sex.X"), "X")],
                value=f.values.get("sex") or Select.NULL,
                id="sex",
                compact=True,
                prompt="—",
            ),
            error="sex",
        )
        self.shown["sex"] = str(f.values.get("sex") or "")
        birth = self._date_text(f.values.get("birth_date"))
        self.shown["birth_date"] = birth
        yield from labelled(
            t("ui.merge_field.birth_date"),
            DateInput(birth, id="birth_date"),
            error="birth_date",
        )
        precision = f.values.get("birth_date_precision") or "unknown"
        self.shown["birth_date_precision"] = precision
        yield from labelled(
            t("edit.precision"),
            Select(
                [(t(f"edit.precision_{p}"), p) for p in ("exact", "month", "year", "unknown")],
                value=precision,
                allow_blank=False,
                id="birth_date_precision",
                compact=True,
            ),
            error="birth_date_precision",
        )
        countries = sorted(_name(c) for c in refdata.countries())
        for name in ("nationality", "birth_country"):
            code = f.values.get(name)
            self.shown[name] = country_name(code) if code else ""
            yield from labelled(
                t(f"ui.merge_field.{name}"),
                Input(
                    self.shown[name],
                    id=name,
                    compact=True,
                    suggester=SuggestFromList(countries, case_sensitive=False),
                ),
                error=name,
            )
        yield Static(t("edit.documents"), classes="section")
        for i, d in enumerate(f.documents):
            yield from self._document(str(i), d.type_key, d.number, d.expires_on)
        yield Static(t("edit.document_new"), classes="help-text")
        yield from self._document("new", "run", "", None)
        yield from labelled(
            t("edit.reason"),
            Input(placeholder=t("edit.reason_placeholder"), id="correction_reason", compact=True),
            error="correction_reason",
        )
        yield Static(t("edit.contact"), classes="section")
        for name in _CONTACT_TEXT:
            yield from self._text(name, t(f"ui.merge_field.{name}"))
        communes = sorted(c.name for c in refdata.communes())
        code = f.values.get("commune_code")
        self.shown["commune_code"] = commune_name(code) if code else ""
        yield from labelled(
            t("ui.merge_field.commune_code"),
            Input(
                self.shown["commune_code"],
                id="commune_code",
                compact=True,
                suggester=SuggestFromList(communes, case_sensitive=False),
            ),
            error="commune_code",
        )
        yield Static(t("edit.languages_section"), classes="section")
        languages = [(_name(x), x.code) for x in refdata.languages()]
        current = [*f.languages, "", ""]
        for slot, code in (("primary_language", current[0]), ("other_language", current[1])):
            yield from labelled(
                t(f"edit.{slot}"),
                Select(languages, value=code or Select.NULL, id=slot, compact=True, prompt="—"),
            )
        yield error_slot("languages")
        yield Checkbox(
            t("ui.field.interpreter"),
            bool(f.values.get("interpreter_needed")),
            id="interpreter_needed",
            compact=True,
        )
        yield Static(t("edit.household"), classes="section")
        for i, h in enumerate(f.household):
            yield from self._household(
                str(i), h.relationship_key, h.name, h.related_name, h.birth_year
            )
        yield Static(t("edit.household_new"), classes="help-text")
        yield from self._household("new", None, None, None, None)
        yield Input(placeholder=t("edit.household_find"), id="household_find", compact=True)
        yield Static("", id="household_found", classes="help-text")
        yield PersonPicker(id="household_picker")
        yield Static(t("edit.consents"), classes="section")
        for i, c in enumerate(f.consents):
            if c.live:
                what = t("consent." + c.purpose)
                if c.destination_key:
                    what = f"{what} {destination_name(c.destination_key)}"
                yield Checkbox(
                    t("edit.consent_revoke", what=what),
                    id=f"consent_revoke_{i}",
                    compact=True,
                )
        yield from labelled(
            t("edit.consent_new"),
            Select(
                [
                    (t("consent.case_management"), "case_management"),
                    (t("consent.statistics"), "statistics"),
                ],
                id="consent_new",
                compact=True,
                prompt="—",
            ),
            error="consents",
        )

    def _text(self, name: str, label: str) -> ComposeResult:
        value = self.form.values.get(name) or ""
        self.shown[name] = str(value)
        yield from labelled(label, Input(str(value), id=name, compact=True), error=name)

    @staticmethod
    def _date_text(value: Any) -> str:
        if not value:
            return ""
        return fmt_date(dt.date.fromisoformat(str(value)))

    def _document(
        self, row: str, type_key: str, number: str, expires: dt.date | None
    ) -> ComposeResult:
        types = [(_name(d), d.key) for d in refdata.document_types()]
        yield Select(types, value=type_key, allow_blank=False, id=f"doc_type_{row}", compact=True)
        yield DocumentInput(number, id=f"doc_number_{row}", placeholder="N°")
        yield from labelled(
            t("edit.expires"),
            DateInput(fmt_date(expires) if expires else "", id=f"doc_expires_{row}"),
        )
        yield error_slot(f"doc_{row}")

    def _household(
        self,
        row: str,
        relationship: str | None,
        name: str | None,
        linked: str | None,
        year: int | None,
    ) -> ComposeResult:
        if linked:
            yield Static(t("edit.household_linked", name=linked), classes="help-text")
        yield Select(
            _codes(refdata.RELATIONSHIPS),
            value=relationship or Select.NULL,
            id=f"hh_rel_{row}",
            prompt=t("ui.field.relationship"),
            compact=True,
        )
        yield Input(name or "", id=f"hh_name_{row}", placeholder=t("ui.field.name"), compact=True)
        yield Input(
            str(year) if year else "",
            id=f"hh_year_{row}",
            placeholder=t("ui.field.birth_year"),
            compact=True,
        )
        if row == "new":
            yield Static("", id="hh_link_new", classes="help-text")
        else:
            yield Checkbox(t("edit.household_remove"), id=f"hh_remove_{row}", compact=True)
        yield error_slot(f"household_{row}")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#household_picker", PersonPicker).display = False
        self.query_one("#given_names", Input).focus(scroll_visible=False)
        box = self.query_one("#person-edit", VerticalScroll)
        self.call_after_refresh(box.scroll_home, animate=False)

    # The household search ------------------------------------------------------------------

    @on(Input.Changed, "#household_find")
    def _find(self, event: Input.Changed) -> None:
        text = event.value
        picker = self.query_one("#household_picker", PersonPicker)
        if len(text.strip()) < 2:
            picker.display = False
            self.query_one("#household_found", Static).update("")
            return

        def work() -> None:
            found = persons.search_persons(self.ctx, text, limit=SEARCH_LIMIT)
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._found, text, found)

        self.run_worker(
            work, thread=True, exclusive=True, group="edit-find", exit_on_error=False, name="find"
        )

    def _found(self, text: str, found: list[PersonSummary]) -> None:
        if text != self.query_one("#household_find", Input).value:
            return
        self._candidates = {p.id: p for p in found if p.id != self.person_id}
        picker = self.query_one("#household_picker", PersonPicker)
        picker.show(list(self._candidates.values()))
        picker.display = bool(self._candidates)
        found_line = self.query_one("#household_found", Static)
        if self._candidates:
            found_line.update(t("edit.household_count", count=len(self._candidates)))
        else:
            found_line.update(t("edit.household_none", text=text))
        if picker.display:
            self.call_after_refresh(picker.scroll_visible, animate=False)

    @on(Input.Submitted, "#household_find")
    def _to_picker(self) -> None:
        picker = self.query_one("#household_picker", PersonPicker)
        if picker.display and picker.row_count:
            picker.focus()

    @on(PersonPicker.Picked, "#household_picker")
    def _picked(self, event: PersonPicker.Picked) -> None:
        event.stop()
        person = getattr(self, "_candidates", {}).get(event.person_id)
        if person is None:
            return
        self.link = person
        self.query_one("#hh_link_new", Static).update(
            t("edit.household_picked", name=person.full_name)
        )
        name = self.query_one("#hh_name_new", Input)
        if not name.value.strip():
            name.value = person.full_name
        self.query_one("#household_picker", PersonPicker).display = False
        self.query_one("#hh_rel_new", Select).focus()

    # Reading what was typed ----------------------------------------------------------------

    def _typed(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    def _select(self, widget_id: str) -> str | None:
        value = self.query_one(f"#{widget_id}", Select).value
        return None if value is Select.NULL else str(value)

    def _person_changes(self) -> dict[str, Any] | None:
        """The person fields typed differently from what the form opened with; None when a
        date cannot be read (its message is beside it)."""
        values = self.form.values
        out: dict[str, Any] = {}
        for name in (*_TEXT_FIELDS, "nationality", "birth_country", "commune_code"):
            typed = self._typed(name)
            if typed != self.shown[name].strip():
                out[name] = {"base": values.get(name), "new": typed or None}
        for name in ("sex", "birth_date_precision"):
            chosen = self._select(name) or ""
            if chosen != self.shown[name]:
                out[name] = {"base": values.get(name), "new": chosen or None}
        if self._typed("birth_date") != self.shown["birth_date"]:
            birth = self.read_date("birth_date")
            if birth is BAD_DATE:
                return None
            out["birth_date"] = {"base": values.get("birth_date"), "new": birth}
        interpreter = self.query_one("#interpreter_needed", Checkbox).value
        if interpreter != bool(values.get("interpreter_needed")):
            out["interpreter_needed"] = {
                "base": values.get("interpreter_needed"),
                "new": interpreter,
            }
        return out

    def _documents(self) -> list[dict[str, Any]] | None:
        docs: list[dict[str, Any]] = []
        self.sent_docs = []
        rows: list[tuple[str, Any]] = [(str(i), d) for i, d in enumerate(self.form.documents)]
        rows.append(("new", None))
        for row, d in rows:
            number = self.query_one(f"#doc_number_{row}", DocumentInput).number
            if d is None and not number:
                continue
            expires_text = self.query_one(f"#doc_expires_{row}", Input).value
            try:
                expires = parse_date(expires_text)
            except ValueError:
                self.query_one(f"#error-doc_{row}", FieldError).show(t("error.bad_date"))
                return None
            new = {
                "type": self._select(f"doc_type_{row}"),
                "number": number,
                "issuing_country": d.issuing_country if d is not None else None,
                "expires_on": expires.isoformat() if expires else None,
            }
            if d is not None:
                if new == d.base:
                    continue
                docs.append({"id": str(d.id), "base": d.base, "new": new})
            else:
                docs.append({"new": new})
            self.sent_docs.append(f"doc_{row}")
        return docs

    def _year(self, row: str) -> int | object | None:
        """The birth year typed in a household row; ``BAD_DATE`` (and a message beside the
        row) when it is not a year."""
        text = self._typed(f"hh_year_{row}")
        if not text:
            return None
        if not (text.isdigit() and len(text) == 4):
            self.query_one(f"#error-household_{row}", FieldError).show(t("error.edit_bad_year"))
            return BAD_DATE
        return int(text)

    def _household_changes(self) -> list[dict[str, Any]] | None:
        """The household rows changed, added or removed; None when a year cannot be read."""
        out: list[dict[str, Any]] = []
        self.sent_household = []
        for i, h in enumerate(self.form.household):
            row = str(i)
            if self.query_one(f"#hh_remove_{row}", Checkbox).value:
                out.append({"id": str(h.id), "base": h.base})
                self.sent_household.append(f"household_{row}")
                continue
            rel = self._select(f"hh_rel_{row}")
            name = self._typed(f"hh_name_{row}") or None
            year = self._year(row)
            if year is BAD_DATE:
                return None
            if rel != h.relationship_key or name != h.name or year != h.birth_year:
                new = {**h.base, "relationship": rel, "name": name, "birth_year": year}
                out.append({"id": str(h.id), "base": h.base, "new": new})
                self.sent_household.append(f"household_{row}")
        rel = self._select("hh_rel_new")
        name = self._typed("hh_name_new") or None
        year = self._year("new")
        if year is BAD_DATE:
            return None
        if rel or name or year or self.link is not None:
            added: dict[str, Any] = {"relationship": rel or "", "name": name, "birth_year": year}
            if self.link is not None:
                added["related_person_id"] = str(self.link.id)
            out.append({"new": added})
            self.sent_household.append("household_new")
        return out

    def _languages(self) -> dict[str, Any] | None:
        chosen = [
            c for c in (self._select("primary_language"), self._select("other_language")) if c
        ]
        chosen = list(dict.fromkeys(chosen))
        if chosen == self.form.languages:
            return None
        return {"base": self.form.languages, "new": chosen}

    def action_save(self) -> None:
        for widget in self.query(".field-error"):
            widget.display = False
        person = self._person_changes()
        documents = self._documents()
        household = self._household_changes()
        if person is None or documents is None or household is None:
            self._scroll_to_error()
            return
        data: dict[str, Any] = {
            "person": person,
            "documents": documents,
            "household": household,
            "correction_reason": self._typed("correction_reason") or None,
        }
        languages = self._languages()
        if languages is not None:
            data["languages"] = languages
        revoke = [
            str(c.id)
            for i, c in enumerate(self.form.consents)
            if c.live and self.query_one(f"#consent_revoke_{i}", Checkbox).value
        ]
        if revoke:
            data["revoke_consents"] = revoke
        purpose = self._select("consent_new")
        if purpose:
            data["grant_consents"] = [{"purpose": purpose}]
        self.query_one("#form-error", Static).update("")
        self.submit(
            person_edit.save,
            self.ctx,
            self.person_id,
            data,
            reason=self.reason,
            rights_request_id=self.form.rights_request_id,
            request_id=self.request_id,
        )

    # Answers -------------------------------------------------------------------------------

    def _place(self, name: str) -> str:
        """The form's name of a field the service named by its place in what was sent."""
        for prefix, sent in (("doc_", self.sent_docs), ("household_", self.sent_household)):
            if name.startswith(prefix) and name[len(prefix) :].isdigit():
                k = int(name[len(prefix) :])
                return sent[k] if k < len(sent) else name
        return name

    def show_error(self, exc: BaseException) -> None:
        if isinstance(exc, InvalidInput):
            exc = InvalidInput(
                [dataclasses.replace(e, field=self._place(e.field)) for e in exc.errors]
            )
        if not isinstance(exc, EditConflict):
            super().show_error(exc)
            self._scroll_to_error()
            return
        for widget in self.query(".field-error"):
            widget.display = False
        names = []
        for clash in exc.conflicts:
            place = self._place(clash.field)
            names.append(field_label(place))
            beside = t(
                "edit.conflict_here",
                current=shown(clash.current, clash.labels),
                typed=shown(clash.typed, clash.labels),
            )
            for slot in self.query(f"#error-{place}"):
                slot.update(beside)  # type: ignore[attr-defined]
                slot.display = True
        again = self.rebase(exc)
        hint = "concurrency.ui.retry" if again else "concurrency.ui.kept"
        self.query_one("#form-error", Static).update(
            f"{t('edit.conflict_head', fields=', '.join(names))} {t(hint)}"
        )
        self._scroll_to_error()

    def _scroll_to_error(self) -> None:
        shown_errors = [w for w in self.query(".field-error") if w.display]
        target = shown_errors[0] if shown_errors else self.query_one("#form-error", Static)
        self.call_after_refresh(target.scroll_visible)

    def rebase(self, conflict: EditConflict) -> bool:
        """Person fields and languages: what is on record now becomes the base, so a second
        Ctrl+S saves what was typed over it. A document or household row cannot be rebased
        here (reopen the form)."""
        values = dict(self.form.values)
        languages = self.form.languages
        for clash in conflict.conflicts:
            if clash.field == "languages":
                languages = list(clash.current or [])
            elif clash.field in values:
                values[clash.field] = clash.current
            else:
                return False
        self.form = self.form.model_copy(update={"values": values, "languages": languages})
        for clash in conflict.conflicts:
            if clash.field in self.shown:
                self.shown[clash.field] = self._shown_value(clash.field, clash.current)
        return True

    def _shown_value(self, name: str, value: Any) -> str:
        if value is None:
            return ""
        if name in ("nationality", "birth_country"):
            return country_name(str(value))
        if name == "commune_code":
            return commune_name(str(value))
        if name == "birth_date":
            return self._date_text(value)
        return str(value)

    def _done(self, result: object) -> None:
        if isinstance(result, EditResult):
            self.result = result
            names = ", ".join(field_label(f) for f in result.fields)
            if not result.fields:
                # Nothing differed from the record: the form stays, and says so.
                self.query_one("#form-error", Static).update(t("edit.nothing"))
                return
            if self.form.rights_request_id:
                self.notify(t("edit.rectified", fields=names), timeout=8)
            else:
                self.notify(t("edit.saved", fields=names), timeout=8)
        super()._done(result)
