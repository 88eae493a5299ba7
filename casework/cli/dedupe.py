"""`casework dedupe scan`: find likely duplicate persons and queue them for a supervisor."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import TextIO

from casework.cli.signin import opened, signed_in
from casework.i18n import current_language, t
from casework.matching import DEFAULT_THRESHOLD, describe
from casework.services import duplicate_queue


def cmd_scan(args: argparse.Namespace) -> int:
    if args.min_score is None:  # not given: the matcher's (the parser does not load it)
        args.min_score = DEFAULT_THRESHOLD
    listing = args.list or args.format == "json"
    bar = ScanBar(sys.stderr)
    with opened(args) as database:
        ctx = signed_in(args, database)
        try:
            report = duplicate_queue.scan(ctx, args.min_score, watch=bar)
        finally:
            bar.clear()
        waiting = duplicate_queue.queue(ctx, args.min_score, limit=100_000 if listing else 0)
    lang = current_language()
    if args.format == "json":
        out = [
            {
                "score": round(p.score, 4),
                "reasons": [describe(r, lang) for r in p.reasons],
                "a": {"id": str(p.a.id), "refs": list(p.a.refs), "name": p.a.name},
                "b": {"id": str(p.b.id), "refs": list(p.b.refs), "name": p.b.name},
            }
            for p in waiting
        ]
        print(json.dumps(out, ensure_ascii=False, indent=2))
    elif listing:
        for p in waiting:
            why = ", ".join(describe(r, lang) for r in p.reasons[:5])
            refs_a = f" [{', '.join(p.a.refs)}]" if p.a.refs else ""
            refs_b = f" [{', '.join(p.b.refs)}]" if p.b.refs else ""
            print(
                f"{p.score:.3f}  {p.a.name}{refs_a} {p.a.id}  ~  {p.b.name}{refs_b} {p.b.id}"
                f"\n       {why}"
            )
    summary = t(
        "cli.scan_done",
        persons=f"{report.persons:,}",
        pairs=f"{waiting.total:,}",
        new=f"{report.new_pairs:,}",
        seconds=f"{report.seconds:.1f}",
    )
    if listing:
        print(summary, file=sys.stderr)
    else:
        print(summary)
        if waiting.total:
            print(t("scancli.see_them"))
    return 0


class ScanBar:
    """The scan's progress on ``stream``: a bar redrawn in place at a terminal (blocks done
    of all, pairs found, time so far); elsewhere a plain line every 10 %."""

    every = 0.2
    width = 79

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.started = clock()
        try:
            self.tty = stream.isatty()
        except (AttributeError, ValueError):
            self.tty = False
        self.last_draw = -1.0
        self.last_tenth = -1
        self.drawn = False

    def __call__(self, status: duplicate_queue.ScanStatus) -> None:
        now = self.clock()
        percent = min(100, int(status.fraction * 100))
        if status.stage == "counting":
            text = t("scancli.counting")
        elif status.stage == "saving":
            text = t("scancli.saving", pairs=f"{status.pairs_found:,}")
        else:
            text = self._line(status, percent, now)
        if self.tty:
            if now - self.last_draw < self.every and status.stage == "scoring":
                return
            self.last_draw = now
            self.stream.write("\r" + text[: self.width].ljust(self.width))
            self.drawn = True
        elif status.stage == "scoring" and percent // 10 > self.last_tenth:
            self.last_tenth = percent // 10
            self.stream.write(
                t(
                    "scancli.progress_line",
                    percent=percent,
                    done=f"{status.blocks_done:,}",
                    total=f"{status.blocks:,}",
                    pairs=f"{status.pairs_found:,}",
                    elapsed=_elapsed(now - self.started),
                )
                + "\n"
            )
        self.stream.flush()

    def _line(self, status: duplicate_queue.ScanStatus, percent: int, now: float) -> str:
        filled = percent // 5
        return t(
            "scancli.progress",
            bar="[" + "#" * filled + "-" * (20 - filled) + "]",
            percent=percent,
            done=f"{status.blocks_done:,}",
            total=f"{status.blocks:,}",
            pairs=f"{status.pairs_found:,}",
            elapsed=_elapsed(now - self.started),
        )

    def clear(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.drawn = False


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02}"
