"""The person file: identity, documents, household and one timeline across every programme.

A file outside the worker's caseload opens only after they say why (services/person_file.py
decides who is outside; this screen only asks): until then nothing of the file is loaded.
"""

from __future__ import annotations

import uuid
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from casework import clock, refdata
from casework.errors import NotAllowed
from casework.i18n import t
from casework.screens.base import CaseworkScreen
from casework.screens.forms import FormModal
from casework.screens.person_modals import (
    AccessReasonModal,
    CaseFlagsModal,
    EntryViewerModal,
    flag_name,
)
from casework.services import cases, permissions, person_file
from casework.services.cases import CaseFlagsOut
from casework.services.followups import FollowUpOut
from casework.services.guidance import GuidanceOut
from casework.services.person_file import PersonDetail, PersonFile, TimelineEntry
from casework.services.referrals import ReferralOut
from casework.widgets import (
    RecordTable,
    age_text,
    code_label,
    commune_name,
    country_name,
    destination_name,
    doc_text,
    error_text,
    fmt_date,
    fmt_datetime,
    item_text,
    route_name,
)


def load_person(screen: PersonScreen) -> PersonFile:
    """The file, in one read through the gate (a reload once it is open)."""
    return person_file.open_file(screen.ctx, screen.person_id, screen.reason, reload=screen.opened)


def timeline_text(entry: TimelineEntry, sep: str = " · ") -> tuple[str, str]:
    """(what, detail) for one timeline line, in the UI language; ``sep`` joins the detail's
    parts (a blank line in the viewer, where the whole text is read)."""
    d: dict[str, Any] = entry.data
    kind = entry.kind
    if kind == "contact":
        reasons = ", ".join(code_label(refdata.CONTACT_REASONS, r) for r in d.get("reasons", []))
        what = t("ui.tl.intake") if d.get("contact_kind") == "intake" else t("ui.tl.contact")
        return what, sep.join(p for p in (reasons, d.get("note", "")) if p)
    if kind == "status":
        status = code_label(refdata.MIGRATION_STATUSES, d.get("status"))
        return t("ui.tl.status"), sep.join(
            p for p in (status, d.get("subcategory", ""), d.get("note", "")) if p
        )
    if kind == "guidance":
        return t("ui.tl.guidance"), route_name(d.get("route", ""))
    if kind == "guidance_item":
        return t("ui.tl.guidance_item"), (
            f"{route_name(d.get('route', ''))}: {item_text(d.get('route', ''), d.get('item', ''))}"
            f" → {t('state.' + d.get('state', ''))}"
        )
    if kind == "referral":
        status = code_label(refdata.code_list("referral_statuses"), d.get("to_status"))
        return t("ui.tl.referral"), f"{destination_name(d.get('destination', ''))}: {status}" + (
            f"{sep}{d['note']}" if d.get("note") else ""
        )
    if kind == "follow_up":
        return t("ui.tl.follow_up"), f"{d.get('what', '')} ({fmt_date_iso(d.get('due_on'))})"
    if kind == "follow_up_closed":
        return t("ui.tl.follow_up_closed"), (
            f"{d.get('what', '')}: {t('fu.' + d.get('status', ''))}"
            + (f"{sep}{d['outcome']}" if d.get("outcome") else "")
        )
    if kind == "note":
        return t("ui.tl.note"), d.get("text", "")
    if kind == "case":
        from casework.screens.case_close import event_text

        return event_text(d, sep)
    if kind == "correction":
        from casework.screens.person_edit import correction_text

        return correction_text(d, whole="\n" in sep)
    if kind.startswith("assign_"):
        from casework.screens.assign import timeline_text as assign_text

        return assign_text(kind, d, sep)
    if kind == "consent":
        purpose = t("consent." + d.get("purpose", ""))
        dest = destination_name(d["destination"]) if d.get("destination") else ""
        return t("ui.tl.consent"), " ".join(p for p in (purpose, dest) if p)
    return kind, ""


TABLES = {
    "tab-timeline": "timeline",
    "tab-referrals": "referrals",
    "tab-follow-ups": "follow-ups",
    "tab-guidance": "guidance",
}
"""Each tab's table."""


def fmt_date_iso(value: str | None) -> str:
    import datetime as dt

    return fmt_date(dt.date.fromisoformat(value)) if value else "—"


