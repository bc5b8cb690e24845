"""The first-run panel: shows the exact settings.json change before installing the hooks, and
says when tmux is missing or not running."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.hooks.command import HookScriptError, write_script, write_spare
from desktop.core.hooks.installer import (
    HOOK_EVENTS,
    SettingsChange,
    SettingsError,
    apply,
    plan_install,
)
from desktop.paths import DataPaths
from desktop.ui.safe_text import plain_label

log = logging.getLogger(__name__)

TMUX_MISSING = (
    "tmux is not installed, so there are no panes to watch: install it "
    "(Debian/Ubuntu: sudo apt install tmux), then start claude inside tmux."
)


class FirstRunPanel(QWidget):
    """Offers to install the hooks (after showing the diff) and explains tmux problems."""

    hooks_installed = Signal(str)  # the settings.json path
    dismissed = Signal()

    def __init__(
        self,
        paths: DataPaths,
        port: int | Callable[[], int],
        settings_path: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunPanel")
        self.paths = paths
        # A callable follows the listener when the settings move it to another port.
        self._port = port
        self.settings_path = settings_path
        self.change: SettingsChange | None = None
        self._tmux_problem: str | None = TMUX_MISSING if shutil.which("tmux") is None else None
        self._events_arrived = False

        title = QLabel("<b>Welcome to claude-rpg</b>")
        # Both carry paths and error text from outside: never read as rich text.
        self.tmux_label = plain_label(QLabel())
        self.tmux_label.setObjectName("tmuxProblem")
        self.tmux_label.setWordWrap(True)
        self.hooks_label = plain_label(QLabel())
        self.hooks_label.setObjectName("hooksState")
        self.hooks_label.setWordWrap(True)
        self.diff_view = QPlainTextEdit()
        self.diff_view.setObjectName("settingsDiff")
        self.diff_view.setReadOnly(True)
        self.diff_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.diff_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.install_button = QPushButton("Install hooks")
        self.install_button.clicked.connect(self.install_hooks)
        self.dismiss_button = QPushButton("Not now")
        self.dismiss_button.clicked.connect(self.dismissed.emit)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.install_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.tmux_label)
        layout.addWidget(self.hooks_label)
        layout.addWidget(self.diff_view, 1)
        layout.addLayout(buttons)
        self.refresh()

    # --- state ---------------------------------------------------------------------------

    def set_tmux_problem(self, problem: str | None) -> None:
        """The poller's latest sentence about tmux (None when tmux answers)."""
        if shutil.which("tmux") is None:
            problem = TMUX_MISSING
        self._tmux_problem = problem
        self._show_tmux()

    @property
    def port(self) -> int:
        """The port the hook script is written for: the listener's, at install time."""
        return self._port() if callable(self._port) else self._port

    def needed(self) -> bool:
        """Whether there is anything for the person to do."""
        hooks_missing = self.change is None or self.change.changed
        return self._tmux_problem is not None or (hooks_missing and not self._events_arrived)

    def events_arrived(self) -> None:
        """Hook events reach the app: Claude reports to it already, whichever settings file
        holds the hooks (a project's, another CLAUDE_CONFIG_DIR). Step aside unless tmux
        still needs the person."""
        if self._events_arrived:
            return
        self._events_arrived = True
        if not self.needed():
            self.dismissed.emit()

    def refresh(self) -> None:
        """Re-read settings.json and show what installing would change."""
        self._show_tmux()
        try:
            self.change = plan_install(self.settings_path, self.paths.hook_script, HOOK_EVENTS)
        except SettingsError as e:
            self.change = None
            self._show_hooks(f"Hooks cannot be installed: {e}", diff="", can_install=False)
            return
        if not self.change.changed:
            self._show_hooks(
                f"Hooks are installed in {self.settings_path}: Claude sessions report to "
                "claude-rpg.",
                diff="",
                can_install=False,
            )
            return
        self._show_hooks(
            f"Claude Code does not report to claude-rpg yet. Installing the hooks makes this "
            f"change to {self.settings_path} (the old file is kept as a backup); nothing is "
            "written until you press Install hooks:",
            diff=self.change.diff(),
            can_install=True,
        )

    def _show_tmux(self) -> None:
        self.tmux_label.setText(self._tmux_problem or "")
        self.tmux_label.setVisible(self._tmux_problem is not None)

    def _show_hooks(self, text: str, diff: str, can_install: bool) -> None:
        self.hooks_label.setText(text)
        self.diff_view.setPlainText(diff)
        self.diff_view.setVisible(bool(diff))
        self.install_button.setVisible(can_install)
        self.install_button.setEnabled(can_install)

    # --- action --------------------------------------------------------------------------

    def install_hooks(self) -> None:
        """Write the hook script, then exactly the change that was shown."""
        change = self.change
        if change is None or not change.changed:
            return
        try:
            fresh = plan_install(self.settings_path, self.paths.hook_script, HOOK_EVENTS)
        except SettingsError as e:
            self.change = None
            self._show_hooks(f"Hooks were not installed: {e}", diff="", can_install=False)
            return
        if fresh.before_text != change.before_text:
            # Someone (often Claude itself) rewrote the file since it was shown: never write
            # a change the person has not seen.
            self.refresh()
            self.hooks_label.setText(
                f"{self.settings_path} changed in the meantime; nothing was written. This is "
                "the change now; press Install hooks again to make it:"
            )
            return
        try:
            write_script(self.paths, self.port)
            write_spare(self.paths, os.getpid())  # the app showing this panel runs it
            backup = apply(change)  # exactly the change that was shown
        except (SettingsError, HookScriptError) as e:
            self._show_hooks(f"Hooks were not installed: {e}", diff="", can_install=False)
            return
        except OSError as e:
            self._show_hooks(
                f"Hooks were not installed: cannot write {e.filename} ({e.strerror}); "
                "check that folder's permissions and try again.",
                diff=change.diff(),
                can_install=True,
            )
            return
        log.info("hooks installed in %s (backup %s)", self.settings_path, backup)
        self.refresh()
        kept = f" The previous file is kept as {backup}." if backup else ""
        self.hooks_label.setText(
            f"Hooks installed in {self.settings_path}. New Claude sessions report at once; "
            f"running ones from their next prompt.{kept}"
        )
        self.hooks_installed.emit(str(self.settings_path))
