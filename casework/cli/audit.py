"""`casework audit --person ID`: who saw or changed a person's file, and when."""

from __future__ import annotations

import argparse
import json
import uuid

from casework.cli.signin import opened, signed_in
from casework.errors import CaseworkError
from casework.i18n import t
from casework.services import audit_log


def cmd_audit(args: argparse.Namespace) -> int:
    try:
        person = uuid.UUID(args.person)
    except ValueError:
        raise CaseworkError("bad_format") from None
    with opened(args) as database:
        rows = audit_log.events(signed_in(args, database), person_id=person, limit=args.limit)
    if not rows:
        print(t("security.cli.audit_none"))
        return 0
    for row in rows:
        details = json.dumps(row.details, ensure_ascii=False, sort_keys=True) if row.details else ""
        who = f"{row.worker} ({row.worker_id})" if row.worker_id else "-"
        when = f"{row.at.astimezone():%Y-%m-%d %H:%M:%S}"
        print(f"{when}  {row.action:<16} {row.entity:<15} {who}  {details}")
    return 0
