"""`claude-rpg hosts add | list | remove` and the remote side, `claude-rpg remote feed | info`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from desktop.cli.common import add_common, data_paths
from desktop.core.actions import ActionError, PermissionChoice
from desktop.core.remote.actions import REFUSED, RemoteAction, act_here, act_remote
from desktop.core.remote.feed import info, run_feed
from desktop.core.remote.hosts import (
    HostConfig,
    HostsError,
    add_host,
    check_name,
    check_target,
    load_hosts,
    remove_host,
)
from desktop.core.remote.probe import probe
from desktop.core.remote.ssh import control_dir


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    hosts = sub.add_parser("hosts", help="add, list or remove remote hosts (reached over ssh)")
    hosts_sub = hosts.add_subparsers(dest="hosts_command", required=True)
    add = hosts_sub.add_parser("add", help="add a host: NAME and what you give ssh to reach it")
    add_common(add)
    add.add_argument("name", help="the name cards and headers show")
    add.add_argument("target", help="a Host alias of your ssh config, or user@host")
    add.add_argument(
        "--remote-command",
        default="claude-rpg",
        help="how claude-rpg starts there, with options (default: claude-rpg)",
    )
    add.add_argument("--ssh-config", default=None, help="an ssh config file to use (ssh -F)")
    add.set_defaults(func=cmd_add)
    listing = hosts_sub.add_parser("list", help="each host: reachable? version? panes?")
    add_common(listing)
    listing.add_argument("--json", action="store_true", help="one JSON object per host")
    listing.set_defaults(func=cmd_list)
    remove = hosts_sub.add_parser(
        "remove", help="forget a host (its stored events and personas stay)"
    )
    add_common(remove)
    remove.add_argument("name")
    remove.set_defaults(func=cmd_remove)

    act = hosts_sub.add_parser(
        "act", help="act on a remote pane: send, interrupt, answer, preview or jump"
    )
    add_common(act)
    act.add_argument("name", help="the host")
    _add_act_arguments(act)
    act.add_argument("--text", default="", help="the prompt to send (send)")
    act.set_defaults(func=cmd_act)

    remote = sub.add_parser("remote", help="the remote side, run by the desktop over ssh")
    remote_sub = remote.add_subparsers(dest="remote_command", required=True)
    # No add_common here: the desktop puts the remote command's own options (--data-dir,
    # --port) before `remote`, and a subparser's defaults would override them.
    feed = remote_sub.add_parser("feed", help="stream this host's events and panes as JSON lines")
    feed.add_argument("--since", type=int, default=0, help="the last event id already received")
    feed.set_defaults(func=cmd_feed)
    remote_act = remote_sub.add_parser("act", help="act on a pane here (a prompt on stdin)")
    _add_act_arguments(remote_act)
    remote_act.set_defaults(func=cmd_remote_act)
    remote_info = remote_sub.add_parser("info", help="version, app running, panes, as JSON")
    remote_info.set_defaults(func=cmd_info)


def _add_act_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=[a.value for a in RemoteAction])
    parser.add_argument("pane", help="the pane id there (as /api/panes shows it, e.g. %%3)")
    parser.add_argument(
        "--claude-pid", type=int, default=None, help="act only if the pane runs this claude pid"
    )
    parser.add_argument(
        "--choice", default="once", choices=[c.value for c in PermissionChoice], help="(answer)"
    )


def cmd_act(args: argparse.Namespace) -> int:
    root = data_paths(args).root
    try:
        host = next((h for h in load_hosts(root) if h.name == args.name), None)
    except HostsError as e:
        print(f"claude-rpg hosts act: {e}", file=sys.stderr)
        return 2
    if host is None:
        print(f"claude-rpg hosts act: no host named {args.name[:60]!r}", file=sys.stderr)
        return 2
    try:
        reply = asyncio.run(
            act_remote(
                host,
                control_dir(root),
                RemoteAction(args.action),
                args.pane,
                args.claude_pid,
                args.text,
                args.choice,
            )
        )
    except ActionError as e:
        print(f"claude-rpg hosts act: {e}", file=sys.stderr)
        return 1
    if reply.output:
        print(reply.output.rstrip("\n"))
    return 0


def cmd_remote_act(args: argparse.Namespace) -> int:
    action = RemoteAction(args.action)
    text = sys.stdin.read() if action is RemoteAction.SEND else ""
    try:
        output = asyncio.run(
            act_here(
                data_paths(args),
                args.port,
                args.tmux_socket,
                action,
                args.pane,
                args.claude_pid,
                text,
                args.choice,
            )
        )
    except ActionError as e:
        print(str(e), file=sys.stderr)
        return REFUSED
    sys.stdout.write(output)
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    try:
        host = HostConfig(
            check_name(args.name), check_target(args.target), args.remote_command, args.ssh_config
        )
        if not host.remote_argv():
            raise HostsError("the remote command is empty; give how claude-rpg starts there")
        add_host(data_paths(args).root, host)
    except HostsError as e:
        print(f"claude-rpg hosts add: {e}", file=sys.stderr)
        return 2
    print(f"added {host.name} ({host.target}); a running app connects to it within a second")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    try:
        remove_host(data_paths(args).root, args.name)
    except HostsError as e:
        print(f"claude-rpg hosts remove: {e}", file=sys.stderr)
        return 2
    print(f"removed {args.name}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    root = data_paths(args).root
    try:
        hosts = load_hosts(root)
    except HostsError as e:
        print(f"claude-rpg hosts list: {e}", file=sys.stderr)
        return 2
    if not hosts:
        print("no remote hosts; add one with `claude-rpg hosts add NAME SSH_TARGET`")
        return 0
    controls = control_dir(root)
    failed = 0
    for host in hosts:
        found = probe(host, controls)
        failed += not found.reachable
        if args.json:
            print(
                json.dumps(
                    {
                        "name": host.name,
                        "target": host.target,
                        "reachable": found.reachable,
                        "version": found.info.get("version") if found.info else None,
                        "panes": found.info.get("panes") if found.info else None,
                        "problem": found.problem,
                    }
                )
            )
        elif found.info is not None:
            line = (
                f"{host.name:<16} {host.target:<24} reachable  claude-rpg "
                f"{found.info.get('version')}  {found.info.get('panes')} panes"
            )
            print(line + (f"\n{'':16} {found.problem}" if found.problem else ""))
        else:
            print(f"{host.name:<16} {host.target:<24} unreachable\n{'':16} {found.problem}")
    return 1 if failed else 0


def cmd_feed(args: argparse.Namespace) -> int:
    return run_feed(data_paths(args), args.port, args.since, sys.stdout.buffer)


def cmd_info(args: argparse.Namespace) -> int:
    print(json.dumps(info(data_paths(args), args.port)))
    return 0
