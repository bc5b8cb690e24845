"""Fusion: hooks first, repaired by newer readings of the session file, the title and the screen.

The times below are the ones measured on Claude Code 2.1.197 (hook stamps, sessions/<pid>.json
statusUpdatedAt and pane titles, relative to the start of one session).
"""

from __future__ import annotations

from desktop.core.fusion import Live, LiveReading, PaneSignals, fuse
from desktop.core.model import Status
from desktop.core.status import HookState, StatusChange
from desktop.core.tmux.detection import TitleGlyph
from desktop.core.tmux.screen import DialogOption, ScreenReading, ScreenState
from desktop.core.tmux.sessionfile import SessionFile


def hook(status: Status, stamp: float, detail: str = "") -> HookState:
    return HookState(status=status, detail=detail, stamp=stamp)


def file_says(status: str, since: float, waiting_for: str = "") -> SessionFile:
    return SessionFile(1, "s1", status, waiting_for, since)


def reading(live: Live, since: float, detail: str = "") -> LiveReading:
    return LiveReading(live, since, "session file", detail)


def test_esc_while_working_fires_no_hook_but_the_file_goes_idle() -> None:
    working = hook(Status.WORKING, 5.306, "say hi")
    assert fuse(working, reading(Live.BUSY, 5.361)) == StatusChange(Status.WORKING, "say hi")
    assert fuse(working, reading(Live.IDLE, 6.884)) == StatusChange(Status.IDLE, "interrupted")


def test_denied_permission_goes_back_to_idle() -> None:
    asked = hook(Status.NEEDS_INPUT, 8.992, "permission: Bash: touch x")
    # The file says waiting a moment after the hook: the hook's words stay.
    waiting = reading(Live.WAITING, 9.053, "permission prompt")
    assert fuse(asked, waiting) == StatusChange(Status.NEEDS_INPUT, "permission: Bash: touch x")
    assert fuse(asked, reading(Live.IDLE, 10.180)).status is Status.IDLE


def test_approved_permission_is_working_before_the_next_hook() -> None:
    asked = hook(Status.NEEDS_INPUT, 12.277, "permission: Bash: touch y")
    assert fuse(asked, reading(Live.BUSY, 13.395)).status is Status.WORKING
    after = hook(Status.WORKING, 13.459)
    assert fuse(after, reading(Live.BUSY, 13.395)).status is Status.WORKING


def test_an_api_error_stays_visible_while_the_file_says_idle() -> None:
    failed = hook(Status.ERROR, 15.504, "rate_limit")
    assert fuse(failed, reading(Live.IDLE, 15.569)) == StatusChange(Status.ERROR, "rate_limit")
    # ... until Claude works again (a prompt whose hook is missing).
    assert fuse(failed, reading(Live.BUSY, 20.0)).status is Status.WORKING


def test_older_readings_never_override_a_newer_hook() -> None:
    done = hook(Status.IDLE, 3.908, "hello")
    assert fuse(done, reading(Live.BUSY, 1.831)) == StatusChange(Status.IDLE, "hello")


def test_without_any_hook_the_file_alone_gives_the_status() -> None:
    nothing = HookState()
    assert fuse(nothing, None).status is Status.UNKNOWN
    assert fuse(nothing, reading(Live.BUSY, 1.0)).status is Status.WORKING
    assert fuse(nothing, reading(Live.IDLE, 1.0)) == StatusChange(Status.IDLE, "")
    assert fuse(nothing, reading(Live.WAITING, 1.0, "permission prompt")) == StatusChange(
        Status.NEEDS_INPUT, "permission prompt"
    )


def test_ended_by_a_hook_stays_ended() -> None:
    ended = hook(Status.ENDED, 22.506, "clear")
    assert fuse(ended, reading(Live.BUSY, 22.55)).status is Status.ENDED


def test_the_star_glyph_does_not_end_a_dialog_but_ends_a_turn() -> None:
    quiet = LiveReading(Live.QUIET, 31.5, "title")
    asked = hook(Status.NEEDS_INPUT, 31.0, "permission: Bash: rm x")
    assert fuse(asked, quiet).status is Status.NEEDS_INPUT
    assert fuse(hook(Status.WORKING, 31.0), quiet) == StatusChange(Status.IDLE, "interrupted")


def test_the_session_file_wins_over_the_title_and_dates_itself() -> None:
    signals = PaneSignals()
    read = signals.observe(TitleGlyph.BUSY, file_says("idle", 6.884), None, observed_at=7.5)
    assert read is not None and (read.live, read.since, read.source) == (
        Live.IDLE,
        6.884,
        "session file",
    )


def test_a_title_change_counts_once_a_second_poll_confirms_it() -> None:
    signals = PaneSignals()
    first = signals.observe(TitleGlyph.BUSY, None, None, observed_at=30.0)
    assert first is not None and first.live is Live.BUSY
    # One poll sees ✳ (maybe a title lagging behind a hook): not believed yet.
    once = signals.observe(TitleGlyph.QUIET, None, None, observed_at=31.0)
    assert once is not None and once.live is Live.BUSY
    # The next poll agrees: the change is dated at the poll that first saw it.
    twice = signals.observe(TitleGlyph.QUIET, None, None, observed_at=32.0)
    assert twice is not None and (twice.live, twice.since, twice.source) == (
        Live.QUIET,
        31.0,
        "title",
    )


def test_a_one_poll_flicker_is_ignored() -> None:
    signals = PaneSignals()
    signals.observe(TitleGlyph.QUIET, None, None, observed_at=1.0)
    signals.observe(TitleGlyph.BUSY, None, None, observed_at=2.0)
    back = signals.observe(TitleGlyph.QUIET, None, None, observed_at=3.0)
    assert back is not None and (back.live, back.since) == (Live.QUIET, 1.0)


def test_the_screen_tells_a_dialog_from_an_idle_prompt_under_the_star() -> None:
    dialog = ScreenReading(
        ScreenState.WAITING, "Do you want to proceed?", (DialogOption("1", "Yes"),)
    )
    signals = PaneSignals()
    read = signals.observe(TitleGlyph.QUIET, None, dialog, observed_at=1.0)
    assert read is not None and (read.live, read.detail) == (
        Live.WAITING,
        "Do you want to proceed?",
    )
    idle = ScreenReading(ScreenState.IDLE)
    signals.observe(TitleGlyph.QUIET, None, idle, observed_at=2.0)
    read = signals.observe(TitleGlyph.QUIET, None, idle, observed_at=3.0)
    assert read is not None and read.live is Live.IDLE and read.source == "title"
    # Without a Claude title the screen alone speaks.
    alone = PaneSignals().observe(TitleGlyph.NONE, None, ScreenReading(ScreenState.BUSY), 1.0)
    assert alone is not None and (alone.live, alone.source) == (Live.BUSY, "screen")


def test_a_turn_end_waits_briefly_for_its_stop_hook_before_saying_interrupted() -> None:
    # Claude writes its file idle ~65 ms after Stop fires; the hook may still be in flight.
    working = hook(Status.WORKING, 3.0, "say hi")
    idle = reading(Live.IDLE, 3.973)
    assert fuse(working, idle, now=4.1) == StatusChange(Status.WORKING, "say hi")
    assert fuse(working, idle, now=4.6) == StatusChange(Status.IDLE, "interrupted")
    # The Stop that arrives meanwhile wins, with its own words.
    stopped = hook(Status.IDLE, 3.908, "hello")
    assert fuse(stopped, idle, now=4.1) == StatusChange(Status.IDLE, "hello")
