"""PySide6 must not leak references to None on void C++ calls (6.12.0 on CPython < 3.12 did).

That leak aborted the app with `Fatal Python error: none_dealloc` after a few thousand hook
requests, because qasync makes such calls on every callback. pyproject.toml pins PySide6
below 6.12 on Python < 3.12; this test keeps the pin honest whatever version gets installed.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer

CALLS = 5000


def _none_refs() -> int:
    return sys.getrefcount(None)


def test_void_qt_calls_do_not_drop_references_to_none() -> None:
    obj = QObject()
    timer = QTimer()
    # Warm up caches and interned objects so only the calls' own effect is measured.
    for _ in range(100):
        obj.setObjectName("warm")
        timer.setInterval(5)
    before = _none_refs()
    for i in range(CALLS):
        obj.setObjectName("x")
        timer.setInterval(i % 100)
        obj.blockSignals(False)
    after = _none_refs()
    # Python >= 3.12 makes None immortal (its count is then constant and huge); before that
    # a buggy binding lowers it by one per void call: thousands here.
    assert before - after < 100, (
        f"None lost {before - after} references over {3 * CALLS} void Qt calls: this PySide6 "
        "build will abort a long-running app (pin PySide6 < 6.12 on this Python)"
    )


def test_installed_pyside_respects_the_pin() -> None:
    import PySide6

    major, minor = (int(x) for x in PySide6.__version__.split(".")[:2])
    if sys.version_info < (3, 12):
        assert (major, minor) < (6, 12), f"PySide6 {PySide6.__version__} on Python < 3.12"
