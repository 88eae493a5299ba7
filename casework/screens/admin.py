"""F10, administrators only: workers (add, role and programme, deactivate, a new temporary
password, unlock), programmes (add, rename) and the office's own referral destinations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import (
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from casework import refdata
from casework.i18n import current_language, t
from casework.models.enums import Role
from casework.screens.assign import open_move_work
from casework.screens.base import CaseworkScreen
from casework.screens.forms import FormModal
from casework.services import assignment, auth, catalogue, desk, settings, staff
from casework.services.assignment import Workload
from casework.services.catalogue import LocalDestinationOut
from casework.services.context import Context
from casework.services.desk import StaffLists
from casework.services.staff import ProgrammeRow, StaffOut
from casework.widgets import (
    ConfirmModal,
    RecordTable,
    error_slot,
    error_text,
    fmt_datetime,
    remember_destinations,
)

WORKERS, PROGRAMMES, CATALOGUE = "workers", "programmes", "catalogue"


def load_admin(ctx: Context) -> StaffLists:
    lists = desk.staff_lists(ctx)
    remember_destinations(lists.local)
    return lists


def _name(es: str, en: str) -> str:
    return es if current_language() == "es" else (en or es)


def _role_options() -> list[tuple[str, str]]:
    return [(t(f"role.{r.value}"), r.value) for r in Role]


def _programme_options(programmes: list[ProgrammeRow]) -> list[tuple[str, str]]:
    return [(f"{p.code} · {p.name}", p.code) for p in programmes]


class AdminForm(FormModal):
    """A form of the admin screen: the service's answer is kept for the screen's notice;
    passwords are never kept in a draft."""

    def __init__(self, subject: object = "") -> None:
        super().__init__()
        self.subject = subject
        self.result: Any = None

    def draft_key(self) -> tuple[str, str]:
        return type(self).__name__, str(getattr(self.subject, "id", self.subject))

    def title_text(self) -> str:
        return t(self.TITLE_KEY)

    def on_mount(self) -> None:
        self.query_one(".title", Static).update(self.title_text())

    def _values(self) -> dict[str, Any]:
        values = super()._values()
        return {k: v for k, v in values.items() if not k.startswith("password")}

    def _done(self, result: object) -> None:
        self.result = result
        super()._done(result)

    def text(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value

    def choice(self, name: str) -> str | None:
        value = self.query_one(f"#{name}", Select).value
        return value if isinstance(value, str) else None

    def passwords_match(self) -> bool:
        if self.text("password") == self.text("password_repeat"):
            return True
        slot = self.query_one("#error-password_repeat", Static)
        slot.update(t("error.passwords_differ"))
        slot.display = True
        self.focus_first_error()
        return False


def _password_fields() -> ComposeResult:
    yield Label(t("admin.password", length=auth.MIN_PASSWORD_LENGTH))
    yield Input(id="password", password=True, compact=True)
    yield error_slot("password")
    yield Label(t("admin.password_repeat"))
    yield Input(id="password_repeat", password=True, compact=True)
    yield error_slot("password_repeat")


def _pair(*columns: tuple[str, Input | Select[str], str], classes: str = "") -> ComposeResult:
    """Two fields side by side, each with its label above and its error slot below: a form
    of eight fields in one column is taller than 24 lines."""
    with Horizontal(classes=f"pair {classes}".strip()):
        for label, field, error in columns:
            with Vertical():
                yield Label(label)
                yield field
                yield error_slot(error)


class NewWorkerModal(AdminForm):
    TITLE_KEY = "admin.new_worker_title"

    def __init__(self, programmes: list[ProgrammeRow]) -> None:
        super().__init__()
        self.programmes = programmes

    def fields(self) -> ComposeResult:
        # Two fields a row, so the whole form and its messages fit at 80x24.
        yield from _pair(
            (t("admin.username"), Input(id="username", compact=True), "username"),
            (t("admin.full_name"), Input(id="full_name", compact=True), "full_name"),
        )
        role = Select(
            _role_options(),
            prompt=t("ui.select_prompt"),
            value=Role.WORKER.value,
            allow_blank=False,
            id="role",
            compact=True,
        )
        programme = Select(
            _programme_options(self.programmes), prompt="—", id="programme", compact=True
        )
        yield from _pair(
            (t("admin.role"), role, "role"),
            (t("admin.programme"), programme, "programme_code"),
        )
        yield Checkbox(t("admin.office_wide"), id="office_wide", compact=True)
        yield error_slot("office_wide")
        length = auth.MIN_PASSWORD_LENGTH
        yield from _pair(
            (
                t("admin.password", length=length),
                Input(id="password", password=True, compact=True),
                "password",
            ),
            (
                t("admin.password_repeat"),
                Input(id="password_repeat", password=True, compact=True),
                "password_repeat",
            ),
            classes="passwords",
        )

    def action_save(self) -> None:
        for slot in self.query(".field-error"):
            slot.display = False
        if not self.passwords_match():
            return
        data = {
            "username": self.text("username"),
            "full_name": self.text("full_name"),
            "role": self.choice("role"),
            "programme_code": self.choice("programme"),
            "office_wide": self.query_one("#office_wide", Checkbox).value,
            "password": self.text("password"),
        }
        self.submit(staff.add_worker, self.ctx, data)


class EditWorkerModal(AdminForm):
    TITLE_KEY = "admin.edit_worker_title"

    def __init__(self, worker: StaffOut, programmes: list[ProgrammeRow]) -> None:
        super().__init__(worker)
        self.worker = worker
        self.programmes = programmes

    def title_text(self) -> str:
        return t(self.TITLE_KEY, username=self.worker.username)

    def fields(self) -> ComposeResult:
        yield Label(t("admin.full_name"))
        yield Input(self.worker.full_name, id="full_name", compact=True)
        yield error_slot("full_name")
        yield Label(t("admin.role"))
        yield Select(
            _role_options(),
            prompt=t("ui.select_prompt"),
            value=self.worker.role,
            allow_blank=False,
            id="role",
            compact=True,
        )
        yield error_slot("role")
        yield Label(t("admin.programme"))
        options = _programme_options(self.programmes)
        code = self.worker.programme_code
        yield Select(
            options,
            prompt="—",
            value=code if code in {c for _, c in options} else Select.NULL,
            id="programme",
            compact=True,
        )
        yield error_slot("programme_code")
        yield Checkbox(
            t("admin.office_wide"), self.worker.office_wide, id="office_wide", compact=True
        )
        yield error_slot("office_wide")

    def action_save(self) -> None:
        data = {
            "full_name": self.text("full_name"),
            "role": self.choice("role"),
            "programme_code": self.choice("programme"),
            "office_wide": self.query_one("#office_wide", Checkbox).value,
        }
        self.submit(staff.change_worker, self.ctx, self.worker.id, data)


class PasswordModal(AdminForm):
    TITLE_KEY = "admin.password_title"

    def __init__(self, worker: StaffOut) -> None:
        super().__init__(worker)
        self.worker = worker

    def title_text(self) -> str:
        return t(self.TITLE_KEY, username=self.worker.username)

    def fields(self) -> ComposeResult:
        yield from _password_fields()

    def action_save(self) -> None:
        for slot in self.query(".field-error"):
            slot.display = False
        if self.passwords_match():
            data = {"password": self.text("password")}
            self.submit(staff.reset_password, self.ctx, self.worker.id, data)


class ProgrammeModal(AdminForm):
    """A new programme (code and name), or a new name for one."""

    TITLE_KEY = "admin.new_programme_title"

    def __init__(self, programme: ProgrammeRow | None = None) -> None:
        super().__init__(programme or "")
        self.programme = programme

    def title_text(self) -> str:
        if self.programme is None:
            return t(self.TITLE_KEY)
        return t("admin.rename_programme_title", code=self.programme.code)

    def fields(self) -> ComposeResult:
        if self.programme is None:
            yield Label(t("admin.programme_code"))
            yield Input(id="code", compact=True)
            yield error_slot("code")
        yield Label(t("admin.programme_name"))
        yield Input(self.programme.name if self.programme else "", id="name", compact=True)
        yield error_slot("name")

    def action_save(self) -> None:
        if self.programme is None:
            data = {"code": self.text("code"), "name": self.text("name")}
            self.submit(staff.create_programme, self.ctx, data)
        else:
            data = {"name": self.text("name")}
            self.submit(staff.rename_programme, self.ctx, self.programme.id, data)


class DestinationModal(AdminForm):
    """One of the office's own destinations: new, or corrected (its key stays)."""

    TITLE_KEY = "admin.new_destination_title"
    TEXTS = (
        ("name_es", "admin.dest_name_es"),
        ("name_en", "admin.dest_name_en"),
        ("when_es", "admin.dest_when_es"),
        ("when_en", "admin.dest_when_en"),
        ("typical_outcome_es", "admin.dest_outcome_es"),
        ("typical_outcome_en", "admin.dest_outcome_en"),
        ("contact_es", "admin.dest_contact"),
    )

    def __init__(self, destination: LocalDestinationOut | None = None) -> None:
        super().__init__(destination or "")
        self.destination = destination

    def title_text(self) -> str:
        if self.destination is None:
            return t(self.TITLE_KEY)
        return t("admin.edit_destination_title", dest_key=self.destination.key)

    def fields(self) -> ComposeResult:
        # Spanish and English side by side: one column of ten fields is taller than 24 lines.
        dest = self.destination

        def field(name: str, label: str) -> ComposeResult:
            yield Label(t(label))
            yield Input(getattr(dest, name) if dest else "", id=name, compact=True)
            yield error_slot(name)

        def pair(es: int) -> ComposeResult:
            with Horizontal(classes="pair"):
                for name, label in self.TEXTS[es : es + 2]:
                    with Vertical():
                        yield from field(name, label)

        yield from pair(0)
        with Horizontal(classes="pair"):
            with Vertical():
                yield Label(t("admin.dest_area"))
                areas = [(_name(a.name_es, a.name_en), a.key) for a in refdata.service_areas()]
                yield Select(
                    areas,
                    prompt=t("ui.select_prompt"),
                    value=dest.service_area if dest else Select.NULL,
                    id="service_area",
                    compact=True,
                )
                yield error_slot("service_area")
            if dest is None:
                with Vertical():
                    yield from field("key", "admin.dest_key")
        yield from pair(2)
        yield from pair(4)
        yield from field(*self.TEXTS[6])
        yield Checkbox(
            t("admin.dest_private"), dest.private if dest else False, id="private", compact=True
        )

    def action_save(self) -> None:
        data: dict[str, Any] = {name: self.text(name) for name, _label in self.TEXTS}
        data["service_area"] = self.choice("service_area") or ""
        data["private"] = self.query_one("#private", Checkbox).value
        if self.destination is None:
            data["key"] = self.text("key")
            self.submit(catalogue.add_destination, self.ctx, data)
        else:
            self.submit(catalogue.update_destination, self.ctx, self.destination.key, data)


