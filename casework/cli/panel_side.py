"""`casework panel check` and `casework panel combine`: the Panel's side, no database."""

from __future__ import annotations

import argparse

from casework.i18n import t
from casework.services import panel_side


def cmd_check(args: argparse.Namespace) -> int:
    result = panel_side.check_paths(args.paths)
    for verdict in result.verdicts:
        print(panel_side.verdict_line(verdict))
    print()
    for line in panel_side.used_lines(result):
        print(line)
    flagged = sum(1 for v in result.verdicts if not v.accepted and v.duplicate_of is None)
    if not result.all_accepted:
        print(t("panelside.summary_flagged", count=flagged))
        return 1
    print(t("panelside.summary_ok"))
    return 0


def cmd_combine(args: argparse.Namespace) -> int:
    print(panel_side.combine_paths(args.paths, args.period, args.k).to_text(), end="")
    return 0
