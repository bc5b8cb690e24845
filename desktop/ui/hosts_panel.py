"""The settings dialog's remote hosts: add one (name and ssh target) or remove one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.remote.hosts import (
    HostConfig,
    HostsError,
    add_host,
    check_name,
    check_target,
    load_hosts,
    remove_host,
)
from desktop.ui.i18n import tr
from desktop.ui.safe_text import plain_label


class HostsPanel(QGroupBox):
    """Edits hosts.json in the data dir; `changed` runs after each edit (the app reconnects)."""

    def __init__(
        self, data_dir: Path, changed: Callable[[], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(tr("Remote hosts (over ssh)"), parent)
        self.setObjectName("hostsPanel")
        self.data_dir = data_dir
        self.changed = changed
        self.list = QListWidget()
        self.list.setObjectName("hostsList")
        self.list.setMinimumHeight(64)
        self.list.setMaximumHeight(110)
        self.name = QLineEdit()
        self.name.setPlaceholderText(tr("name, e.g. devbox"))
        self.target = QLineEdit()
        self.target.setPlaceholderText(tr("ssh target: a Host alias or user@host"))
        self.add_button = QPushButton(tr("Add"))
        self.add_button.clicked.connect(self.add)
        self.remove_button = QPushButton(tr("Remove"))
        self.remove_button.clicked.connect(self.remove)
        self.error = plain_label(QLabel())
        self.error.setObjectName("hostsError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b91c1c;")
        self.error.hide()
        hint = QLabel(tr("On each host: claude-rpg hooks install, then claude-rpg --headless."))
        hint.setToolTip(tr("Your ssh config, keys and agent are used; nothing prompts."))
        row = QHBoxLayout()
        row.addWidget(self.name, 1)
        row.addWidget(self.target, 2)
        row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(row)
        layout.addWidget(self.remove_button)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        try:
            hosts = load_hosts(self.data_dir)
        except HostsError as e:
            self.show_problem(str(e))
            return
        for host in hosts:
            self.list.addItem(f"{host.name} — {host.target}")
        self.remove_button.setEnabled(bool(hosts))

    def show_problem(self, sentence: str) -> None:
        self.error.setText(sentence)
        self.error.show()

    def add(self) -> None:
        try:
            host = HostConfig(
                check_name(self.name.text().strip()), check_target(self.target.text().strip())
            )
            add_host(self.data_dir, host)
        except (HostsError, OSError) as e:
            self.show_problem(tr("Not added: {why}").format(why=e))
            return
        self.error.hide()
        self.name.clear()
        self.target.clear()
        self.refresh()
        self.changed()

    def remove(self) -> None:
        if self.list.count() == 0:
            return
        # The selected host; with none selected, the first (the button says nothing more).
        name = self.list.item(max(self.list.currentRow(), 0)).text().split(" — ", 1)[0]
        try:
            remove_host(self.data_dir, name)
        except (HostsError, OSError) as e:
            self.show_problem(tr("Not removed: {why}").format(why=e))
            return
        self.error.hide()
        self.refresh()
        self.changed()
