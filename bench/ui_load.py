"""What the UI costs the app's one thread while 20 cards take 2,000 hook events a second.

In one process on the offscreen platform: a CoreApp that is never started (its registry,
data dir and settings, as the shell's wiring needs them) and the UI the app builds on it, as
`desktop/ui/shell.py` wires it: the real CoreBridge, the MainWindow with 20 pane cards bound
to personas, the tray controller (on a tray icon nobody shows: offscreen has no tray), the
notifier, the first-run panel and the pane menus. Notifications go to a stand-in
org.freedesktop.Notifications server (`tests/ui/notification_server.py`) on a private
dbus-daemon, as they would to the desktop's; without dbus-daemon they fall back to nothing.

The bridge is fed directly (no SQLite: bench/ingest.py measures the core): for each event a
new PaneState goes into the registry and the event to the bridge's ingest listener, as
EventIngest does after storing it. Events go round robin over the 20 panes, each pane
through a turn: UserPromptSubmit, PreToolUse, PostToolUse, Stop (so every 4th event is a
Stop), with a new prompt or command each turn and XP rising on every event. At 2,000/s every
card changes in every 16 ms frame.

Each phase runs for SECONDS (in ROUNDS interleaved slices, so machine load hits them alike)
on a running Qt event loop; CPU is the process's CPU time (time.process_time: every thread,
Qt's C++ painting included) per second of wall time:

  idle window (baseline)   the window shown, no events (only the elapsed labels tick)
  feed only                the same events made and put into a registry nobody listens to
  UI, window hidden        the events through the UI with the window hidden in the tray:
                           the per-event work (bridge, cards, tray, notifier, first run)
  UI, window shown         the same with the window on screen: per-event work + painting

UI cost = phase - feed only; painting = shown - hidden. Notices is how many notifications
the notifier handed to the desktop per second. Exits non-zero only when a card does not
show its pane's last state.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import Result, isolated_env, print_machine, print_table
from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from desktop.app import CoreApp, Options
from desktop.core.hooks.payload import IncomingEvent
from desktop.core.ingest import EventListener, IngestResult
from desktop.core.model import PaneState, PersonaInfo, Status
from desktop.core.panes import PaneRegistry
from desktop.core.progression.levels import level_for_xp
from tests.support.dbus import private_session_bus

PANES = 20
RATE = 2000  # hook events per second
SECONDS = 10.0
ROUNDS = 2
TICK_MS = 4  # the feeder sends what is due every few ms (a doorbell ring delivers batches)
SERVER = Path(__file__).resolve().parents[1] / "tests/ui/notification_server.py"
PHASES = ("idle", "feed", "hidden", "shown")
TURN = ("UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop")
XP_OF = {"UserPromptSubmit": 2, "PreToolUse": 1, "PostToolUse": 3, "Stop": 10}


class Feed:
    """Stands in for EventIngest: listeners hear every event as if it had just been stored."""

    def __init__(self) -> None:
        self.listeners: list[EventListener] = []

    def subscribe(self, listener: EventListener) -> None:
        self.listeners.append(listener)


class Load:
    """Makes the events of the load and hands them to a registry and a feed."""

    def __init__(self, registry: PaneRegistry, feed: Feed, root: Path) -> None:
        self.registry = registry
        self.feed = feed
        self.sent = 0
        now = datetime.now(UTC)
        for n in range(PANES):
            persona = PersonaInfo(n + 1, f"bench-{n}", f"Bench Persona {n}", f"{n:064x}", now)
            registry.put(
                PaneState(
                    f"%{n}",
                    f"bench:{n}.0",
                    str(root),
                    pane_pid=10_000 + n,
                    status=Status.IDLE,
                    session_id=f"bench-{n}",
                    persona=persona,
                    last_event="SessionStart",
                )
            )

    def send(self) -> None:
        """One event for the next pane, as the core would report it after storing it."""
        k = self.sent
        self.sent += 1
        n = k % PANES
        turn = k // PANES
        name = TURN[turn % len(TURN)]
        payload: dict[str, object] = {"session_id": f"bench-{n}", "hook_event_name": name}
        status, detail = Status.WORKING, ""
        if name == "UserPromptSubmit":
            detail = payload["prompt"] = f"make test {turn} pass"
        elif name == "PreToolUse":
            payload.update(tool_name="Bash", tool_input={"command": f"pytest -k case{turn}"})
            detail = f"Bash: pytest -k case{turn}"
        elif name == "Stop":
            detail = payload["last_assistant_message"] = f"Done: case {turn} passes."
            status = Status.IDLE
        pane = self.registry.get(f"%{n}")
        assert pane is not None and pane.persona is not None
        xp = pane.persona.xp + XP_OF[name]
        persona = dataclasses.replace(pane.persona, xp=xp, level=level_for_xp(xp))
        state = dataclasses.replace(
            pane,
            status=status,
            status_detail=detail,
            status_since=pane.status_since if status is pane.status else datetime.now(UTC),
            persona=persona,
            last_event=name,
        )
        self.registry.put(state)
        event = IncomingEvent(payload, name, f"bench-{n}", f"bench-{k}", time.time(), f"%{n}")
        result = IngestResult(stored=True, persona=persona, pane=state)
        for listener in self.feed.listeners:
            listener(event, result)


class FrameCounter(QObject):
    """Counts the window's repaints (its UpdateRequest: paint the changed cards, flush)."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.UpdateRequest:
            self.frames += 1
        return False