class PersonScreen(CaseworkScreen):
    AUTO_FOCUS = "#timeline"
    """The cursor is on the timeline from the first frame, also while the file is being
    read: Up/Down/Enter act on it at once (not on the identity panel beside it)."""
    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("c", "contact", "key.contact", id="contact"),
        Binding("n", "note", "key.note", id="note"),
        Binding("i", "edit_person", "key.edit_person", id="edit-person", show=False),
        Binding("s", "status", "key.status", id="status", show=False),
        Binding("g", "guidance", "key.guidance", id="guidance"),
        Binding("r", "refer", "key.refer", id="refer"),
        Binding("f", "follow_up", "key.follow_up", id="follow-up"),
        Binding("m", "move_referral", "key.move_referral", id="move-referral", show=False),
        Binding("d", "follow_up_done", "key.follow_up_done", id="follow-up-done", show=False),
        Binding(
            "p", "follow_up_postpone", "key.follow_up_postpone", id="follow-up-postpone", show=False
        ),
        Binding("x", "follow_up_missed", "key.follow_up_missed", id="follow-up-missed", show=False),
        Binding("v", "case_flags", "key.case_flags", id="case-flags", show=False),
        Binding("k", "case_lifecycle", "key.lifecycle_case", id="case-lifecycle", show=False),
        Binding("e", "rights_request", "key.person_rights", id="rights-request", show=False),
        Binding("a", "audit", "key.person_audit", id="person-audit", show=False),
        Binding("w", "reassign", "key.assign_reassign", id="assign-reassign", show=False),
        Binding("t", "transfer", "key.assign_transfer", id="assign-transfer", show=False),
    ]

    def __init__(self, person_id: uuid.UUID) -> None:
        super().__init__()
        self.person_id = person_id
        self.data: PersonFile | None = None
        self.reason: str | None = None
        """Why a file outside the worker's caseload was opened (a code of services/gate.py)."""
        self.opened = False
        """The file was shown once: later loads are reloads (each still through the gate)."""
        self.land: tuple[str, str | None] | None = None
        """Where the next reload puts the worker: (tab, a record's id) just created. Without
        it a reload keeps the tab and row they were on."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="person-title", classes="title")
        yield Static("", id="blocked-banner", classes="warning-banner")
        with Horizontal(id="person-body"):
            with VerticalScroll(id="person-info"):
                yield Static("", id="identity")
            with TabbedContent(id="person-tabs"):
                with TabPane(t("ui.person.tab_timeline"), id="tab-timeline"):
                    yield RecordTable(id="timeline")
                with TabPane(t("ui.person.tab_referrals"), id="tab-referrals"):
                    yield RecordTable(id="referrals")
                with TabPane(t("ui.person.tab_follow_ups"), id="tab-follow-ups"):
                    yield RecordTable(id="follow-ups")
                with TabPane(t("ui.person.tab_guidance"), id="tab-guidance"):
                    yield RecordTable(id="guidance")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#timeline", RecordTable).add_columns(
            t("ui.col.when"), t("ui.col.what"), t("ui.col.detail"), t("ui.col.who")
        )
        self.query_one("#guidance", RecordTable).add_columns(
            t("ui.col.created"), t("ui.col.route"), t("ui.col.application"), t("ui.col.progress")
        )
        self.reload(first=True)

    def on_resize(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")
        self.call_after_refresh(self._fill_lists)

    def reload(self, first: bool = False) -> None:
        if not (first or self.opened):
            return  # still waiting for the reason: nothing of the file is read
        self.call_service(
            load_person,
            self,
            on_done=self._show,
            on_error=self._not_loaded,
            group="person",
            exclusive=True,
        )

    def _not_loaded(self, exc: BaseException) -> None:
        if isinstance(exc, NotAllowed) and exc.code == "reason_required" and not self.opened:
            self.app.push_screen(AccessReasonModal(), self._reason_given)
            return
        self.notify(error_text(exc), severity="error", timeout=8)

    def _reason_given(self, reason: str | None) -> None:
        if reason is None:
            # Backed out: the file was not opened, and no view is recorded.
            if self.app.screen is self:
                self.app.pop_screen()
            return
        self.reason = reason
        self.reload(first=True)

    def on_return(self) -> None:
        self.reload()

    def _show(self, data: PersonFile) -> None:
        self.opened = True
        self.data = data
        p = data.detail
        self.query_one("#person-title", Static).update(
            f"{p.full_name}" + (f"  «{p.social_name}»" if p.social_name else "")
        )
        self.query_one("#identity", Static).update(identity_text(p))
        banner = self.query_one("#blocked-banner", Static)
        banner.display = data.blocked is not None
        if data.blocked is not None:
            banner.update(t("person.file.blocked", due=data.blocked.due_on))
        table = self.query_one("#timeline", RecordTable)
        table.refill(
            zip(timeline_keys(data.timeline), map(timeline_row, data.timeline), strict=True)
        )
        self._fill_lists()
        gtable = self.query_one("#guidance", RecordTable)
        gtable.refill((str(g.id), guidance_row(g)) for g in data.guidance)
        self._place()

    def _fill_lists(self) -> None:
        """Referrals and follow-ups, the destination and what to check wrapped in their
        column so the status stays in view at 80 columns; refitted when shown or resized."""
        data = self.data
        if data is None:
            return
        statuses = refdata.code_list("referral_statuses")
        self.query_one("#referrals", RecordTable).fill_wrapped(
            (t("ui.col.created"), t("ui.col.destination"), t("ui.col.status"), t("ui.col.outcome")),
            [
                (
                    str(r.id),
                    (
                        fmt_date(r.created_at.date()),
                        Text(destination_name(r.destination_key)),
                        code_label(statuses, r.status),
                        code_label(refdata.REFERRAL_OUTCOMES, r.outcome),
                    ),
                )
                for r in data.referrals
            ],
            wrap=1,
        )
        today = clock.today()
        self.query_one("#follow-ups", RecordTable).fill_wrapped(
            (t("ui.col.due"), t("ui.col.what"), t("ui.col.status")),
            [
                (
                    str(f.id),
                    (
                        Text(fmt_date(f.due_on), style="bold red" if f.overdue(today) else ""),
                        Text(f.what),
                        t("fu." + f.status),
                    ),
                )
                for f in data.follow_ups
            ],
            wrap=1,
        )

    @on(TabbedContent.TabActivated)
    def _tab_shown(self) -> None:
        self.call_after_refresh(self._fill_lists)

    def _place(self) -> None:
        """The tab and row the worker was on (rows are found by key, so a new row above
        does not move the cursor), or the record they just created."""
        tabs = self.query_one(TabbedContent)
        land, self.land = self.land, None
        if land is not None:
            tab, record = land
            tabs.active = tab
            if record is not None:
                self.query_one(f"#{TABLES[tab]}", RecordTable).move_to(record)
        self.query_one(f"#{TABLES.get(tabs.active, 'timeline')}", RecordTable).focus()

    # Actions -------------------------------------------------------------------------------

    def _after_save(self, saved: object) -> None:
        if saved:
            self.reload()

    def _form(self, form: FormModal, tab: str | None = None) -> None:
        """Open a form; once saved, reload the file on the same tab and row, or with ``tab``
        on the record the form created (a new referral among the referrals)."""

        def saved(ok: bool | None) -> None:
            if not ok:
                return
            if tab is not None:
                record = form.saved
                self.land = (tab, str(record) if isinstance(record, uuid.UUID) else None)
            self.reload()

        # A hint about the last key ("choose the follow-up…") would lie over the dialog's foot,
        # where its messages show.
        self.app.clear_notifications()
        self.app.push_screen(form, saved)

    def action_back(self) -> None:
        self.app.pop_screen()

    def _blocked(self) -> bool:
        """A blocking request suspends changes: say so before a form is filled in vain."""
        if self.data is None or self.data.blocked is None:
            return False
        self.notify(t("person.file.blocked", due=self.data.blocked.due_on), severity="warning")
        return True

    def action_contact(self) -> None:
        from casework.screens.forms import ContactModal

        if self._blocked():
            return
        self._form(ContactModal(self.person_id, self.reason), "tab-timeline")

    def action_note(self) -> None:
        from casework.screens.forms import NoteModal

        if self._blocked():
            return
        self._form(NoteModal(self.person_id, self.reason), "tab-timeline")

    def action_status(self) -> None:
        from casework.screens.forms import StatusModal

        if self._blocked():
            return
        current = self.data.detail.current_status if self.data else None
        self._form(StatusModal(self.person_id, current, self.reason), "tab-timeline")

    def action_refer(self) -> None:
        from casework.screens.forms import ReferralModal

        if self._blocked():
            return
        self._form(ReferralModal(self.person_id, self.reason), "tab-referrals")

    def action_follow_up(self) -> None:
        from casework.screens.forms import FollowUpModal

        if self._blocked():
            return
        self._form(FollowUpModal(self.person_id, self.reason), "tab-follow-ups")

    def action_guidance(self) -> None:
        from casework.screens.guidance import GuidanceScreen

        if self.data is not None:
            self.app.push_screen(GuidanceScreen(self.data.detail, self.reason))

    def _selected(self, table_id: str) -> str | None:
        return self.query_one(f"#{table_id}", RecordTable).cursor_key

    def action_move_referral(self) -> None:
        from casework.screens.forms import MoveReferralModal

        if self._blocked():
            return
        tabs = self.query_one(TabbedContent)
        if tabs.active != "tab-referrals":
            tabs.active = "tab-referrals"
            self.query_one("#referrals", RecordTable).focus()
            self._hint("file.pick_referral")
            return
        key = self._selected("referrals")
        ref = (
            next((r for r in self.data.referrals if str(r.id) == key), None) if self.data else None
        )
        if ref is None:
            self.notify(t("ui.person.no_referral"), severity="warning")
            return
        self._form(MoveReferralModal(ref, self.reason))

    def _chosen_follow_up(self) -> FollowUpOut | None:
        tabs = self.query_one(TabbedContent)
        if tabs.active != "tab-follow-ups":
            tabs.active = "tab-follow-ups"
            self.query_one("#follow-ups", RecordTable).focus()
            self._hint("file.pick_follow_up")
            return None
        key = self._selected("follow-ups")
        found = (
            next((f for f in self.data.follow_ups if str(f.id) == key), None) if self.data else None
        )
        if found is None or not found.open:
            self.notify(t("ui.person.no_follow_up"), severity="warning")
            return None
        return found

    def action_follow_up_done(self) -> None:
        self._close("done")

    def action_follow_up_missed(self) -> None:
        self._close("missed")

    def _close(self, status: str) -> None:
        from casework.screens.forms import CloseFollowUpModal

        if self._blocked():
            return
        found = self._chosen_follow_up()
        if found is not None:
            self._form(CloseFollowUpModal(found, status, self.reason))

    def action_follow_up_postpone(self) -> None:
        from casework.screens.forms import RescheduleModal

        if self._blocked():
            return
        found = self._chosen_follow_up()
        if found is not None:
            self._form(RescheduleModal(found, self.reason))

    def action_case_flags(self) -> None:
        """The vulnerability flags of the person's current case (v)."""
        if self.opened and not self._blocked():
            self.call_service(
                cases.current_case,
                self.ctx,
                self.person_id,
                reason=self.reason,
                on_done=self._edit_flags,
            )

    def _edit_flags(self, case: CaseFlagsOut | None) -> None:
        if case is None:
            self.notify(t("person.flags.no_case"), severity="warning")
            return
        if not case.editable:
            self.notify(t("error.not_case_worker"), severity="warning")
            return

        def saved(changed: bool | None) -> None:
            if changed:
                self.notify(t("person.flags.saved"))
                self.reload()
            elif changed is False:
                self.notify(t("person.flags.unchanged"))

        self.app.push_screen(CaseFlagsModal(case), saved)

    def action_case_lifecycle(self) -> None:
        """Close, reopen, hold or resume the person's case (k): screens/case_close.py."""
        from casework.screens.case_close import open_lifecycle

        if self.opened and not self._blocked():
            open_lifecycle(self, self.person_id, self.reason, self.reload)

    def action_reassign(self) -> None:
        """The person's open case to a colleague of its programme (w, supervisors)."""
        from casework.screens.assign import open_reassign

        if self.opened:
            open_reassign(self, self.person_id, self.reason, self.reload)

    def action_transfer(self) -> None:
        """Ask another programme to take the person's open case (t)."""
        from casework.screens.assign import open_transfer

        if self.opened and not self._blocked():
            open_transfer(self, self.person_id, self.reason, self.reload)

    def action_rights_request(self) -> None:
        """Register a data-protection request of this person (e)."""
        from casework.screens.rights import NewRequestModal

        if not self.opened:
            return

        def saved(ok: bool | None) -> None:
            if ok:
                self.notify(t("person.file.request_saved"))

        self.app.push_screen(NewRequestModal(self.person_id), saved)

    def action_edit_person(self) -> None:
        """Correct and complete the person's data (i): screens/person_edit.py."""
        from casework.screens.person_edit import open_edit_form

        if not self.opened or self._blocked():
            return
        open_edit_form(self, self.person_id, reason=self.reason, on_saved=self._after_save)

    def action_audit(self) -> None:
        """Who saw or changed this file (a), for supervisors and admins."""
        from casework.screens.audit import AuditScreen

        if not permissions.may_read_person_trail(self.casework.worker):
            self.notify(t("person.file.audit_supervisors_only"), severity="warning")
            return
        if self.opened:
            self.app.push_screen(AuditScreen(self.person_id))

    def _hint(self, key: str) -> None:
        """What the key just did needs a second press: say so, in place of an older hint."""
        self.app.clear_notifications()
        self.notify(t(key))

    def _view(self, viewer: EntryViewerModal) -> None:
        self.app.clear_notifications()  # a hint lying over the text would hide it
        self.app.push_screen(viewer)

    @on(RecordTable.RowSelected, "#timeline")
    def _read_entry(self, event: RecordTable.RowSelected) -> None:
        """Enter on a timeline row: the whole entry, wrapped, in a viewer (Esc closes)."""
        if self.data is None:
            return
        keys = timeline_keys(self.data.timeline)
        if event.row_key.value in keys:
            entry = self.data.timeline[keys.index(event.row_key.value)]
            what, detail = timeline_text(entry, sep="\n\n")
            who = " · ".join(x for x in (entry.worker_name, entry.programme_name) if x)
            self.app.push_screen(
                EntryViewerModal(f"{what} · {fmt_datetime(entry.at)}", who, detail or "—")
            )

    @on(RecordTable.RowSelected, "#referrals")
    def _read_referral(self, event: RecordTable.RowSelected) -> None:
        """Enter on a referral: all of it (reason, outcome, each move and its note)."""
        ref = next(
            (
                r
                for r in (self.data.referrals if self.data else [])
                if str(r.id) == event.row_key.value
            ),
            None,
        )
        if ref is not None:
            title = f"{t('ui.tl.referral')} · {destination_name(ref.destination_key)}"
            self._view(EntryViewerModal(title, "", referral_text(ref)))

    @on(RecordTable.RowSelected, "#follow-ups")
    def _read_follow_up(self, event: RecordTable.RowSelected) -> None:
        """Enter on a follow-up: what to check, whole, and what came of it."""
        found = next(
            (
                f
                for f in (self.data.follow_ups if self.data else [])
                if str(f.id) == event.row_key.value
            ),
            None,
        )
        if found is not None:
            title = f"{t('ui.tl.follow_up')} · {fmt_date(found.due_on)} · {t('fu.' + found.status)}"
            body = found.what + (
                f"\n\n{t('ui.field.outcome')}: {found.outcome}" if found.outcome else ""
            )
            self._view(EntryViewerModal(title, "", body))

    @on(RecordTable.RowSelected, "#guidance")
    def _open_guidance(self, event: RecordTable.RowSelected) -> None:
        from casework.screens.guidance import ChecklistScreen

        if self.data is None or not event.row_key.value:
            return
        g = next((g for g in self.data.guidance if str(g.id) == event.row_key.value), None)
        if g is not None:
            self.app.push_screen(ChecklistScreen(g.id, self.person_id, self.reason))


