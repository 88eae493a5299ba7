"""`casework import persons|visits FILE`: bring in an office's existing lists (CSV or XLSX).

``--dry-run`` shows the preview (the file as read, the mapping, the first rows as they will
be stored, the counts) and stores nothing. Otherwise a progress bar runs on stderr (at a
terminal), then the counts, the reasons grouped with their counts, and the report file of
the rows to check. Ctrl+C stops after the current batch (a second one aborts at once); the
same command run again continues where it stopped.

Exit status: 0 the import ran (also with refused rows, or with nothing new); 1 the file had
rows and not one could be imported (every row refused); 2 a mistake in the command or a
file that cannot be read (nothing stored); 130 interrupted with Ctrl+C.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import signal
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from casework.cli.signin import opened, signed_in
from casework.errors import CaseworkError
from casework.i18n import current_language, fmt_count, t, tn
from casework.services import duplicate_queue, import_read, import_visits, importing
from casework.services.context import Context
from casework.services.import_report import (
    REPORT_SUFFIXES,
    default_report_path,
    sample_view,
    write_report,
)
from casework.services.import_types import (
    ImportFileError,
    ImportReport,
    Progress,
    ReadOptions,
)

MAX_REASONS = 12
"""Reasons listed on the terminal; the rest are counted in one line (all are in the report)."""
SAMPLE_ROWS = 5
WIDTH = 80


# Options -----------------------------------------------------------------------------------


def read_options(args: argparse.Namespace) -> ReadOptions:
    """The reader's options from the command line; a ``--map`` without ``=`` is refused."""
    mapping: dict[str, str] = {}
    for text in args.map:
        column, sep, field = text.partition("=")
        column, field = column.strip(), field.strip()
        if not sep or not column:
            raise CaseworkError("import_map_syntax", text=text)
        # An unknown field or column is the reader's to refuse (it knows every field and
        # the file's headers): check_file opens the file before anyone signs in.
        mapping[column] = "" if field in ("", "-") else field
    if args.encoding:
        try:
            codecs.lookup(args.encoding)
        except LookupError:
            raise CaseworkError("import_encoding_unknown", encoding=args.encoding) from None
    if args.header_row is not None and args.header_row < 1:
        raise CaseworkError("cli_header_row", value=args.header_row)
    return ReadOptions(
        sheet=args.sheet,
        header_row=args.header_row,
        mapping=mapping,
        encoding=args.encoding,
        kind=args.kind,
    )


def _check_report_arg(path: Path | None, source: Path) -> None:
    if path is None:
        return
    if path.expanduser().resolve() == source.expanduser().resolve():
        raise CaseworkError("import_report_is_source", path=str(path))
    if path.suffix.lower() not in REPORT_SUFFIXES:
        raise CaseworkError("import_report_suffix", path=str(path))
    folder = path.expanduser().resolve().parent
    if not folder.is_dir():
        raise CaseworkError("import_report_folder", path=str(path), folder=str(folder))


@contextmanager
def readable(path: Path) -> Iterator[None]:
    """A file the reader chokes on is one clear line (exit 2), never a traceback."""
    try:
        yield
    except (ImportFileError, CaseworkError):
        raise
    except csv.Error as exc:
        if "field limit" in str(exc):
            limit = csv.field_size_limit()
            raise CaseworkError("import_cell_too_big", path=path.name, limit=limit) from None
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise CaseworkError("import_bad_cells", path=path.name, reason=reason) from None
    except (UnicodeError, zipfile.BadZipFile, EOFError) as exc:
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise CaseworkError("import_bad_cells", path=path.name, reason=reason) from None


def check_file(path: Path, options: ReadOptions) -> None:
    """Before anyone signs in: the file exists and its header can be read."""
    if path.is_dir():
        raise CaseworkError("import_is_folder", path=str(path))
    with readable(path):
        import_read.open_source(path, options)


