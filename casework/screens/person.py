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
from casework.screens.person_modals import AccessReasonModal, CaseFlagsModal, flag_name
from casework.services import cases, permissions, person_file
from casework.services.cases import CaseFlagsOut
from casework.services.followups import FollowUpOut
from casework.services.guidance import GuidanceOut
from casework.services.person_file import PersonDetail, PersonFile, TimelineEntry
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


def timeline_text(entry: TimelineEntry) -> tuple[str, str]:
    """(what, detail) for one timeline line, in the UI language."""
    d: dict[str, Any] = entry.data
    kind = entry.kind
    if kind == "contact":
        reasons = ", ".join(code_label(refdata.CONTACT_REASONS, r) for r in d.get("reasons", []))
        what = t("ui.tl.intake") if d.get("contact_kind") == "intake" else t("ui.tl.contact")
        return what, " · ".join(p for p in (reasons, d.get("note", "")) if p)
    if kind == "status":
        return t("ui.tl.status"), code_label(refdata.MIGRATION_STATUSES, d.get("status"))
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
            f" · {d['note']}" if d.get("note") else ""
        )
    if kind == "follow_up":
        return t("ui.tl.follow_up"), f"{d.get('what', '')} ({fmt_date_iso(d.get('due_on'))})"
    if kind == "follow_up_closed":
        return t("ui.tl.follow_up_closed"), (
            f"{d.get('what', '')}: {t('fu.' + d.get('status', ''))}"
            + (f" · {d['outcome']}" if d.get("outcome") else "")
        )
    if kind == "note":
        return t("ui.tl.note"), d.get("text", "")
    if kind == "correction":
        from casework.screens.person_edit import correction_text

        return correction_text(d)
    if kind == "consent":
        purpose = t("consent." + d.get("purpose", ""))
        dest = destination_name(d["destination"]) if d.get("destination") else ""
        return t("ui.tl.consent"), " ".join(p for p in (purpose, dest) if p)
    return kind, ""


def fmt_date_iso(value: str | None) -> str:
    import datetime as dt

    return fmt_date(dt.date.fromisoformat(value)) if value else "—"


