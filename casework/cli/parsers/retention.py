"""``casework retention``: implemented in casework.cli.retention."""

from __future__ import annotations

from typing import Any

from casework.cli.parsers import Command, add_db_option, add_passphrase_option, add_signin_options

IMPL = "casework.cli.retention"


def register(sub: Any) -> None:
    group = sub.add_parser("retention", help="retention periods and the review queue")
    actions = group.add_subparsers(dest="retention", metavar="ACTION", required=True)
    review = actions.add_parser("review", help="closed cases past their retention period")
    add_db_option(review)
    add_passphrase_option(review)
    add_signin_options(review)
    review.set_defaults(func=Command(IMPL, "cmd_review"))
    policy = actions.add_parser("policy", help="the retention period of each record type")
    add_db_option(policy)
    add_passphrase_option(policy)
    policy.set_defaults(func=Command(IMPL, "cmd_policy"))
