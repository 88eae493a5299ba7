"""Command palette: every action of the current screen, from the same bindings as the footer."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


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
                    yield f"{binding.description} ({binding.key})", where, binding

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
