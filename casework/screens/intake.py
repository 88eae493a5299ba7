"""New intake (ficha de atención): a new person and the first contact, with a live warning
of persons already on record who may be the same person."""

from __future__ import annotations

import uuid
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import (
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    Select,
    SelectionList,
    Static,
    TextArea,
)
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from casework import refdata
from casework.errors import Conflict, InvalidInput
from casework.i18n import current_language, t
from casework.matching import Reason, describe
from casework.screens.base import CaseworkModal, CaseworkScreen
from casework.screens.forms import ContactModal
from casework.screens.person import PersonScreen
from casework.services import candidates, persons
from casework.services.candidates import Candidate, LikelyDuplicate, Typed
from casework.services.person_file import PersonFile
from casework.services.persons import IntakeResult
from casework.text import alnum_upper
from casework.widgets import (
    ConfirmModal,
    DateInput,
    DocumentInput,
    FieldError,
    age_text,
    country_name,
    doc_text,
    error_text,
    field_errors,
    fmt_date,
    labelled_row,
)
from casework.widgets.feedback import SummaryBar, focus_first_error

HOUSEHOLD_ROWS = 3
DOC_ROWS = 3
"""Identity documents the form takes: the first row shows, F3 reveals the next."""
DOC_TYPES = ("run", "passport", "national_id", "ipe", "other")
WATCHED = {
    "given_names",
    "first_surname",
    "second_surname",
    "birth_date",
    "phone",
    *(f"doc_number{'' if i == 0 else f'_{i}'}" for i in range(DOC_ROWS)),
}


def doc_id(kind: str, row: int) -> str:
    """Widget id of a document row's ``kind`` ("doc_type", "doc_number", "documents"): the
    first row keeps the plain name, the others add ``_<row>``."""
    return kind if row == 0 else f"{kind}_{row}"


def _codes(codes: tuple[Any, ...]) -> list[tuple[str, str]]:
    lang = current_language()
    return [(c.name_es if lang == "es" else c.name_en, c.key) for c in codes]


def _lang_name(language: refdata.Language) -> str:
    return language.name_es if current_language() == "es" else language.name_en


def reason_text(reason: Reason) -> str:
    return describe(reason, current_language())


