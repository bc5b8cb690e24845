"""The tmux client: the only module that imports libtmux. Synchronous; call it off the loop."""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import libtmux
from libtmux import exc as tmux_exc

from desktop.core.tmux.detection import RawPane

log = logging.getLogger(__name__)

_SEP = "\x1f"  # unit separator: cannot appear in a tmux session name, rarely in a title
_FIELDS = (
    "pane_id",
    "session_name",
    "window_index",
    "pane_index",
    "pane_pid",
    "pane_current_command",
    "pane_current_path",
    "pane_title",
    "pane_dead",
)
_FORMAT = _SEP.join("#{" + f + "}" for f in _FIELDS)


_SCREEN_MARK = _SEP + _SEP + "screen "  # never the start of a list-panes line (a pane id)
_PANE_ID = re.compile(r"^%\d{1,9}$")


@dataclass(frozen=True)
class TmuxListing:
    """The result of one list-panes call: panes, or a sentence saying why there are none."""

    panes: tuple[RawPane, ...]
    problem: str | None = None
    screens: dict[str, str] = field(default_factory=dict)


def _parse_pane(line: str) -> RawPane | None:
    parts = line.split(_SEP)
    if len(parts) != len(_FIELDS):
        return None
    pid = parts[4]
    return RawPane(
        pane_id=parts[0],
        session_name=parts[1],
        window_index=parts[2],
        pane_index=parts[3],
        pane_pid=int(pid) if pid.isdigit() else None,
        current_command=parts[5],
        current_path=parts[6],
        title=parts[7],
        dead=parts[8] == "1",
    )


def _parse_listing(lines: list[str]) -> tuple[list[RawPane], dict[str, str]]:
    """Split one invocation's output into the pane lines and the screens after each marker."""
    panes: list[RawPane] = []
    screens: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        if line.startswith(_SCREEN_MARK):
            current = screens.setdefault("%" + line[len(_SCREEN_MARK) :], [])
        elif current is not None:
            current.append(line)
        elif (pane := _parse_pane(line)) is not None:
            panes.append(pane)
    return panes, {k: "\n".join(v) for k, v in screens.items()}


class TmuxError(Exception):
    """A tmux command failed; the message says what happened and what to do."""


