"""The case's status from the person file (k): close it with an outcome and settle what
hangs on it, reopen it, put it on hold or resume it (services/case_lifecycle.py).

One dialog: what it offers depends on the case's status. An open or held case is closed
(the default) or held / resumed; a closed case is reopened. Closing says how many pending
follow-ups and open referrals the case has and proposes cancelling them with it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Select, Static

from casework.errors import FieldError, InvalidInput
from casework.i18n import t
from casework.models.enums import CaseOutcome, CaseStatus
from casework.screens.base import CaseworkScreen
from casework.screens.forms import FormModal
from casework.services import case_lifecycle
from casework.services.case_lifecycle import ChangeOut, LifecycleOut
from casework.widgets import DateInput, fmt_date, labelled

ACTIONS: dict[str, tuple[str, ...]] = {
    CaseStatus.OPEN.value: ("close", "hold"),
    CaseStatus.ON_HOLD.value: ("close", "resume"),
    CaseStatus.CLOSED.value: ("reopen",),
}
"""What the dialog offers for each status, the first one chosen."""

GROUPS = {"close": "#lc-close", "hold": "#lc-hold", "resume": "#lc-resume", "reopen": "#lc-reopen"}


def outcome_label(code: str | None) -> str:
    """An outcome code by its name; a case closed before outcomes existed by its text."""
    if not code:
        return "—"
    key = f"lifecycle.outcomes.{code}"
    found = t(key)
    return code if found == key else found


def event_text(data: dict[str, Any], sep: str = " · ") -> tuple[str, str]:
    """(what, detail) of a case event on the person's timeline."""
    event = str(data.get("event", ""))
    parts: list[str] = []
    if data.get("outcome"):
        parts.append(outcome_label(str(data["outcome"])))
    if data.get("until"):
        day = fmt_date(dt.date.fromisoformat(str(data["until"])))
        parts.append(t("lifecycle.tl_detail.until", date=day))
    if data.get("note"):
        parts.append(str(data["note"]))
    fus, refs = (
        int(data.get("follow_ups_cancelled") or 0),
        int(data.get("referrals_cancelled") or 0),
    )
    if fus or refs:
        parts.append(t("lifecycle.tl_detail.cancelled", follow_ups=fus, referrals=refs))
    return t(f"lifecycle.event.{event}"), sep.join(parts)


def saved_message(action: str, result: ChangeOut) -> str:
    text = t(f"lifecycle.saved_{action}")
    if result.follow_ups_cancelled or result.referrals_cancelled:
        text += " " + t(
            "lifecycle.settled",
            follow_ups=result.follow_ups_cancelled,
            referrals=result.referrals_cancelled,
        )
    return text