@dataclass(frozen=True)
class CatalogueRow:
    key: str
    name: str
    area: str
    private: bool
    local: LocalDestinationOut | None
    """None for a destination shipped with casework (read-only here)."""


class OfficeSettingsModal(AdminForm):
    """The office's settings (issue #15, point 6): the idle lock's minutes. The form keeps
    the version it read, so a change another administrator saved meanwhile is reported,
    not overwritten."""

    TITLE_KEY = "session.admin.settings_title"

    def __init__(self) -> None:
        super().__init__("office")
        self.version: int | None = None

    def fields(self) -> ComposeResult:
        yield Label(
            t(
                "session.admin.idle_minutes",
                low=settings.IDLE_LOCK_MIN,
                high=settings.IDLE_LOCK_MAX,
            )
        )
        yield Input(id="minutes", compact=True, restrict=r"[0-9]*", max_length=3)
        yield error_slot("minutes")

    def on_mount(self) -> None:
        super().on_mount()
        self.call_service(settings.office_settings, self.ctx, on_done=self._loaded)

    def _loaded(self, current: settings.OfficeSettingsOut) -> None:
        self.version = current.version
        field = self.query_one("#minutes", Input)
        if not field.value:  # a kept draft wins over the value on record
            field.value = str(current.idle_lock_minutes)

    def rebase(self, conflict: Any) -> bool:
        self.version = settings.office_settings(self.ctx).version
        return True

    def action_save(self) -> None:
        if self.version is None:
            return  # still reading what is on record
        data = {"minutes": self.text("minutes"), "version": self.version}
        self.submit(settings.set_idle_lock, self.ctx, data)

    def _done(self, result: object) -> None:
        if isinstance(result, settings.OfficeSettingsOut) and hasattr(self.app, "idle_minutes"):
            self.app.idle_minutes = result.idle_lock_minutes  # this desk locks by it at once
        super()._done(result)