class IntakeScreen(CaseworkScreen):
    BINDINGS = [
        Binding("ctrl+s", "save", "key.save", id="save"),
        Binding("f2", "open_candidate", "key.open_existing", id="open-existing"),
        Binding("f3", "add_document", "key.add_document", id="add-document", show=False),
        Binding("escape", "back", "key.back_keep", id="back"),
        Binding("ctrl+l", "clear", "key.clear_form", id="clear-form", show=False),
    ]

    def __init__(self, names: str = "", *, draft_id: uuid.UUID | None = None) -> None:
        super().__init__()
        self.initial_names = names
        self.draft_id = draft_id
        """This form's draft (services/drafts.py) in the desk's list of unfinished fichas."""
        self.request_id = uuid.uuid4()
        self.candidates: list[Candidate] = []
        self.conflict_person: uuid.UUID | None = None
        self.not_same_as: list[uuid.UUID] = []
        """Persons on record the worker declared "not the same person" in the duplicate
        dialog (sent with the save; cleared when the names or documents change)."""
        self.doc_rows: list[int] = []
        """Form row of each document sent in the last save (to place its errors)."""
        self._select_defaults: dict[str, object] = {}
        """Each list's value on a blank form: a changed one counts as typed content."""

    # Layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        countries = sorted(
            c.name_es if current_language() == "es" else c.name_en for c in refdata.countries()
        )
        communes = sorted(c.name for c in refdata.communes())
        yield Header()
        with Horizontal(id="intake"):
            # Not a Tab stop itself (a scrolling box is, by default): Tab goes from field
            # to field, never to the box around them, where typing would go nowhere.
            with VerticalScroll(id="intake-form", can_focus=False):
                yield Static(t("ui.intake.title"), classes="title")
                yield from self._field("given_names", Input(id="given_names", compact=True))
                yield from self._field("first_surname", Input(id="first_surname", compact=True))
                yield from self._field("second_surname", Input(id="second_surname", compact=True))
                yield from self._field(
                    "sex",
                    Select(
                        [(t("sex.F"), "F"), (t("sex.M"), "M"), (t("sex.X"), "X")],
                        id="sex",
                        compact=True,
                        prompt="—",
                    ),
                )
                yield from self._field(
                    "birth_date",
                    DateInput(id="birth_date"),
                )
                yield from self._field(
                    "nationality",
                    Input(
                        id="nationality",
                        compact=True,
                        suggester=SuggestFromList(countries, case_sensitive=False),
                    ),
                )
                for row in range(DOC_ROWS):
                    yield from self._document_row(row)
                yield from self._field(
                    "phone", Input(id="phone", placeholder="9 8765 4321", compact=True)
                )
                yield from self._field(
                    "commune",
                    Input(
                        id="commune",
                        compact=True,
                        suggester=SuggestFromList(communes, case_sensitive=False),
                    ),
                )
                yield from self._field(
                    "language",
                    Select(
                        [(_lang_name(x), x.code) for x in refdata.languages()],
                        value="es",
                        id="language",
                        compact=True,
                        prompt="—",
                    ),
                )
                yield Checkbox(t("ui.field.interpreter"), id="interpreter", compact=True)
                yield from self._field(
                    "arrival_date",
                    DateInput(id="arrival_date"),
                )
                yield from self._field(
                    "status",
                    Select(
                        _codes(refdata.MIGRATION_STATUSES), id="status", compact=True, prompt="—"
                    ),
                )
                yield Static(t("ui.field.household"), classes="section")
                for i in range(HOUSEHOLD_ROWS):
                    with Horizontal(classes="household"):
                        yield Select(
                            _codes(refdata.RELATIONSHIPS),
                            id=f"hh_rel_{i}",
                            prompt=t("ui.field.relationship"),
                            compact=True,
                        )
                        yield Input(id=f"hh_name_{i}", placeholder=t("ui.field.name"), compact=True)
                        yield Input(
                            id=f"hh_year_{i}",
                            placeholder=t("ui.field.birth_year"),
                            classes="year",
                            compact=True,
                        )
                yield self._error("household")
                yield Static(t("ui.field.consent"), classes="section")
                yield Checkbox(t("ui.field.consent_case"), id="consent_case", compact=True)
                yield Checkbox(t("ui.field.stats_opt_out"), id="stats_opt_out", compact=True)
                yield Static(t("ui.field.reasons"), classes="section")
                yield SelectionList[str](
                    *_codes(refdata.CONTACT_REASONS), id="reasons", compact=True
                )
                yield self._error("reasons")
                yield Static(t("ui.field.note"), classes="section")
                yield TextArea(id="note", compact=True)
                yield self._error("note")
            with Vertical(id="dupes"):
                yield Static(t("ui.intake.dupes_title"), classes="section")
                yield Static(t("ui.intake.dupes_empty"), id="dupes-status", classes="help-text")
                # A Tab stop only while it lists someone (an empty list would swallow
                # what is typed): see _show_candidates.
                dupes = OptionList(id="dupe-list")
                dupes.can_focus = False
                yield dupes
        yield SummaryBar()
        yield Footer()

    def _doc_label(self, key: str) -> str:
        """A short name for the type list: the full names wrap over several lines in a
        list as wide as an 80-column form allows."""
        return t(f"ui.intake.doc_type.{key}")

    def _document_row(self, row: int) -> ComposeResult:
        """The document's type on one line and its number on the next, both readable at
        80 columns; rows after the first show with F3."""
        label = t("ui.field.document") if row == 0 else t("person.intake.document_more", n=row + 1)
        block = Vertical(classes="doc-block", id=doc_id("doc-row", row))
        block.display = row == 0
        with block:
            with Horizontal(classes="row"):
                yield Label(label)
                yield Select(
                    [(self._doc_label(k), k) for k in DOC_TYPES],
                    value="passport",
                    allow_blank=False,
                    prompt=t("ui.select_prompt"),
                    id=doc_id("doc_type", row),
                    compact=True,
                )
            with Horizontal(classes="row doc-number"):
                yield Label(t("ui.field.document_number"))
                yield DocumentInput(id=doc_id("doc_number", row))
        yield self._error(doc_id("documents", row))

    def action_add_document(self) -> None:
        """Reveal the next document row (F3) and put the cursor on its type."""
        for row in range(1, DOC_ROWS):
            line = self.query_one(f"#{doc_id('doc-row', row)}")
            if not line.display:
                line.display = True
                self.query_one(f"#{doc_id('doc_type', row)}", Select).focus()
                return
        self.notify(t("person.intake.documents_max", count=DOC_ROWS), severity="warning")

    def _documents(self) -> list[tuple[int, str, str]]:
        """(row, type, number) of every document row with a number, once each."""
        out: list[tuple[int, str, str]] = []
        seen: set[tuple[str, str]] = set()
        for row in range(DOC_ROWS):
            field = self.query_one(f"#{doc_id('doc_number', row)}", DocumentInput)
            number = field.number
            doc_type = self.query_one(f"#{doc_id('doc_type', row)}", Select).value
            if not number or not isinstance(doc_type, str):
                continue
            key = (doc_type, field.comparable)
            if key not in seen:  # the same document typed twice is saved once
                seen.add(key)
                out.append((row, doc_type, number))
        return out

    def _error(self, name: str) -> FieldError:
        return FieldError(name)

    def _field(self, name: str, widget: Any) -> ComposeResult:
        yield from labelled_row(t(f"ui.field.{name}"), widget, error=name)

    def on_mount(self) -> None:
        self._select_defaults = {str(select.id): select.value for select in self.query(Select)}
        self.call_service(candidates.warm, self.ctx, group="warm", on_error=lambda _: None)
        if self.initial_names:
            self.prefill(self.initial_names)
        self.query_one("#given_names", Input).focus()

    @on(events.DescendantFocus)
    def _focused(self, event: events.DescendantFocus) -> None:
        """Whatever gets the cursor (Tab, Shift+Tab, F3, a failed save) is brought into
        view at once, not by a scrolling animation a fast typist outruns."""
        widget = event.widget
        form = self.query_one("#intake-form", VerticalScroll)
        if form in widget.ancestors:
            self.call_after_refresh(self._bring_into_view, widget)

    def _bring_into_view(self, widget: Widget) -> None:
        if self.focused is widget and not self.can_view_entire(widget):
            self.scroll_to_center(widget, animate=False, immediate=True, origin_visible=True)

    def prefill(self, names: str) -> None:
        """Typed "given surname [surname]" in the search box: a head start that fills only
        the name fields still empty (never over what the worker typed)."""
        parts = names.split()
        if not parts:
            return
        if len(parts) == 1:
            wanted = {"first_surname": parts[0]}
        else:
            wanted = {
                "given_names": parts[0],
                "first_surname": parts[1],
                "second_surname": " ".join(parts[2:]),
            }
        for widget_id, value in wanted.items():
            field = self.query_one(f"#{widget_id}", Input)
            if value and not field.value.strip():
                field.value = value.title()

    def draft_label(self) -> str:
        """The names typed so far, for the list of unfinished fichas."""
        return " ".join(
            v
            for v in (self._value(n) for n in ("given_names", "first_surname", "second_surname"))
            if v
        )

    # Duplicate warning ---------------------------------------------------------------------

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def _typed_so_far(self) -> Typed:
        try:
            birth = self.query_one("#birth_date", DateInput).date
        except ValueError:
            birth = None
        sex = self.query_one("#sex", Select).value
        return Typed(
            given_names=self._value("given_names"),
            first_surname=self._value("first_surname"),
            second_surname=self._value("second_surname"),
            birth_date=birth,
            sex=sex if isinstance(sex, str) else None,
            documents=tuple((doc_type, number) for _, doc_type, number in self._documents()),
            phone=self._value("phone"),
        )

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if event.input.id in WATCHED:
            self.conflict_person = None
            self.not_same_as = []
            self._look_for_duplicates()

    @on(Select.Changed)
    def _type_changed(self, event: Select.Changed) -> None:
        widget_id = event.select.id or ""
        if widget_id.startswith("doc_type"):
            number_id = widget_id.replace("doc_type", "doc_number")
            if self._value(number_id):
                self.conflict_person = None
                self.not_same_as = []
                self._look_for_duplicates()

    def _look_for_duplicates(self) -> None:
        typed = self._typed_so_far()
        if not typed.searchable:
            self._show_candidates([])
            return

        def work() -> None:
            found = candidates.typed_candidates(self.ctx, typed)
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._show_candidates, found)

        self.run_worker(
            work, thread=True, exclusive=True, group="dupes", exit_on_error=False, name="dupes"
        )

    def _show_candidates(self, found: list[Candidate]) -> None:
        self.candidates = found
        options = self.query_one("#dupe-list", OptionList)
        options.clear_options()
        for c in found:
            p = c.person
            why = ", ".join(reason_text(r) for r in c.reasons[:4])
            options.add_option(
                Option(
                    f"[b]{p.full_name}[/b]  {round(c.score * 100)}%\n"
                    f"{age_text(p.birth_date)} · {fmt_date(p.birth_date)} · "
                    f"{country_name(p.nationality)}\n{doc_text(p.document)}\n[i]{why}[/i]"
                )
            )
        options.can_focus = bool(found)
        if not found and options.has_focus:
            self.query_one("#given_names", Input).focus()
        status = self.query_one("#dupes-status", Static)
        if found:
            status.update(t("ui.intake.dupes_found", count=len(found)))
            self.query_one("#dupes").add_class("-warning")
            options.highlighted = 0
        else:
            status.update(t("ui.intake.dupes_empty"))
            self.query_one("#dupes").remove_class("-warning")

    @on(OptionList.OptionSelected, "#dupe-list")
    def _chosen(self) -> None:
        self.action_open_candidate()

    def action_open_candidate(self) -> None:
        if self.conflict_person is not None:
            self._open_existing(self.conflict_person)
            return
        if not self.candidates:
            self.notify(t("ui.intake.no_candidate"), severity="warning")
            return
        index = self.query_one("#dupe-list", OptionList).highlighted or 0
        self._open_existing(self.candidates[index].person.id)

    def visit(self) -> dict[str, Any]:
        """What was typed for this visit (reasons, note) and a phone, carried to the
        existing file (its contact form; the phone offered if it has none)."""
        out: dict[str, Any] = {}
        reasons = list(self.query_one("#reasons", SelectionList).selected)
        note = self.query_one("#note", TextArea).text
        if reasons:
            out["reasons"] = reasons
        if note.strip():
            out["note"] = note
        if self._value("phone"):
            out["phone"] = self._value("phone")
        return out

    def _open_existing(self, person_id: uuid.UUID, *, finished: bool = False) -> None:
        """The person is already on record: open that file, with the contact form filled
        with what was typed for this visit. Chosen in the duplicate dialog (``finished``),
        the ficha's draft is discarded; opened with F2 from the side panel, it stays a
        draft (nothing lost)."""
        visit = self.visit()
        if finished:
            self.casework.discard_intake(self.draft_id)  # closes this form too
        if self.app.screen is self:
            self.app.pop_screen()
        if visit:
            self.app.push_screen(PersonForVisit(person_id, visit))
        else:
            self.casework.open_person(person_id)

    # Saving --------------------------------------------------------------------------------

    def _clear_errors(self) -> None:
        for slot in self.query(".field-error"):
            slot.display = False
        self.query_one(SummaryBar).clear()

    def _summary(self, message: str) -> None:
        """The one-line summary above the footer, and the cursor on the first field in
        error, scrolled into view with its message."""
        self.query_one(SummaryBar).show(message)
        focus_first_error(self)

    def _set_error(self, name: str, message: str) -> bool:
        found = self.query(f"#error-{name}")
        if not found:
            return False
        found.first(FieldError).show(message)
        return True

    def _collect(self) -> dict[str, Any] | None:
        """The form as service input; date fields that cannot be read are flagged here."""
        dates: dict[str, Any] = {}
        bad = False
        for name in ("birth_date", "arrival_date"):
            try:
                dates[name] = self.query_one(f"#{name}", DateInput).date
            except ValueError:
                self._set_error(name, t("error.bad_date"))
                bad = True
        household = []
        for i in range(HOUSEHOLD_ROWS):
            rel = self.query_one(f"#hh_rel_{i}", Select).value
            name = self.query_one(f"#hh_name_{i}", Input).value.strip()
            year = self.query_one(f"#hh_year_{i}", Input).value.strip()
            if isinstance(rel, str) or name or year:
                household.append(
                    {
                        "relationship": rel if isinstance(rel, str) else "",
                        "name": name,
                        "birth_year": year or None,  # the service checks it is a year
                    }
                )
        if bad:
            return None

        def select(widget_id: str) -> str | None:
            value = self.query_one(f"#{widget_id}", Select).value
            return value if isinstance(value, str) else None

        documents = self._documents()
        self.doc_rows = [row for row, _, _ in documents]
        language = select("language")
        status = select("status")
        person = {
            "given_names": self._value("given_names"),
            "first_surname": self._value("first_surname"),
            "second_surname": self._value("second_surname"),
            "sex": select("sex"),
            "birth_date": dates["birth_date"],
            "nationality": self._value("nationality"),
            "phone": self._value("phone"),
            "commune": self._value("commune"),
            "languages": [language] if language else [],
            "interpreter_needed": self.query_one("#interpreter", Checkbox).value,
            "arrival_date": dates["arrival_date"],
            "stats_opt_out": self.query_one("#stats_opt_out", Checkbox).value,
            "documents": [
                {"type": doc_type, "number": number} for _, doc_type, number in documents
            ],
            "household": household,
        }
        consents = []
        if self.query_one("#consent_case", Checkbox).value:
            consents.append({"purpose": "case_management", "language": language or "es"})
        return {
            "person": person,
            "contact": {
                "reasons": list(self.query_one("#reasons", SelectionList).selected),
                "note": self.query_one("#note", TextArea).text,
            },
            "status": {"status": status} if status else None,
            "consents": consents,
        }

    def action_save(self) -> None:
        """Ctrl+S: the service decides (a likely match on record refuses the save and the
        dialog names them); nothing typed is lost either way."""
        self._clear_errors()
        data = self._collect()
        if data is None:
            self._summary(t("ui.form.fix_fields"))
            return
        self.query_one(SummaryBar).show(t("intake.saving"), error=False)
        self.call_service(
            persons.register_intake,
            self.ctx,
            data,
            request_id=self.request_id,
            not_same_as=tuple(self.not_same_as),
            on_done=self._saved,
            on_error=self._failed,
        )

    def _saved(self, result: IntakeResult) -> None:
        self.notify(t("ui.intake.saved"))
        self.casework.discard_intake(self.draft_id)
        self.casework.open_person(result.person_id)

    def _likely(self, exc: LikelyDuplicate) -> None:
        self.query_one(SummaryBar).show(exc.message())
        self._show_candidates(exc.candidates)
        self.app.push_screen(DuplicateGate(exc.candidates), self._gate_answered)

    def _gate_answered(self, answer: tuple[str, uuid.UUID | None] | None) -> None:
        if answer is None:  # back to the form, as typed
            self.query_one(SummaryBar).show(t("intake.gate.back_summary"))
            return
        choice, person_id = answer
        if choice == "open" and person_id is not None:
            # The worker says it is the same person: this ficha is done (the visit goes to
            # the contact form, which keeps its own draft if left with Esc), so it is no
            # longer an unfinished intake anyone could resume and register twice.
            self._open_existing(person_id, finished=True)
        elif choice == "not_same":
            dialog_ids = [c.person.id for c in self.candidates]
            self.not_same_as = list(dict.fromkeys([*self.not_same_as, *dialog_ids]))
            self.action_save()

    def _document_errors(self, exc: BaseException) -> dict[int, str]:
        """Form row -> message, for errors about one of the documents sent."""
        out: dict[int, str] = {}
        if not isinstance(exc, InvalidInput):
            return out
        for error in exc.errors:
            parts = error.field.split(".")
            if "documents" not in parts:
                continue
            at = parts.index("documents") + 1
            if at < len(parts) and parts[at].isdigit() and int(parts[at]) < len(self.doc_rows):
                out.setdefault(self.doc_rows[int(parts[at])], error.message())
        return out

    def _row_of(self, number: str) -> int:
        """The form row where ``number`` was typed (the first row if none)."""
        wanted = alnum_upper(number)
        for row in range(DOC_ROWS):
            if self.query_one(f"#{doc_id('doc_number', row)}", DocumentInput).comparable == wanted:
                return row
        return 0

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, LikelyDuplicate):
            self._likely(exc)
            return
        errors = field_errors(exc)
        by_row = self._document_errors(exc)
        if by_row:
            errors.pop("documents", None)
            for row, message in by_row.items():
                self._set_error(doc_id("documents", row), message)
        unplaced = [msg for name, msg in errors.items() if not self._set_error(name, msg)]
        if isinstance(exc, Conflict) and exc.params.get("person_id"):
            self.conflict_person = uuid.UUID(exc.params["person_id"])
            self._set_error(
                doc_id("documents", self._row_of(str(exc.params.get("number", "")))),
                exc.message() + " " + t("ui.intake.f2_to_open"),
            )
        elif not errors:
            unplaced.append(error_text(exc))
        message = t("ui.form.fix_fields") + (" " + "; ".join(unplaced) if unplaced else "")
        self._summary(message)

    def action_back(self) -> None:
        self.app.pop_screen()

    def has_typed_content(self) -> bool:
        """Anything typed, ticked or chosen that quitting or clearing would lose."""
        if not self.query("#note"):
            return False  # not composed yet: nothing typed
        for field in self.query(Input):
            if field.value.strip():
                return True
        if self.query_one("#note", TextArea).text.strip():
            return True
        if any(box.value for box in self.query(Checkbox)):
            return True
        if self.query_one("#reasons", SelectionList).selected:
            return True
        return any(
            select.value != self._select_defaults.get(select.id or "", Select.NULL)
            for select in self.query(Select)
        )

    def action_clear(self) -> None:
        """Ctrl+L: a blank form, after asking when something was typed (Esc keeps it)."""
        if not self.has_typed_content():
            self._clear()
            return
        question = ConfirmModal(t("ui.intake.clear_title"), t("ui.intake.clear_question"))
        self.app.push_screen(question, lambda yes: self._clear() if yes else None)

    def _clear(self) -> None:
        self.casework.discard_intake(self.draft_id)
        self.casework.action_new_intake()