def run_loop(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def measure(seconds: float, load: Load | None, rate: int) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, events sent) of `seconds` on the running Qt loop."""
    sent_before = load.sent if load is not None else 0
    feeder = QTimer()
    feeder.setTimerType(Qt.TimerType.PreciseTimer)
    feeder.setInterval(TICK_MS)
    start_wall = time.monotonic()

    def tick() -> None:
        assert load is not None
        due = int((time.monotonic() - start_wall) * rate) - (load.sent - sent_before)
        for _ in range(min(due, rate // 10)):  # never more than 0.1 s of events in one go
            load.send()

    if load is not None:
        feeder.timeout.connect(tick)
        feeder.start()
    cpu0 = time.process_time()
    run_loop(seconds)
    cpu = time.process_time() - cpu0
    wall = time.monotonic() - start_wall
    feeder.stop()
    return cpu, wall, (load.sent - sent_before) if load is not None else 0


@contextmanager
def notification_bus(root: Path) -> Iterator[tuple[str, Callable[[], int]] | None]:
    """A private dbus-daemon with the stand-in notification server; yields (address, a
    function that counts the Notify calls the server got), or None without dbus-daemon."""
    with private_session_bus() as address:
        if address is None:
            yield None
            return
        log = root / "notifications.jsonl"
        env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address, "QT_QPA_PLATFORM": "offscreen"}
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, str(SERVER)], env=env, stdin=subprocess.PIPE, stdout=out
            )
        try:
            deadline = time.monotonic() + 10
            while b"ready" not in log.read_bytes():
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the stand-in notification server did not start")
                time.sleep(0.02)

            def calls() -> int:
                return log.read_bytes().count(b"\n") - 1  # the first line says ready

            yield address, calls
        finally:
            if server.poll() is None:
                server.terminate()
                server.wait(5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=SECONDS, help="per phase (2..60)")
    parser.add_argument("--rate", type=int, default=RATE, help="events per second (100..5000)")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"which phases to run, in this order (default {','.join(PHASES)}; for a profile)",
    )
    args = parser.parse_args()
    seconds = min(60.0, max(2.0, args.seconds))
    rate = min(5000, max(100, args.rate))
    phases = tuple(p for p in args.phases.split(",") if p in PHASES)
    with tempfile.TemporaryDirectory() as tmp, notification_bus(Path(tmp)) as bus:
        root = Path(tmp)
        env = isolated_env(root)
        for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "CLAUDE_CONFIG_DIR"):
            os.environ[name] = env[name]
        if bus is not None:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = bus[0]
        else:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        return run(root, seconds, rate, phases, bus[1] if bus is not None else None)


def run(
    root: Path,
    seconds: float,
    rate: int,
    phases: tuple[str, ...],
    calls: Callable[[], int] | None,
) -> int:
    # Imported here: QDBusConnection.sessionBus() reads the address set just before.
    from desktop.ui.app_actions import attach_app_actions
    from desktop.ui.bridge import CoreBridge
    from desktop.ui.notify import NotificationService, NotificationSettings
    from desktop.ui.pane_menu import attach_pane_actions
    from desktop.ui.services import DbusNotifications, TrayBalloonNotifications
    from desktop.ui.shell import DesktopShell, core_problems

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    print_machine()
    core = CoreApp(Options(port=0, data_dir=root / "data", tmux_socket=str(root / "no-tmux")))
    feed = Feed()
    bridge = CoreBridge(core.registry, feed, core_problems(core), progression=core.progression)  # type: ignore[arg-type]
    tray_icon = QSystemTrayIcon()
    services: list[NotificationService] = [
        DbusNotifications(parent=bridge),
        TrayBalloonNotifications(tray_icon, parent=bridge),
    ]
    shell = DesktopShell(bridge, tray_icon, services, NotificationSettings())
    attach_app_actions(core, shell)
    tray = shell.tray
    assert tray is not None
    attach_pane_actions(
        core.actions,
        shell.window,
        shell.window.grid.canvas,
        shell.window.grid.ordered_cards,
        tray_menu=tray.menu,
        tray_panes=lambda: list(tray.panes.values()),
    )
    notices = 0

    def count_notice(_notice: object) -> None:
        nonlocal notices
        notices += 1

    shell.notifier.shown.connect(count_notice)
    load = Load(core.registry, feed, root)
    bare = Load(PaneRegistry(), Feed(), root)
    window = shell.window
    window.resize(1400, 900)  # 20 cards of 340 x 158, all on screen
    frames = FrameCounter()
    window.installEventFilter(frames)
    window.show()
    run_loop(1.0)
    gc.freeze()  # as the app does once it is built (desktop/cli/run.py)

    cpu = dict.fromkeys(PHASES, 0.0)
    wall = dict.fromkeys(PHASES, 0.0)
    events = dict.fromkeys(PHASES, 0)
    shown_notices = dict.fromkeys(PHASES, 0)
    painted = dict.fromkeys(PHASES, 0)
    for _ in range(ROUNDS):
        for phase in phases:
            window.setVisible(phase in ("idle", "shown"))
            # The show's or hide's own repaint is not part of a phase, nor are the level-up
            # glows (2.2 s) and count-ups the load before it started.
            run_loop(2.5 if phase == "idle" else 0.3)
            n0, f0 = notices, frames.frames
            source = {"idle": None, "feed": bare, "hidden": load, "shown": load}[phase]
            c, w, e = measure(seconds / ROUNDS, source, rate)
            cpu[phase] += c
            wall[phase] += w
            events[phase] += e
            shown_notices[phase] += notices - n0
            painted[phase] += frames.frames - f0
    run_loop(1.0)  # the last flush and count-ups

    broken = 0
    for n in range(PANES):
        card, state = window.grid.card_for(f"%{n}"), core.registry.get(f"%{n}")
        if card is None or state is None or card.pane != state:
            broken += 1
    received = calls() if calls is not None else None
    window.close()
    shell.close()
    core.db.close()

    def per_s(phase: str) -> float:
        return 100 * cpu[phase] / wall[phase] if wall[phase] else float("nan")

    def ms_per_event(phase: str) -> float:
        if not wall[phase] or not wall["feed"] or not events[phase]:
            return float("nan")
        ui = cpu[phase] / wall[phase] - cpu["feed"] / wall["feed"]
        return 1000 * ui / (events[phase] / wall[phase])

    def rate_of(counts: dict[str, int], phase: str) -> float:
        return counts[phase] / wall[phase] if wall[phase] else float("nan")

    delivered = rate_of(events, "shown")
    results = [
        Result("CPU, idle window", per_s("idle"), "% of a core"),
        Result("CPU, feed only (no UI)", per_s("feed"), "% of a core"),
        Result(
            "CPU, UI with window hidden",
            per_s("hidden"),
            "% of a core",
            baseline=per_s("feed"),
            baseline_name="feed only",
        ),
        Result(
            "CPU, UI with window shown",
            per_s("shown"),
            "% of a core",
            baseline=per_s("feed"),
            baseline_name="feed only",
        ),
        Result("UI per event, window hidden (per-event work)", ms_per_event("hidden"), "ms"),
        Result(
            "UI per event, window shown (+ painting)",
            ms_per_event("shown"),
            "ms",
            baseline=ms_per_event("hidden"),
            baseline_name="hidden",
        ),
        Result(
            "painting per event (shown - hidden)",
            ms_per_event("shown") - ms_per_event("hidden"),
            "ms",
        ),
        Result(
            "events/s delivered, window shown",
            delivered,
            "/s",
            f">= {rate:,}",
            delivered >= 0.95 * rate if delivered == delivered else None,
        ),
        Result(
            "frames/s, window shown",
            rate_of(painted, "shown"),
            "/s",
            baseline=rate_of(painted, "idle"),
            baseline_name="idle",
        ),
        Result(
            "notices/s, window shown",
            rate_of(shown_notices, "shown"),
            "/s",
            baseline=rate_of(shown_notices, "hidden"),
            baseline_name="hidden",
        ),
    ]
    print_table(
        f"{PANES} cards, {rate:,} hook events/s, {seconds:g} s a phase on the Qt loop (CPU time)",
        results,
    )
    if received is not None:
        print(f"notification server: {received} Notify calls in all")
    if broken:
        print(f"BROKEN: {broken} cards did not show their pane's last state", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
