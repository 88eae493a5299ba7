"""The full duplicate scan streamed from person_key (issue #19): the same pairs as the
in-memory scan, whatever the cache of records, with a progress that only moves forward, and
a summary instead of thousands of lines on the command line."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from textual.widgets import Static

from casework import matching
from casework.db import Database, open_database
from casework.matching import DEFAULT_THRESHOLD, Matcher, MatchResult
from casework.models import MatchPair, Person, Worker
from casework.services import duplicate_queue, keys
from casework.services.context import Context
from casework.services.match_records import load_records
from casework.services.schemas import WorkerOut
from casework.synthetic import demo

PEOPLE = 700

Pair = frozenset[uuid.UUID]


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, uuid.UUID]:
    """A demo office (a few percent of its persons respelled twice) and its supervisor."""
    path = tmp_path_factory.mktemp("scan") / "office.db"
    db = open_database(str(path))
    demo.generate(Context(db), PEOPLE)
    with db.read() as s:
        sup = s.scalar(sa.select(Worker.id).where(Worker.role == "supervisor").limit(1))
    db.dispose()
    assert sup is not None
    return path, sup


@pytest.fixture
def db(office: tuple[Path, uuid.UUID], tmp_path: Path) -> Iterable[Database]:
    src, _ = office
    copy = tmp_path / "copy.db"
    copy.write_bytes(src.read_bytes())
    database = open_database(str(copy))
    yield database
    database.dispose()


def _pairs(results: Iterable[MatchResult]) -> set[Pair]:
    return {frozenset((uuid.UUID(r.a_id), uuid.UUID(r.b_id))) for r in results}


def _in_memory(database: Database, max_block: int = matching.DEFAULT_MAX_BLOCK) -> set[Pair]:
    """What the in-memory scan finds on the same keys, frequencies and population."""
    with database.read() as s:
        records = load_records(s)
        tf = duplicate_queue.streamed_frequencies(s)
    matcher = Matcher(tf=tf, population=max(len(records), 2))
    return _pairs(
        matcher.scan_pairs(
            records, DEFAULT_THRESHOLD, max_block, kinds=duplicate_queue.MATCHER_KINDS
        )
    )


def _streamed(
    database: Database,
    max_block: int = matching.DEFAULT_MAX_BLOCK,
    cache_records: int = duplicate_queue.CACHE_RECORDS,
) -> set[Pair]:
    with database.read() as s:
        tf = duplicate_queue.streamed_frequencies(s)
        persons = s.scalar(
            sa.select(sa.func.count()).select_from(Person).where(Person.merged_into_id.is_(None))
        )
        assert persons
        matcher = Matcher(tf=tf, population=max(persons, 2))
        return _pairs(
            duplicate_queue.stream_pairs(
                s,
                matcher,
                DEFAULT_THRESHOLD,
                persons,
                max_block=max_block,
                cache_records=cache_records,
            )
        )


def _queued(database: Database) -> set[Pair]:
    with database.read() as s:
        return {
            frozenset(row) for row in s.execute(sa.select(MatchPair.person_a, MatchPair.person_b))
        }


def test_the_streamed_scan_queues_the_pairs_the_in_memory_scan_finds(
    db: Database, office: tuple[Path, uuid.UUID]
) -> None:
    expected = _in_memory(db)
    assert len(expected) > 10, "the demo's duplicates were not found"
    report = duplicate_queue.scan(Context(db, office[1]))
    assert report.persons == PEOPLE
    assert report.pairs_found == report.new_pairs == len(expected)
    assert _queued(db) == expected


def test_a_small_cache_of_records_changes_nothing(db: Database) -> None:
    """Records evicted and read again between blocks give the same pairs."""
    assert _streamed(db, cache_records=30) == _in_memory(db)


def test_keys_shared_by_more_than_the_block_limit_are_skipped_the_same_way(db: Database) -> None:
    """With a small limit most name and date blocks are skipped, in both scans alike."""
    small = _streamed(db, max_block=4)
    assert small == _in_memory(db, max_block=4)
    assert small <= _in_memory(db)


def test_a_phone_on_many_files_pairs_no_one_by_itself(db: Database) -> None:
    """An office phone typed on 70 files: no 2,415 pairs to score, no pair found through it,
    and the duplicates among those persons still found through their other keys."""
    before = _streamed(db)
    with db.write() as s:
        crowd = list(s.scalars(sa.select(Person).order_by(Person.id).limit(70)))
        for person in crowd:
            person.phone = "+56 2 2345 6789"
            keys.refresh(s, person)
    found = _streamed(db)
    assert found == _in_memory(db)
    crowd_ids = {p.id for p in crowd}
    assert {p for p in found if p <= crowd_ids} == {p for p in before if p <= crowd_ids}


def test_the_large_scan_rule_for_weak_keys_holds_when_streamed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past LARGE_SCAN persons, a large block of a weak kind (given name and birth year)
    pairs two persons only when they share a second key: streamed as in memory."""
    without = _streamed(db)
    monkeypatch.setattr(matching.matcher, "LARGE_SCAN", 100)
    monkeypatch.setattr(duplicate_queue, "LARGE_SCAN", 100)
    monkeypatch.setattr(matching.matcher, "WEAK_ALONE_MAX_BLOCK", 2)
    monkeypatch.setattr(duplicate_queue, "WEAK_ALONE_MAX_BLOCK", 2)
    with_rule = _streamed(db, cache_records=100)
    assert with_rule == _in_memory(db)
    assert with_rule <= without