class DuplicateGate(CaseworkModal[tuple[str, uuid.UUID | None] | None]):
    """The save found persons on record likely the same one: who they are and why. Enter
    (the default) opens the highlighted one's file; "Es otra persona" (O) registers the new
    person anyway and records the pair(s) as not the same; Esc goes back to the form."""

    BINDINGS = [
        Binding("enter", "open", "key.intake_open_existing", id="open-existing", priority=True),
        Binding("o", "not_same", "key.intake_not_same", id="not-same"),
        Binding("escape", "back", "key.intake_back", id="back"),
    ]

    def __init__(self, found: list[Candidate]) -> None:
        super().__init__()
        self.found = found

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="modal-box", id="dupe-gate"):
            yield Static(t("intake.gate.title"), classes="title")
            yield Static(t("intake.gate.intro", count=len(self.found)), id="gate-intro")
            options = OptionList(id="gate-list")
            for c in self.found:
                p = c.person
                why = ", ".join(reason_text(r) for r in c.reasons[:4])
                options.add_option(
                    Option(
                        f"[b]{p.full_name}[/b]  {round(c.score * 100)}%\n"
                        f"{age_text(p.birth_date)} · {fmt_date(p.birth_date)} · "
                        f"{country_name(p.nationality)} · {doc_text(p.document)}\n"
                        f"[i]{t('intake.gate.why')} {why}[/i]"
                    )
                )
            yield options
            yield Static(t("intake.gate.keys"), classes="help-text", id="gate-keys")

    def on_mount(self) -> None:
        options = self.query_one("#gate-list", OptionList)
        options.highlighted = 0
        options.focus()

    def action_open(self) -> None:
        index = self.query_one("#gate-list", OptionList).highlighted or 0
        self.dismiss(("open", self.found[index].person.id))

    def action_not_same(self) -> None:
        self.dismiss(("not_same", None))

    def action_back(self) -> None:
        self.dismiss(None)


