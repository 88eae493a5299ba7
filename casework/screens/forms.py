"""Small forms over the person file: contact, note, status, referral, follow-ups."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, SelectionList, Static, TextArea

from casework import refdata
from casework.errors import EditConflict
from casework.i18n import current_language, t
from casework.models.enums import ReferralStatus
from casework.screens.base import CaseworkModal
from casework.services import auth, catalogue, desk, followups, permissions, persons, referrals
from casework.services.followups import FollowUpOut
from casework.services.referrals import ReferralOut
from casework.widgets import (
    DateInput,
    FieldError,
    code_label,
    error_slot,
    error_text,
    field_errors,
    fmt_date,
    labelled,
    parse_date,
)
from casework.widgets.feedback import field_of


def _options(codes: tuple[Any, ...]) -> list[tuple[str, str]]:
    lang = current_language()
    return [(c.name_es if lang == "es" else c.name_en, c.key) for c in codes]


BAD_DATE = object()
"""What :meth:`FormModal.read_date` returns for a date it could not read."""

_DRAFTS: dict[tuple[str, str, str], dict[str, Any]] = {}
"""Forms left with Escape, by (worker, form, subject): the same worker reopening the same
form brings them back; another worker signed in at the desk never sees them."""


class FormModal(CaseworkModal[bool]):
    """A titled form; Ctrl+S saves; Escape goes back and keeps what was typed for next time
    (nothing is stored in the database until Ctrl+S)."""

    BINDINGS = [
        Binding("ctrl+s", "save", "key.save", id="save"),
        Binding("escape", "cancel", "key.cancel", id="cancel"),
    ]
    TITLE_KEY = ""
    AUTO_FOCUS = "Input, TextArea, Select, SelectionList, Checkbox, RadioSet"
    """Typing starts in the first field, not on the scrolling box around the form (Textual
    focuses only when nothing is focused yet: a subclass's ``on_mount`` focus wins)."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__()
        self.request_id = uuid.uuid4()
        """One id per opened form: a second Ctrl+S returns the first result."""
        self.saved: object = None
        """What the save returned (the new record's id), once saved."""
        self.carried: dict[str, Any] | None = None
        """Values carried in from elsewhere, joined to the kept draft when the form opens."""
        self.reason = reason
        """The reason the person's file was opened with, when it is outside the worker's
        caseload: a write about the person passes it on (services/gate.py)."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="modal-box"):
            yield Static(t(self.TITLE_KEY), classes="title")
            yield from self.fields()
            with Vertical(classes="form-foot"):
                yield Static("", id="form-error", classes="error")
                yield Static(t("ui.form.keys"), classes="help-text form-keys")

    def fields(self) -> ComposeResult:
        yield from ()

    def draft_key(self) -> tuple[str, str]:
        subject = getattr(self, "person_id", None) or getattr(self, "referral", None) or ""
        subject = getattr(subject, "id", subject)
        follow_up = getattr(self, "follow_up", None)
        if follow_up is not None:
            subject = follow_up.id
        return type(self).__name__, str(subject)

    def _values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for widget in self.query("Input, TextArea, Select, Checkbox, SelectionList"):
            if not widget.id:
                continue
            if isinstance(widget, TextArea):
                values[widget.id] = widget.text
            elif isinstance(widget, SelectionList):
                values[widget.id] = list(widget.selected)
            else:
                values[widget.id] = widget.value  # type: ignore[attr-defined]
        return values

    def _kept_at(self) -> tuple[str, str, str]:
        return (str(self.ctx.actor_id), *self.draft_key())

    def on_mount(self) -> None:
        draft = _DRAFTS.pop(self._kept_at(), None)
        if self.carried:
            draft = joined(draft or {}, self.carried)
        if draft:
            self.call_after_refresh(self._restore, draft)

    def _restore(self, draft: dict[str, Any]) -> None:
        for widget_id, value in draft.items():
            for widget in self.query(f"#{widget_id}"):
                if isinstance(widget, TextArea):
                    widget.text = value
                elif isinstance(widget, SelectionList):
                    for item in value:
                        widget.select(item)
                else:
                    widget.value = value  # type: ignore[attr-defined]

    def action_cancel(self) -> None:
        values = self._values()
        blank: tuple[Any, ...] = ("", None, False, [], Select.NULL)
        if any(v not in blank for v in values.values()):
            _DRAFTS[self._kept_at()] = values
        self.dismiss(False)

    CODE_FIELDS: dict[str, str] = {}
    """A refusal's code -> the field it is about, for refusals that are not an InvalidInput
    (a wrong current password): the message then shows beside that field."""

    def show_error(self, exc: BaseException) -> None:
        errors = field_errors(exc)
        code = getattr(exc, "code", None)
        if not errors and isinstance(code, str) and code in self.CODE_FIELDS:
            errors = {self.CODE_FIELDS[code]: error_text(exc)}
        for widget in self.query(".field-error"):
            widget.display = False
        unplaced = []
        for name, message in errors.items():
            found = self.query(f"#error-{name}")
            if found:
                found.first(Static).update(message)
                found.first(Static).display = True
            else:
                unplaced.append(message)
        if errors:
            text = "; ".join(unplaced) if unplaced else t("ui.form.fix_fields")
        else:
            text = error_text(exc)
        if isinstance(exc, EditConflict):
            # Another desk changed what this form started from: what was typed stays, and
            # the message says what is on record now.
            hint = "concurrency.ui.retry" if self.rebase(exc) else "concurrency.ui.kept"
            text = f"{text} {t(hint)}"
        self.query_one("#form-error", Static).update(text)
        self.focus_first_error()

    def focus_first_error(self) -> None:
        """Put the cursor in the first field with a message and scroll both into view: the
        worker sees what to fix without looking for it."""
        shown = [w for w in self.query(FieldError) if w.display]
        if not shown:
            return
        error = shown[0]
        name = (error.id or "").removeprefix("error-")
        fields = [w for w in self.query(f"#{name}") if w is not error and w.focusable]
        if not fields:
            # A slot named after the service's field, not the widget's id (the new worker's
            # programme_code under the programme Select): the field just before it.
            before = field_of(error, self)
            fields = [before] if before is not None else []
        if fields:
            fields[0].focus(scroll_visible=False)
        self.call_after_refresh(self._scroll_into_view, error, fields[0] if fields else None)

    def _scroll_into_view(self, error: Widget, field: Widget | None) -> None:
        # Centred: the docked foot (message and keys) covers the box's last lines.
        box = self.query_one(".modal-box")
        if field is not None:
            box.scroll_to_widget(field, animate=False, immediate=True, center=True)
        box.scroll_to_widget(error, animate=False, immediate=True, center=True)

    def rebase(self, conflict: EditConflict) -> bool:
        """Take the values now on record as what this form starts from, so that a second
        Ctrl+S saves what was typed over them; False when the edit cannot be made again."""
        return False

    def submit(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        self.call_service(fn, *args, on_done=self._done, on_error=self.show_error, **kwargs)

    def _done(self, result: object) -> None:
        _DRAFTS.pop(self._kept_at(), None)
        self.saved = result
        self.dismiss(True)

    def read_date(self, name: str, *, required: bool = False) -> dt.date | object | None:
        """The date typed in field ``name``; ``BAD_DATE`` (and a message beside the field)
        when it cannot be read, or when it is empty but required."""
        try:
            value = parse_date(self.query_one(f"#{name}", Input).value)
        except ValueError:
            value = None
        else:
            if value is not None or not required:
                return value
        self.query_one(f"#error-{name}", FieldError).show(t("error.bad_date"))
        self.focus_first_error()
        return BAD_DATE

    def action_save(self) -> None:
        raise NotImplementedError


def joined(kept: dict[str, Any], carried: dict[str, Any]) -> dict[str, Any]:
    """A form's kept draft with values carried in from elsewhere: lists are joined, two
    different texts are both kept (one paragraph each), an empty value takes the other."""
    out = dict(kept)
    for key, value in carried.items():
        have = out.get(key)
        if have in (None, "", [], False) or have == value:
            out[key] = value
        elif isinstance(have, list) and isinstance(value, list):
            out[key] = have + [v for v in value if v not in have]
        elif isinstance(have, str) and isinstance(value, str) and value.strip():
            out[key] = f"{have}\n\n{value}"
    return out


class ContactModal(FormModal):
    TITLE_KEY = "ui.form.contact_title"

    def __init__(
        self,
        person_id: uuid.UUID,
        reason: str | None = None,
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(reason)
        self.person_id = person_id
        # Typed at the intake for this visit (reasons, note): the form starts with it, added
        # to what a contact form left earlier for this person kept (nothing lost).
        self.carried = initial

    def fields(self) -> ComposeResult:
        yield from labelled(
            t("ui.field.reasons"),
            SelectionList[str](*_options(refdata.CONTACT_REASONS), id="reasons"),
            error="reasons",
        )
        yield Label(t("ui.field.channel"))
        yield Select(
            compact=True,
            prompt=t("ui.select_prompt"),
            options=_options(refdata.CONTACT_CHANNELS),
            value="desk",
            allow_blank=False,
            id="channel",
        )
        yield Label(t("ui.field.note"))
        yield TextArea(id="note")

    def action_save(self) -> None:
        data = {
            "reasons": list(self.query_one("#reasons", SelectionList).selected),
            "channel": self.query_one("#channel", Select).value,
            "note": self.query_one("#note", TextArea).text,
        }
        self.submit(
            persons.record_contact,
            self.ctx,
            self.person_id,
            data,
            request_id=self.request_id,
            reason=self.reason,
        )


class NoteModal(FormModal):
    TITLE_KEY = "ui.form.note_title"

    def __init__(self, person_id: uuid.UUID, reason: str | None = None) -> None:
        super().__init__(reason)
        self.person_id = person_id

    def fields(self) -> ComposeResult:
        yield TextArea(id="text")
        yield error_slot("text")

    def on_mount(self) -> None:
        self.query_one("#text", TextArea).focus()

    def action_save(self) -> None:
        self.submit(
            persons.add_note,
            self.ctx,
            self.person_id,
            {"text": self.query_one("#text", TextArea).text},
            request_id=self.request_id,
            reason=self.reason,
        )


class StatusModal(FormModal):
    TITLE_KEY = "ui.form.status_title"

    def __init__(
        self, person_id: uuid.UUID, current: str | None, reason: str | None = None
    ) -> None:
        super().__init__(reason)
        self.person_id = person_id
        self.current = current

    def fields(self) -> ComposeResult:
        yield Label(t("ui.field.status"))
        yield Select(
            compact=True,
            prompt=t("ui.select_prompt"),
            options=_options(refdata.MIGRATION_STATUSES),
            value=self.current or Select.NULL,
            id="status",
        )
        yield error_slot("status")
        yield from labelled(t("ui.field.subcategory"), Input(id="subcategory", compact=True))
        yield from labelled(
            t("ui.field.valid_until"), DateInput(id="valid_until"), error="valid_until"
        )
        yield from labelled(t("ui.field.application"), Input(id="sermig_application", compact=True))
        yield from labelled(t("ui.field.note"), Input(id="note", compact=True))

    def action_save(self) -> None:
        valid = self.read_date("valid_until")
        if valid is BAD_DATE:
            return
        status = self.query_one("#status", Select).value
        data = {
            "status": status if isinstance(status, str) else "",
            "subcategory": self.query_one("#subcategory", Input).value,
            "valid_until": valid,
            "sermig_application": self.query_one("#sermig_application", Input).value,
            "note": self.query_one("#note", Input).value,
        }
        self.submit(
            persons.change_status,
            self.ctx,
            self.person_id,
            data,
            request_id=self.request_id,
            reason=self.reason,
        )


class ReferralModal(FormModal):
    TITLE_KEY = "ui.form.referral_title"

    def __init__(self, person_id: uuid.UUID, reason: str | None = None) -> None:
        super().__init__(reason)
        self.person_id = person_id
        self.catalogue: tuple[refdata.Destination, ...] = refdata.destinations()
        """Shipped destinations at once; the office's own join them when loaded."""
        self._pending_destination: str | None = None
        """A draft's destination, chosen once the whole catalogue is loaded."""

    def fields(self) -> ComposeResult:
        lang = current_language()
        yield Label(t("ui.field.service_area"))
        yield Select(
            compact=True,
            prompt=t("ui.select_prompt"),
            options=[
                (a.name_es if lang == "es" else a.name_en, a.key) for a in refdata.service_areas()
            ],
            id="area",
        )
        yield Label(t("ui.field.destination"))
        yield Select(compact=True, prompt="—", options=self._destinations(None), id="destination")
        yield error_slot("destination")
        yield Static("", id="destination-help", classes="help-text")
        yield from labelled(t("ui.field.reason"), Input(id="reason", compact=True), error="reason")
        yield Label(t("ui.field.urgency"))
        yield Select(
            compact=True,
            prompt=t("ui.select_prompt"),
            options=[(t("ui.urgency.normal"), "normal"), (t("ui.urgency.urgent"), "urgent")],
            value="normal",
            allow_blank=False,
            id="urgency",
        )
        yield Checkbox(t("ui.field.consent_share"), id="consent", compact=True)
        if permissions.may_override_consent(self.casework.worker):
            yield Checkbox(t("ui.field.override_consent"), id="override", compact=True)

    def _destinations(self, area: str | None) -> list[tuple[str, str]]:
        lang = current_language()
        return [
            (d.name_es if lang == "es" else d.name_en, d.key)
            for d in self.catalogue
            if area is None or d.service_area == area
        ]

    def on_mount(self) -> None:
        self.call_service(catalogue.destinations, self.ctx, on_done=self._catalogue_loaded)

    def _catalogue_loaded(self, loaded: tuple[refdata.Destination, ...]) -> None:
        self.catalogue = loaded
        select = self.query_one("#destination", Select)
        chosen = self._pending_destination or select.value
        area = self.query_one("#area", Select).value
        select.set_options(self._destinations(area if isinstance(area, str) else None))
        if isinstance(chosen, str) and any(d.key == chosen for d in loaded):
            select.value = chosen
        self._pending_destination = None

    def _restore(self, draft: dict[str, Any]) -> None:
        draft = dict(draft)
        chosen = draft.pop("destination", None)
        super()._restore(draft)
        if isinstance(chosen, str):
            if any(d.key == chosen for d in self.catalogue):
                self.query_one("#destination", Select).value = chosen
            else:
                self._pending_destination = chosen

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "area":
            area = event.value if isinstance(event.value, str) else None
            select = self.query_one("#destination", Select)
            chosen, options = select.value, self._destinations(area)
            select.set_options(options)
            if isinstance(chosen, str) and any(key == chosen for _name, key in options):
                select.value = chosen  # a restored draft's area must not undo its destination
        elif event.select.id == "destination" and isinstance(event.value, str):
            dest = next((d for d in self.catalogue if d.key == event.value), None)
            if dest is not None:
                lines = " → ".join(x for x in (dest.when_es, dest.typical_outcome_es) if x)
                if dest.contact_es:
                    lines += f"\n{dest.contact_es}" if lines else dest.contact_es
                self.query_one("#destination-help", Static).update(
                    lines + (f"  [{t('ui.form.private')}]" if dest.private else "")
                )

    def action_save(self) -> None:
        dest = self.query_one("#destination", Select).value
        overrides = self.query("#override")
        data = {
            "destination": dest if isinstance(dest, str) else "",
            "reason": self.query_one("#reason", Input).value,
            "urgency": self.query_one("#urgency", Select).value,
            "consent_given": self.query_one("#consent", Checkbox).value,
            "override_consent": bool(overrides) and overrides.first(Checkbox).value,
        }
        self.submit(
            referrals.create,
            self.ctx,
            self.person_id,
            data,
            request_id=self.request_id,
            reason=self.reason,
        )


class MoveReferralModal(FormModal):
    TITLE_KEY = "ui.form.move_title"

    def __init__(self, referral: ReferralOut, reason: str | None = None) -> None:
        super().__init__(reason)
        self.referral = referral
        self.from_status = referral.status
        """The status the form moves from: as opened, or as on record after a conflict."""

    def fields(self) -> ComposeResult:
        current = ReferralStatus(self.referral.status)
        statuses = refdata.code_list("referral_statuses")
        targets = desk.referral_moves(current.value)
        yield Static(t("ui.form.move_from", status=code_label(statuses, current.value)))
        yield Label(t("ui.field.new_status"))
        yield Select(
            compact=True,
            prompt=t("ui.select_prompt"),
            options=[(code_label(statuses, s.value), s.value) for s in targets],
            id="to",
        )
        yield error_slot("to")
        yield Label(t("ui.field.outcome"))
        yield Select(
            compact=True, prompt="—", options=_options(refdata.REFERRAL_OUTCOMES), id="outcome"
        )
        yield Label(t("ui.field.declined_by"))
        yield Select(
            compact=True,
            prompt=t("ui.select_prompt"),
            options=[(t("ui.declined.person"), "person"), (t("ui.declined.provider"), "provider")],
            id="declined_by",
        )
        yield from labelled(t("ui.field.decline_reason"), Input(id="decline_reason", compact=True))
        yield from labelled(t("ui.field.note"), Input(id="note", compact=True))

    def action_save(self) -> None:
        def value(name: str) -> str | None:
            v = self.query_one(f"#{name}", Select).value
            return v if isinstance(v, str) else None

        data = {
            "to": value("to") or "",
            "outcome": value("outcome"),
            "declined_by": value("declined_by"),
            "decline_reason": self.query_one("#decline_reason", Input).value,
            "note": self.query_one("#note", Input).value,
        }
        data["from_status"] = self.from_status
        self.submit(referrals.move, self.ctx, self.referral.id, data, reason=self.reason)

    def rebase(self, conflict: EditConflict) -> bool:
        clash = conflict.for_field("status")
        if clash is None:
            return False
        self.from_status = clash.current
        return True


class FollowUpModal(FormModal):
    TITLE_KEY = "ui.form.follow_up_title"

    def __init__(self, person_id: uuid.UUID, reason: str | None = None) -> None:
        super().__init__(reason)
        self.person_id = person_id

    def fields(self) -> ComposeResult:
        default = followups.default_due()
        yield from labelled(
            t("ui.field.due"), DateInput(fmt_date(default), id="due_on"), error="due_on"
        )
        yield from labelled(t("ui.field.what"), Input(id="what", compact=True), error="what")

    def action_save(self) -> None:
        due = self.read_date("due_on", required=True)
        if not isinstance(due, dt.date):
            return
        self.submit(
            followups.schedule,
            self.ctx,
            self.person_id,
            {"due_on": due, "what": self.query_one("#what", Input).value},
            request_id=self.request_id,
            reason=self.reason,
        )


class CloseFollowUpModal(FormModal):
    TITLE_KEY = "ui.form.close_title"

    def __init__(self, follow_up: FollowUpOut, status: str, reason: str | None = None) -> None:
        super().__init__(reason)
        self.follow_up = follow_up
        self.status = status

    def fields(self) -> ComposeResult:
        yield Static(self.follow_up.what, classes="help-text")
        yield Label(t("ui.field.result"))
        yield Select(
            compact=True,
            prompt=t("ui.select_prompt"),
            options=[
                (t("fu.done"), "done"),
                (t("fu.missed"), "missed"),
                (t("fu.cancelled"), "cancelled"),
            ],
            value=self.status,
            allow_blank=False,
            id="status",
        )
        yield from labelled(
            t("ui.field.outcome_note"), Input(id="outcome", compact=True), error="outcome"
        )

    def on_mount(self) -> None:
        self.query_one("#outcome", Input).focus()

    def action_save(self) -> None:
        self.submit(
            followups.close,
            self.ctx,
            self.follow_up.id,
            {
                "status": self.query_one("#status", Select).value,
                "outcome": self.query_one("#outcome", Input).value,
            },
            reason=self.reason,
        )


class RescheduleModal(FormModal):
    TITLE_KEY = "ui.form.reschedule_title"

    def __init__(self, follow_up: FollowUpOut, reason: str | None = None) -> None:
        super().__init__(reason)
        self.follow_up = follow_up
        self.base = follow_up.due_on
        """The date the form postpones from: as opened, or as on record after a conflict."""

    def fields(self) -> ComposeResult:
        yield Static(self.follow_up.what, classes="help-text")
        due = self.follow_up.postponed_to()
        yield from labelled(
            t("ui.field.due"),
            DateInput(fmt_date(due), id="due_on", placeholder=""),
            error="due_on",
        )

    def action_save(self) -> None:
        due = self.read_date("due_on", required=True)
        if not isinstance(due, dt.date):
            return
        self.submit(
            followups.reschedule,
            self.ctx,
            self.follow_up.id,
            due,
            base=self.base,
            reason=self.reason,
        )

    def rebase(self, conflict: EditConflict) -> bool:
        clash = conflict.for_field("due_on")
        if conflict.code != "edit_conflict" or clash is None:
            return False  # closed meanwhile: nothing left to postpone
        self.base = clash.current
        return True


__all__ = [
    "CloseFollowUpModal",
    "ContactModal",
    "FollowUpModal",
    "MoveReferralModal",
    "NoteModal",
    "ReferralModal",
    "RescheduleModal",
    "StatusModal",
    "Vertical",
]


class OwnPasswordModal(FormModal):
    """A worker changes their own password: the current one, then the new one twice.
    Passwords are never kept as a draft: Escape forgets them."""

    TITLE_KEY = "security.own.title"
    CODE_FIELDS = {"bad_credentials": "current", "password_too_short": "new"}

    def fields(self) -> ComposeResult:
        yield from labelled(
            t("security.own.current"),
            Input(id="current", password=True, compact=True),
            error="current",
        )
        yield from labelled(
            t("security.choose.password"),
            Input(id="new", password=True, compact=True),
            error="new",
        )
        yield from labelled(
            t("security.choose.repeat"),
            Input(id="repeat", password=True, compact=True),
            error="repeat",
        )

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_save(self) -> None:
        current, new, repeat = (
            self.query_one(f"#{name}", Input).value for name in ("current", "new", "repeat")
        )
        if new != repeat:
            self.query_one("#repeat", Input).value = ""
            for widget in self.query(FieldError):
                widget.clear()
            self.query_one("#error-repeat", FieldError).show(t("security.choose.mismatch"))
            self.query_one("#form-error", Static).update("")
            self.focus_first_error()
            return
        if self.ctx.actor_id is None:
            self.dismiss(False)
            return
        self.submit(auth.set_password, self.ctx, self.ctx.actor_id, new, current_password=current)
