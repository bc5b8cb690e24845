"""From the real screen change to the state the app reports: needs input, done, interrupt, deny.

The real claude CLI runs offline (fake API, private tmux, throwaway HOME) next to the real
app, headless, with its hooks installed and the default poll interval. Each round types a
prompt that asks for permission, denies it with Esc, runs a short turn to its end, and
interrupts a streaming turn with Esc. The bench watches the pane's screen (capture-pane)
and /api/panes about every 10 ms: the latency is the time from the screen change to the
first /api/panes answer that shows the new state.

The baseline, in the same run, is a hook-only monitor: the hook events the app stored for
that session, replayed through the same event -> state table, timed when the app received
them. Claude fires no hook for Esc or a denied dialog, so that monitor never recovers from
those (shown as "never").

    .venv/bin/python bench/status_latency.py [--rounds 10] [--poll-interval 1.0]
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from desktop.core.history.record import EventFacts  # noqa: E402
from desktop.core.hooks.payload import IncomingEvent  # noqa: E402
from desktop.core.status import HookState, apply_hook  # noqa: E402
from tests.support.app_process import AppProcess  # noqa: E402
from tests.support.claude_session import start_claude, type_prompt  # noqa: E402
from tests.support.fake_anthropic import FakeAnthropic  # noqa: E402
from tests.support.install import install_hooks  # noqa: E402
from tests.support.private_tmux import PrivateTmux  # noqa: E402

GOALS = {"needs input": 1.0, "done": 2.0, "interrupt": 2.0, "deny": 2.0}
DIALOG = re.compile(r"Do you want to proceed\?")
IDLE_FOOTER = re.compile(r"\? for shortcuts")
TIMEOUT = 10.0


@dataclass
class Samples:
    """One scenario's rounds: when the action was made, the screen changed, the app showed
    the state, and a hook-only monitor would have shown it (None: never)."""

    rounds: list[tuple[float, float, float, float | None]] = field(default_factory=list)

    def add(self, action: float, screen: float, app: float, hooks: float | None) -> None:
        self.rounds.append((action, screen, app, hooks))


class Watch:
    """Polls the screen and the app together until both have shown what is awaited."""

    def __init__(self, tmux: PrivateTmux, app: AppProcess, pane: str, host: str = "local") -> None:
        self.tmux = tmux
        self.app = app
        self.pane = pane
        self.host = host  # a remote host's pane ids may be a local pane's too

    def state(self) -> dict[str, Any]:
        return next(
            (
                p
                for p in self.app.get("/api/panes")
                if p["pane_id"] == self.pane and p.get("host", "local") == self.host
            ),
            {},
        )

    def measure(
        self, screen_changed: Callable[..., bool], app_shows: Callable[[dict[str, Any]], bool]
    ) -> tuple[float, float]:
        """Wall-clock times (screen change, app state); the app may well be first."""
        seen_screen: float | None = None
        seen_app: float | None = None
        deadline = time.monotonic() + TIMEOUT
        while seen_screen is None or seen_app is None:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"timed out (screen {seen_screen}, app {seen_app}): {self.state()}\n"
                    f"{self.tmux.capture(self.pane)}"
                )
            if seen_screen is None and screen_changed(self.tmux.capture(self.pane)):
                seen_screen = time.time()
            if seen_app is None and app_shows(self.state()):
                seen_app = time.time()
            time.sleep(0.005)
        return seen_screen, seen_app


def stored_events(database: Path, session_id: str) -> list[tuple[float, IncomingEvent]]:
    """The session's hook events as the app stored them, with the time it received each.

    The log keeps compact records, not payloads: the fields the status reads are put back.
    """
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT event_name, stamp, received_at, tool_name, cwd, record, dedupe_key"
            " FROM hook_event WHERE session_id = ? ORDER BY id",
            (session_id,),
        ).fetchall()
    out = []
    for name, stamp, received_at, tool_name, cwd, record, key in rows:
        when = datetime.fromisoformat(received_at)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        facts = EventFacts.from_row(tool_name, cwd, record)
        payload = {
            "tool_name": facts.tool_name,
            "is_interrupt": facts.interrupted,
            "source": facts.source,
            "trigger": facts.trigger,
            "notification_type": facts.notification_type,
            "agent_type": facts.agent_type,
            "reason": facts.reason,
            "error": facts.error,
        }
        event = IncomingEvent(payload, name, session_id, key, stamp)
        out.append((when.timestamp(), event))
    return out


def hook_only_time(
    events: list[tuple[float, IncomingEvent]], since: float, target: Callable[[HookState], bool]
) -> float | None:
    """When a monitor fed only by hooks would first show the target state after `since`."""
    state = HookState()
    for received, event in events:
        state = apply_hook(state, event) or state
        if received >= since and target(state):
            return received
    return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(rounds: int, poll_interval: float) -> dict[str, Samples]:
    results = {name: Samples() for name in GOALS}
    base = Path(tempfile.mkdtemp(prefix="rpg-latency-"))
    home, project = base / "home", base / "project"
    home.mkdir()
    with FakeAnthropic() as fake, PrivateTmux() as tmux:
        app = AppProcess(
            base / "data",
            tmux_socket=tmux.socket_path,
            extra_args=["--poll-interval", str(poll_interval)],
        ).start()
        try:
            install_hooks(home, app.data_dir, app.port)
            pane = start_claude(tmux, fake, home, project)
            watch = Watch(tmux, app, pane)
            deadline = time.monotonic() + TIMEOUT
            while not (watch.state().get("session_id") and watch.state()["status"] == "idle"):
                assert time.monotonic() < deadline, watch.state()
                time.sleep(0.05)
            session_id = watch.state()["session_id"]
            database = app.data_dir / "claude-rpg.sqlite3"

            for n in range(rounds):
                # needs input: the permission dialog appears.
                typed = time.time()
                type_prompt(tmux, pane, f"BASH:touch denied-{n}.txt")
                screen, shown = watch.measure(
                    lambda s: bool(DIALOG.search(s)), lambda p: p["status"] == "needs_input"
                )
                events = stored_events(database, session_id)
                hooked = hook_only_time(events, typed, lambda h: h.status.value == "needs_input")
                results["needs input"].add(typed, screen, shown, hooked)

                # deny: Esc at the dialog; Claude fires no hook.
                tmux.send_keys(pane, "Escape")
                pressed = time.time()
                screen, shown = watch.measure(
                    lambda s: not DIALOG.search(s) and bool(IDLE_FOOTER.search(s)),
                    lambda p: p["status"] == "idle",
                )
                time.sleep(0.5)
                hooked = hook_only_time(
                    stored_events(database, session_id),
                    pressed,
                    lambda h: h.status.value == "idle",
                )
                results["deny"].add(pressed, screen, shown, hooked)

                # done: a short turn runs to its end.
                turns = tmux.capture(pane, history=True).count("● hello")
                typed = time.time()
                type_prompt(tmux, pane, "say hi SLOW1")
                screen, shown = watch.measure(
                    lambda s, turns=turns: (
                        tmux.capture(pane, history=True).count("● hello") > turns
                        and bool(IDLE_FOOTER.search(s))
                    ),
                    lambda p: p["status"] == "idle" and p["status_detail"] == "hello",
                )
                hooked = hook_only_time(
                    stored_events(database, session_id),
                    typed,
                    lambda h: h.status.value == "idle" and h.event_name == "Stop",
                )
                results["done"].add(typed, screen, shown, hooked)

                # interrupt: Esc while text streams; Claude fires no hook.
                interrupted = tmux.capture(pane, history=True).count("Interrupted")
                type_prompt(tmux, pane, "tell a story SLOW6")
                fake.wait_for_request("slow")
                time.sleep(2)
                tmux.send_keys(pane, "Escape")
                pressed = time.time()
                screen, shown = watch.measure(
                    lambda s, seen=interrupted: (
                        tmux.capture(pane, history=True).count("Interrupted") > seen
                    ),
                    lambda p: p["status"] == "idle",
                )
                time.sleep(0.5)
                hooked = hook_only_time(
                    stored_events(database, session_id),
                    pressed,
                    lambda h: h.status.value == "idle",
                )
                results["interrupt"].add(pressed, screen, shown, hooked)
                fake.requests.clear()
                print(f"round {n + 1}/{rounds} done", file=sys.stderr)
        finally:
            app.stop()
    return results


def report(results: dict[str, Samples], poll_interval: float) -> None:
    print(f"status latency (poll interval {poll_interval} s)")
    print("  screen->app: from the screen change to the first /api/panes answer showing it")
    print("  action->app vs action->hooks: from the keypress, the app against a hook-only")
    print("  monitor (the same event table fed only the stored hooks), p50 and their ratio")
    print(
        f"{'scenario':<12} {'n':>3} {'screen->app p50':>16} {'max':>8} "
        f"{'action->app':>12} {'action->hooks':>14} {'ratio':>6} {'goal':>6}  met"
    )
    for name, s in results.items():
        seen = [app - screen for _, screen, app, _ in s.rounds]
        to_app = [app - action for action, _, app, _ in s.rounds]
        to_hooks = [h - action for action, _, _, h in s.rounds if h is not None]
        p50, worst = percentile(seen, 0.5), max(seen)
        app50 = percentile(to_app, 0.5)
        if len(to_hooks) == len(s.rounds):
            h50 = percentile(to_hooks, 0.5)
            hooks, ratio = f"{h50:>13.3f}s", f"{app50 / h50:>6.2f}"
        else:
            hooks, ratio = f"{'never':>9} {len(s.rounds) - len(to_hooks):>2}/{len(s.rounds)}", "-"
        met = "yes" if worst <= GOALS[name] else "NO"
        print(
            f"{name:<12} {len(s.rounds):>3} {p50:>15.3f}s {worst:>7.3f}s {app50:>11.3f}s "
            f"{hooks} {ratio:>6} {GOALS[name]:>5.1f}s  {met}"
        )
    print("screen->app below 0: the app showed the state before the screen (its hook came first)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--poll-interval", type=float, default=1.0)
    args = parser.parse_args()
    report(run(args.rounds, args.poll_interval), args.poll_interval)


if __name__ == "__main__":
    main()
