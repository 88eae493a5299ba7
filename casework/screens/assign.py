"""Who a case is with: the dialogs that reassign one case or a worker's whole work, the
deactivation that asks where the work goes, and the transfers between programmes (the
request, and the receiving supervisor's list where each is accepted or declined).
services/assignment.py decides; these only ask and show."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from casework.errors import InvalidInput
from casework.i18n import t
from casework.screens.base import CaseworkModal, CaseworkScreen
from casework.services import assignment, staff
from casework.services.assignment import CaseAssignment, Colleague, Moved, TransferOut, Workload
from casework.widgets import ConfirmModal, RecordTable, error_text, fmt_date


def _choices(people: list[Colleague], list_id: str) -> OptionList:
    return OptionList(
        *(Option(c.full_name, id=str(c.id)) for c in people), id=list_id, compact=True
    )


class _AssignModal(CaseworkModal[Any]):
    """A box with a title, a line of what moves, a list to choose from, the error and the
    keys always in view at the bottom; Ctrl+S saves, Esc cancels (None)."""

    BINDINGS = [
        Binding("ctrl+s", "save", "key.save", id="save"),
        Binding("escape", "cancel", "key.cancel", id="cancel"),
    ]
    keys_text = "assign.keys"

    def head(self) -> ComposeResult:
        yield from ()

    def body(self) -> ComposeResult:
        yield from ()

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="modal-box assign-box"):
            yield from self.head()
            yield from self.body()
            with Vertical(classes="form-foot"):
                yield Static("", id="form-error", classes="error")
                yield Static(t(self.keys_text), classes="help-text form-keys")

    def on_mount(self) -> None:
        for options in self.query(OptionList):
            if options.option_count:
                options.highlighted = 0
            options.focus()
            break

    def picked(self, list_id: str) -> uuid.UUID | None:
        options = self.query_one(f"#{list_id}", OptionList)
        if options.highlighted is None:
            return None
        option_id = options.get_option_at_index(options.highlighted).id
        return uuid.UUID(option_id) if option_id else None

    def failed(self, exc: BaseException | str) -> None:
        if isinstance(exc, InvalidInput):  # the field's message, never its internal name
            text = " ".join(e.message() for e in exc.errors)
        else:
            text = exc if isinstance(exc, str) else error_text(exc)
        self.query_one("#form-error", Static).update(text)

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        def done(result: Any) -> None:
            self.dismiss(result)

        # A worker's whole work takes a moment (thousands of cases: seconds): say so.
        self.query_one("#form-error", Static).update(t("assign.working"))

        self.call_service(fn, *args, on_done=done, on_error=self.failed, **kwargs)

    @on(OptionList.OptionSelected)
    def _option_chosen(self) -> None:
        self.chosen()

    def chosen(self) -> None:
        """Enter on the list: save (the transfer's request goes on to its reason)."""
        self.action_save()

    def action_save(self) -> None:
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReassignCaseModal(_AssignModal):
    """One case to a colleague of its programme (a supervisor, from the person file):
    dismissed with :class:`Moved`, or None."""

    def __init__(self, case: CaseAssignment) -> None:
        super().__init__()
        self.case = case

    def head(self) -> ComposeResult:
        yield Static(
            t("assign.reassign_title", programme=self.case.programme_name), classes="title"
        )
        yield Static(t("assign.reassign_now", worker=self.case.worker_name))

    def body(self) -> ComposeResult:
        yield Label(t("assign.to_worker"))
        yield _choices(self.case.receivers, "receivers")

    def action_save(self) -> None:
        to = self.picked("receivers")
        if to is None:
            self.failed(t("assign.no_receivers"))
            return
        self.run(
            assignment.reassign_case,
            self.ctx,
            self.case.case_id,
            {"to_worker_id": to, "base_worker_id": self.case.worker_id},
        )


class MoveWorkModal(_AssignModal):
    """All of a worker's open cases and pending follow-ups to a colleague; with
    ``deactivate`` the worker is deactivated in the same transaction (the admin's staff
    list). Dismissed with what was moved, or None."""

    def __init__(self, work: Workload, *, deactivate: bool = False) -> None:
        super().__init__()
        self.work = work
        self.deactivate = deactivate
        self.keys_text = "assign.deactivate_keys" if deactivate else "assign.work_keys"
        self.receiver_name = ""
        """Who was chosen to take the work (the deactivation's message names them)."""

    def head(self) -> ComposeResult:
        title = "assign.deactivate_title" if self.deactivate else "assign.work_title"
        yield Static(t(title, name=self.work.full_name), classes="title")
        yield Static(
            t(
                "assign.work_counts",
                cases=self.work.open_cases,
                follow_ups=self.work.pending_follow_ups,
                referrals=self.work.open_referrals,
            ),
            id="work-counts",
        )

    def body(self) -> ComposeResult:
        yield Label(t("assign.to_worker"))
        yield _choices(self.work.receivers, "receivers")

    def action_save(self) -> None:
        to = self.picked("receivers")
        if to is None:
            self.failed(t("assign.no_receivers"))
            return
        self.receiver_name = next((c.full_name for c in self.work.receivers if c.id == to), "")
        if self.deactivate:
            self.run(staff.set_active, self.ctx, self.work.worker_id, False, receiver=to)
        else:
            self.run(assignment.reassign_work, self.ctx, self.work.worker_id, {"to_worker_id": to})


class TransferRequestModal(_AssignModal):
    """Ask another programme to take the case, with a reason: dismissed with the request's
    id, or None."""

    keys_text = "assign.transfer_keys"

    def __init__(self, case: CaseAssignment) -> None:
        super().__init__()
        self.case = case

    def head(self) -> ComposeResult:
        yield Static(
            t("assign.transfer_title", programme=self.case.programme_name), classes="title"
        )

    def body(self) -> ComposeResult:
        yield Label(t("assign.to_programme"))
        yield OptionList(
            *(Option(p.name, id=str(p.id)) for p in self.case.programmes),
            id="programmes",
            compact=True,
        )
        yield Label(t("assign.reason"))
        yield Input(id="reason", compact=True, max_length=1000)

    def chosen(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        to = self.picked("programmes")
        self.run(
            assignment.request_transfer,
            self.ctx,
            self.case.case_id,
            {"to_programme_id": to, "reason": self.query_one("#reason", Input).value},
        )


class AcceptTransferModal(_AssignModal):
    keys_text = "assign.accept_keys"

    def __init__(self, transfer: TransferOut, receivers: list[Colleague]) -> None:
        super().__init__()
        self.transfer = transfer
        self.receivers = receivers

    def head(self) -> ComposeResult:
        yield Static(t("assign.accept_title", person=self.transfer.person_name), classes="title")
        yield Static(f"{self.transfer.from_programme} · {self.transfer.reason}")

    def body(self) -> ComposeResult:
        yield Label(t("assign.to_worker"))
        yield _choices(self.receivers, "receivers")

    def action_save(self) -> None:
        to = self.picked("receivers")
        if to is None:
            self.failed(t("assign.no_receivers"))
            return
        self.run(
            assignment.accept_transfer,
            self.ctx,
            self.transfer.id,
            {"to_worker_id": to, "version": self.transfer.version},
        )


class DeclineTransferModal(_AssignModal):
    keys_text = "assign.decline_keys"

    def __init__(self, transfer: TransferOut) -> None:
        super().__init__()
        self.transfer = transfer

    def head(self) -> ComposeResult:
        yield Static(t("assign.decline_title", person=self.transfer.person_name), classes="title")
        yield Static(f"{self.transfer.from_programme} · {self.transfer.reason}")

    def body(self) -> ComposeResult:
        yield Label(t("assign.reason"))
        yield Input(id="reason", compact=True, max_length=1000)

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        self.call_service(
            assignment.decline_transfer,
            self.ctx,
            self.transfer.id,
            {"reason": self.query_one("#reason", Input).value, "version": self.transfer.version},
            on_done=self._declined,
            on_error=self.failed,
        )

    def _declined(self, _none: None) -> None:
        self.dismiss(True)


class TransfersScreen(CaseworkScreen):
    """The transfers waiting for the supervisor's programme: ``a`` accepts the one under
    the cursor (choosing the worker), ``x`` declines it with a reason, Enter opens the
    person's file."""

    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("a", "accept", "key.assign_accept", id="assign-accept"),
        Binding("x", "decline", "key.assign_decline", id="assign-decline"),
        Binding("ctrl+r", "reload", "key.refresh", id="assign-reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[TransferOut] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("assign.transfers_title"), classes="title")
        yield Static("", id="transfers-count")
        yield RecordTable(id="transfers")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#transfers", RecordTable).add_columns(
            t("assign.col_requested"),
            t("assign.col_person"),
            t("assign.col_reason"),
            t("assign.col_from"),
            t("assign.col_by"),
        )
        self.action_reload()

    def on_return(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.call_service(
            assignment.pending_transfers,
            self.ctx,
            on_done=self._show,
            group="transfers",
            exclusive=True,
        )

    def _show(self, rows: list[TransferOut]) -> None:
        self.rows = rows
        count = self.query_one("#transfers-count", Static)
        count.update(
            t("assign.transfers_count", count=len(rows)) if rows else t("assign.transfers_none")
        )
        table = self.query_one("#transfers", RecordTable)
        table.refill(
            (
                str(r.id),
                [
                    fmt_date(r.requested_at.astimezone().date()),
                    r.person_name,
                    r.reason,
                    r.from_programme,
                    r.requested_by,
                ],
            )
            for r in rows
        )
        table.focus()

    def selected(self) -> TransferOut | None:
        key = self.query_one("#transfers", RecordTable).cursor_key
        return next((r for r in self.rows if str(r.id) == key), None)

    def action_accept(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return

        def ask(receivers: list[Colleague]) -> None:
            def done(moved: Moved | None) -> None:
                if moved is not None:
                    self.notify(
                        t("assign.accepted", person=chosen.person_name, name=moved.to_worker)
                    )
                    self.action_reload()

            self.app.push_screen(AcceptTransferModal(chosen, receivers), done)

        self.call_service(assignment.receivers, self.ctx, chosen.id, on_done=ask)

    def action_decline(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return

        def done(declined: bool | None) -> None:
            if declined:
                self.notify(t("assign.declined"))
                self.action_reload()

        self.app.push_screen(DeclineTransferModal(chosen), done)

    @on(RecordTable.RowSelected, "#transfers")
    def _open(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.casework.open_person(chosen.person_id)

    def action_back(self) -> None:
        self.app.pop_screen()


def open_reassign(
    screen: CaseworkScreen, person_id: uuid.UUID, reason: str | None, then: Callable[[], None]
) -> None:
    """The person file's ``w``: the person's open case to a colleague (supervisors)."""

    def ask(case: CaseAssignment | None) -> None:
        if case is None:
            screen.notify(t("assign.no_case"), severity="warning")
        elif not case.may_reassign:
            screen.notify(t("assign.not_supervisor"), severity="warning")
        elif not case.receivers:
            screen.notify(t("assign.no_receivers"), severity="warning")
        else:

            def done(moved: Moved | None) -> None:
                if moved is not None:
                    screen.notify(
                        t("assign.reassigned", name=moved.to_worker, follow_ups=moved.follow_ups)
                    )
                    then()

            screen.app.push_screen(ReassignCaseModal(case), done)

    screen.call_service(
        assignment.case_assignment, screen.ctx, person_id, reason=reason, on_done=ask
    )


def open_transfer(
    screen: CaseworkScreen, person_id: uuid.UUID, reason: str | None, then: Callable[[], None]
) -> None:
    """The person file's ``t``: ask another programme to take the case."""

    def ask(case: CaseAssignment | None) -> None:
        if case is None:
            screen.notify(t("assign.no_case"), severity="warning")
        elif case.pending is not None:
            _offer_withdrawal(screen, case.pending, then)
        elif not case.may_request_transfer:
            screen.notify(t("assign.not_allowed_transfer"), severity="warning")
        else:

            def done(made: uuid.UUID | None) -> None:
                if made is not None:
                    screen.notify(t("assign.transfer_requested"))
                    then()

            screen.app.push_screen(TransferRequestModal(case), done)

    screen.call_service(
        assignment.case_assignment, screen.ctx, person_id, reason=reason, on_done=ask
    )


def _offer_withdrawal(
    screen: CaseworkScreen, pending: TransferOut, then: Callable[[], None]
) -> None:
    """A request already waits: say so, and offer to withdraw it (Enter) or leave it (Esc).
    The service decides who may withdraw it (its requester, a supervisor of the case)."""
    waiting = t(
        "assign.transfer_waiting",
        programme=pending.to_programme,
        date=fmt_date(pending.requested_at.astimezone().date()),
    )

    def withdrawn(_none: None) -> None:
        screen.notify(t("assign.withdrawn"))
        then()

    def answered(withdraw: bool | None) -> None:
        if withdraw:
            screen.call_service(
                assignment.withdraw_transfer,
                screen.ctx,
                pending.id,
                pending.version,
                on_done=withdrawn,
            )

    screen.app.push_screen(
        ConfirmModal(t("assign.withdraw_title"), f"{waiting} {t('assign.withdraw_question')}"),
        answered,
    )


def open_move_work(
    screen: CaseworkScreen,
    worker_id: uuid.UUID,
    then: Callable[[], None],
    *,
    deactivate: bool = False,
) -> None:
    """A worker's whole work to a colleague (the caseload's and the staff list's ``w``);
    with ``deactivate``, the deactivation that asks where the work goes."""

    def ask(work: Workload) -> None:
        def done(result: Any) -> None:
            if result is None:
                return
            if isinstance(result, Moved):
                screen.notify(
                    t(
                        "assign.work_moved",
                        cases=result.cases,
                        follow_ups=result.follow_ups,
                        referrals=result.referrals,
                        name=result.to_worker,
                    )
                )
            else:
                screen.notify(
                    t(
                        "fix1.deactivated_to",
                        username=result.username,
                        name=modal.receiver_name,
                        cases=work.open_cases,
                        follow_ups=work.pending_follow_ups,
                        referrals=work.open_referrals,
                    )
                )
            then()

        if not work.receivers:
            screen.notify(t("assign.no_receivers"), severity="warning")
            return
        modal = MoveWorkModal(work, deactivate=deactivate)
        screen.app.push_screen(modal, done)

    screen.call_service(assignment.workload, screen.ctx, worker_id, on_done=ask)


__all__ = [
    "AcceptTransferModal",
    "DeclineTransferModal",
    "MoveWorkModal",
    "ReassignCaseModal",
    "TransferRequestModal",
    "TransfersScreen",
    "open_move_work",
    "open_reassign",
    "open_transfer",
]


def timeline_text(kind: str, d: dict[str, Any], sep: str) -> tuple[str, str]:
    """(what, detail) of a reassignment or transfer line of the person's timeline."""
    what = t(f"assign.tl.{kind.removeprefix('assign_')}")
    if kind == "assign_reassign":
        return what, t(
            "assign.tl.reassign_detail",
            from_worker=d.get("from_worker", ""),
            to_worker=d.get("to_worker", ""),
            follow_ups=d.get("follow_ups", 0),
        )
    # The reason first: a narrow cell still shows why it was asked or declined.
    parts = [d["reason"]] if d.get("reason") else []
    parts.append(
        t(
            "assign.tl.transfer_detail",
            from_programme=d.get("from_programme", ""),
            to_programme=d.get("to_programme", ""),
        )
    )
    if d.get("to_worker"):
        parts.append(d["to_worker"])
    return what, sep.join(parts)
