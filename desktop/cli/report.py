"""`claude-rpg report`: per project and per persona, what Claude did in the last N days."""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from desktop.cli.common import add_common, open_database
from desktop.core.projects.report import MAX_DAYS, build_report
from desktop.core.projects.views import to_markdown


def _days(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"days must be a whole number from 1 to {MAX_DAYS}")
    return int(text)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "report", help="what happened per project and per persona (today, or the last N days)"
    )
    add_common(parser)
    parser.add_argument(
        "--days", type=_days, default=1, help="days to cover, today included (1: today)"
    )
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    db = open_database(args, "report")
    if db is None:
        return 1
    try:
        report = build_report(db, args.days, datetime.now().astimezone())
    finally:
        db.close()
    if args.format == "json":
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print(to_markdown(report), end="")
    return 0
