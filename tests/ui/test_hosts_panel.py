"""The settings dialog's remote hosts part: add, refuse in words, remove."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop.config import SettingsStore
from desktop.core.remote.hosts import HostConfig, load_hosts
from desktop.ui.hosts_panel import HostsPanel
from desktop.ui.settings_dialog import SettingsDialog


def test_hosts_are_added_and_removed_and_the_app_is_told(qtbot: QtBot, tmp_path: Path) -> None:
    told: list[int] = []
    panel = HostsPanel(tmp_path, lambda: told.append(1))
    dialog = SettingsDialog(SettingsStore(tmp_path / "settings.toml"), extra=panel)
    qtbot.addWidget(dialog)
    dialog.show()
    assert panel.list.count() == 0 and not panel.remove_button.isEnabled()

    panel.name.setText("devbox")
    panel.target.setText("dev@box.example")
    panel.add_button.click()
    assert load_hosts(tmp_path) == [HostConfig("devbox", "dev@box.example")]
    assert panel.list.item(0).text() == "devbox — dev@box.example" and told == [1]
    assert panel.name.text() == "" and panel.error.isHidden()

    panel.name.setText("devbox")
    panel.target.setText("other")
    panel.add_button.click()
    assert "exists" in panel.error.text() and not panel.error.isHidden() and told == [1]
    panel.name.setText("x y")
    panel.add_button.click()
    assert "not a usable host name" in panel.error.text()

    panel.list.setCurrentRow(0)
    panel.remove_button.click()
    assert load_hosts(tmp_path) == [] and panel.list.count() == 0 and told == [1, 1]