class TmuxClient:
    """One tmux server (the default one, or the one at socket_path)."""

    def __init__(self, socket_path: str | None = None) -> None:
        self.socket_path = socket_path
        self._server = libtmux.Server(socket_path=socket_path) if socket_path else libtmux.Server()

    def _where(self) -> str:
        return f"at {self.socket_path}" if self.socket_path else "(default socket)"

    def list_panes(self, capture: Collection[str] = ()) -> TmuxListing:
        """Every pane of every session, plus the screens of the panes in `capture`.

        One tmux command line whatever the number of panes: the captures ride along in the
        same invocation, separated by `;`, each announced by a marker line.
        """
        if shutil.which("tmux") is None:
            return TmuxListing((), "tmux is not installed: install it (e.g. apt install tmux).")
        args: list[str] = ["list-panes", "-a", "-F", _FORMAT]
        for pane_id in sorted(p for p in capture if _PANE_ID.match(p)):
            args += [";", "display-message", "-p", _SCREEN_MARK + pane_id[1:]]
            args += [";", "capture-pane", "-p", "-t", pane_id]
        try:
            result = self._server.cmd(*args)
        except tmux_exc.LibTmuxException as e:
            return TmuxListing((), f"tmux failed: {e}")
        panes, screens = _parse_listing(result.stdout)
        if result.returncode != 0:
            err = " ".join(result.stderr).strip()
            if panes and "can't find pane" in err:
                # A pane closed between list-panes and its capture: the listing still holds.
                return TmuxListing(tuple(panes), None, screens)
            if "no server running" in err or "error connecting" in err or "No such file" in err:
                return TmuxListing(
                    (),
                    f"no tmux server is running {self._where()}: start tmux and run claude in it.",
                )
            return TmuxListing((), f"tmux list-panes failed: {err}")
        return TmuxListing(tuple(panes), None, screens)

    def run(self, *args: str) -> list[str]:
        """Run one tmux command; raise TmuxError with tmux's own words when it fails."""
        try:
            result = self._server.cmd(*args)
        except tmux_exc.LibTmuxException as e:
            raise TmuxError(f"tmux failed: {e}") from e
        if result.returncode != 0:
            raise TmuxError(" ".join(result.stderr).strip() or f"tmux {args[0]} failed")
        return list(result.stdout)

    # --- actions on one pane (see desktop.core.actions for the checks around them) --------

    def pane_facts(self, pane_id: str) -> PaneFacts | None:
        """Where a pane is and which process it runs, or None when tmux has no such pane."""
        fmt = _SEP.join(
            "#{" + f + "}" for f in ("pane_id", "pane_pid", "pane_dead", "session_name")
        )
        try:
            lines = self.run("display-message", "-p", "-t", _pane(pane_id), fmt)
        except TmuxError as e:
            if "can't find" in str(e):
                return None
            raise
        parts = (lines[0] if lines else "").split(_SEP)
        if len(parts) != 4 or parts[0] != pane_id:
            return None
        return PaneFacts(
            pane_id=parts[0],
            pane_pid=int(parts[1]) if parts[1].isdigit() else None,
            dead=parts[2] == "1",
            session_name=parts[3],
        )

    def send_literal(self, pane_id: str, text: str) -> None:
        """Type `text` into the pane exactly: no key names, no option parsing, no `;` split."""
        self.run("send-keys", "-t", _pane(pane_id), "-l", "--", literal_arg(text))

    def send_keys(self, pane_id: str, *keys: str) -> None:
        """Press tmux keys (`Enter`, `Escape`, `1`) in the pane."""
        self.run("send-keys", "-t", _pane(pane_id), "--", *keys)

    def capture(self, pane_id: str, ansi: bool = False, history: int = 0) -> str:
        """The pane's screen (and `history` lines above it), with colours as ANSI when asked."""
        args = ["capture-pane", "-p", "-t", _pane(pane_id)]
        if ansi:
            args.append("-e")
        if history > 0:
            args += ["-S", str(-history)]
        return "\n".join(self.run(*args))

    def clients(self) -> list[ClientInfo]:
        """The terminals attached to this server, most recently active first."""
        fmt = _SEP.join(
            "#{" + f + "}" for f in ("client_name", "client_session", "client_activity")
        )
        try:
            lines = self.run("list-clients", "-F", fmt)
        except TmuxError:
            return []
        found = []
        for line in lines:
            parts = line.split(_SEP)
            if len(parts) == 3:
                activity = int(parts[2]) if parts[2].isdigit() else 0
                found.append(ClientInfo(parts[0], parts[1], activity))
        return sorted(found, key=lambda c: c.activity, reverse=True)

    def select_pane(self, pane_id: str) -> None:
        """Make the pane the active pane of the active window of its session."""
        self.run("select-window", "-t", _pane(pane_id), ";", "select-pane", "-t", _pane(pane_id))

    def switch_client(self, client_name: str, pane_id: str) -> None:
        """Show the pane's session, window and pane in one attached terminal."""
        self.run("switch-client", "-c", client_name, "-t", _pane(pane_id))

    def sessions(self) -> list[str]:
        """The session names, most recently used first (empty when no server runs)."""
        fmt = _SEP.join("#{" + f + "}" for f in ("session_name", "session_activity"))
        try:
            lines = self.run("list-sessions", "-F", fmt)
        except TmuxError:
            return []
        rows = [line.split(_SEP) for line in lines if _SEP in line]
        rows.sort(key=lambda r: int(r[1]) if r[1].isdigit() else 0, reverse=True)
        return [r[0] for r in rows]

    def new_window(
        self,
        folder: str,
        command: Sequence[str],
        env: Mapping[str, str],
        session: str | None,
        session_name: str = "claude",
    ) -> str:
        """Start `command` in a new window in `folder` (a new session when `session` is None)."""
        args: list[str]
        if session is None:
            args = ["new-session", "-d", "-s", session_name]
        else:
            args = ["new-window", "-d", "-t", f"={session}:"]
        args += ["-P", "-F", "#{pane_id}", "-c", folder]
        for key, value in env.items():
            args += ["-e", f"{key}={value}"]
        lines = self.run(*args, "--", *command)
        pane_id = lines[0].strip() if lines else ""
        if not _PANE_ID.match(pane_id):
            raise TmuxError(f"tmux started a window but did not say which pane ({pane_id!r})")
        return pane_id


@dataclass(frozen=True)
class PaneFacts:
    """What tmux says about one pane right now."""

    pane_id: str
    pane_pid: int | None
    dead: bool
    session_name: str


@dataclass(frozen=True)
class ClientInfo:
    """A terminal attached to the tmux server."""

    name: str
    session_name: str
    activity: int


def _pane(pane_id: str) -> str:
    # Only a pane id: a name like `work` or `-x` would make tmux resolve something else.
    if not _PANE_ID.match(pane_id):
        raise TmuxError(f"{pane_id!r} is not a tmux pane id (like %3)")
    return pane_id


def literal_arg(text: str) -> str:
    """`text` as one send-keys -l argument that tmux passes through unchanged.

    tmux reads an argument that ends in `;` as a command separator (and `\\;` as a literal
    `;`), so a trailing `;` gets a backslash in front; nothing else in the text is special.
    """
    return text[:-1] + "\\;" if text.endswith(";") else text
