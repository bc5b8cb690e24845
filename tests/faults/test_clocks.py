"""Suspend, resume and clock jumps: durations on the elapsed clock, days on the local calendar.

Time is moved only through the app's clock seam (desktop.core.clock.Clock handed to the
pane registry, the card's elapsed clock) and through event stamps, which are the hooks'
own wall-clock readings.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtWidgets import QApplication

from desktop.core.clock import Clock, elapsed_seconds, local_now
from desktop.core.hooks.payload import IncomingEvent
from desktop.core.model import PaneState, Status
from desktop.core.panes import PaneRegistry
from desktop.core.progression import engine
from desktop.core.projects.service import ProjectService
from desktop.core.projects.tracker import ProjectTracker
from desktop.core.status import HookState, apply_hook
from desktop.ui.card import PaneCard
from tests.core.progression_events import Core
from tests.core.test_progression_engine import STOP, holding, record
from tests.support.git_repos import make_repo

BERLIN = ZoneInfo("Europe/Berlin")


class MovableClock:
    """A wall clock and an elapsed clock that a test sets, as a person or a suspend would."""

    def __init__(self) -> None:
        self.wall_at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
        self.elapsed_at = 1000.0

    def clock(self) -> Clock:
        return Clock(wall=lambda: self.wall_at, elapsed=lambda: self.elapsed_at)


def test_the_time_in_state_label_ignores_wall_clock_jumps_and_counts_a_suspend(
    qapp: QApplication,
) -> None:
    moving = MovableClock()
    registry = PaneRegistry(clock=moving.clock())
    registry.put(PaneState(pane_id="%1", target="w:1.0", cwd="/p", status=Status.WORKING))
    changed = registry.update("%1", status=Status.IDLE)
    assert changed is not None and changed.status_since == moving.wall_at
    card = PaneCard(changed)
    card.elapsed_clock = lambda: moving.elapsed_at
    moving.elapsed_at += 180
    moving.wall_at -= timedelta(hours=1)  # the wall clock set back an hour
    card.tick()
    assert card.elapsed.text() == "for 3m 00s"
    moving.wall_at += timedelta(hours=2)  # and forward an hour past where it was
    card.tick()
    assert card.elapsed.text() == "for 3m 00s"
    # Two hours asleep: the elapsed clock (CLOCK_BOOTTIME) counts them, the label too.
    moving.elapsed_at += 7200
    card.tick()
    assert card.elapsed.text() == "for 2h 03m"
    # A pane put with only its wall-clock start is anchored at its age when put.
    older = registry.put(
        PaneState(
            pane_id="%2",
            target="w:2.0",
            cwd="/p",
            status=Status.NEEDS_INPUT,
            status_since=moving.wall_at - timedelta(seconds=40),
        )
    )
    assert older.status_elapsed == pytest.approx(moving.elapsed_at - 40)
    card.deleteLater()


def test_the_elapsed_clock_counts_suspended_time_and_never_runs_behind() -> None:
    # CLOCK_BOOTTIME includes time asleep: it is never behind CLOCK_MONOTONIC.
    assert elapsed_seconds() >= time.monotonic() - 0.001
    first = elapsed_seconds()
    assert elapsed_seconds() >= first


def stamp(*args: int) -> float:
    return datetime(*args, tzinfo=BERLIN).timestamp()  # type: ignore[misc]


def streak_after(stamps: list[float]) -> int:
    state = holding()
    for event_id, at in enumerate(stamps, start=1):
        engine.apply(state, record(STOP, event_id, at), BERLIN)
    return state.memo.streak


def test_active_days_across_daylight_saving_changes() -> None:
    # Spring forward (29 March 2026, 02:00 -> 03:00): a 23-hour day is still one day.
    assert streak_after([stamp(2026, 3, 28, 23, 30), stamp(2026, 3, 29, 23, 30)]) == 2
    assert streak_after([stamp(2026, 3, 29, 0, 30), stamp(2026, 3, 29, 23, 59)]) == 1
    # Fall back (25 October 2026, 03:00 -> 02:00): a 25-hour day is one day, and the
    # repeated hour does not make a second one.
    assert streak_after([stamp(2026, 10, 24, 23, 30), stamp(2026, 10, 25, 23, 30)]) == 2
    twice = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)
    assert streak_after([twice.timestamp(), twice.replace(fold=1).timestamp()]) == 1
    assert streak_after([stamp(2026, 10, 25, 0, 10), stamp(2026, 10, 26, 0, 10)]) == 2


def test_a_wall_clock_moved_back_or_forward_an_hour_keeps_the_streak_sane() -> None:
    # Just after midnight the clock is set back an hour: the next events are stamped on
    # the day before. The streak is neither reset nor counted twice.
    after_midnight = stamp(2026, 12, 3, 0, 20)
    events = [
        stamp(2026, 12, 2, 12, 0),
        after_midnight,
        after_midnight - 3600 + 60,  # 23:21 on the 2nd, by the moved clock
        stamp(2026, 12, 3, 9, 0),
    ]
    assert streak_after(events) == 2
    # Set forward an hour just before midnight: the 3rd starts an hour early, once.
    late = stamp(2026, 12, 2, 23, 30)
    assert streak_after([stamp(2026, 12, 2, 12, 0), late, late + 3600, late + 3700]) == 2


def hook(name: str, at: float, **payload: object) -> IncomingEvent:
    body = {"session_id": "s", "hook_event_name": name, **payload}
    return IncomingEvent(body, name, "s", f"s-{name}-{at}", at, "%1", 42)


def test_a_wall_clock_set_back_an_hour_does_not_freeze_the_hook_status() -> None:
    state = HookState()
    t = datetime(2026, 12, 4, 10, 0, tzinfo=UTC).timestamp()
    for event in (hook("UserPromptSubmit", t, prompt="go"), hook("Stop", t + 5)):
        state = apply_hook(state, event) or state
    assert state.status is Status.IDLE
    # A late delivery (two seconds older than the newest applied) is still ignored.
    assert apply_hook(state, hook("PreToolUse", t + 3, tool_name="Bash")) is None
    # The clock is set back an hour: the next prompt is stamped an hour "earlier".
    after = apply_hook(state, hook("UserPromptSubmit", t + 10 - 3600, prompt="again"))
    assert after is not None and after.status is Status.WORKING


# --- Marathon: one session alive for three hours, measured between the hooks' stamps -------


def longest_after(stamps: list[float]) -> tuple[float, bool]:
    """The longest session (seconds) and whether Marathon was earned, after Stops at `stamps`."""
    state = holding()
    for event_id, at in enumerate(stamps, start=1):
        engine.apply(state, record(STOP, event_id, at), BERLIN)
    return state.memo.longest_session, "long_session" in state.badges


def test_the_marathon_counts_real_hours_across_daylight_saving_changes() -> None:
    # Fall back: 01:30 CEST to 03:30 CET reads as two hours on the clock but is three.
    assert longest_after([stamp(2026, 10, 25, 1, 30), stamp(2026, 10, 25, 3, 30)]) == (
        3 * 3600,
        True,
    )
    # Spring forward: 00:45 CET to 04:15 CEST reads as three and a half hours, is two and a
    # half: no Marathon yet.
    assert longest_after([stamp(2026, 3, 29, 0, 45), stamp(2026, 3, 29, 4, 15)]) == (
        2.5 * 3600,
        False,
    )


def test_a_wall_clock_moved_during_a_session_never_makes_its_length_negative() -> None:
    start = stamp(2026, 12, 4, 10, 0)
    # Set back an hour after one hour: the stamps go on an hour "earlier". The length is
    # measured from the earliest stamp, so it never goes negative and never drops; the
    # session reads an hour shorter than it ran (Marathon comes an hour late, not early).
    back = [start, start + 3600, start + 3600 - 3600 + 300, start + 3600 * 3 - 3600 + 60]
    length, earned = longest_after(back)
    assert length == 3600 * 2 + 60 and not earned
    # Set forward an hour: the session reads an hour longer than it ran. The hooks' stamps
    # are wall-clock readings with nothing else beside them, so this hour cannot be told
    # from a real one (docs/reliability.md says so).
    forward = [start, start + 1800, start + 2.5 * 3600 + 3600]  # ran 2.5 h
    assert longest_after(forward) == (3.5 * 3600, True)


# --- "today" and the project streak: local calendar days, through the report's clock seam ----


@pytest.fixture
def berlin_machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's zone set to Europe/Berlin for this test ($TZ, as a person sets it)."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_machines_zone_keeps_its_daylight_saving_rules(berlin_machine: None) -> None:
    # The report's default clock: now in the machine's zone, with that zone's rules, so a
    # midnight on the other side of a DST change gets its own offset (a fixed offset taken
    # from today's would put "today" an hour off on the days DST starts or ends).
    zone = local_now().tzinfo
    assert zone is not None
    assert datetime(2026, 1, 15, tzinfo=zone).utcoffset() == timedelta(hours=1)
    assert datetime(2026, 7, 15, tzinfo=zone).utcoffset() == timedelta(hours=2)
    assert ProjectService(ProjectTracker(PaneRegistry()), PaneRegistry()).clock is local_now


def test_today_and_the_project_streak_follow_local_days_across_dst(
    berlin_machine: None, tmp_path: Path
) -> None:
    zone = local_now().tzinfo
    assert zone is not None
    repo = make_repo(tmp_path / "project")
    core = Core(tmp_path / "db.sqlite3", tz=None)  # streak days in the machine's zone, as the app
    try:
        moments = [
            datetime(2026, 10, 24, 0, 30, tzinfo=zone),  # CEST, just after midnight
            datetime(2026, 10, 24, 23, 40, tzinfo=zone),  # CEST, the day before the change
            datetime(2026, 10, 25, 0, 30, tzinfo=zone),  # CEST, today's first half hour
            datetime(2026, 10, 25, 11, 0, tzinfo=zone),  # CET, after the clocks went back
        ]
        for n, at in enumerate(moments):
            stop = {**STOP, "cwd": str(repo)}
            core.ingest.ingest(
                IncomingEvent(stop, "Stop", stop["session_id"], f"stop-{n}", at.timestamp())
            )
        noon = datetime(2026, 10, 25, 12, 0, tzinfo=zone)
        service = ProjectService(
            ProjectTracker(PaneRegistry()), PaneRegistry(), core.db, lambda: noon
        )
        today = service.report(1)
        # Today began at 00:00 CEST (22:00 UTC the day before), an hour before "00:00 CET".
        assert today.since == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
        assert today.totals.turns == 2
        assert service.report(2).totals.turns == 4
        # Every day with XP counts as its own local day: 24, 25 October (and not the 23rd,
        # where an offset taken from today's would put 00:30 CEST).
        (stats,) = service.read_stats().values()
        assert stats.xp_days == {"2026-10-24", "2026-10-25"}
        assert stats.streak_days == 2
    finally:
        core.close()
