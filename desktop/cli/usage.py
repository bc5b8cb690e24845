"""`claude-rpg usage rebuild`: read every known transcript again and recompute token usage."""

from __future__ import annotations

import argparse

from sqlalchemy.exc import OperationalError

from desktop.cli.common import add_common, open_database, report_locked
from desktop.core.usage.service import UsageService


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    usage = sub.add_parser("usage", help="tokens, estimated cost and context of the sessions")
    usage_sub = usage.add_subparsers(dest="usage_command", required=True)
    rebuild_p = usage_sub.add_parser(
        "rebuild", help="recompute every session's token usage from its transcripts"
    )
    add_common(rebuild_p)
    rebuild_p.set_defaults(func=cmd_rebuild)


def cmd_rebuild(args: argparse.Namespace) -> int:
    db = open_database(args, "rebuild")
    if db is None:
        return 1
    try:
        service = UsageService(db)
        files, missing = service.rebuild()
        usage = service.days(1)
    except OperationalError as e:
        return report_locked(args, e)
    finally:
        db.close()
    counters = service.counters
    print(
        f"claude-rpg: read {files} transcript files again ({missing} named but gone);"
        f" {counters.malformed_lines} malformed lines skipped, {counters.errors} files unreadable;"
        " today so far:"
        f" {usage[0].tokens.input_tokens} input and {usage[0].tokens.output_tokens} output tokens,"
        f" about ${usage[0].cost_usd:.2f} (an estimate)"
    )
    return 0