class CaseLifecycleModal(FormModal):
    """Close, reopen, hold or resume the person's case; dismissed with True once saved
    (``saved`` holds the service's :class:`ChangeOut`, ``action`` what was done)."""

    TITLE_KEY = "lifecycle.title"

    def __init__(self, case: LifecycleOut, reason: str | None = None) -> None:
        super().__init__(reason)
        self.case = case
        self.person_id = case.person_id  # the draft's subject
        self.action = ACTIONS[case.status][0]

    def fields(self) -> ComposeResult:
        c = self.case
        summary = t(
            "lifecycle.summary",
            programme=c.programme_name,
            status=t(f"case.{c.status}"),
            worker=c.worker_name,
        )
        if c.status == CaseStatus.CLOSED.value and c.closed_at is not None:
            summary += "\n" + t(
                "lifecycle.closed_on",
                date=fmt_date(c.closed_at.date()),
                outcome=" · ".join(
                    p for p in (outcome_label(c.closing_outcome), c.closing_note or "") if p
                ),
            )
        if c.hold_until is not None:
            summary += "\n" + t("lifecycle.held_until", date=fmt_date(c.hold_until))
        yield Static(summary, id="lc-summary", classes="help-text")
        actions = ACTIONS[c.status]
        if len(actions) > 1:
            yield from labelled(
                t("lifecycle.action"),
                Select(
                    [(t(f"lifecycle.do.{a}"), a) for a in actions],
                    value=actions[0],
                    allow_blank=False,
                    compact=True,
                    id="lc-action",
                ),
            )
        if "close" in actions:
            with Vertical(id="lc-close", classes="lc-group"):
                yield from self._close_fields()
        if "hold" in actions:
            with Vertical(id="lc-hold", classes="lc-group"):
                yield from labelled(
                    t("lifecycle.hold_reason"), Input(id="reason", compact=True), error="reason"
                )
                yield from labelled(
                    t("lifecycle.hold_until"),
                    DateInput(id="until", placeholder=""),
                    error="until",
                )
        if "resume" in actions:
            with Vertical(id="lc-resume", classes="lc-group"):
                yield from labelled(
                    t("lifecycle.resume_note"),
                    Input(id="resume_note", compact=True),
                    error="resume_note",
                )
        if "reopen" in actions:
            with Vertical(id="lc-reopen", classes="lc-group"):
                # Only a closed case is reopened, and it offers nothing else: "reason" is
                # this field's alone.
                yield from labelled(
                    t("lifecycle.reopen_reason"), Input(id="reason", compact=True), error="reason"
                )

    def _close_fields(self) -> ComposeResult:
        yield from labelled(
            t("lifecycle.outcome"),
            Select(
                [(outcome_label(o.value), o.value) for o in CaseOutcome],
                prompt=t("ui.select_prompt"),
                compact=True,
                id="outcome",
            ),
            error="outcome",
        )
        yield from labelled(t("lifecycle.note"), Input(id="note", compact=True), error="note")
        if self.case.pending_follow_ups:
            yield from labelled(
                t("lifecycle.follow_ups", count=self.case.pending_follow_ups),
                Select(
                    [
                        (t("lifecycle.follow_ups_cancel"), "cancel"),
                        (t("lifecycle.follow_ups_keep"), "keep"),
                    ],
                    value="cancel",
                    allow_blank=False,
                    compact=True,
                    id="follow_ups",
                ),
            )
        if self.case.open_referrals:
            yield from labelled(
                t("lifecycle.referrals", count=self.case.open_referrals),
                Select(
                    [
                        (t("lifecycle.referrals_cancel"), "cancel"),
                        (t("lifecycle.referrals_leave"), "leave"),
                    ],
                    value="cancel",
                    allow_blank=False,
                    compact=True,
                    id="referrals",
                ),
            )

    def on_mount(self) -> None:
        super().on_mount()
        self._show_group()
        # Typing starts where the default action needs it: the outcome, or the reason.
        first = self.query("#outcome, #reason")
        if first:
            first.first().focus()

    @on(Select.Changed, "#lc-action")
    def _action_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.action = event.value
            self._show_group()

    def _show_group(self) -> None:
        for action, selector in GROUPS.items():
            for group in self.query(selector):
                group.display = action == self.action
        self.query_one("#form-error", Static).update("")

    def _value(self, widget_id: str) -> Any:
        found = self.query(f"#{widget_id}")
        if not found:
            return None
        widget = found.first()
        value = widget.value  # type: ignore[attr-defined]
        return None if value is Select.BLANK else value

    def action_save(self) -> None:
        c = self.case
        if self.action == "close":
            data: dict[str, Any] = {
                "outcome": self._value("outcome"),
                "note": self._value("note"),
                "follow_ups": self._value("follow_ups") or "cancel",
                "referrals": self._value("referrals") or "cancel",
            }
            self.submit(case_lifecycle.close, self.ctx, c.case_id, data, reason=self.reason)
        elif self.action == "hold":
            until = self.read_date("until")
            if until is not None and not isinstance(until, dt.date):
                return
            self.submit(
                case_lifecycle.hold,
                self.ctx,
                c.case_id,
                {"reason": self._value("reason"), "until": until},
                reason=self.reason,
            )
        elif self.action == "resume":
            self.submit(
                case_lifecycle.resume,
                self.ctx,
                c.case_id,
                {"note": self._value("resume_note")},
                reason=self.reason,
            )
        else:
            self.submit(
                case_lifecycle.reopen,
                self.ctx,
                c.case_id,
                {"reason": self._value("reason")},
                reason=self.reason,
            )

    def show_error(self, exc: BaseException) -> None:
        if isinstance(exc, InvalidInput) and self.action == "resume":
            # The resume note is "note" to the service; the close form's note has that id.
            exc = InvalidInput(
                [
                    FieldError("resume_note", e.code, e.params) if e.field == "note" else e
                    for e in exc.errors
                ]
            )
        super().show_error(exc)


def open_lifecycle(
    screen: CaseworkScreen,
    person_id: uuid.UUID,
    reason: str | None,
    on_saved: Callable[[], None],
) -> None:
    """From the person file: load the person's case, open the dialog on it, and once saved
    say what was done and call ``on_saved`` (the file reloads: status and timeline)."""

    def loaded(case: LifecycleOut | None) -> None:
        if case is None:
            screen.notify(t("lifecycle.no_case"), severity="warning")
            return
        if not case.may_change:
            screen.notify(t("error.lifecycle_not_allowed"), severity="warning")
            return
        modal = CaseLifecycleModal(case, reason)

        def saved(ok: bool | None) -> None:
            if ok and isinstance(modal.saved, ChangeOut):
                screen.notify(saved_message(modal.action, modal.saved))
                on_saved()

        screen.app.clear_notifications()  # a hint lying over the dialog's foot would hide it
        screen.app.push_screen(modal, saved)

    screen.call_service(
        case_lifecycle.current, screen.ctx, person_id, reason=reason, on_done=loaded
    )
