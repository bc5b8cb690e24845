"""`claude-rpg doctor`: checks tmux, claude, the hooks, the port and the data dir."""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop.cli.common import add_common, data_paths
from desktop.doctor import DoctorTarget, Finding, Level, run_checks


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = sub.add_parser("doctor", help="check the setup and say how to fix each problem")
    add_common(doctor)
    doctor.add_argument("--tmux-socket", default=None, help="tmux server socket (as tmux -S)")
    doctor.add_argument(
        "--settings", type=Path, default=None, help="Claude Code settings.json to check"
    )
    doctor.set_defaults(func=cmd_doctor)


def format_finding(finding: Finding) -> str:
    line = f"{finding.level.value:<5} {finding.topic:<9} {finding.message}"
    if finding.fix and finding.level is not Level.OK:
        line += f"\n{'':16}fix: {finding.fix}"
    return line


def cmd_doctor(args: argparse.Namespace) -> int:
    target = DoctorTarget(data_paths(args), args.port, args.tmux_socket, args.settings)
    findings = run_checks(target)
    for finding in findings:
        print(format_finding(finding))
    failures = sum(f.level is Level.FAIL for f in findings)
    if failures:
        noun = "problem" if failures == 1 else "problems"
        print(f"claude-rpg doctor: {failures} {noun}; fix them and run `claude-rpg doctor` again.")
        return 1
    print("claude-rpg doctor: everything needed is in place.")
    return 0
