"""The flow layout's full-width rows: a wrapping line is as tall as its text at that width."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QWidget
from pytestqt.qtbot import QtBot

from desktop.ui.flow import FlowLayout
from desktop.ui.grid import GroupHeader, HostProblem

SENTENCE = (
    "build-box: the host key of build-box.lan changed since you last connected; if that is "
    "expected, remove the old key with `ssh-keygen -R` and connect once by hand"
)


def test_a_wrapping_row_gets_the_height_of_its_text_at_the_width_it_is_given(
    qtbot: QtBot,
) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    flow = FlowLayout(host)
    heading, problem, card = GroupHeader(), HostProblem(), QFrame()
    heading.setText("on build-box — host key changed")
    problem.setText(SENTENCE)
    card.setFixedSize(300, 150)
    for widget in (heading, problem, card):
        flow.addWidget(widget)
    host.resize(1400, 600)
    host.show()
    qtbot.waitExposed(host)
    flow.activate()

    width = problem.width()
    assert width == 1400 - 32  # the whole row, inside the layout's margins
    # At that width the sentence is one line: the row is as tall as that, not as tall as
    # the label's size hint (a narrow guess at its width: several lines, mostly blank).
    assert problem.height() == problem.heightForWidth(width)
    assert problem.height() < problem.sizeHint().height()
    assert card.y() == problem.geometry().bottom() + 1 + 6  # half the spacing under a row

    host.resize(500, 600)  # narrower: it wraps, and the card moves down with it
    flow.activate()
    assert problem.height() == problem.heightForWidth(500 - 32) > problem.fontMetrics().height()
    assert card.y() == problem.geometry().bottom() + 1 + 6
