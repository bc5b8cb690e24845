"""Run by test_real_tray.py under Xvfb with trayer: the real tray icon, embedded, menu opened.

Prints one JSON line with what it saw; the test asserts on it.
"""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QSystemTrayIcon, QWidget

from desktop.core.model import Status
from desktop.ui.notify import Kind, Notice
from desktop.ui.services import TrayBalloonNotifications
from desktop.ui.shell import DesktopShell
from desktop.ui.tray import make_tray_icon
from tests.ui.fakes import FakeBridge, RecordingNotifications, pane, persona


def pump_until(app: QApplication, done: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        app.processEvents()
        time.sleep(0.02)
    return True


def x_parent(window_id: int) -> int | None:
    """The X parent of a window, as xwininfo reports it (the tray host's window if embedded)."""
    out = subprocess.run(
        ["xwininfo", "-children", "-id", hex(window_id)], capture_output=True, text=True
    ).stdout
    for line in out.splitlines():
        if line.strip().startswith("Parent window id:"):
            return int(line.split()[3], 16)
    return None


def x_absolute_center(window_id: int) -> tuple[int, int]:
    """Where the X server has the window (Qt cannot map an embedded window to the screen)."""
    out = subprocess.run(["xwininfo", "-id", hex(window_id)], capture_output=True, text=True).stdout
    fields = {}
    for line in out.splitlines():
        key, _, value = line.strip().partition(":")
        fields[key] = value.strip()
    x, y = int(fields["Absolute upper-left X"]), int(fields["Absolute upper-left Y"])
    return x + int(fields["Width"]) // 2, y + int(fields["Height"]) // 2


def root_window() -> int:
    out = subprocess.run(["xwininfo", "-root"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "Window id:" in line:
            return int(line.split("Window id:")[1].split()[0], 16)
    raise RuntimeError("xwininfo -root printed no window id")


LEFT_BUTTON, RIGHT_BUTTON = 1, 3


def x_click(x: int, y: int, button: int) -> None:
    """Move the pointer and click, through XTest: the X server delivers it like a person's."""
    x11 = ctypes.CDLL("libX11.so.6")
    xtst = ctypes.CDLL("libXtst.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    xtst.XTestFakeMotionEvent.argtypes = [
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_ulong,
    ]
    xtst.XTestFakeButtonEvent.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_ulong,
    ]
    display = x11.XOpenDisplay(None)
    if not display:
        raise RuntimeError("cannot open the X display for XTest")
    xtst.XTestFakeMotionEvent(display, -1, x, y, 0)
    xtst.XTestFakeButtonEvent(display, button, 1, 0)
    xtst.XTestFakeButtonEvent(display, button, 0, 0)
    x11.XFlush(display)
    x11.XCloseDisplay(display)


def tray_widget(app: QApplication) -> QWidget | None:
    """Qt's own XEmbed tray window (QSystemTrayIconSys), a top-level widget."""
    for widget in app.topLevelWidgets():
        if widget.metaObject().className() == "QSystemTrayIconSys":
            return widget
    return None


# Shown by the balloon, which must show it as written (Qt's balloon labels are plain text).
BALLOON_BODY = 'Bash: echo "<b>hi</b>" <img src=x> Tom &amp; Jerry'


def balloon_labels(app: QApplication) -> list[list[object]]:
    """The texts Qt's balloon (QBalloonTip) shows, with whether each is rich text."""
    for widget in app.topLevelWidgets():
        if widget.metaObject().className() == "QBalloonTip" and widget.isVisible():
            return [
                [label.text(), label.textFormat() != Qt.TextFormat.PlainText]
                for label in widget.findChildren(QLabel)
                if label.text()
            ]
    return []


def main() -> int:
    app = QApplication([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)
    report: dict[str, object] = {"platform": app.platformName()}
    report["tray_available"] = pump_until(app, QSystemTrayIcon.isSystemTrayAvailable, 10)
    bridge = FakeBridge()
    bridge.put(pane(1, Status.WORKING, persona("s1", "Brave Otter")))
    bridge.put(pane(2, Status.UNKNOWN))
    icon = make_tray_icon()
    report["icon_created"] = icon is not None
    if icon is None:
        print(json.dumps(report))
        return 0
    shell = DesktopShell(bridge, icon, [RecordingNotifications()])
    shell.start(show_window=False)
    report["embedded"] = pump_until(app, lambda: not icon.geometry().isEmpty(), 10)
    g = icon.geometry()
    report["geometry"] = [g.x(), g.y(), g.width(), g.height()]
    widget = tray_widget(app)
    report["tray_widget"] = widget is not None
    if widget is not None:
        parent = x_parent(int(widget.winId()))
        report["x_parent_is_root"] = parent == root_window()
        report["x_parent_known"] = parent is not None
        assert shell.tray is not None
        menu = shell.tray.menu
        x, y = x_absolute_center(int(widget.winId()))
        report["icon_on_screen"] = [x, y]
        # Real clicks through the X server (XTest), delivered to the icon inside trayer.
        x_click(x, y, RIGHT_BUTTON)
        report["menu_opened"] = pump_until(app, menu.isVisible, 5)
        report["menu_entries"] = [a.text() for a in menu.actions() if a.text()]
        report["menu_near_icon"] = menu.geometry().adjusted(-40, -40, 40, 40).contains(x, y)
        report["window_visible_before_left_click"] = shell.window.isVisible()
        if len(sys.argv) > 1:
            pump_until(app, lambda: False, 0.5)  # let the icon and the menu paint
            subprocess.run(["import", "-window", "root", sys.argv[1]], check=False)
        menu.hide()
        pump_until(app, lambda: not menu.isVisible(), 2)
        x_click(x, y, LEFT_BUTTON)
        report["left_click_shows_window"] = pump_until(app, shell.window.isVisible, 5)
    report["tooltip"] = icon.toolTip()
    balloon = TrayBalloonNotifications(icon)
    report["balloon_available"] = balloon.available()
    balloon.show(Notice(Kind.FINISHED, "%1", "Brave Otter is done (work:1.0)", BALLOON_BODY))
    pump_until(app, lambda: bool(balloon_labels(app)), 5)
    report["balloon_labels"] = balloon_labels(app)
    shell.close()
    app.processEvents()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