DETAIL_CELL = 60
"""Characters of an entry's detail on its timeline row; Enter reads the whole of it."""


def detail_cell(detail: str, limit: int = DETAIL_CELL) -> str:
    """The detail on one line; cut with "…" when there is more to read (the viewer)."""
    line = " ".join(detail.split())
    if len(line) > limit:
        return line[: limit - 1].rstrip() + "…"
    return line + ("…" if "\n" in detail.strip() else "")


def timeline_row(e: TimelineEntry) -> tuple[str, str, str, str]:
    what, detail = timeline_text(e)
    return (
        fmt_datetime(e.at),
        what,
        detail_cell(detail),
        " · ".join(x for x in (e.worker_name, e.programme_name) if x),
    )


def timeline_keys(entries: list[TimelineEntry]) -> list[str]:
    """A key per timeline row that stays the same when a newer entry arrives above it."""
    keys: list[str] = []
    seen: set[str] = set()
    for e in entries:
        base = f"{e.kind}:{e.ref_id}:{e.at.isoformat()}:{e.data.get('item', '')}"
        key, n = base, 1
        while key in seen:
            n += 1
            key = f"{base}:{n}"
        seen.add(key)
        keys.append(key)
    return keys


def referral_text(ref: ReferralOut) -> str:
    """A referral whole, for the viewer: its reason, where it stands, and each move."""
    statuses = refdata.code_list("referral_statuses")
    lines = [
        f"{t('ui.col.status')}: {code_label(statuses, ref.status)}",
        f"{t('ui.field.urgency')}: {t('ui.urgency.' + ref.urgency)}",
        f"{t('ui.field.reason')}: {ref.reason}",
    ]
    if ref.outcome:
        lines.append(
            f"{t('ui.field.outcome')}: {code_label(refdata.REFERRAL_OUTCOMES, ref.outcome)}"
        )
    if ref.declined_by:
        lines.append(f"{t('ui.field.declined_by')}: {t('ui.declined.' + ref.declined_by)}")
    if ref.decline_reason:
        lines.append(f"{t('ui.field.decline_reason')}: {ref.decline_reason}")
    for ev in ref.events:
        move = code_label(statuses, ev.to_status)
        lines.append(f"\n{fmt_datetime(ev.at)}  {move}" + (f"\n{ev.note}" if ev.note else ""))
    return "\n".join(lines)


