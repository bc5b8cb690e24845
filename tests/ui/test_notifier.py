"""Notifications from bridge events: which events notify, switches, fallback, clicks."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from desktop.config import NOTIFICATION_KINDS, Settings
from desktop.core.model import Status
from desktop.ui.notify import Kind, NotificationSettings, Notifier
from desktop.ui.shell import DesktopShell
from tests.ui.fakes import FakeBridge, FakeTrayIcon, RecordingNotifications, pane, persona

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
    assert [switches.enabled(k) for k in Kind] == [False, True, False]
    assert {k.value for k in Kind} == set(NOTIFICATION_KINDS)


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
    Notifier(bridge, [desktop, balloon], parent=bridge)
    bridge.put(pane(1, Status.IDLE, persona("s1", "A")))
    bridge.hook_event("Stop", "%1")
    assert desktop.notices == [] and len(balloon.notices) == 1
    desktop.is_available = True
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
