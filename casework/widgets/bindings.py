"""Key bindings in the UI language: ours are catalogue keys ("key.find"), Textual's own are
English descriptions; the footer, F1 help and the palette show both translated."""

from __future__ import annotations

import dataclasses

from textual.dom import DOMNode

from casework.i18n import t

TEXTUAL_DESCRIPTIONS: dict[str, str] = {
    "Focus Next": "key.focus_next",
    "Focus Previous": "key.focus_previous",
    "Copy selected text": "key.copy_text",
    "Show menu": "key.open_menu",
    "Dismiss menu": "key.close_menu",
    "palette": "key.palette",
}
"""Textual's own bindings (Tab on every screen, a Select's menu...) are described in English:
the catalogue key for each, so F1 help, the footer and the palette speak the UI language."""


def _described(text: str, prefix: str) -> str:
    """A binding's description or tooltip in the UI language: our catalogue keys
    ("key.find"), and Textual's own English descriptions."""
    if text.startswith(prefix):
        return t(text)
    if text in TEXTUAL_DESCRIPTIONS:
        return t(TEXTUAL_DESCRIPTIONS[text])
    return text


def translate_bindings(node: DOMNode) -> None:
    """Show the bindings of ``node`` (ours and Textual's) in the UI language; the keys and
    actions stay as they are. Lists with nothing to translate are left alone: this runs on
    every focus change."""
    bindings = node._bindings
    for key, items in bindings.key_to_bindings.items():
        if not any(
            b.description.startswith("key.")
            or b.description in TEXTUAL_DESCRIPTIONS
            or b.tooltip.startswith("tip.")
            for b in items
        ):
            continue
        bindings.key_to_bindings[key] = [
            dataclasses.replace(
                b,
                description=_described(b.description, "key."),
                tooltip=_described(b.tooltip, "tip."),
            )
            for b in items
        ]
