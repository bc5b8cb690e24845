"""Status fusion: hooks first, repaired by what the poller reads (session file, title, screen).

Claude fires no hook when the person presses Esc or denies a permission dialog, and none
at all in an untrusted folder; the pane title glyph and ~/.claude/sessions/<pid>.json do
change then. Each reading carries the time it took its value, and overrides the hook state
only when it is newer than the newest hook event (see docs/status.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from desktop.core.model import Status
from desktop.core.status import INTERRUPTED, HookState, StatusChange
from desktop.core.tmux.detection import TitleGlyph
from desktop.core.tmux.screen import ScreenReading, ScreenState
from desktop.core.tmux.sessionfile import SessionFile


class Live(StrEnum):
    """What a pane shows without hooks."""

    UNKNOWN = "unknown"
    BUSY = "busy"
    IDLE = "idle"
    WAITING = "waiting"
    QUIET = "quiet"  # idle or at a dialog: the title glyph alone cannot tell which


@dataclass(frozen=True)
class LiveReading:
    """One pane's live state, where it was read from, and since when it holds."""

    live: Live
    since: float
    source: str
    detail: str = ""
    session_id: str = ""


# How long a turn that ended without its Stop hook waits for that hook before the card says
# "interrupted": Claude writes its file idle a few ms after Stop fires, and the hook may
# still be on its way to the app.
REPAIR_GRACE = 0.5

_FILE_STATUS = {"busy": Live.BUSY, "idle": Live.IDLE, "waiting": Live.WAITING}
_SCREEN_STATE = {
    ScreenState.BUSY: Live.BUSY,
    ScreenState.IDLE: Live.IDLE,
    ScreenState.WAITING: Live.WAITING,
}


def from_session_file(sf: SessionFile) -> LiveReading:
    """Claude's own word, timed to the millisecond by Claude itself."""
    live = _FILE_STATUS.get(sf.status, Live.UNKNOWN)
    return LiveReading(live, sf.status_since, "session file", sf.waiting_for, sf.session_id)


def from_title_and_screen(glyph: TitleGlyph, screen: ScreenReading | None) -> tuple[Live, str]:
    """The live state the title glyph gives, sharpened by the screen when one was read."""
    seen = _SCREEN_STATE.get(screen.state, Live.UNKNOWN) if screen else Live.UNKNOWN
    question = screen.question if screen else ""
    if glyph is TitleGlyph.BUSY:
        return Live.BUSY, ""
    if glyph is TitleGlyph.QUIET:
        # ✳ shows both at the prompt and at a dialog; only the screen tells them apart.
        if seen in (Live.IDLE, Live.WAITING):
            return seen, question
        return Live.QUIET, ""
    return seen, question


class PaneSignals:
    """Turns one pane's per-tick signals into a LiveReading, dating each change.

    The session file dates its own changes. A title or screen change is only seen at a
    poll, so it is dated at the poll that first saw it and believed once a second poll
    agrees: a title that lags a hook by some milliseconds must not flip the status back.
    """

    def __init__(self) -> None:
        self.reading: LiveReading | None = None
        self._candidate: tuple[Live, str, float] | None = None

    def observe(
        self,
        glyph: TitleGlyph,
        session_file: SessionFile | None,
        screen: ScreenReading | None,
        observed_at: float,
    ) -> LiveReading | None:
        if session_file is not None and session_file.status:
            self._candidate = None
            self.reading = from_session_file(session_file)
            return self.reading
        live, detail = from_title_and_screen(glyph, screen)
        source = "title" if glyph is not TitleGlyph.NONE else "screen"
        if self.reading is None or self.reading.source == "session file":
            # The first look at a pane (or the file just went away): nothing to confirm against.
            self._candidate = None
            self.reading = LiveReading(live, observed_at, source, detail)
            return self.reading
        if live is self.reading.live:
            self._candidate = None
            return self.reading
        if self._candidate is None or self._candidate[0] is not live:
            self._candidate = (live, detail, observed_at)
            return self.reading
        _, first_detail, first_seen = self._candidate
        self._candidate = None
        self.reading = LiveReading(live, first_seen, source, detail or first_detail)
        return self.reading


def fuse(hook: HookState, reading: LiveReading | None, now: float | None = None) -> StatusChange:
    """The status to show: the hook state, unless a newer live reading contradicts it."""
    own = StatusChange(hook.status, hook.detail)
    if hook.status is Status.ENDED or reading is None or reading.live is Live.UNKNOWN:
        return own
    if hook.status is not Status.UNKNOWN and reading.since <= hook.stamp:
        return own
    live = reading.live
    if live is Live.BUSY:
        return own if hook.status is Status.WORKING else StatusChange(Status.WORKING, "")
    if live is Live.WAITING:
        if hook.status is Status.NEEDS_INPUT:
            return own
        return StatusChange(Status.NEEDS_INPUT, reading.detail or "waiting for an answer")
    # IDLE or QUIET: the turn is over. An error is a kind of idle and stays visible.
    if hook.status in (Status.IDLE, Status.ERROR):
        return own
    if live is Live.QUIET and hook.status is Status.NEEDS_INPUT:
        return own  # ✳ is also the glyph of the dialog the hook announced
    was_busy = hook.status in (Status.WORKING, Status.NEEDS_INPUT)
    if was_busy and now is not None and now - reading.since < REPAIR_GRACE:
        return own  # the Stop hook may be on its way; the next poll decides
    return StatusChange(Status.IDLE, INTERRUPTED if was_busy else "")
