"""The Today view: the daily report in the window, with "Copy as Markdown"."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.core.projects.views import Report, to_markdown
from desktop.ui.bridge import Bridge
from desktop.ui.i18n import tr
from desktop.ui.page_parts import ShownRefresh

REFRESH_MS = 2000  # events arrive by the hundred: the report is read again at most this often
MAX_SHOWN_DAYS = 366
# Names in the report are escaped Markdown; HTML in it is never rendered.
_MARKDOWN = (
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub
    | QTextDocument.MarkdownFeature.MarkdownNoHTML
)


class TodayDialog(QDialog):
    """Per project and per persona: what happened today (or in the last N days)."""

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.report: Report | None = None
        self.markdown = ""
        self.setModal(False)
        self.setWindowTitle(tr("Today — claude-rpg"))
        self.days = QSpinBox()
        self.days.setRange(1, MAX_SHOWN_DAYS)
        self.days.setValue(1)
        self.days.setPrefix(tr("last "))
        self.days.setSuffix(tr(" day(s)"))
        self.days.setToolTip(tr("1 is today; 7 is the last seven days, today included"))
        self.copy_button = QPushButton(tr("Copy as Markdown"))
        self.copy_button.clicked.connect(self.copy_markdown)
        self.copied = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.days)
        top.addStretch(1)
        top.addWidget(self.copied)
        top.addWidget(self.copy_button)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(self.text, 1)
        self.days.valueChanged.connect(lambda _days: self.refresh())
        self.refresher = ShownRefresh(self, REFRESH_MS, self.refresh)
        bridge.event_received.connect(lambda _event: self.refresher.request())
        self.resize(980, 640)
        self.refresh()

    def refresh(self) -> None:
        """Read the report again and show it, keeping the scroll position."""
        self.refresher.refreshed()
        self.report = self.bridge.report(self.days.value())
        if self.report is None:
            self.markdown = ""
            self.text.setPlainText(tr("No report: the app has no database open."))
            self.copy_button.setEnabled(False)
            return
        self.markdown = to_markdown(self.report)
        scrolled = self.text.verticalScrollBar().value()
        self.text.document().setMarkdown(self.markdown, _MARKDOWN)
        # The cursor (at the end after setMarkdown) must not pull the view down.
        self.text.moveCursor(QTextCursor.MoveOperation.Start)
        self.text.verticalScrollBar().setValue(scrolled)
        self.copy_button.setEnabled(True)
        self.copied.setText("")

    def copy_markdown(self) -> str:
        """Put the report, as Markdown, on the clipboard; return what was copied."""
        QGuiApplication.clipboard().setText(self.markdown)
        self.copied.setText(tr("Copied."))
        return self.markdown
