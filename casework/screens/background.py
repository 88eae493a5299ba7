"""Work the desk starts by itself, in a thread worker, while the worker goes on typing: the
duplicate scan, when one is due once the desk has been idle a while after sign-in
(services/duplicate_queue.py ``auto_scan``; the app's ``scan_if_idle``).
Its progress shows in a :class:`~casework.widgets.scan_strip.ScanStrip` above the footer of
whatever screen is in front."""

from __future__ import annotations

import datetime as dt
from typing import Any

from textual.app import App
from textual.timer import Timer
from textual.worker import Worker, WorkerState, get_current_worker

from casework.i18n import t
from casework.screens.base import background_failed
from casework.services import duplicate_queue
from casework.services.duplicate_queue import ScanReport
from casework.widgets import error_text
from casework.widgets.scan_strip import ScanStrip

SCAN_AFTER_IDLE = dt.timedelta(minutes=2)
"""How long a signed-in desk stays untouched before it runs a scan that is due. Not at
start-up: a full scan holds hundreds of MB and a CPU for a while on a large office, and
the person at the counter comes first (issue #19: at 100k persons it took the desk from
127 to 364 MB and doubled search times). One desk scans for the office; the others find
it fresh."""
AUTOMATIC = True
"""Whether desks scan by themselves when idle. The test suite turns it off (an autouse
fixture) so that other tests' desks do not scan under them; tests/test_followthrough.py
turns it on."""
WORKER_NAME = "background_scan"
REFRESH_EVERY = 0.2
"""Seconds between redraws of the strip (the scan only sets a number: no message flood)."""


class ScanCancelled(Exception):
    """The desk is closing: the scan stops at its next progress report (its run is then
    recorded as failed, and the next desk to start scans again)."""


class BackgroundScan:
    """The app's background duplicate scan: started when the desk is idle after sign-in and
    one is due, shown in a strip on the screen in front, gone when it ends."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.fraction: float | None = None
        """How far the running scan got (set from its thread); None: no scan running."""
        self.worker: Worker[ScanReport | None] | None = None
        self._timer: Timer | None = None

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.state in (
            WorkerState.PENDING,
            WorkerState.RUNNING,
        )

    def start(self, ctx: Any, trigger: str = "startup") -> None:
        """Scan in a thread if one is due (another desk's running scan, or a fresh one,
        means nothing to do: the worker decides, off the UI thread)."""
        if self.running or not AUTOMATIC:
            return

        def work() -> ScanReport | None:
            if trigger == "startup" and not duplicate_queue.scan_due(ctx):
                return None
            return duplicate_queue.auto_scan(ctx, trigger, progress=self._progress)

        self.fraction = None
        self.worker = self.app.run_worker(
            work, thread=True, group="background-scan", exit_on_error=False, name=WORKER_NAME
        )
        self._timer = self.app.set_interval(REFRESH_EVERY, self._refresh)

    def _progress(self, _stage: str, fraction: float) -> None:
        """Called in the scan's thread: only a number is set."""
        if get_current_worker().is_cancelled:
            raise ScanCancelled
        self.fraction = fraction

    def _refresh(self) -> None:
        if self.fraction is None:
            return
        screen = self.app.screen
        found = screen.query(ScanStrip)
        if found:
            found.first().show(self.fraction)
        else:
            screen.mount(ScanStrip(self.fraction, classes="scan-strip"))

    def state_changed(self, event: Worker.StateChanged) -> bool:
        """The app passes on its workers' state changes; True when it was the scan's."""
        if event.worker is not self.worker:
            return False
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return True
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.fraction = None
        for screen in self.app.screen_stack:
            for strip in screen.query(ScanStrip):
                strip.remove()
        if event.state is WorkerState.SUCCESS:
            report = event.worker.result
            if isinstance(report, ScanReport):
                self.app.notify(t("followthrough.scan.done", new=report.new_pairs))
        elif event.state is WorkerState.ERROR and event.worker.error is not None:
            background_failed(WORKER_NAME, event.worker.error)
            self.app.notify(
                t("followthrough.scan.failed", error=error_text(event.worker.error)),
                severity="warning",
            )
        return True
