"""Rights requests as the desk words them: the right, the legal ground of a refusal, the
days left, and what an erasure removed. Pure text (Rich styles), no widgets."""

from __future__ import annotations

from rich.text import Text

from casework.i18n import t


def right_name(kind: str) -> str:
    return t(f"protection.right.{kind}")


def left_text(days: int) -> Text:
    """Days left (a request's ``days_left``), or how late; overdue in bold red, the last two
    days in yellow."""
    if days < 0:
        return Text(t("protection.rights.overdue", days=-days), style="bold red")
    return Text(t("protection.rights.days_left", days=days), style="yellow" if days <= 2 else "")


def ground_name(ground: str) -> str:
    return t(f"protection.ground.{ground}")


ROW_ORDER = (
    "case_file",
    "contact",
    "guidance",
    "referral",
    "follow_up",
    "note",
    "match_pair",
    "person_merge",
    "person",
)
"""The order erased records are listed in; a table added later comes before the file."""


def records_text(rows: dict[str, int]) -> str:
    """ "2 casos, 3 atenciones, 1 ficha": counts of erased records by what they are, in the
    UI language (a table without a label keeps its own name)."""

    def order(table: str) -> tuple[int, str]:
        return (ROW_ORDER.index(table) if table in ROW_ORDER else len(ROW_ORDER) - 1, table)

    parts = []
    for table in sorted(rows, key=order):
        n = rows[table]
        key = f"protection.records.{'one' if n == 1 else 'many'}.{table}"
        text = t(key, n=n)
        parts.append(f"{n} {table}" if text == key else text)
    return ", ".join(parts)
