"""Walk every screen and dialog of the desk, in Spanish and in English, on a database with
data in it, and fail on any text the worker would read that is not in the desk's language:
an English-only word or an internal code (an enum value, a snake_case token, a UUID, a
pydantic field location) on the Spanish desk; a Spanish-only word on the English one
(issue #15 points 8 and 9).

What is read on each stop: the screen as drawn (its 80x24 picture: a message drawn out of
view is a defect too), every cell of every table (rows scrolled out of view included),
every option of every select and list, the placeholders of the fields and every key the
screen offers (footer, F1 help and the palette list the same bindings).

Adding a screen is one line in :data:`STOPS`: a name, who opens it (``as_``), and how (keys
pressed, or a function returning the screen to push). A stop that opens nothing fails."""

from __future__ import annotations

import io
import os
import re
import shutil
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.text import Text
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, OptionList, Select, SelectionList

from casework import clock, refdata
from casework.app import CaseworkApp, make_app
from casework.db import Database, open_database
from casework.i18n import catalogue, set_language
from casework.models import enums
from casework.services import staff
from casework.services.context import Context
from casework.synthetic import demo

from .test_snapshots import FROZEN

SIZE = (80, 24)

# What counts as untranslated ------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
UUID = re.compile(r"\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b", re.I)
SNAKE = re.compile(r"(?<![\w.@/-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/-])")
"""snake_case tokens (codes, field names): on_hold, first_surname, sign_in_needs_password."""
LOCATION = re.compile(r"\b[a-z_]+(?:\.[a-z_0-9]+)*\.\d+\b|\b[a-z_]+\.[a-z_]+(?:\.[a-z_0-9]+)*:")
"""Pydantic error locations: person.documents.0, documents.0.number, person.given_names:"""

SHARED_WORDS = {
    # Words spelled the same in both languages (names, acronyms, loan words) that one
    # catalogue happens to use and the other does not.
    "casework", "email", "online", "ok", "id", "no", "sermig", "pdi", "omil", "cesfam",
    "fonasa", "rsh", "ipe", "ipa", "run", "rut", "tum", "chile", "dni", "pas",
    "municipal", "supervisor", "panel", "personal",
}  # fmt: skip


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(re.sub(r"\{[^}]*\}", " ", text))}


def _only_in(lang: str, other: str) -> set[str]:
    """Words of ``lang``'s catalogue values (where they differ from ``other``'s) that no
    value of ``other`` uses: the words that give away an untranslated string."""
    mine, theirs = catalogue(lang), catalogue(other)
    found: set[str] = set()
    used_there: set[str] = set()
    for value in theirs.values():
        used_there |= _words(value)
    for key, value in mine.items():
        if theirs.get(key) != value:
            found |= _words(value)
    return {w for w in found - used_there - SHARED_WORDS if len(w) >= 4}


def _codes() -> set[str]:
    """Internal codes that are words: enum values and the keys of the code lists."""
    out: set[str] = set()
    for item in vars(enums).values():
        if isinstance(item, type) and issubclass(item, enums.StrEnum):
            out |= {str(m.value) for m in item}
    for name in ("case_flags", "referral_statuses", "service_areas", "channels"):
        try:
            out |= {c.key for c in refdata.code_list(name)}
        except Exception:
            continue
    spanish = set().union(*map(_words, catalogue("es").values()))
    return {c for c in out if len(c) > 2 and c.isascii() and c.islower()} - spanish


def untranslated(
    text: str, lang: str, allowed: frozenset[str] = frozenset(), data: frozenset[str] = frozenset()
) -> list[str]:
    """What in ``text`` is not in ``lang``: foreign-only words (other than the words of
    the records themselves, ``data``), codes, ids, locations."""
    other = "en" if lang == "es" else "es"
    foreign = DENY[lang] - data
    found = [w for w in _WORD.findall(text) if w.casefold() in foreign]
    if lang == "es":
        found += [w for w in _WORD.findall(text) if w in CODES]
    found += [m.group(0) for m in UUID.finditer(text)]
    found += [m.group(0) for m in SNAKE.finditer(text)]
    found += [m.group(0) for m in LOCATION.finditer(text)]
    del other
    return sorted(set(found) - allowed)


CODES = _codes()
DENY = {"es": _only_in("en", "es"), "en": _only_in("es", "en")}


# Reading what a screen shows ------------------------------------------------------------


