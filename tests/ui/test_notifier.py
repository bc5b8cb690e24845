"""Notifications from bridge events: which events notify, switches, fallback, clicks."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from desktop.config import NOTIFICATION_KINDS, Settings
from desktop.core.model import Status
from desktop.ui.notify import (
    KIND_QUIET_S,
    PANE_QUIET_S,
    Kind,
    Notice,
    NoticeGate,
    NotificationSettings,
    Notifier,
)
from desktop.ui.shell import DesktopShell
from tests.ui.fakes import FakeBridge, FakeTrayIcon, RecordingNotifications, pane, persona


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


ORDINARY = (
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PostToolBatch",
    "Notification",  # the permission_prompt ~6 s after PermissionRequest: already notified
    "MessageDisplay",
    "SubagentStart",
    "SessionEnd",
    "PostCompact",
)


def test_permission_request_notifies_at_once_and_ordinary_events_do_not(
    bridge: FakeBridge,
) -> None:
    service = RecordingNotifications()
    Notifier(bridge, [service], parent=bridge)
    bridge.put(pane(1, Status.NEEDS_INPUT, persona("s1", "Brave Otter")))
    for name in ORDINARY:
        bridge.hook_event(name, "%1")
    assert service.notices == []
    bridge.hook_event("PermissionRequest", "%1", detail="Bash: touch x")
    [notice] = service.notices
    assert notice.kind is Kind.NEEDS_INPUT
    assert notice.pane_id == "%1"
    assert notice.title == "Brave Otter needs input (work:1.0)"
    assert notice.body == "Asks to use Bash: touch x"


def test_stop_says_done_with_claudes_last_words(bridge: FakeBridge) -> None:
    service = RecordingNotifications()
    Notifier(bridge, [service], parent=bridge)
    bridge.put(pane(2, Status.IDLE, persona("s2", "Keen Owl")))
    bridge.hook_event("Stop", "%2", detail="All 42 tests pass. " * 20)
    [notice] = service.notices
    assert notice.kind is Kind.FINISHED
    assert notice.title == "Keen Owl is done (work:2.0)"
    assert notice.body.startswith("All 42 tests pass.") and notice.body.endswith("…")
    assert len(notice.body) <= 160


def test_a_failed_turn_says_what_happened_and_what_to_do(bridge: FakeBridge) -> None:
    service = RecordingNotifications()
    Notifier(bridge, [service], parent=bridge)
    bridge.put(pane(4, Status.ERROR, persona("s4", "Odd Newt")))
    bridge.hook_event("StopFailure", "%4", detail="rate_limit")
    [notice] = service.notices
    assert notice.kind is Kind.FAILED
    assert notice.title == "Odd Newt: the turn failed (work:4.0)"
    assert notice.body == (
        "The API answered rate_limit; look at the pane and send the prompt again."
    )


def test_switches_follow_the_saved_settings() -> None:
    saved = Settings(notify_needs_input=False, notify_finished=True, notify_failed=False)
    switches = NotificationSettings.from_settings(saved)
    assert [switches.enabled(k) for k in Kind] == [False, True, False, True]
    # The cost notice has no switch of its own: its threshold (0 = off) is the switch.
    assert {k.value for k in Kind} == {*NOTIFICATION_KINDS, "cost"}


def test_a_placeholder_pane_is_named_by_its_target(bridge: FakeBridge) -> None:
    service = RecordingNotifications()
    Notifier(bridge, [service], parent=bridge)
    bridge.put(pane(3, Status.UNKNOWN))
    bridge.hook_event("PermissionRequest", "%3", detail="Write: /tmp/x")
    assert service.notices[0].title == "Claude in work:3.0 needs input (work:3.0)"


def test_each_kind_can_be_turned_off(bridge: FakeBridge) -> None:
    service = RecordingNotifications()
    settings = NotificationSettings(needs_input=False)
    Notifier(bridge, [service], settings, parent=bridge)
    bridge.put(pane(1, Status.IDLE, persona("s1", "A")))
    bridge.hook_event("PermissionRequest", "%1")
    assert service.notices == []
    bridge.hook_event("Stop", "%1")
    assert [n.kind for n in service.notices] == [Kind.FINISHED]
    settings.finished = False
    settings.needs_input = True
    bridge.hook_event("Stop", "%1")
    bridge.hook_event("PermissionRequest", "%1")
    assert [n.kind for n in service.notices] == [Kind.FINISHED, Kind.NEEDS_INPUT]


def test_falls_back_to_the_next_service(bridge: FakeBridge) -> None:
    desktop = RecordingNotifications(available=False)
    balloon = RecordingNotifications()
    clock = FakeClock()
    Notifier(bridge, [desktop, balloon], parent=bridge, clock=clock)
    bridge.put(pane(1, Status.IDLE, persona("s1", "A")))
    bridge.hook_event("Stop", "%1")
    assert desktop.notices == [] and len(balloon.notices) == 1
    desktop.is_available = True
    clock.now += PANE_QUIET_S  # the pane's next "done" may show at once
    bridge.hook_event("Stop", "%1")
    assert len(desktop.notices) == 1 and len(balloon.notices) == 1


def test_clicking_a_notice_shows_the_window_and_highlights_the_card(
    qtbot: QtBot, bridge: FakeBridge
) -> None:
    service = RecordingNotifications()
    shell = DesktopShell(bridge, FakeTrayIcon(), [service])
    qtbot.addWidget(shell.window)
    for n in (1, 2, 3):
        bridge.put(pane(n, Status.WORKING, persona(f"s{n}", f"P{n}")))
    bridge.hook_event("PermissionRequest", "%2")
    assert not shell.window.isVisible()
    service.clicked.emit(service.notices[0].pane_id)
    qtbot.waitExposed(shell.window)
    assert shell.window.grid.selected_pane_id == "%2"
    shell.close()


# --- how often: a busy session must not bury the desktop in notifications ------------------


def done(n: int, name: str) -> Notice:
    return Notice(Kind.FINISHED, f"%{n}", f"{name} is done", "ok", who=f"{name} (work:{n}.0)")


def test_a_pane_is_not_told_done_again_while_its_last_notice_is_up(bridge: FakeBridge) -> None:
    service, clock = RecordingNotifications(), FakeClock()
    notifier = Notifier(bridge, [service], parent=bridge, clock=clock)
    bridge.put(pane(1, Status.IDLE, persona("s1", "Brave Otter")))
    for _ in range(500):  # a flood of turns finishing, as under load
        bridge.hook_event("Stop", "%1", detail="first")
    assert [n.body for n in service.notices] == ["first"]
    bridge.hook_event("Stop", "%1", detail="latest words")
    clock.now += PANE_QUIET_S
    notifier.show_due()
    # The newest held-back "done" shows once the quiet time is over: the pane is still idle.
    assert [n.body for n in service.notices] == ["first", "latest words"]
    notifier.show_due()
    assert len(service.notices) == 2


def test_a_held_back_notice_that_is_no_longer_true_is_dropped(bridge: FakeBridge) -> None:
    service, clock = RecordingNotifications(), FakeClock()
    notifier = Notifier(bridge, [service], parent=bridge, clock=clock)
    bridge.put(pane(1, Status.IDLE, persona("s1", "Brave Otter")))
    bridge.hook_event("Stop", "%1")
    bridge.hook_event("Stop", "%1")
    bridge.update("%1", status=Status.WORKING)  # the next turn started: not done any more
    bridge.put(pane(2, Status.NEEDS_INPUT, persona("s2", "Keen Owl")))
    bridge.hook_event("PermissionRequest", "%2")
    bridge.hook_event("PermissionRequest", "%2")
    bridge.remove("%2")  # the pane closed: nobody to answer
    clock.now += PANE_QUIET_S
    notifier.show_due()
    assert [n.kind for n in service.notices] == [Kind.FINISHED, Kind.NEEDS_INPUT]


def test_another_kind_for_the_same_pane_shows_at_once(bridge: FakeBridge) -> None:
    service = RecordingNotifications()
    Notifier(bridge, [service], parent=bridge, clock=FakeClock())
    bridge.put(pane(1, Status.IDLE, persona("s1", "Brave Otter")))
    bridge.hook_event("Stop", "%1")
    bridge.hook_event("PermissionRequest", "%1")
    bridge.hook_event("StopFailure", "%1")
    assert [n.kind for n in service.notices] == [Kind.FINISHED, Kind.NEEDS_INPUT, Kind.FAILED]


def test_sessions_finishing_together_make_one_summary(bridge: FakeBridge) -> None:
    service, clock = RecordingNotifications(), FakeClock()
    notifier = Notifier(bridge, [service], parent=bridge, clock=clock)
    for n, name in ((1, "Brave Otter"), (2, "Keen Owl"), (3, "Odd Newt")):
        bridge.put(pane(n, Status.IDLE, persona(f"s{n}", name)))
        bridge.hook_event("Stop", f"%{n}")
    assert [n.title for n in service.notices] == ["Brave Otter is done (work:1.0)"]
    clock.now += KIND_QUIET_S
    notifier.show_due()
    summary = service.notices[1]
    assert summary.kind is Kind.FINISHED
    assert summary.title == "2 sessions are done"
    assert summary.body == "Keen Owl (work:2.0), Odd Newt (work:3.0)."
    assert summary.pane_id == "%2"  # a click shows the first of them


def test_held_back_notices_show_by_themselves_on_the_loop(qtbot: QtBot, bridge: FakeBridge) -> None:
    service = RecordingNotifications()
    gate = NoticeGate(pane_quiet_s=0.2, kind_quiet_s=0.05)
    Notifier(bridge, [service], parent=bridge, gate=gate)
    bridge.put(pane(1, Status.IDLE, persona("s1", "Brave Otter")))
    bridge.hook_event("Stop", "%1", detail="first")
    bridge.hook_event("Stop", "%1", detail="second")
    assert len(service.notices) == 1
    qtbot.waitUntil(lambda: len(service.notices) == 2)
    assert service.notices[1].body == "second"


def test_the_gate_paces_each_kind_and_each_pane() -> None:
    gate = NoticeGate(pane_quiet_s=10, kind_quiet_s=2)
    always = lambda _notice: True  # noqa: E731
    assert gate.offer(done(1, "A"), now=0) is not None
    assert gate.offer(done(2, "B"), now=1) is None  # another pane, but within the kind's 2 s
    assert gate.next_due() == 2
    assert gate.due(1.5, always) == []
    assert [n.pane_id for n in gate.due(2, always)] == ["%2"]
    assert gate.offer(done(1, "A"), now=5) is None  # pane %1 had one 5 s ago
    assert gate.free_at(done(1, "A")) == 10
    assert gate.due(9, always) == []
    assert [n.pane_id for n in gate.due(10, always)] == ["%1"]
    assert gate.next_due() is None
    failed = Notice(Kind.FAILED, "%1", "A: the turn failed", "x")
    assert gate.offer(failed, now=10) is failed  # its own kind, its own pace
