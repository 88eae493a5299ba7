"""The Textual application, built by one factory shared by the CLI and the tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker

from casework import clock
from casework.commands import CaseworkPalette, ScreenActions, system_commands
from casework.db import Database, hold_open, release
from casework.errors import NotAllowed
from casework.i18n import t, tn
from casework.services import auth, catalogue, outbox, permissions, sessions, settings, staff
from casework.services.context import Context
from casework.services.drafts import Draft, DraftBook
from casework.services.schemas import WorkerOut
from casework.widgets import remember_destinations, translate_bindings

if TYPE_CHECKING:
    from casework.screens.base import Desk


def _intake_name(draft_id: Any) -> str:
    """The name an unfinished intake form is installed under (kept while it is a draft)."""
    return f"intake-{draft_id}"


IMPORT_SCREEN = "import"
"""The name the import screen is installed under (F3)."""

DESK_REFRESH_SECONDS = 1.0
"""How often an offline desk's header re-counts the changes waiting (after each save, the
count is at most this late; on a database that is not a desk nothing is counted)."""

HEADER_CHROME = 18
"""Columns of the header that are not its title (Textual's icon, 8, and clock space, 10)."""


def desk_header(status: outbox.DeskStatus, width: int) -> str:
    """The desk's status as the header says it: "Puesto sin conexión · 0 cambios por enviar ·
    1 conflicto (2 en espera)" -- the commands the server refused, and this desk's waiting
    behind them (as ``casework sync status`` and the sync's summary count them); said
    shorter ("Sin conexión · 0 cambios por enviar · ...", then "Sin conexión · 0 por enviar
    · ...") when that does not fit in ``width``."""
    conflicts = ""
    if status.conflicts or status.held:
        conflicts = " · " + tn("syncdesk.header.conflicts", status.conflicts)
        if status.held:
            conflicts += " " + tn("syncdesk.held", status.held)
    for form in ("offline", "medium"):
        text = tn(f"syncdesk.header.{form}", status.waiting) + conflicts
        if len(text) <= width:
            return text
    return tn("syncdesk.header.short", status.waiting) + conflicts


OFFLINE_REFUSED: dict[str, str] = {
    permissions.IMPORT: outbox.ONLINE_ONLY["importing.import_persons"],
    permissions.PANEL: outbox.ONLINE_ONLY["panel.export"],
    permissions.DEDUPE: outbox.ONLINE_ONLY["merge.merge"],
    permissions.RIGHTS: outbox.ONLINE_ONLY["rights.register"],
    permissions.RETENTION: outbox.ONLINE_ONLY["retention.anonymise"],
    permissions.ADMIN: outbox.ONLINE_ONLY["staff.create_worker"],
}
"""Screens whose point is an act only the office server does (import, the Panel export,
merging, rights requests, retention, staff administration): on an offline desk their key
refuses at once, with the message the service would give at the save (services/outbox.py),
and what it is."""

KEY_NAMES = frozenset({"home", "end", "pageup", "pagedown", "delete", "space", "tab"})
"""Keys whose display name is translated (spanish.key_name in the catalogues)."""


class CaseworkApp(App[int]):
    """casework's desk: the worker's day, search, intake and the person file."""

    CSS_PATH = "app.tcss"
    TITLE = "casework"
    COMMANDS = App.COMMANDS | {ScreenActions}
    COMMAND_PALETTE_BINDING = "f1"
    """The key Textual's footer pins at its right edge, whatever the screen's own keys take:
    F1 help, so it is always visible at 80 columns. (The palette itself is Ctrl+P, bound
    below, and F1 help says so.)"""
    BINDINGS = [
        # Global keys stay out of the footer (the screen's own keys need the room at 80
        # columns); F1 is pinned there (COMMAND_PALETTE_BINDING) and lists all of them.
        Binding("f1", "help", "key.help", id="help", show=False),
        Binding("question_mark", "help", "key.help", show=False),
        Binding("ctrl+t", "today", "key.today", id="today", show=False),
        Binding("ctrl+f", "find", "key.find", id="find", show=False),
        Binding("ctrl+n", "new_intake", "key.new_intake", id="new-intake", show=False),
        Binding("f2", "sync_conflicts", "key.sync_conflicts", id="sync-conflicts", show=False),
        Binding("f3", "import_file", "key.import", id="import", show=False),
        Binding("f5", "caseload", "key.caseload", id="caseload", show=False),
        Binding("f6", "dedupe", "key.dedupe", id="dedupe", show=False),
        Binding("f4", "panel", "key.panel", id="panel-export", show=False),
        Binding("f7", "supervise('rights')", "key.rights", id="rights", show=False),
        Binding("f8", "supervise('audit')", "key.audit", id="audit", show=False),
        Binding("f9", "supervise('retention')", "key.retention", id="retention", show=False),
        Binding("f10", "admin", "key.admin", id="admin", show=False),
        Binding("f12", "own_password", "key.own_password", id="own-password", show=False),
        Binding("ctrl+q", "quit", "key.quit", id="quit", show=False),
        Binding("ctrl+o", "sign_out", "key.session_sign_out", id="sign-out", show=False),
        Binding("ctrl+g", "switch_user", "key.session_switch_user", id="switch-user", show=False),
        Binding("ctrl+b", "lock", "key.session_lock", id="lock", show=False),
        Binding(
            "ctrl+p", "command_palette", "key.palette", id="palette", show=False, priority=True
        ),
    ]

    def __init__(self, database: Database, *, demo: bool = False) -> None:
        super().__init__()
        translate_bindings(self)
        self.database = database
        self.demo = demo
        self.worker: WorkerOut | None = None
        self.drafts = DraftBook()
        """Unfinished intake forms, per worker (services/drafts.py): Escape keeps one for
        later; the day screen lists them (B)."""
        self._describe_keys_for_role()
        from casework.screens.background import BackgroundScan

        self.background_scan = BackgroundScan(self)
        """The duplicate scan the desk runs by itself when one is due (screens/background.py)."""
        self._init_idle_lock()

    def get_key_display(self, binding: Binding) -> str:
        """Keys by the names the office's keyboards print (Inicio, Fin, RePág, AvPág, Supr,
        Espacio, Mayús+Tab)."""
        if binding.key_display:
            return binding.key_display
        modifiers, key = binding.parse_key()
        if key not in KEY_NAMES and "shift" not in modifiers:
            return super().get_key_display(binding)
        name = t(f"spanish.key_name.{key}") if key in KEY_NAMES else key.capitalize()
        if "ctrl" in modifiers:
            name = f"^{name}"
        if "shift" in modifiers:
            name = f"{t('spanish.key_name.shift')}+{name}"
        return name

    def _describe_keys_for_role(self) -> None:
        """F1 help and the palette list the global keys this worker can use: the
        supervisors' screens (F4–F9) and the administrator's (F10) are left out for the
        others (the keys still answer, saying who they are for)."""
        allowed = permissions.screens_for(self.worker)
        keys = {b.id: b.description for b in self.BINDINGS if isinstance(b, Binding) and b.id}
        bindings = self._bindings.key_to_bindings
        for key, items in bindings.items():
            bindings[key] = [
                dataclasses.replace(b, description=t(keys[b.id]) if b.id in allowed else "")
                if b.id in permissions.RESTRICTED_SCREENS
                else b
                for b in items
            ]

    def on_unmount(self) -> None:
        release(getattr(self, "_in_use", None))

    @property
    def ctx(self) -> Context:
        return Context(self.database, self.worker.id if self.worker else None)

    def on_mount(self) -> None:
        self.title = "casework"
        if self.database.file_path is not None:
            # ``casework sync`` will not replace a desk file while it is open here.
            self._in_use = hold_open(self.database.file_path)
        self._watch_desk()
        ctx = Context(self.database)
        if staff.is_empty(ctx):
            from casework.screens.first_run import FirstRunScreen

            self.push_screen(FirstRunScreen())
            return
        if self.demo:
            # A demo database's synthetic desk worker has no password: no prompt. A real
            # database opened with --demo still asks.
            demo_worker = staff.find_worker(ctx, "demo")
            if demo_worker is not None and not auth.has_password(ctx, demo_worker.id):
                try:  # refused once anyone in the database has a password
                    self.start_session(staff.sign_in(ctx, demo_worker.id))
                    return
                except NotAllowed:
                    pass
        from casework.screens.sign_in import SignInScreen

        self.push_screen(SignInScreen())

    def sign_in(self, worker: WorkerOut) -> None:
        """Ask ``worker`` to prove who they are (the first admin chooses a password first)."""
        from casework.screens.sign_in import SignInScreen

        if auth.can_choose_first_password(Context(self.database), worker.id):
            self.push_screen(SignInScreen(choose_for=worker))
        else:
            self.push_screen(SignInScreen(worker.username))

    def start_session(self, worker: WorkerOut) -> None:
        """The worker was authenticated (by the sign-in service): show their day."""
        from casework.screens.today import TodayScreen

        self.worker = worker
        self._describe_keys_for_role()
        remember_destinations(catalogue.local_destinations(self.ctx))  # one small read
        where = self.database.file_path
        location = where.name if where is not None else self.database.url.database or ""
        self.sub_title = f"{self.worker.full_name} · {location}"
        self.switch_to_base(TodayScreen())
        self._close_import()  # another worker's, had the desk not been left by signing out
        self.scan_asked = False  # a scan due waits for the desk to be idle (scan_if_idle)
        self._watch_idle()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.background_scan.state_changed(event)

    # The offline desk's header (issue #17) ---------------------------------------------------

    def _watch_desk(self) -> None:
        """An offline desk says so in the header, with its changes waiting and its open
        conflicts, re-counted every :data:`DESK_REFRESH_SECONDS` (so after each save)."""
        if self.show_desk_status():
            self.set_interval(DESK_REFRESH_SECONDS, self.show_desk_status, name="desk-status")

    def show_desk_status(self) -> bool:
        """Put the desk's status in the title every screen's header shows (first, so at 80
        columns it is the part that stays); False when the database is not a desk."""
        status = outbox.desk_status(self.database)
        if status is None:
            return False
        self.title = desk_header(status, max(0, self.size.width - HEADER_CHROME))
        return True

    def switch_to_base(self, screen: Any) -> None:
        """Make ``screen`` the only screen on the stack (besides the default one)."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(screen)

    # Global actions -----------------------------------------------------------------------

    def _signed_in(self) -> bool:
        if self.worker is None:
            self.notify(t("ui.sign_in_first"), severity="warning")
            return False
        return True

    def _may_open(self, screen: str, refusal_key: str) -> bool:
        """Signed in as someone who opens ``screen`` (services/permissions.py), and -- on an
        offline desk -- not a screen only the server serves (:data:`OFFLINE_REFUSED`);
        otherwise say so (``refusal_key``, or the offline refusal) before any screen opens."""
        if not self._signed_in():
            return False
        if not permissions.may_open(self.worker, screen):
            self.notify(t(refusal_key), severity="warning")
            return False
        what = OFFLINE_REFUSED.get(screen)
        if what is not None and outbox.is_desk(self.database):
            refused = NotAllowed("offline_refused", what=t(what))
            self.notify(refused.message(), severity="warning")
            return False
        return True

    def action_today(self) -> None:
        if self._signed_in():
            from casework.screens.today import TodayScreen

            self.switch_to_base(TodayScreen())

    def action_find(self, text: str = "") -> None:
        if self._signed_in():
            from casework.screens.search import SearchScreen

            if isinstance(self.screen, SearchScreen):
                self.screen.focus_query()
                return
            self.push_screen(SearchScreen(text))

    def action_new_intake(self, names: str = "") -> None:
        """Ctrl+N (or the search's "new intake" with what was searched): always an empty
        ficha -- any other one stays a draft of this worker; ``names`` fill only its empty
        name fields."""
        if not self._signed_in():
            return
        assert self.worker is not None
        from casework.screens.intake import IntakeScreen

        current = self.screen
        if isinstance(current, IntakeScreen) and not current.has_typed_content():
            if names:
                current.prefill(names)
            else:
                self.notify(t("intake.already_blank"))
            return
        draft = self.drafts.start(self.worker.id)
        screen = IntakeScreen(names, draft_id=draft.id)
        draft.form = screen
        # Installed, so leaving it with Escape keeps every field as typed.
        self.install_screen(screen, name=_intake_name(draft.id))
        if isinstance(current, IntakeScreen):
            self.pop_screen()
        self.push_screen(_intake_name(draft.id))

    def intake_drafts(self) -> list[Draft]:
        """This worker's unfinished fichas with something typed, the latest first (blank
        ones left behind are forgotten)."""
        out = []
        for draft in self.drafts.mine(self.worker.id if self.worker else None):
            form = draft.form
            if form is not None and form.has_typed_content():
                draft.label = form.draft_label()
                out.append(draft)
            elif form is not None and form.is_mounted and form not in self.screen_stack:
                self.discard_intake(draft.id)  # left blank: nothing to resume
        return out

    def resume_intake(self, draft_id: Any) -> None:
        """Back to one of this worker's drafts, as it was left."""
        draft = self.drafts.get(self.worker.id if self.worker else None, draft_id)
        if draft is None:
            self.notify(t("intake.drafts.gone"), severity="warning")
            return
        if self.screen is draft.form:
            return
        if draft.form in self.screen_stack:
            while self.screen is not draft.form:
                self.pop_screen()
            return
        self.push_screen(_intake_name(draft.id))

    def discard_intake(self, draft_id: Any = None) -> None:
        """The draft was saved or thrown away on purpose: forget it (the current intake
        form's when ``draft_id`` is None)."""
        if draft_id is None:
            draft_id = getattr(self.screen, "draft_id", None)
        if draft_id is None:
            return
        draft = self.drafts.discard(self.worker.id if self.worker else None, draft_id)
        if draft is None:
            return
        if draft.form in self.screen_stack:
            while self.screen is not draft.form:
                self.pop_screen()
            self.pop_screen()
        self.uninstall_screen(_intake_name(draft.id))

    def action_caseload(self) -> None:
        """The supervisor's summary (supervisors only: it names persons)."""
        if not self._may_open(permissions.CASELOAD, "ui.caseload.supervisors_only"):
            return
        from casework.screens.caseload import CaseloadScreen

        self.push_screen(CaseloadScreen())

    def action_panel(self) -> None:
        """Preview and export the anonymised statistics (supervisors and admins)."""
        if not self._may_open(permissions.PANEL, "ui.caseload.supervisors_only"):
            return
        from casework.screens.panel import PanelScreen

        self.push_screen(PanelScreen())

    def action_dedupe(self) -> None:
        """The supervisor's queue of possible duplicates (supervisors only)."""
        if not self._may_open(permissions.DEDUPE, "protection.supervisors_only"):
            return
        from casework.screens.dedupe import DedupeQueueScreen

        self.push_screen(DedupeQueueScreen())

    def action_sync_conflicts(self) -> None:
        """The offline desks' commands the server refused, to resolve (F2, supervisors
        only: screens/sync_conflicts.py)."""
        if not self._may_open(permissions.SYNC_CONFLICTS, "protection.supervisors_only"):
            return
        from casework.screens.sync_conflicts import SyncConflictsScreen

        if not isinstance(self.screen, SyncConflictsScreen):
            self.push_screen(SyncConflictsScreen())

    def action_import_file(self) -> None:
        """Import a spreadsheet of persons or attentions (F3, supervisors and the
        administrator; screens/import_screen.py)."""
        if not self._may_open(permissions.IMPORT, "import_screen.supervisors_only"):
            return
        from casework.screens.import_screen import ImportScreen

        if isinstance(self.screen, ImportScreen):
            return
        # Installed: a running import goes on (with its progress) while the worker uses
        # the rest of the desk, and F3 comes back to it as it was left.
        if not self.is_screen_installed(IMPORT_SCREEN):
            self.install_screen(ImportScreen(), name=IMPORT_SCREEN)
        screen = self.get_screen(IMPORT_SCREEN)
        if screen in self.screen_stack:
            while self.screen is not screen:
                self.pop_screen()
            return
        self.push_screen(IMPORT_SCREEN)

    def _close_import(self) -> None:
        """Leaving the desk: the import screen is the worker's own (its file, its rows);
        a running import stops after the batch in hand (what was saved stays)."""
        screen = self._installed_screens.get(IMPORT_SCREEN)
        if screen is None or screen in self.screen_stack:
            return
        self.uninstall_screen(IMPORT_SCREEN)
        stop = getattr(screen, "stop", None)
        if callable(stop):
            stop()
        if isinstance(screen, Screen) and screen.is_mounted:
            screen.remove()

    def action_supervise(self, which: str) -> None:
        """Data protection: rights requests (F7), the audit trail (F8), retention review (F9),
        for supervisors; admins read the trail and set retention periods, not requests."""
        if not self._may_open(which, "protection.supervisors_only"):
            return
        from casework.screens.audit import AuditScreen
        from casework.screens.retention import RetentionScreen
        from casework.screens.rights import RightsScreen

        screens = {"rights": RightsScreen, "audit": AuditScreen, "retention": RetentionScreen}
        if which in screens and not isinstance(self.screen, screens[which]):
            self.push_screen(screens[which]())

    def action_admin(self) -> None:
        """Workers, programmes and the referral catalogue (F10, administrators only)."""
        if not self._may_open(permissions.ADMIN, "admin.admins_only"):
            return
        from casework.screens.admin import AdminScreen

        if not isinstance(self.screen, AdminScreen):
            self.push_screen(AdminScreen())

    def action_own_password(self) -> None:
        """Any signed-in worker changes their own password (F12, or the command palette)."""
        if not self._signed_in():
            return
        from casework.screens.forms import OwnPasswordModal

        def changed(saved: bool | None) -> None:
            if saved:
                self.notify(t("security.own.done"))

        self.push_screen(OwnPasswordModal(), changed)

    def open_person(self, person_id: Any) -> None:
        from casework.screens.person import PersonScreen

        self.push_screen(PersonScreen(person_id))

    async def action_quit(self) -> None:
        """Ctrl+Q: unfinished fichas (of any worker at this desk) are lost on quitting,
        so ask first."""
        unsaved = [
            d for d in self.drafts.all() if d.form is not None and d.form.has_typed_content()
        ]
        if not unsaved:
            self.exit()
            return
        from casework.widgets import ConfirmModal

        if isinstance(self.screen, ConfirmModal):
            return
        question = ConfirmModal(t("ui.quit_title"), t("ui.quit_unsaved_intake", count=len(unsaved)))
        self.push_screen(question, lambda yes: self.exit() if yes else None)

    def get_system_commands(self, screen: Any) -> Any:
        return system_commands(self, screen)  # Textual's own entries, in the UI language

    def action_command_palette(self) -> None:
        if self.use_command_palette and not isinstance(self.screen, CaseworkPalette):
            self.push_screen(CaseworkPalette())  # its hint and "no matches" translated

    def action_help(self) -> None:
        from casework.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    # Leaving the desk: sign out, switch user, the idle lock (issue #15, point 6) --------------

    IDLE_CHECK_SECONDS = 5.0
    """How often the desk looks at how long it has been untouched."""
    _WHILE_LOCKED = frozenset({"focus_next", "focus_previous", "switch_user_from_lock"})
    """The app's only actions while the lock is up: Tab within the lock screen, and F2
    (a colleague takes the desk). Everything else -- Ctrl+Q, Ctrl+P, F1, the F-keys -- is
    refused, so nothing opens over the lock or behind it."""

    def _init_idle_lock(self) -> None:
        self.last_activity = clock.now()
        """When the desk was last touched (a key or the mouse), by the app's clock."""
        self.idle_minutes = settings.IDLE_LOCK_DEFAULT
        """The office's idle lock, read at each sign-in and unlock (services/settings.py)."""
        self._idle_timer: Any = None
        self.scan_asked = False
        """Whether this sign-in already asked for the duplicate scan (once per sign-in)."""

    @property
    def locked(self) -> bool:
        """The lock screen is up (somewhere on the stack: it is always the top one)."""
        from casework.screens.lock import LockScreen

        return any(isinstance(s, LockScreen) for s in self.screen_stack)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(
            event,
            events.Key
            | events.MouseDown
            | events.MouseMove
            | events.MouseScrollDown
            | events.MouseScrollUp,
        ):
            self.last_activity = clock.now()
        await super().on_event(event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.locked and action not in self._WHILE_LOCKED:
            return False
        return super().check_action(action, parameters)

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:
        """Nothing pops up over the lock: a message of work that finished behind it could
        name a person."""
        if self.locked:
            return
        super().notify(message, *args, **kwargs)

    def _watch_idle(self) -> None:
        """Signed in: read the office's idle lock and start looking at the clock."""
        self.last_activity = clock.now()
        try:
            self.idle_minutes = settings.office_settings(self.ctx).idle_lock_minutes
        except Exception:  # an unreadable setting must not stop the desk
            self.idle_minutes = settings.IDLE_LOCK_DEFAULT
        if self._idle_timer is None:
            self._idle_timer = self.set_interval(self.IDLE_CHECK_SECONDS, self._idle_tick)

    def _idle_tick(self) -> None:
        self.lock_if_idle()
        self.scan_if_idle()

    def scan_if_idle(self) -> None:
        """Once per sign-in, when nobody touched the desk for
        :data:`~casework.screens.background.SCAN_AFTER_IDLE`: start the duplicate scan if
        one is due. Never at start-up, when the first searches of the day must be quick."""
        from casework.screens.background import SCAN_AFTER_IDLE

        if self.worker is None or self.scan_asked:
            return
        if clock.now() - self.last_activity >= SCAN_AFTER_IDLE:
            self.scan_asked = True
            self.background_scan.start(self.ctx)

    def lock_if_idle(self) -> None:
        """Lock the desk when nobody touched it for the office's minutes."""
        if self.worker is None or self.locked:
            return
        if clock.now() - self.last_activity >= dt.timedelta(minutes=self.idle_minutes):
            self.lock_desk(self.idle_minutes)

    def action_lock(self) -> None:
        """Ctrl+B: lock the desk now (leaving it for a moment)."""
        if self._signed_in() and not self.locked:
            self.lock_desk(0)

    def lock_desk(self, minutes: int) -> None:
        """Cover everything with the lock screen until the same worker's password."""
        from casework.screens.lock import LockScreen

        assert self.worker is not None
        worker = self.worker
        self.clear_notifications()
        try:
            sessions.record_lock(self.ctx, minutes)
            has_password = auth.has_password(self.ctx, worker.id)
        except Exception:  # the lock goes up whatever the database says
            has_password = True
        if self.screen.focused is not None:
            self.screen.set_focus(None)

        def unlocked(_: object) -> None:
            self._watch_idle()

        self.push_screen(LockScreen(worker, has_password=has_password), unlocked)

    def _unsaved_drafts(self) -> int:
        """The signed-in worker's unfinished fichas with something typed."""
        return len(self.intake_drafts()) if self.worker is not None else 0

    def action_sign_out(self) -> None:
        """Ctrl+O: end this worker's session; the sign-in screen opens."""
        self._leave("sign_out")

    def action_switch_user(self) -> None:
        """Ctrl+G: end this worker's session for a colleague to sign in."""
        self._leave("switch_user")

    def action_switch_user_from_lock(self) -> None:
        """F2 on the lock screen: the same, without a question (the first worker's
        fichas stay theirs)."""
        if self.locked and self.worker is not None:
            self._end_session("switch_user")

    def _leave(self, how: sessions.Leaving) -> None:
        if not self._signed_in() or self.locked:
            return
        from casework.widgets import ConfirmModal

        if isinstance(self.screen, ConfirmModal):
            return
        drafts = self._unsaved_drafts()
        area = "session.switch" if how == "switch_user" else "session.leave"
        body = (
            t(f"{area}_explain")
            + " "
            + (t("session.drafts_kept", count=drafts) if drafts else t("session.no_drafts"))
        )
        question = ConfirmModal(t(f"{area}_title"), body)
        self.push_screen(question, lambda yes: self._end_session(how) if yes else None)

    def _end_session(self, how: sessions.Leaving) -> None:
        """Audited; every screen closed (a draft's form stays installed for its worker
        only); the worker, their title and any message on screen forgotten."""
        from casework.screens.sign_in import SignInScreen

        if self.worker is None:
            return
        try:
            sessions.sign_out(self.ctx, how, drafts=self._unsaved_drafts())
        except Exception as exc:  # leaving must not fail on the audit
            from casework.screens.base import background_failed

            background_failed("sessions.sign_out", exc)
        self.worker = None
        self._describe_keys_for_role()
        self.sub_title = ""
        self.clear_notifications()
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self._close_import()
        self.push_screen(SignInScreen())
        message = "session.switch_hint" if how == "switch_user" else "session.signed_out"
        self.notify(t(message))


if TYPE_CHECKING:

    def _a_desk(app: CaseworkApp) -> Desk:
        """mypy checks here that the app gives screens all they need (screens/base.py)."""
        return app


def make_app(database: Database, *, demo: bool = False) -> CaseworkApp:
    return CaseworkApp(database, demo=demo)


def run_app(database: Database, *, demo: bool = False) -> int:
    result = make_app(database, demo=demo).run()
    return result or 0