def drawn_text(app: CaseworkApp) -> str:
    """The screen as drawn in the terminal (what a screenshot shows), as plain text."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


def _plain(value: object) -> str:
    if isinstance(value, Text):
        return value.plain
    return str(value) if value is not None else ""


def data_text(screen: Screen[Any]) -> Iterator[str]:
    """What the screen holds besides what is drawn: every table cell, every option, every
    field's hint, every key the screen offers (F1 help and the palette list them)."""
    for table in screen.query(DataTable):
        for column in table.columns.values():
            yield _plain(column.label)
        for row in table.ordered_rows:
            yield from (_plain(cell) for cell in table.get_row(row.key))
    for select in screen.query(Select):
        yield from (_plain(prompt) for prompt, _value in select._options)
    for options in screen.query(OptionList):
        if isinstance(options, SelectionList) or options.id != "--command-palette":
            for i in range(options.option_count):
                yield _plain(options.get_option_at_index(i).prompt)
    for field_ in screen.query(Input):
        yield _plain(field_.placeholder)
    for active in screen.active_bindings.values():
        # The footer's keys, and the screen's and the app's (F1 help and the palette list
        # them); a focused widget's hidden keys (an Input's "Move cursor left") show nowhere.
        if active.binding.show or active.node is screen or active.node is screen.app:
            yield active.binding.description
            yield active.binding.tooltip


def footer_cut(screen: Screen[Any], drawn: str) -> list[str]:
    """The keys the screen's footer should show that are not drawn whole on its last line
    (cut at 80 columns: such keys belong in F1 help and the palette only, show=False)."""
    if not screen.query(Footer):
        return []  # a dialog without its own footer: the line below is another screen's
    last = drawn.rstrip("\n").splitlines()[-1]
    return [
        active.binding.description
        for active in screen.active_bindings.values()
        if active.binding.show and active.binding.description
        if active.binding.description not in last
    ]


KNOWN_CUT: set[str] = set()
"""Footers known to be cut at 80 columns (none now): a name here skips that check."""


# The walk ---------------------------------------------------------------------------------


@dataclass
class Walk:
    """The desk being walked, and what the stops need to open their screens."""

    pilot: Pilot[Any]
    db: Database
    workers: dict[str, uuid.UUID]
    person_id: uuid.UUID
    role: str = ""
    seen: dict[str, str] = field(default_factory=dict)

    @property
    def app(self) -> CaseworkApp:
        return self.pilot.app  # type: ignore[return-value]

    async def settle(self) -> None:
        await self.pilot.pause()
        await self.app.workers.wait_for_complete()
        await self.pilot.pause()

    async def sign_in_as(self, username: str) -> None:
        if self.role == username:
            return
        # As if signed in with the password (the sign-in screen is a stop of its own).
        worker = staff.find_worker(Context(self.db), username)
        assert worker is not None, username
        self.app.start_session(worker)
        self.role = username
        await self.settle()

    async def home(self, on: str) -> None:
        """Back to where a stop starts: the day (``"today"``), or the walked person's file
        (``"file"``), kept open between the stops that start there."""
        from casework.screens.person import PersonScreen
        from casework.screens.today import TodayScreen

        def depth() -> int:
            return len(self.app.screen_stack)

        while depth() > (2 if on == "today" else 3):
            await self.app.pop_screen()
        if on == "file" and depth() == 3 and isinstance(self.app.screen, PersonScreen):
            await self.settle()
            return
        while depth() > 2:
            await self.app.pop_screen()
        if not isinstance(self.app.screen, TodayScreen):
            self.app.switch_to_base(TodayScreen())
        if on == "file":
            self.app.push_screen(PersonScreen(self.person_id))
        await self.settle()


Opener = Callable[[Walk], Awaitable[None]]


def keys(*pressed: str) -> Opener:
    async def open_(walk: Walk) -> None:
        for key in pressed:
            await walk.pilot.press(key)
            if len(key) > 1:  # a key that opens something, not a letter typed
                await walk.settle()
        await walk.settle()

    return open_


def push(make: Callable[[Walk], Screen[Any]]) -> Opener:
    async def open_(walk: Walk) -> None:
        walk.app.push_screen(make(walk))
        await walk.settle()

    return open_


def then(*steps: Opener) -> Opener:
    async def open_(walk: Walk) -> None:
        for step in steps:
            await step(walk)

    return open_


def tab(pane: str) -> Opener:
    async def open_(walk: Walk) -> None:
        from textual.widgets import TabbedContent

        walk.app.screen.query_one(TabbedContent).active = pane
        await walk.settle()

    return open_


def _data(walk: Walk) -> Any:
    data = getattr(walk.app.screen, "data", None)
    assert data is not None, f"{type(walk.app.screen).__name__} shows no person file"
    return data


def first_run(walk: Walk) -> Screen[Any]:
    from casework.screens.first_run import FirstRunScreen

    return FirstRunScreen()


def sign_in(walk: Walk) -> Screen[Any]:
    from casework.screens.sign_in import SignInScreen

    return SignInScreen("supervisora")


def close_follow_up(walk: Walk) -> Screen[Any]:
    from casework.screens.forms import CloseFollowUpModal

    return CloseFollowUpModal(_data(walk).follow_ups[0], "done")