# The command -------------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace) -> int:
    options = read_options(args)
    _check_report_arg(args.report, args.file)
    check_file(args.file, options)
    lang = current_language()
    with opened(args) as database:
        ctx = signed_in(args, database)
        if args.dry_run:
            with readable(args.file):
                report = _run(ctx, args, options, dry_run=True)
            print_preview(report, sys.stdout)
            if args.report is not None and report.problems:
                path = write_report(report, args.report.expanduser(), lang)
                print(t("importcli.report", path=path))
            print(t("importcli.hint_preview"))
            return 0
        cancel = threading.Event()
        bar = ProgressBar(sys.stderr)
        try:
            with stop_on_sigint(cancel), readable(args.file):
                report = _run(ctx, args, options, progress=bar, cancel=cancel)
        except KeyboardInterrupt:
            bar.clear()
            print(t("importcli.aborted"), file=sys.stderr)
            print(t("importcli.continue"), file=sys.stderr)
            return 130
        finally:
            bar.clear()
        # The summary and the report first: they stay whatever happens to the scan.
        print_summary(report, sys.stdout)
        if report.problems:
            target = args.report.expanduser() if args.report else default_report_path(args.file)
            path = write_report(report, target, lang)
            print(t("importcli.report", path=path))
            print(t("importcli.hint"))
        if report.created and not report.cancelled:
            # New persons may be duplicates of each other or of those on record: the scan
            # runs now (unless another desk's is running), so the supervisors' queue is true.
            print(t("importcli.scan"), file=sys.stderr)
            try:
                scanned = duplicate_queue.auto_scan(ctx, "import", ScanProgress(sys.stderr))
            except KeyboardInterrupt:
                print(file=sys.stderr)
                print(t("importcli.scan_interrupted"), file=sys.stderr)
                return 130
            if scanned is None:
                print(t("importcli.scan_busy"), file=sys.stderr)
            else:
                print(t("followthrough.scan.done", new=scanned.new_pairs))
    if report.cancelled:
        print(t("importcli.stopped", created=report.created, rows=report.rows), file=sys.stderr)
        print(t("importcli.continue"), file=sys.stderr)
        return 130
    if report.rows and report.refused == report.rows:
        print(t("importcli.nothing"), file=sys.stderr)
        return 1
    return 0


def _run(
    ctx: Context,
    args: argparse.Namespace,
    options: ReadOptions,
    *,
    dry_run: bool = False,
    progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
) -> ImportReport:
    if args.kind == "visits":
        return import_visits.import_visits(
            ctx,
            args.file,
            options,
            programme=args.programme,
            progress=progress,
            cancel=cancel,
            dry_run=dry_run,
        )
    if dry_run:
        return importing.preview(ctx, args.file, options)
    return importing.import_persons(
        ctx, args.file, options, progress=progress, cancel=cancel, dry_run=False
    )


@contextmanager
def stop_on_sigint(cancel: threading.Event) -> Iterator[None]:
    """The first Ctrl+C asks the import to stop after its current batch; the second
    raises KeyboardInterrupt at once (the service rolls the open batch back)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        print("\n" + t("importcli.stopping"), file=sys.stderr, flush=True)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: Ctrl+C keeps its default
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# Progress ----------------------------------------------------------------------------------


class ProgressBar:
    """Rows done / total, rows/s and the time left on ``stream``: redrawn in place with
    ``\\r`` at most :attr:`every` seconds apart at a terminal; elsewhere one line every
    10 % (nothing when the total is unknown)."""

    every = 0.1

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.started = clock()
        self.tty = _isatty(stream)
        self.last_draw = -1.0
        self.last_tenth = 0
        self.drawn = False

    def __call__(self, progress: Progress) -> None:
        now = self.clock()
        done, total = progress.done, progress.total
        if self.tty:
            final = total is not None and done >= total
            if now - self.last_draw < self.every and not final:
                return
            self.last_draw = now
            self.stream.write("\r" + self.line(done, total, now).ljust(WIDTH - 1))
            self.stream.flush()
            self.drawn = True
            return
        if not total:
            return
        tenth = min(10, done * 10 // total)
        if tenth > self.last_tenth:
            self.last_tenth = tenth
            self.stream.write(
                t("importcli.progress_line", percent=tenth * 10, done=done, total=total) + "\n"
            )
            self.stream.flush()

    def line(self, done: int, total: int | None, now: float) -> str:
        elapsed = max(now - self.started, 1e-6)
        rate = done / elapsed
        if not total:
            return t("importcli.progress_open", done=fmt_count(done), rate=fmt_count(round(rate)))
        share = min(1.0, done / total)
        width = 20
        filled = round(share * width)
        bar = "[" + "#" * filled + "-" * (width - filled) + "]"
        left = (total - done) / rate if rate > 0 else 0.0
        text = t(
            "importcli.progress",
            bar=bar,
            done=fmt_count(done),
            total=fmt_count(total),
            rate=fmt_count(round(rate)),
            eta=duration_text(left),
        )
        return text[: WIDTH - 1]

    def clear(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\r" + " " * (WIDTH - 1) + "\r")
            self.stream.flush()
            self.drawn = False


class ScanProgress:
    """The duplicate scan's progress (a label and a share), redrawn at a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = _isatty(stream)
        self.last = -1

    def __call__(self, label: str, share: float) -> None:
        percent = int(share * 100)
        if not self.tty or percent == self.last:
            return
        self.last = percent
        end = "\n" if percent >= 100 else ""
        self.stream.write("\r" + t("importcli.scan_progress", percent=percent) + end)
        self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def duration_text(seconds: float) -> str:
    total = int(seconds + 0.5)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


