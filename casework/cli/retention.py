"""`casework retention review|policy`: closed cases past their retention period, and the
periods in force. Lists ids and dates only, never names."""

from __future__ import annotations

import argparse

from casework.cli.signin import opened, signed_in
from casework.i18n import t
from casework.services import retention
from casework.services.context import Context


def cmd_review(args: argparse.Namespace) -> int:
    with opened(args) as database:
        queue = retention.review_queue(signed_in(args, database))
    if not queue:
        print(t("protection.retention.cli_empty"))
        return 0
    print(t("protection.retention.cli_header"))
    for item in queue:
        print(
            f"{item.case_id}  {item.person_id}  {item.closed_on.isoformat()}  "
            f"{item.review_since.isoformat()}     {item.programme_name}"
        )
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    with opened(args) as database:
        rows = retention.policies(Context(database))
    for row in rows:
        default = t("protection.retention.cli_default") if row.default else ""
        print(
            t(
                "protection.retention.cli_policy",
                record_type=row.record_type,
                months=row.months,
                default=default,
            )
        )
    return 0
