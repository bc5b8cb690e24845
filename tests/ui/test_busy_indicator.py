"""The busy indicator spins for a while each time it is shown, then rests (idle costs nothing)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from desktop.ui.widgets import BusyIndicator


def test_the_indicator_rests_after_its_spin_limit_and_spins_again_when_shown_again(
    qtbot: QtBot,
) -> None:
    indicator = BusyIndicator(40, spin_limit_ms=200)
    qtbot.addWidget(indicator)
    indicator.show()
    assert indicator.spinning
    qtbot.waitUntil(lambda: indicator.angle != 0)  # it really turns while it spins
    qtbot.waitUntil(lambda: not indicator.spinning)
    resting_angle = indicator.angle
    indicator.update()
    qtbot.wait(120)  # two spinner periods: a resting arc is not advanced by anything
    assert indicator.angle == resting_angle
    indicator.hide()
    indicator.show()
    assert indicator.spinning


def test_a_hidden_indicator_never_spins(qtbot: QtBot) -> None:
    indicator = BusyIndicator(40)
    qtbot.addWidget(indicator)
    indicator.show()
    indicator.hide()
    assert not indicator.spinning
