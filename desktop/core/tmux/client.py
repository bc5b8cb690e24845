"""The tmux client: the only module that imports libtmux. Synchronous; call it off the loop."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass

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


@dataclass(frozen=True)
class TmuxListing:
    """The result of one list-panes call: panes, or a sentence saying why there are none."""

    panes: tuple[RawPane, ...]
    problem: str | None = None


class TmuxError(Exception):
    """A tmux command failed; the message says what happened and what to do."""


class TmuxClient:
    """One tmux server (the default one, or the one at socket_path)."""

    def __init__(self, socket_path: str | None = None) -> None:
        self.socket_path = socket_path
        self._server = libtmux.Server(socket_path=socket_path) if socket_path else libtmux.Server()

    def _where(self) -> str:
        return f"at {self.socket_path}" if self.socket_path else "(default socket)"

    def list_panes(self) -> TmuxListing:
        """Every pane of every session, in one tmux command whatever the number of panes."""
        if shutil.which("tmux") is None:
            return TmuxListing((), "tmux is not installed: install it (e.g. apt install tmux).")
        try:
            result = self._server.cmd("list-panes", "-a", "-F", _FORMAT)
        except tmux_exc.LibTmuxException as e:
            return TmuxListing((), f"tmux failed: {e}")
        if result.returncode != 0:
            err = " ".join(result.stderr).strip()
            if "no server running" in err or "error connecting" in err or "No such file" in err:
                return TmuxListing(
                    (),
                    f"no tmux server is running {self._where()}: start tmux and run claude in it.",
                )
            return TmuxListing((), f"tmux list-panes failed: {err}")
        panes = []
        for line in result.stdout:
            parts = line.split(_SEP)
            if len(parts) != len(_FIELDS):
                continue
            pid = parts[4]
            panes.append(
                RawPane(
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
            )
        return TmuxListing(tuple(panes))

    def run(self, *args: str) -> list[str]:
        """Run one tmux command; raise TmuxError with tmux's own words when it fails."""
        try:
            result = self._server.cmd(*args)
        except tmux_exc.LibTmuxException as e:
            raise TmuxError(f"tmux failed: {e}") from e
        if result.returncode != 0:
            raise TmuxError(" ".join(result.stderr).strip() or f"tmux {args[0]} failed")
        return list(result.stdout)