class PersonForVisit(PersonScreen):
    """The existing person's file, opened from the intake: once it shows, the contact form
    opens filled with what was typed for this visit (Ctrl+S records it, Esc keeps it); a
    phone typed at the intake is then offered (never forced) when the file has none."""

    def __init__(self, person_id: uuid.UUID, visit: dict[str, Any]) -> None:
        super().__init__(person_id)
        self.visit = {k: v for k, v in visit.items() if k in ("reasons", "note")}
        self.phone: str | None = visit.get("phone")

    def _show(self, data: PersonFile) -> None:
        super()._show(data)
        if self.app.screen is not self or data.blocked is not None:
            return
        if self.visit:
            visit, self.visit = self.visit, {}
            self.app.push_screen(
                ContactModal(self.person_id, self.reason, initial=visit), self._contact_closed
            )
        else:
            self._offer_phone()

    def _contact_closed(self, saved: bool | None) -> None:
        self._after_save(saved)
        self._offer_phone()

    def _offer_phone(self) -> None:
        phone, self.phone = self.phone, None
        if not phone or self.data is None or self.data.detail.phone:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(
                    persons.update_person,
                    self.ctx,
                    self.person_id,
                    {"phone": {"base": None, "new": phone}},
                    reason=self.reason,
                    on_done=self._phone_added,
                )

        question = ConfirmModal(t("intake.phone.title"), t("intake.phone.question", phone=phone))
        self.app.push_screen(question, answered)

    def _phone_added(self, _changed: list[str]) -> None:
        self.notify(t("intake.phone.added"))
        self.reload()