def guidance_row(g: GuidanceOut) -> tuple[str, str, str, str]:
    done = sum(1 for i in g.items if i.state != "pending")
    return (
        fmt_date(g.created_at.date()),
        route_name(g.route_id),
        g.sermig_application or "—",
        f"{done}/{len(g.items)}",
    )


def language_name(code: str) -> str:
    from casework.i18n import current_language

    found = refdata.language(code)
    if found is None:
        return code
    return found.name_es if current_language() == "es" else found.name_en


def identity_text(p: PersonDetail) -> Text:
    from casework.screens.person_edit import household_line, household_of_line

    lines: list[tuple[str, str]] = []
    if p.social_name:
        # Ley 21.120: the person is addressed by their social name; documents keep the other.
        lines.append((t("edit.social_name"), p.social_name))
    lines += [
        (t("ui.field.age"), f"{age_text(p.birth_date)} ({fmt_date(p.birth_date)})"),
        (t("ui.field.sex"), t("sex." + p.sex) if p.sex else "—"),
        (t("ui.field.nationality"), country_name(p.nationality)),
        (t("ui.field.status"), code_label(refdata.MIGRATION_STATUSES, p.current_status)),
    ]
    today = clock.today()
    for d in p.documents:
        shown = doc_text(f"{d.type_key}:{d.number_norm}")
        if d.expires_on is not None:
            key = "edit.document_expired" if d.expires_on < today else "edit.document_expires"
            shown = t(key, document=shown, date=fmt_date(d.expires_on))
        lines.append((t("ui.field.document"), shown))
    lines += [
        (t("ui.field.phone"), p.phone or "—"),
    ]
    if p.phone2:
        lines.append((t("ui.field.phone"), p.phone2))
    if p.email:
        lines.append((t("edit.email"), p.email))
    if p.address:
        lines.append((t("edit.address"), p.address))
    lines += [
        (t("ui.field.commune"), commune_name(p.commune_code)),
        (t("ui.field.languages"), ", ".join(language_name(c) for c in p.language_codes) or "—"),
    ]
    if p.interpreter_needed:
        lines.append((t("ui.field.interpreter"), t("ui.yes")))
    if p.arrival_date:
        lines.append((t("ui.field.arrival"), fmt_date(p.arrival_date)))
    for h in p.household:
        lines.append((t("ui.field.household"), household_line(h)))
    for link in p.household_of:
        lines.append((t("ui.field.household"), household_of_line(link)))
    for c in p.cases:
        flags = ", ".join(flag_name(f) for f in c.flags)
        lines.append(
            (
                t("ui.field.case"),
                f"{c.programme_name}: {t('case.' + c.status)} · {c.worker_name}"
                + (f" · {flags}" if flags else ""),
            )
        )
    if p.stats_opt_out:
        lines.append((t("ui.field.stats"), t("ui.person.opted_out")))
    text = Text()
    for label, value in lines:
        text.append(f"{label}: ", style="bold")
        text.append(f"{value}\n")
    return text
