"""Modals of the person file: why a file outside the caseload is opened, the case's
vulnerability flags, and one timeline entry read whole."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import OptionList, SelectionList, Static
from textual.widgets.option_list import Option

from casework import refdata
from casework.i18n import t
from casework.screens.base import CaseworkModal
from casework.services import cases
from casework.services.cases import CaseFlagsOut
from casework.services.person_file import ACCESS_REASONS
from casework.widgets import code_label, error_text


def flag_name(key: str) -> str:
    """A flag's label in the UI language; the key itself for a key no longer offered."""
    return code_label(refdata.code_list("case_flags"), key)


class AccessReasonModal(CaseworkModal[str | None]):
    """Asked before opening a file outside the worker's caseload: a reason code, or None
    (Escape) to go back without opening it."""

    BINDINGS = [
        Binding("escape", "cancel", "key.back", id="cancel"),
        *(
            Binding(str(i), f"pick({i - 1})", "", show=False)
            for i in range(1, len(ACCESS_REASONS) + 1)
        ),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="modal-box"):
            yield Static(t("person.access.title"), classes="title")
            yield OptionList(
                *(
                    Option(f"{i}. {t(f'person.access.{code}')}", id=code)
                    for i, code in enumerate(ACCESS_REASONS, start=1)
                ),
                id="reasons",
                compact=True,
            )
            yield Static(t("person.access.hint"), classes="help-text")

    def on_mount(self) -> None:
        options = self.query_one("#reasons", OptionList)
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#reasons")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_pick(self, index: int) -> None:
        if 0 <= index < len(ACCESS_REASONS):
            self.dismiss(ACCESS_REASONS[index])

    def action_cancel(self) -> None:
        self.dismiss(None)


class CaseFlagsModal(CaseworkModal[bool | None]):
    """A checkbox per vulnerability flag of one case. Ctrl+S saves what was ticked and
    unticked since the dialog opened, onto the flags as they are now (another desk's change
    meanwhile stays): True when the flags changed, False when they were already so; Escape
    (None) leaves them as they were."""

    CSS = """
    CaseFlagsModal #flags { max-height: 12; }
    """
    """Every flag in view at 80x24 (app.tcss caps a modal's SelectionList at 8 rows)."""
    BINDINGS = [
        Binding("ctrl+s", "save", "key.save", id="save"),
        Binding("escape", "cancel", "key.cancel", id="cancel"),
    ]

    def __init__(self, case: CaseFlagsOut) -> None:
        super().__init__()
        self.case = case

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="modal-box"):
            yield Static(
                t(
                    "person.flags.title",
                    programme=self.case.programme_name,
                    worker=self.case.worker_name,
                ),
                classes="title",
            )
            yield SelectionList[str](
                *((flag_name(key), key, key in self.case.flags) for key in self.case.choices),
                id="flags",
                compact=True,
            )
            with Vertical(classes="form-foot"):
                yield Static("", id="form-error", classes="error")
                yield Static(t("person.flags.keys"), classes="help-text form-keys")

    def on_mount(self) -> None:
        self.query_one("#flags", SelectionList).focus()

    def chosen(self) -> list[str]:
        return list(self.query_one("#flags", SelectionList).selected)

    def action_save(self) -> None:
        self.call_service(
            cases.set_flags,
            self.ctx,
            self.case.case_id,
            self.chosen(),
            base=self.case.flags,
            on_done=self._saved,
            on_error=self._failed,
        )

    def _saved(self, changed: bool) -> None:
        self.dismiss(changed)

    def _failed(self, exc: BaseException) -> None:
        self.query_one("#form-error", Static).update(error_text(exc))

    def action_cancel(self) -> None:
        self.dismiss(None)


class EntryViewerModal(CaseworkModal[None]):
    """One timeline entry's whole text (a note, a contact's note, a referral's or a
    follow-up's outcome), wrapped and scrollable with the arrows and PgUp/PgDn; Esc or
    Enter closes it. Line breaks typed in the note are kept."""

    BINDINGS = [
        Binding("escape", "close", "key.back", id="close"),
        Binding("enter", "close", "key.back", show=False),
    ]

    def __init__(self, title: str, who: str, body: str) -> None:
        super().__init__()
        self.title_text = title
        self.who = who
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box", id="entry-viewer"):
            yield Static(self.title_text, classes="title")
            if self.who:
                yield Static(self.who, classes="help-text")
            with VerticalScroll(id="entry-scroll"):
                yield Static(Text(self.body), id="entry-text")
            yield Static(t("file.viewer_keys"), classes="help-text form-keys")

    def on_mount(self) -> None:
        self.query_one("#entry-scroll", VerticalScroll).focus()

    def on_resize(self) -> None:
        # The text scrolls, never the box: its title, author and keys stay in view.
        fixed = 2 + 1 + (1 if self.who else 0) + 1
        self.query_one("#entry-scroll").styles.max_height = max(3, self.size.height - fixed)

    def action_close(self) -> None:
        self.dismiss(None)