# What the user reads -----------------------------------------------------------------------


def print_preview(report: ImportReport, out: TextIO) -> None:
    info = report.info
    if info is not None:
        print(t("importcli.file", path=info.path), file=out)
        if info.format == "xlsx":
            print(t("importcli.format_xlsx", sheet=info.sheet or "?"), file=out)
            if len(info.sheets) > 1:
                print(t("importcli.sheets", sheets=", ".join(info.sheets)), file=out)
        else:
            delimiter = {"\t": "TAB", ",": "«,»", ";": "«;»"}.get(
                info.delimiter or "", repr(info.delimiter)
            )
            print(
                t("importcli.format_csv", encoding=info.encoding or "?", delimiter=delimiter),
                file=out,
            )
        if info.total_rows is not None:
            print(t("importcli.header", line=info.header_line, rows=info.total_rows), file=out)
        else:
            print(t("importcli.header_unknown_rows", line=info.header_line), file=out)
        print(t("importcli.mapping"), file=out)
        by_index = {index: field for field, index in info.mapping.items()}
        for index, column in enumerate(info.columns):
            field = by_index.get(index)
            if field is None:
                continue
            key = "importcli.mapped_by_you" if field in info.overridden else "importcli.mapped"
            print(t(key, column=column or f"#{index + 1}", field=_field(field)), file=out)
        unused = info.unused_columns()
        if unused:
            print(t("importcli.unused", columns=", ".join(c or "«»" for c in unused)), file=out)
        else:
            print(t("importcli.unused_none"), file=out)
    print(file=out)
    print_sample(report.sample[:SAMPLE_ROWS], out)
    print(file=out)
    print(t("importcli.counts_preview"), file=out)
    _counts(report, out)
    _reasons(report, out)


def print_sample(sample: list[dict[str, Any]], out: TextIO) -> None:
    """The first rows as they will be stored: one short block per row, each line within
    80 columns (a table of 14 fields does not fit a terminal)."""
    if not sample:
        print(t("importcli.sample_none"), file=out)
        return
    print(t("importcli.sample"), file=out)
    for n, row in enumerate(sample, start=1):
        print(t("importcli.sample_row", n=n), file=out)
        cells = sample_view(row)
        width = max((len(label) for label, _ in cells), default=0)
        for label, value in cells:
            text = f"  {label.ljust(width)}  {value}"
            print(text if len(text) < WIDTH else text[: WIDTH - 2] + "…", file=out)


def _field(name: str) -> str:
    aliases = {
        "birth_date": "date_of_birth",
        "documents": "document_number",
        "external_refs": "ref",
    }
    key = f"import.field.{aliases.get(name, name)}"
    text = t(key)
    return name if text == key else text


def print_summary(report: ImportReport, out: TextIO) -> None:
    print(t("importcli.counts_stopped" if report.cancelled else "importcli.counts_done"), file=out)
    _counts(report, out)
    _reasons(report, out)


def _count(key: str, count: int) -> str:
    """A count line, its number as the language writes it, in the singular for one."""
    return tn(f"importcli.count_{key}", count)


def _counts(report: ImportReport, out: TextIO) -> None:
    print(_count("rows", report.rows), file=out)
    print(_count("created", report.created), file=out)
    shown = (
        ("visits", report.visits_created),
        ("visits_already", report.visits_already),
        ("already", report.already),
        ("completed", report.completed),
        ("in_file", report.duplicates_in_file),
        ("duplicates", report.likely_duplicates),
        ("warned", report.warned),
        ("refused", report.refused),
        ("conflicts", report.conflicts),
        ("guessed", report.names_guessed),
    )
    for key, count in shown:
        if count or key not in ("visits", "visits_already", "in_file", "guessed", "completed"):
            print(_count(key, count), file=out)


def _reasons(report: ImportReport, out: TextIO) -> None:
    skipped = report.info.skipped_headers if report.info else []
    if skipped:
        lines = ", ".join(str(n) for n in skipped[:5]) + (" …" if len(skipped) > 5 else "")
        print(tn("importcli.skipped_headers", len(skipped), lines=lines), file=out)
    groups = report.groups()
    if not groups:
        return
    print(t("importcli.reasons"), file=out)
    for reason, count in groups[:MAX_REASONS]:
        print(t("importcli.reason", count=count, reason=reason), file=out)
    if len(groups) > MAX_REASONS:
        more = len(groups) - MAX_REASONS
        key = "importcli.reasons_more" + ("_preview" if report.dry_run else "")
        print(tn(key, more), file=out)
