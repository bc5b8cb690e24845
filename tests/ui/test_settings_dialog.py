"""The settings dialog: shows the saved values, saves what the user chose, reports failures."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from desktop.config import NOTIFICATION_KINDS, Settings, SettingsStore, load_settings
from desktop.freedesktop import autostart_file
from desktop.ui.settings_dialog import SettingsDialog, SettingsSignals

SAVED = Settings(port=4555, poll_interval=2.5, notify_finished=False, sound=True)


def open_dialog(qtbot: QtBot, store: SettingsStore) -> SettingsDialog:
    dialog = SettingsDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def click(dialog: SettingsDialog, which: QDialogButtonBox.StandardButton) -> None:
    button = dialog.buttons.button(which)
    assert button is not None
    button.click()


def test_it_shows_the_saved_settings(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, SettingsStore(tmp_path / "s.toml", initial=SAVED))
    assert dialog.port.value() == 4555
    assert dialog.poll_interval.value() == 2.5
    assert not dialog.notify["finished"].isChecked()
    assert dialog.notify["needs_input"].isChecked() and dialog.notify["failed"].isChecked()
    assert dialog.sound.isChecked() and not dialog.autostart.isChecked()
    assert set(dialog.notify) == set(NOTIFICATION_KINDS)
    assert dialog.chosen() == SAVED


def test_save_writes_the_file_and_signals_the_change(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    store = SettingsStore(path)
    signals = SettingsSignals(store)
    dialog = open_dialog(qtbot, store)
    dialog.port.setValue(4777)
    dialog.poll_interval.setValue(0.5)
    dialog.notify["needs_input"].setChecked(False)
    dialog.sound.setChecked(True)
    expected = replace(
        Settings(), port=4777, poll_interval=0.5, notify_needs_input=False, sound=True
    )
    with qtbot.waitSignal(signals.changed) as blocker:
        click(dialog, QDialogButtonBox.StandardButton.Save)
    assert blocker.args == [Settings(), expected]
    assert load_settings(path) == expected
    assert store.current == expected
    assert dialog.result() == SettingsDialog.DialogCode.Accepted


def test_cancel_changes_nothing(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    store = SettingsStore(path)
    dialog = open_dialog(qtbot, store)
    dialog.autostart.setChecked(True)
    click(dialog, QDialogButtonBox.StandardButton.Cancel)
    assert not path.exists()
    assert store.current == Settings()
    assert not autostart_file().exists()


def test_an_unwritable_settings_file_keeps_the_dialog_open_with_a_sentence(
    qtbot: QtBot, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    store = SettingsStore(blocker / "settings.toml")
    dialog = open_dialog(qtbot, store)
    dialog.sound.setChecked(True)
    click(dialog, QDialogButtonBox.StandardButton.Save)
    assert dialog.isVisible()
    assert dialog.error.isVisible()
    assert dialog.error.text().startswith(f"Not saved: cannot write {store.path}")
    assert "save again" in dialog.error.text()
    assert store.current == Settings()
