"""The settings dialog, and the Qt signal that tells the UI when settings change."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.config import (
    MAX_POLL_INTERVAL,
    MIN_POLL_INTERVAL,
    NOTIFICATION_KINDS,
    ConfigError,
    Settings,
    SettingsStore,
)
from desktop.ui.i18n import tr
from desktop.ui.safe_text import plain_label


class SettingsSignals(QObject):
    """Re-emits the store's change notification as a Qt signal: changed(old, new)."""

    changed = Signal(object, object)

    def __init__(self, store: SettingsStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        unsubscribe = store.subscribe(self.changed.emit)
        self.destroyed.connect(lambda *_: unsubscribe())


class SettingsDialog(QDialog):
    """Port, poll interval, notifications, sound and autostart; Save applies them at once."""

    def __init__(
        self, store: SettingsStore, parent: QWidget | None = None, extra: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.extra = extra  # a part saved on its own (the remote hosts), shown above the note
        self.setWindowTitle("claude-rpg settings")
        self.setObjectName("settingsDialog")

        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.port.setToolTip("The loopback port Claude Code's hooks send events to.")
        self.poll_interval = QDoubleSpinBox()
        self.poll_interval.setRange(MIN_POLL_INTERVAL, MAX_POLL_INTERVAL)
        self.poll_interval.setDecimals(1)
        self.poll_interval.setSingleStep(0.5)
        self.poll_interval.setSuffix(" s")
        self.poll_interval.setToolTip("How often tmux is asked which panes run Claude.")
        self.cost_alert = QDoubleSpinBox()
        self.cost_alert.setObjectName("dailyCostAlert")
        self.cost_alert.setRange(0.0, 100_000.0)
        self.cost_alert.setDecimals(2)
        self.cost_alert.setSingleStep(5.0)
        self.cost_alert.setPrefix("$")
        self.cost_alert.setSpecialValueText(tr("off"))
        self.cost_alert.setToolTip(
            tr(
                "One notification when today's estimated cost (from token counts and the price"
                " table) passes this amount. 0 turns it off."
            )
        )
        self.plan_alert = QSpinBox()
        self.plan_alert.setObjectName("planLimitAlert")
        self.plan_alert.setRange(0, 100)
        self.plan_alert.setSuffix(" %")
        self.plan_alert.setSpecialValueText(tr("off"))
        self.plan_alert.setToolTip(
            tr(
                "Pro/Max plans: one notification when the 5-hour or the 7-day window passes"
                " this much use (as Claude's status line reports it). 0 turns it off."
            )
        )
        general = QFormLayout()
        general.addRow("Listener port", self.port)
        general.addRow("tmux poll interval", self.poll_interval)
        general.addRow(tr("Daily cost alert (estimate)"), self.cost_alert)
        general.addRow(tr("Plan limit alert"), self.plan_alert)

        self.notify: dict[str, QCheckBox] = {}
        notifications = QGroupBox("Notifications")
        notify_layout = QVBoxLayout(notifications)
        for kind, label in NOTIFICATION_KINDS.items():
            box = QCheckBox(label)
            box.setObjectName(f"notify_{kind}")
            self.notify[kind] = box
            notify_layout.addWidget(box)
        self.sound = QCheckBox("Play a sound with notifications")
        notify_layout.addWidget(self.sound)

        self.autostart = QCheckBox("Start claude-rpg when I log in")
        self.note = QLabel(
            "Changes apply as soon as you save. A new port moves the listener and the hook "
            "script together; Claude sessions keep working."
        )
        self.note.setWordWrap(True)
        self.error = plain_label(QLabel())
        self.error.setObjectName("settingsError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b91c1c;")
        self.error.hide()

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons

        layout = QVBoxLayout(self)
        layout.addLayout(general)
        layout.addWidget(notifications)
        layout.addWidget(self.autostart)
        if extra is not None:
            layout.addWidget(extra)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.show_settings(store.current)

    def show_settings(self, settings: Settings) -> None:
        self.port.setValue(settings.port)
        self.poll_interval.setValue(settings.poll_interval)
        for kind, box in self.notify.items():
            box.setChecked(settings.notification_enabled(kind))
        self.sound.setChecked(settings.sound)
        self.autostart.setChecked(settings.autostart)
        self.cost_alert.setValue(settings.daily_cost_alert_usd)
        self.plan_alert.setValue(settings.plan_limit_alert_percent)

    def chosen(self) -> Settings:
        """The settings as the widgets show them (the rest, such as grouping, as they were)."""
        return dataclasses.replace(
            self.store.current,
            port=self.port.value(),
            poll_interval=round(self.poll_interval.value(), 1),
            sound=self.sound.isChecked(),
            autostart=self.autostart.isChecked(),
            daily_cost_alert_usd=round(self.cost_alert.value(), 2),
            plan_limit_alert_percent=self.plan_alert.value(),
            **self._notify_choices(),
        )

    def _notify_choices(self) -> dict[str, Any]:
        return {f"notify_{kind}": box.isChecked() for kind, box in self.notify.items()}

    def show_problem(self, sentence: str) -> None:
        self.error.setText(sentence)
        self.error.show()

    def accept(self) -> None:
        try:
            self.store.update(self.chosen())
        except ConfigError as e:
            self.show_problem(f"Not saved: {e}.")
            return
        except OSError as e:
            self.show_problem(
                f"Not saved: cannot write {self.store.path} ({e.strerror}); "
                "check that folder's permissions and save again."
            )
            return
        self.error.hide()
        super().accept()