def _scored(database: Database, stored: bool) -> list[tuple[str, str, float, Any]]:
    """Every candidate pair a streamed scan scores, with its reasons, on the stored
    counts or on a count of every person."""
    with database.read() as s:
        if stored:
            tf = duplicate_queue.stored_frequencies(s)
        else:
            tf = duplicate_queue.streamed_frequencies(s)
        persons = s.scalar(
            sa.select(sa.func.count()).select_from(Person).where(Person.merged_into_id.is_(None))
        )
        assert persons
        matcher = Matcher(tf=tf, population=persons)
        found = duplicate_queue.stream_pairs(s, matcher, 0.0, persons)
        return sorted((r.a_id, r.b_id, r.score, r.reasons) for r in found)


def test_the_stored_counts_score_every_pair_as_a_count_of_every_person(db: Database) -> None:
    """The scan reads its term frequencies from person_key (the values two persons or more
    hold, and the denominators) instead of reading every person: the same scores and
    reasons, a number on many files included, holding far fewer values."""
    with db.write() as s:
        for person in s.scalars(sa.select(Person).order_by(Person.id).limit(9)):
            person.phone = "+56 2 2345 6789"  # a shared office phone: weighed by its count
            keys.refresh(s, person)
    stored = _scored(db, stored=True)
    assert stored == _scored(db, stored=False)
    codes = [r for *_, reasons in stored for r in reasons if "records" in r.params]
    assert codes and any(
        int(r.params["records"]) > matching.matcher.SHARED_NUMBER_MIN for r in codes
    )
    with db.read() as s:
        held = duplicate_queue.stored_frequencies(s).to_dict()["all"]
        every = duplicate_queue.streamed_frequencies(s).to_dict()["all"]
    assert all(n >= 2 for values in held.values() for n in values.values())
    assert len(held["phone"]) < len(every["phone"]) / 5
    assert len(held["document"]) < len(every["document"]) / 5


def test_the_scan_reports_progress_forward_to_the_end(
    db: Database, office: tuple[Path, uuid.UUID]
) -> None:
    fractions: list[tuple[str, float]] = []
    statuses: list[duplicate_queue.ScanStatus] = []
    report = duplicate_queue.scan(
        Context(db, office[1]),
        progress=lambda stage, f: fractions.append((stage, f)),
        watch=statuses.append,
    )
    values = [f for _, f in fractions]
    assert values == sorted(values) and values[-1] == 1.0
    stages = [stage for stage, _ in fractions]
    assert stages[0] == "counting" and stages[-2:] == ["saving", "done"]
    assert "scoring" in stages
    done = [s.blocks_done for s in statuses]
    assert done == sorted(done)
    last = statuses[-1]
    assert last.blocks > 0 and last.blocks_done == last.blocks
    assert last.pairs_found == report.pairs_found
    found = [s.pairs_found for s in statuses]
    assert found == sorted(found)


def _cli(
    path: Path, password_file: Callable[[str], Path], *extra: str
) -> subprocess.CompletedProcess[str]:
    signed = ["--user", "supervisora", "--password-file", str(password_file(demo.DEMO_PASSWORD))]
    return subprocess.run(
        [sys.executable, "-m", "casework", "dedupe", "scan", "--db", str(path), *signed, *extra],
        capture_output=True,
        text=True,
    )


def test_the_command_prints_a_summary_and_lists_pairs_only_when_asked(
    db: Database, password_file: Callable[[str], Path]
) -> None:
    path = db.file_path
    assert path is not None
    db.dispose()
    plain = _cli(path, password_file)
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert len(lines) <= 3 and "--list" in plain.stdout
    # not a terminal: progress as plain lines, never a carriage return
    assert "\r" not in plain.stderr and "%" in plain.stderr
    listed = _cli(path, password_file, "--list")
    assert listed.returncode == 0, listed.stderr
    queued = _queued(db)
    assert len(listed.stdout.splitlines()) == 2 * len(queued)  # a pair and its reasons
    assert any(str(next(iter(p))) in listed.stdout for p in queued)


@pytest.fixture
def database(desk_database: Database) -> Database:
    """The app's tests run on a desk's database file (thread workers need a file)."""
    return desk_database


async def test_the_queue_screen_shows_the_scan_progress_until_it_ends(
    database: Database,
    ctx: Context,
    supervisor: WorkerOut,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pressing s shows a progress strip while the scan runs; it goes when the scan ends."""
    from casework.app import make_app
    from casework.screens.dedupe import DedupeQueueScreen
    from casework.widgets.scan_strip import ScanStrip

    from .test_desk import settle, sign_in_as
    from .test_merge_screens import two_records

    two_records(ctx)
    halfway = threading.Event()
    go_on = threading.Event()
    real_scan = duplicate_queue.scan

    def held_scan(
        ctx: Context, progress: duplicate_queue.Progress | None = None
    ) -> duplicate_queue.ScanReport:
        def held(stage: str, share: float) -> None:
            if progress is not None:
                progress(stage, share)
            if stage == "saving" and not halfway.is_set():
                halfway.set()
                go_on.wait(30)

        return real_scan(ctx, progress=held)

    monkeypatch.setattr(duplicate_queue, "scan", held_scan)
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, DedupeQueueScreen)
        await pilot.press("s")
        while not halfway.is_set():
            await pilot.pause(0.05)
        await pilot.pause(0.3)  # a redraw of the strip
        strips = app.screen.query(ScanStrip)
        assert len(strips) == 1 and strips.first().percent == 90
        go_on.set()
        await settle(pilot)
        assert not app.screen.query(ScanStrip)
        assert "1 pares por revisar" in str(app.screen.query_one("#status", Static).render())