class PersonScreen(CaseworkScreen):
    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("c", "contact", "key.contact", id="contact"),
        Binding("n", "note", "key.note", id="note"),
        Binding("s", "status", "key.status", id="status"),
        Binding("g", "guidance", "key.guidance", id="guidance"),
        Binding("r", "refer", "key.refer", id="refer"),
        Binding("f", "follow_up", "key.follow_up", id="follow-up"),
        Binding("m", "move_referral", "key.move_referral", id="move-referral"),
        Binding("d", "follow_up_done", "key.follow_up_done", id="follow-up-done"),
        Binding(
            "p", "follow_up_postpone", "key.follow_up_postpone", id="follow-up-postpone", show=False
        ),
        Binding("x", "follow_up_missed", "key.follow_up_missed", id="follow-up-missed", show=False),
        Binding("v", "case_flags", "key.case_flags", id="case-flags"),
        Binding("i", "edit_person", "key.edit_person", id="edit-person"),
        Binding("e", "rights_request", "key.person_rights", id="rights-request", show=False),
        Binding("a", "audit", "key.person_audit", id="person-audit", show=False),
    ]

    def __init__(self, person_id: uuid.UUID) -> None:
        super().__init__()
        self.person_id = person_id
        self.data: PersonFile | None = None
        self.reason: str | None = None
        """Why a file outside the worker's caseload was opened (a code of services/gate.py)."""
        self.opened = False
        """The file was shown once: later loads are reloads (each still through the gate)."""

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
        self.query_one("#referrals", RecordTable).add_columns(
            t("ui.col.created"),
            t("ui.col.destination"),
            t("ui.col.status"),
            t("ui.col.outcome"),
        )
        self.query_one("#follow-ups", RecordTable).add_columns(
            t("ui.col.due"), t("ui.col.what"), t("ui.col.status")
        )
        self.query_one("#guidance", RecordTable).add_columns(
            t("ui.col.created"), t("ui.col.route"), t("ui.col.application"), t("ui.col.progress")
        )
        self.reload(first=True)

    def on_resize(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")

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
        table.refill((str(i), timeline_row(e)) for i, e in enumerate(data.timeline))
        refs = self.query_one("#referrals", RecordTable)
        refs.refill(
            (
                str(r.id),
                (
                    fmt_date(r.created_at.date()),
                    destination_name(r.destination_key),
                    code_label(refdata.code_list("referral_statuses"), r.status),
                    code_label(refdata.REFERRAL_OUTCOMES, r.outcome),
                ),
            )
            for r in data.referrals
        )
        fus = self.query_one("#follow-ups", RecordTable)
        today = clock.today()
        fus.refill(
            (
                str(f.id),
                (
                    Text(fmt_date(f.due_on), style="bold red" if f.overdue(today) else ""),
                    f.what,
                    t("fu." + f.status),
                ),
            )
            for f in data.follow_ups
        )
        gtable = self.query_one("#guidance", RecordTable)
        gtable.refill((str(g.id), guidance_row(g)) for g in data.guidance)
        self.query_one("#timeline", RecordTable).focus()

    # Actions -------------------------------------------------------------------------------

    def _after_save(self, saved: object) -> None:
        if saved:
            self.reload()

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
        self.app.push_screen(ContactModal(self.person_id, self.reason), self._after_save)

    def action_note(self) -> None:
        from casework.screens.forms import NoteModal

        if self._blocked():
            return
        self.app.push_screen(NoteModal(self.person_id, self.reason), self._after_save)

    def action_status(self) -> None:
        from casework.screens.forms import StatusModal

        if self._blocked():
            return
        current = self.data.detail.current_status if self.data else None
        self.app.push_screen(StatusModal(self.person_id, current, self.reason), self._after_save)

    def action_refer(self) -> None:
        from casework.screens.forms import ReferralModal

        if self._blocked():
            return
        self.app.push_screen(ReferralModal(self.person_id, self.reason), self._after_save)

    def action_follow_up(self) -> None:
        from casework.screens.forms import FollowUpModal

        if self._blocked():
            return
        self.app.push_screen(FollowUpModal(self.person_id, self.reason), self._after_save)

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
            return
        key = self._selected("referrals")
        ref = (
            next((r for r in self.data.referrals if str(r.id) == key), None) if self.data else None
        )
        if ref is None:
            self.notify(t("ui.person.no_referral"), severity="warning")
            return
        self.app.push_screen(MoveReferralModal(ref, self.reason), self._after_save)

    def _chosen_follow_up(self) -> FollowUpOut | None:
        tabs = self.query_one(TabbedContent)
        if tabs.active != "tab-follow-ups":
            tabs.active = "tab-follow-ups"
            self.query_one("#follow-ups", RecordTable).focus()
            return None
        key = self._selected("follow-ups")
        found = (
            next((f for f in self.data.follow_ups if str(f.id) == key), None) if self.data else None
        )
        if found is None or found.status != "pending":
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
            self.app.push_screen(CloseFollowUpModal(found, status, self.reason), self._after_save)

    def action_follow_up_postpone(self) -> None:
        from casework.screens.forms import RescheduleModal

        if self._blocked():
            return
        found = self._chosen_follow_up()
        if found is not None:
            self.app.push_screen(RescheduleModal(found, self.reason), self._after_save)

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

    @on(RecordTable.RowSelected, "#guidance")
    def _open_guidance(self, event: RecordTable.RowSelected) -> None:
        from casework.screens.guidance import ChecklistScreen

        if self.data is None or not event.row_key.value:
            return
        g = next((g for g in self.data.guidance if str(g.id) == event.row_key.value), None)
        if g is not None:
            self.app.push_screen(ChecklistScreen(g.id, self.person_id, self.reason))


def timeline_row(e: TimelineEntry) -> tuple[str, str, str, str]:
    what, detail = timeline_text(e)
    return (
        fmt_datetime(e.at),
        what,
        detail[:120],
        " · ".join(x for x in (e.worker_name, e.programme_name) if x),
    )


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
