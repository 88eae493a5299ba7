"""`casework dedupe scan`: find likely duplicate persons and queue them for a supervisor."""

from __future__ import annotations

import argparse
import json
import sys

from casework.cli.signin import opened, signed_in
from casework.i18n import current_language, t
from casework.matching import DEFAULT_THRESHOLD, describe
from casework.services import duplicate_queue


def cmd_scan(args: argparse.Namespace) -> int:
    if args.min_score is None:  # not given: the matcher's (the parser does not load it)
        args.min_score = DEFAULT_THRESHOLD
    with opened(args) as database:
        ctx = signed_in(args, database)
        report = duplicate_queue.scan(ctx, args.min_score)
        pairs = duplicate_queue.queue(ctx, args.min_score, limit=100_000)
    lang = current_language()
    if args.format == "json":
        out = [
            {
                "score": round(p.score, 4),
                "reasons": [describe(r, lang) for r in p.reasons],
                "a": {"id": str(p.a.id), "refs": list(p.a.refs), "name": p.a.name},
                "b": {"id": str(p.b.id), "refs": list(p.b.refs), "name": p.b.name},
            }
            for p in pairs
        ]
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        for p in pairs:
            why = ", ".join(describe(r, lang) for r in p.reasons[:5])
            refs_a = f" [{', '.join(p.a.refs)}]" if p.a.refs else ""
            refs_b = f" [{', '.join(p.b.refs)}]" if p.b.refs else ""
            print(
                f"{p.score:.3f}  {p.a.name}{refs_a} {p.a.id}  ~  {p.b.name}{refs_b} {p.b.id}"
                f"\n       {why}"
            )
    print(
        t(
            "cli.scan_done",
            persons=f"{report.persons:,}",
            pairs=f"{len(pairs):,}",
            new=f"{report.new_pairs:,}",
            seconds=f"{report.seconds:.1f}",
        ),
        file=sys.stderr,
    )
    return 0