class DraftsModal(CaseworkModal[None]):
    """The worker's unfinished fichas: Enter resumes the highlighted one as it was left;
    Supr throws it away after asking; Esc goes back."""

    BINDINGS = [
        Binding("enter", "resume", "key.intake_resume", id="resume", priority=True),
        Binding("delete", "discard", "key.intake_discard", id="discard"),
        Binding("escape", "back", "key.intake_back", id="back"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="modal-box", id="drafts-box"):
            yield Static(t("intake.drafts.title"), classes="title")
            yield OptionList(id="drafts-list")
            yield Static(t("intake.drafts.keys"), classes="help-text")

    def on_mount(self) -> None:
        self._fill()

    def _fill(self) -> None:
        self.drafts = self.casework.intake_drafts()
        options = self.query_one("#drafts-list", OptionList)
        options.clear_options()
        for d in self.drafts:
            name = d.label or t("intake.drafts.unnamed", n=d.number)
            started = d.started_at.astimezone().strftime("%H:%M")
            options.add_option(Option(t("intake.drafts.item", name=name, time=started)))
        if self.drafts:
            options.highlighted = 0
            options.focus()
        else:
            self.dismiss(None)

    def _chosen(self) -> uuid.UUID | None:
        index = self.query_one("#drafts-list", OptionList).highlighted
        if index is None or index >= len(self.drafts):
            return None
        return self.drafts[index].id

    def action_resume(self) -> None:
        draft_id = self._chosen()
        if draft_id is not None:
            self.dismiss(None)
            self.casework.resume_intake(draft_id)

    def action_discard(self) -> None:
        draft_id = self._chosen()
        if draft_id is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.casework.discard_intake(draft_id)
                self.notify(t("intake.drafts.discarded"))
                self._fill()

        question = ConfirmModal(
            t("intake.drafts.discard_title"), t("intake.drafts.discard_question")
        )
        self.app.push_screen(question, answered)

    def action_back(self) -> None:
        self.dismiss(None)
