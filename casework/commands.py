"""Command palette: every action of the current screen, from the same bindings as the footer."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from functools import partial
from typing import Any

from rich.align import Align
from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen
from textual.widgets.option_list import Option

from casework.i18n import t
from casework.widgets.bindings import translate_bindings


class ScreenActions(Provider):
    """Lists the bindings of the screen the palette was opened from, and the app's."""

    def _actions(self) -> Iterator[tuple[str, str, Binding]]:
        seen: set[str] = set()
        screen = self.screen
        for node in (screen, self.app):
            for bindings in node._bindings.key_to_bindings.values():
                for binding in bindings:
                    if binding.action in seen or not binding.description:
                        continue
                    seen.add(binding.action)
                    where = screen.__class__.__name__ if node is screen else "casework"
                    key = self.app.get_key_display(binding)
                    yield f"{binding.description} ({key})", where, binding

    async def _run(self, binding: Binding, target: object) -> None:
        await self.app.run_action(binding.action, target)  # type: ignore[arg-type]

    async def discover(self) -> Hits:
        for text, _where, binding in self._actions():
            target = self.screen if binding in self._screen_bindings() else self.app
            yield DiscoveryHit(text, partial(self._run, binding, target))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, _where, binding in self._actions():
            score = matcher.match(text)
            if score > 0:
                target = self.screen if binding in self._screen_bindings() else self.app
                yield Hit(score, matcher.highlight(text), partial(self._run, binding, target))

    def _screen_bindings(self) -> list[Binding]:
        return [b for items in self.screen._bindings.key_to_bindings.values() for b in items]


PALETTE_KEYS = {
    "Go to bottom": "spanish.palette.bottom",
    "Go to top": "spanish.palette.top",
    "Next command": "spanish.palette.next",
    "Previous command": "spanish.palette.previous",
    "Exit the command palette": "spanish.palette.close",
    "Next page": "spanish.palette.next_page",
    "Previous page": "spanish.palette.previous_page",
}
"""The palette's own keys, described in English by Textual: the catalogue key of each."""


class CaseworkPalette(CommandPalette):
    """Textual's command palette in the UI language: its hint and its "no matches" line
    (Textual writes them in English)."""

    def __init__(self) -> None:
        super().__init__(placeholder=t("spanish.palette.placeholder"), id="--command-palette")
        translate_bindings(self)  # Tab / Shift+Tab, as on every screen of the desk
        bindings = self._bindings.key_to_bindings
        for key, items in bindings.items():
            bindings[key] = [
                dataclasses.replace(b, description=t(PALETTE_KEYS[b.description]))
                if b.description in PALETTE_KEYS
                else b
                for b in items
            ]

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual 8 has no setting for the line shown when nothing matches: the same
        # countdown as Textual's own, with the line in the UI language. (A Textual upgrade
        # that renames this method shows the English line again: tests/test_walk_i18n.py
        # reads the palette after a search that finds nothing.)
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(t("spanish.palette.no_matches"), style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)


def system_commands(app: App[Any], screen: Screen[Any]) -> Iterator[SystemCommand]:
    """Textual's own palette entries (theme, quit, keys, screenshot), in the UI language."""
    yield SystemCommand(
        t("spanish.palette.theme"), t("spanish.palette.theme_help"), app.action_change_theme
    )
    yield SystemCommand(t("spanish.palette.quit"), t("spanish.palette.quit_help"), app.action_quit)
    if screen.query("HelpPanel"):
        yield SystemCommand(
            t("spanish.palette.keys"),
            t("spanish.palette.keys_hide_help"),
            app.action_hide_help_panel,
        )
    else:
        yield SystemCommand(
            t("spanish.palette.keys"), t("spanish.palette.keys_help"), app.action_show_help_panel
        )
    if screen.maximized is not None:
        yield SystemCommand(
            t("spanish.palette.minimize"),
            t("spanish.palette.minimize_help"),
            screen.action_minimize,
        )
    elif screen.focused is not None and screen.focused.allow_maximize:
        yield SystemCommand(
            t("spanish.palette.maximize"),
            t("spanish.palette.maximize_help"),
            screen.action_maximize,
        )
    yield SystemCommand(
        t("spanish.palette.screenshot"),
        t("spanish.palette.screenshot_help"),
        lambda: app.set_timer(0.1, app.deliver_screenshot),
    )