def reschedule(walk: Walk) -> Screen[Any]:
    from casework.screens.forms import RescheduleModal

    return RescheduleModal(_data(walk).follow_ups[0])


def move_referral(walk: Walk) -> Screen[Any]:
    from casework.screens.forms import MoveReferralModal

    return MoveReferralModal(_data(walk).referrals[0])


def confirm(walk: Walk) -> Screen[Any]:
    from casework.widgets import ConfirmModal

    return ConfirmModal("", "")


@dataclass(frozen=True)
class Stop:
    name: str
    open: Opener
    as_: str = "supervisora"
    allow: frozenset[str] = frozenset()
    """Codes this screen shows on purpose (say why where it is used)."""
    on: str = "today"
    """Where the stop starts: the day, or the walked person's file (``"file"``)."""
    opens: bool = True
    """The stop opens a screen or dialog (a stop that switches a tab does not)."""


DATA_WORDS = frozenset({"OFMIG", "OMIL", "CMUJER", "CHCC", "SOME"})
"""The demo's programme codes (data the administrator typed) and SOME, the acronym of a
CESFAM's office in the destinations' names: not the desk's words."""
USERNAMES = frozenset({"admin", "demo", "supervisora"})
"""The administrator's list of workers shows each one's username (data, not a code)."""
CATALOGUE_KEYS = frozenset(d.key for d in refdata.destinations()) | {"other"}
"""The administrator's catalogue lists each destination's key (its handle in imports)."""


STOPS = [
    Stop("today", keys("ctrl+t"), as_="demo"),
    Stop("drafts", keys("ctrl+n", "a", "escape", "b"), as_="demo"),
    Stop("search", keys("ctrl+f", *"maria"), as_="demo"),
    Stop("intake", keys("ctrl+n"), as_="demo"),
    Stop("intake errors", keys("ctrl+n", "ctrl+s"), as_="demo"),
    Stop("person file", tab("tab-timeline"), on="file", opens=False),
    Stop("person referrals", tab("tab-referrals"), on="file", opens=False),
    Stop("person follow-ups", tab("tab-follow-ups"), on="file", opens=False),
    Stop("person guidance tab", tab("tab-guidance"), on="file", opens=False),
    Stop("contact", keys("c"), on="file"),
    Stop("note", keys("n"), on="file"),
    Stop("status", keys("s"), on="file"),
    Stop("referral", keys("r"), on="file"),
    Stop("follow-up", keys("f"), on="file"),
    Stop("case flags", keys("v"), on="file"),
    Stop("edit person", keys("i"), on="file"),
    Stop("guidance", keys("g"), on="file"),
    Stop("rights request", keys("e"), on="file"),
    Stop("person audit", keys("a"), on="file"),
    Stop("close follow-up", push(close_follow_up), on="file"),
    Stop("reschedule", push(reschedule), on="file"),
    Stop("move referral", push(move_referral), on="file"),
    Stop("caseload", keys("f5")),
    Stop("caseload drill", keys("f5", "enter")),
    Stop("dedupe", keys("f6")),
    Stop("recent merges", keys("f6", "m")),
    Stop("compare pair", keys("f6", "enter")),
    Stop("panel", keys("f4")),
    Stop("rights", keys("f7")),
    Stop("new rights request", keys("f7", "n")),
    Stop("audit", keys("f8")),
    Stop("retention", keys("f9")),
    Stop("retention period", keys("f9", "p")),
    Stop("own password", keys("f12")),
    Stop("help", keys("f1")),
    Stop("palette", keys("ctrl+p")),
    Stop("palette no match", keys("ctrl+p", *"zzzz")),
    Stop("confirm", push(confirm)),
    Stop("admin", keys("f10"), as_="admin", allow=CATALOGUE_KEYS | USERNAMES),
    Stop("admin programmes", keys("f10", "2"), as_="admin", allow=CATALOGUE_KEYS | USERNAMES),
    Stop("admin catalogue", keys("f10", "3"), as_="admin", allow=CATALOGUE_KEYS | USERNAMES),
    Stop("new worker", keys("f10", "a"), as_="admin"),
    Stop("edit worker", keys("f10", "e"), as_="admin", allow=USERNAMES),
    Stop("first run", push(first_run), as_="admin"),
    Stop("first run errors", then(push(first_run), keys("ctrl+s")), as_="admin"),
    Stop("sign in", push(sign_in), as_="admin"),
    Stop("case status", keys("k"), on="file"),
    Stop("reassign case", keys("w"), on="file"),
    Stop("transfer case", keys("t"), on="file"),
    Stop("transfers waiting", keys("ctrl+t", "t")),
    Stop("caseload move work", keys("f5", "w")),
    Stop("lock", keys("ctrl+b")),
    Stop("sign out", keys("ctrl+o")),
    Stop("switch user", keys("ctrl+g")),
    Stop("office settings", keys("f10", "o"), as_="admin", allow=USERNAMES),
    Stop("admin move work", keys("f10", "w"), as_="admin", allow=USERNAMES),
    Stop("import", keys("f3")),
    Stop("import (admin)", keys("f3"), as_="admin"),
    Stop("import refused", keys("f3"), as_="demo", opens=False),
]
"""Every screen and dialog of the desk: one line each."""


