"""`claude-rpg progression rebuild`: recompute XP, levels, challenges and badges from the log."""

from __future__ import annotations

import argparse

from sqlalchemy.exc import OperationalError

from desktop.cli.common import add_common, open_database, report_locked
from desktop.cli.progress import ProgressBar
from desktop.core.progression.rebuild import RebuildReport, rebuild


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    progression = sub.add_parser("progression", help="XP, levels, challenges and badges")
    progression_sub = progression.add_subparsers(dest="progression_command", required=True)
    rebuild_p = progression_sub.add_parser(
        "rebuild", help="recompute every persona's progression from the stored hook events"
    )
    add_common(rebuild_p)
    rebuild_p.set_defaults(func=cmd_rebuild)


def format_report(report: RebuildReport) -> str:
    header = ("id", "persona", "xp before", "xp now", "level", "badges")
    lines = ["{:>4}  {:<22} {:>9} {:>8} {:>5} {:>6}".format(*header)]
    for p in report.personas:
        mark = "" if not p.changed else "  (changed)"
        lines.append(
            f"{p.persona_id:>4}  {p.name[:22]:<22} {p.xp_before:>9} {p.xp_after:>8} "
            f"{p.level_after:>5} {p.badges:>6}{mark}"
        )
    changed = sum(p.changed for p in report.personas)
    lines.append(
        f"claude-rpg: rebuilt {len(report.personas)} personas from {report.events} events; "
        f"{changed} changed their XP"
    )
    return "\n".join(lines)


def cmd_rebuild(args: argparse.Namespace) -> int:
    bar = ProgressBar()
    db = open_database(args, "rebuild", progress=bar)
    if db is None:
        return 1
    try:
        report = rebuild(db, progress=bar)
    except OperationalError as e:
        return report_locked(args, e, again="the rebuild")
    finally:
        bar.finish()
        db.close()
    print(format_report(report))
    return 0