class AdminScreen(CaseworkScreen):
    """Administration: one tab per list; the keys act on the open tab's highlighted row."""

    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("1", "tab('workers')", "key.tab_workers", id="tab-workers", show=False),
        Binding("2", "tab('programmes')", "key.tab_programmes", id="tab-programmes", show=False),
        Binding("3", "tab('catalogue')", "key.tab_catalogue", id="tab-catalogue", show=False),
        Binding("a", "add", "key.add", id="add"),
        Binding("e", "edit", "key.edit", id="edit"),
        Binding("d", "toggle_active", "key.toggle_active", id="toggle-active"),
        Binding("p", "password", "key.reset_password", id="reset-password", show=False),
        Binding("u", "unlock", "key.unlock", id="unlock", show=False),
        Binding("r", "refresh", "key.refresh", id="refresh", show=False),
        Binding("o", "office_settings", "key.session_idle_lock", id="office-settings", show=False),
        Binding("w", "move_work", "key.assign_work", id="assign-work", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data = StaffLists([], [], [])
        self.rows: list[CatalogueRow] = []
        self._select_next: tuple[str, str] | None = None
        """(tab, row key) of a record just added: the cursor goes to it once it is listed."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("admin.title"), classes="title")
        with TabbedContent(id="admin-tabs", initial=WORKERS):
            with TabPane(t("admin.tab_workers"), id=WORKERS):
                yield Static("", id="workers-status", classes="help-text")
                yield RecordTable(id="workers-table")
            with TabPane(t("admin.tab_programmes"), id=PROGRAMMES):
                yield Static("", id="programmes-status", classes="help-text")
                yield RecordTable(id="programmes-table")
            with TabPane(t("admin.tab_catalogue"), id=CATALOGUE):
                yield Static("", id="catalogue-status", classes="help-text")
                yield RecordTable(id="catalogue-table")
        yield Footer()

    def on_mount(self) -> None:
        self.table(WORKERS).add_columns(
            t("admin.col_username"),
            t("admin.col_name"),
            t("admin.col_role"),
            t("admin.col_programme"),
            t("admin.col_active"),
            t("admin.col_access"),
            t("admin.col_last_seen"),
        )
        self.table(PROGRAMMES).add_columns(
            t("admin.col_code"), t("admin.col_name"), t("admin.col_workers")
        )
        self.table(CATALOGUE).add_columns(
            t("admin.col_name"),
            t("admin.col_area"),
            t("admin.col_origin"),
            t("admin.col_private"),
            t("admin.col_key"),
            t("admin.col_contact"),
        )
        self.action_refresh()

    def table(self, tab: str) -> RecordTable:
        return self.query_one(f"#{tab}-table", RecordTable)

    @property
    def tab(self) -> str:
        return self.query_one(TabbedContent).active or WORKERS

    # Loading -----------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.call_service(load_admin, self.ctx, on_done=self._show, group="admin", exclusive=True)

    def on_return(self) -> None:
        self.action_refresh()

    def _show(self, data: StaffLists) -> None:
        self.data = data
        self._show_workers()
        self._show_programmes()
        self._show_catalogue()
        if self._select_next is not None:
            tab, key = self._select_next
            self._select_next = None
            table = self.table(tab)
            if key in table.rows:
                table.move_cursor(row=table.get_row_index(key))
        self.table(self.tab).focus()

    def _show_workers(self) -> None:
        yes, no = t("ui.yes"), Text(t("ui.no"), style="bold")
        rows = []
        for w in self.data.staff:
            # Why this person cannot sign in now, if they cannot: locked out, or no password
            # yet (p gives one). The last sign-in column only ever holds a sign-in.
            access: str | Text = ""
            if w.locked:
                when = fmt_datetime(w.locked_until)
                access = Text(t("admin.locked_until", when=when), style="bold red")
            elif not w.has_password:
                access = Text(t("admin.no_password"), style="bold")
            seen = fmt_datetime(w.last_seen_at) if w.last_seen_at else t("admin.never")
            rows.append(
                (
                    str(w.id),
                    [
                        w.username,
                        w.full_name if w.active else Text(w.full_name, style="dim"),
                        t("admin.role_office_wide") if w.office_wide else t(f"role.{w.role}"),
                        w.programme_code or "—",
                        yes if w.active else no,
                        access,
                        seen,
                    ],
                )
            )
        self.table(WORKERS).refill(rows)
        inactive = sum(1 for w in self.data.staff if not w.active)
        self.query_one("#workers-status", Static).update(
            t("admin.workers_count", count=len(self.data.staff), inactive=inactive)
        )

    def _show_programmes(self) -> None:
        rows = [(str(p.id), [p.code, p.name, str(p.workers)]) for p in self.data.programmes]
        self.table(PROGRAMMES).refill(rows)
        self.query_one("#programmes-status", Static).update(
            t("admin.programmes_count", count=len(self.data.programmes))
        )

    def _show_catalogue(self) -> None:
        # The office's own first: they are the ones an administrator edits.
        self.rows = [
            CatalogueRow(d.key, _name(d.name_es, d.name_en), d.service_area, d.private, d)
            for d in self.data.local
        ] + [
            CatalogueRow(d.key, _name(d.name_es, d.name_en), d.service_area, d.private, None)
            for d in refdata.destinations()
        ]
        rows = []
        for row in self.rows:
            area = refdata.service_area(row.area)
            origin = t("admin.origin_local") if row.local else t("admin.origin_shipped")
            name: str | Text = row.name
            if row.local is not None and not row.local.active:
                name = Text(f"{row.name} ({t('admin.inactive')})", style="dim")
            rows.append(
                (
                    row.key,
                    [
                        name,
                        _name(area.name_es, area.name_en) if area else row.area,
                        origin,
                        t("ui.yes") if row.private else "",
                        row.key,
                        row.local.contact_es if row.local else "",
                    ],
                )
            )
        self.table(CATALOGUE).refill(rows)
        inactive = sum(1 for d in self.data.local if not d.active)
        self.query_one("#catalogue-status", Static).update(
            t(
                "admin.catalogue_count",
                shipped=len(refdata.destinations()),
                local=len(self.data.local),
                inactive=inactive,
            )
        )

    # Selection ---------------------------------------------------------------------------------

    def _selected_key(self, tab: str) -> str | None:
        """The row key (record id or destination key) under the cursor of ``tab``'s table,
        when that tab is open: the record is found by key, never by position."""
        if self.tab != tab:
            return None
        return self.table(tab).cursor_key

    def selected_worker(self) -> StaffOut | None:
        key = self._selected_key(WORKERS)
        return next((w for w in self.data.staff if str(w.id) == key), None)

    def selected_programme(self) -> ProgrammeRow | None:
        key = self._selected_key(PROGRAMMES)
        return next((p for p in self.data.programmes if str(p.id) == key), None)

    def selected_destination(self) -> CatalogueRow | None:
        key = self._selected_key(CATALOGUE)
        return next((row for row in self.rows if row.key == key), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("password", "unlock", "move_work"):
            return self.tab == WORKERS
        if action == "toggle_active":
            return self.tab != PROGRAMMES
        return True

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()
        self.table(self.tab).focus()

    @on(RecordTable.RowSelected)
    def _chosen(self) -> None:
        self.action_edit()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    # Actions -----------------------------------------------------------------------------------

    def _open(self, form: AdminForm, notice: Any, *, added: Any = None) -> None:
        """Push ``form``; once saved, say so with ``notice(result)`` and reload the lists.
        For a new record, ``added(result)`` is its row key: the cursor goes to it."""
        tab = self.tab

        def closed(saved: bool | None) -> None:
            if saved:
                self.notify(notice(form.result))
                if added is not None:
                    self._select_next = (tab, added(form.result))
                self.action_refresh()

        self.app.push_screen(form, closed)

    def action_add(self) -> None:
        if self.tab == WORKERS:
            self._open(
                NewWorkerModal(self.data.programmes),
                lambda w: t("admin.worker_added", username=w.username),
                added=lambda w: str(w.id),
            )
        elif self.tab == PROGRAMMES:
            self._open(
                ProgrammeModal(),
                lambda p: t("admin.programme_added", code=p.code),
                added=lambda p: str(p.id),
            )
        else:
            self._open(
                DestinationModal(),
                lambda d: t(
                    "admin.destination_added", name=_name(d.name_es, d.name_en), dest_key=d.key
                ),
                added=lambda d: d.key,
            )

    def action_office_settings(self) -> None:
        """O: the office's settings (the idle lock's minutes)."""
        self._open(
            OfficeSettingsModal(),
            lambda s: t("session.admin.saved", minutes=s.idle_lock_minutes),
        )

    def action_edit(self) -> None:
        worker, programme = self.selected_worker(), self.selected_programme()
        destination = self.selected_destination()
        if worker is not None:
            self._open(
                EditWorkerModal(worker, self.data.programmes),
                lambda w: t("admin.worker_saved", username=w.username),
            )
        elif programme is not None:
            self._open(
                ProgrammeModal(programme),
                lambda p: t("admin.programme_renamed", code=p.code),
            )
        elif destination is not None:
            if destination.local is None:
                self.notify(t("admin.shipped_read_only"), severity="warning")
                return
            self._open(
                DestinationModal(destination.local),
                lambda d: t("admin.destination_saved", name=_name(d.name_es, d.name_en)),
            )

    def action_password(self) -> None:
        worker = self.selected_worker()
        if worker is not None:
            self._open(
                PasswordModal(worker), lambda w: t("admin.password_reset", username=w.username)
            )

    def _run(self, fn: Any, *args: Any, notice: Any) -> None:
        """A one-key change (no form): the service's refusal is shown as it comes."""

        def done(result: Any) -> None:
            self.notify(notice(result))
            self.action_refresh()

        self.call_service(
            fn,
            self.ctx,
            *args,
            on_done=done,
            on_error=lambda exc: self.notify(error_text(exc), severity="error", timeout=8),
        )

    def _confirm(self, question: str, then: Any) -> None:
        modal = ConfirmModal(t("admin.deactivate_title"), question)
        self.app.push_screen(modal, lambda yes: then() if yes else None)

    def action_toggle_active(self) -> None:
        worker, destination = self.selected_worker(), self.selected_destination()
        if worker is not None:
            self._toggle_worker(worker)
        elif destination is not None:
            if destination.local is None:
                self.notify(t("admin.shipped_read_only"), severity="warning")
                return
            self._toggle_destination(destination.local)

    def _toggle_worker(self, worker: StaffOut) -> None:
        if not worker.active:
            self._run(
                staff.set_active,
                worker.id,
                True,
                notice=lambda w: t("admin.worker_reactivated", username=w.username),
            )
            return
        self.call_service(
            assignment.workload,
            self.ctx,
            worker.id,
            on_done=lambda work: self._deactivate(worker, work),
        )

    def _deactivate(self, worker: StaffOut, work: Workload) -> None:
        """With open work, the deactivation asks who takes it (screens/assign.py)."""
        if not work.empty:
            open_move_work(self, worker.id, self.action_refresh, deactivate=True)
            return
        self._confirm(
            t("admin.deactivate_worker", name=worker.full_name),
            lambda: self._run(
                staff.set_active,
                worker.id,
                False,
                notice=lambda w: t("admin.worker_deactivated", username=w.username),
            ),
        )

    def action_move_work(self) -> None:
        """The selected worker's open cases and follow-ups to a colleague (w)."""
        worker = self.selected_worker()
        if worker is not None:
            open_move_work(self, worker.id, self.action_refresh)

    def _toggle_destination(self, dest: LocalDestinationOut) -> None:
        name = _name(dest.name_es, dest.name_en)
        if not dest.active:
            self._run(
                catalogue.set_destination_active,
                dest.key,
                True,
                notice=lambda _d: t("admin.destination_reactivated", name=name),
            )
            return
        self._confirm(
            t("admin.deactivate_destination", name=name),
            lambda: self._run(
                catalogue.set_destination_active,
                dest.key,
                False,
                notice=lambda _d: t("admin.destination_deactivated", name=name),
            ),
        )

    def action_unlock(self) -> None:
        worker = self.selected_worker()
        if worker is None:
            return
        if not worker.locked:
            self.notify(t("admin.not_locked", username=worker.username))
            return
        self._run(
            staff.unlock,
            worker.id,
            notice=lambda w: t("admin.unlocked", username=w.username),
        )

    def action_back(self) -> None:
        self.app.pop_screen()


__all__ = [
    "AdminScreen",
    "DestinationModal",
    "EditWorkerModal",
    "NewWorkerModal",
    "PasswordModal",
    "ProgrammeModal",
]