@pytest.fixture(scope="module")
def walked_db(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """Demo data (persons with cases, referrals, follow-ups, guidance, an audit trail),
    plus a person with one of everything for the person file's dialogs."""
    clock.freeze(FROZEN)
    path = tmp_path_factory.mktemp("walk") / "walk.db"
    shutil.copy(sqlite_template, path)
    db = open_database(str(path))
    demo.generate(Context(db), 60, seed=7)
    db.dispose()
    clock.freeze(None)
    return path


async def walk_desk(db: Database, lang: str) -> dict[str, list[str]]:
    set_language(lang)
    ctx = Context(db)
    workers = {
        u: w.id for u in ("demo", "supervisora", "admin") if (w := staff.find_worker(ctx, u))
    }
    person_id = _busiest_person(db, workers["supervisora"])
    typed = typed_words(db)
    app = make_app(db, demo=True)
    problems: dict[str, list[str]] = {}
    async with app.run_test(size=SIZE) as pilot:
        walk = Walk(pilot, db, workers, person_id)
        await walk.settle()
        for stop in STOPS:
            await walk.sign_in_as(stop.as_)
            await walk.home(stop.on)
            before = walk.app.screen
            await stop.open(walk)
            assert walk.app.screen is not before or not stop.opens, f"{stop.name}: nothing opened"
            texts = [drawn_text(walk.app), *data_text(walk.app.screen)]
            texts += [n.message for n in walk.app._notifications]
            walk.app.clear_notifications()
            allowed = DATA_WORDS | stop.allow
            found = sorted({w for text in texts for w in untranslated(text, lang, allowed, typed)})
            if stop.name not in KNOWN_CUT:
                found += [f"footer cut: {d}" for d in footer_cut(walk.app.screen, texts[0])]
            walk.seen[stop.name] = texts[0]
            if found:
                problems[stop.name] = found
    dump = os.environ.get("CASEWORK_WALK_DUMP")
    if dump:  # for review: every stop as drawn at 80x24
        pictures = (f"=== {name}\n{text}" for name, text in walk.seen.items())
        Path(dump, f"walk-{lang}.txt").write_text("\n".join(pictures), encoding="utf-8")
    return problems


def typed_words(db: Database) -> frozenset[str]:
    """The words of what is on record (names, programmes, notes, what to check; the demo's
    are Spanish): shown as typed in either language, so not the desk's words. Codes are
    still caught by their shape (snake_case, UUID), whatever the records hold."""
    import sqlalchemy as sa

    from casework.models import Base

    words: set[str] = set()
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, sa.String | sa.Text):
                    for value in conn.scalars(sa.select(column).distinct()):
                        if isinstance(value, str):
                            words |= _words(value)
    for dest in refdata.destinations():  # institutions' own names, kept in English too
        words |= _words(dest.name_en)
    return frozenset(words)


def _busiest_person(db: Database, supervisor: uuid.UUID) -> uuid.UUID:
    """The person with a follow-up, a referral and guidance: every list of the file shows."""
    import sqlalchemy as sa

    from casework.models import Case, FollowUp, Guidance, Referral

    del supervisor
    with db.engine.connect() as conn:
        ids = [
            set(conn.scalars(sa.select(model.person_id).distinct()))
            for model in (FollowUp, Referral, Guidance)
        ]
        # An open case too: the case's dialogs (status, reassign, transfer) act on it.
        ids.append(set(conn.scalars(sa.select(Case.person_id).where(Case.status == "open"))))
    found = sorted(ids[0] & ids[1] & ids[2] & ids[3], key=str)
    assert found, "the demo data has no person with a follow-up, a referral and guidance"
    return uuid.UUID(str(found[0])) if not isinstance(found[0], uuid.UUID) else found[0]


@pytest.mark.parametrize("lang", ["es", "en"])
async def test_every_screen_speaks_the_desk_language(
    lang: str, walked_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "walk.db"
    shutil.copy(walked_db, path)
    db = open_database(str(path))
    clock.freeze(FROZEN)
    try:
        problems = await walk_desk(db, lang)
    finally:
        clock.freeze(None)
        db.dispose()
        set_language("es")
    report = "\n".join(f"  {stop}: {', '.join(words)}" for stop, words in problems.items())
    assert not problems, f"untranslated on the {lang} desk:\n{report}"
