"""The pane actions menu, for a card's context menu and each pane of the tray menu.

Each entry runs one ActionService coroutine on the loop; a failure is a sentence that
`failed` carries to wherever the window shows it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QObject, QPoint, Signal
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.core.actions import ActionError, PermissionChoice
from desktop.core.model import LOCAL_HOST, PaneState, Status
from desktop.ui.preview import PreviewDialog
from desktop.ui.safe_text import menu_text, plain_label

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, None]], None]
_running: set[asyncio.Task[None]] = set()


class PaneActions(Protocol):
    """What the menu calls: desktop.core.actions.ActionService."""

    def jump_to(self, pane_id: str) -> Awaitable[str]: ...
    def send_prompt(self, pane_id: str, text: str) -> Awaitable[None]: ...
    def interrupt(self, pane_id: str) -> Awaitable[None]: ...
    def answer_permission(self, pane_id: str, choice: PermissionChoice) -> Awaitable[None]: ...
    def capture(self, pane_id: str, ansi: bool = True, history: int = 0) -> Awaitable[str]: ...
    def new_claude(self, folder: str) -> Awaitable[str]: ...


def spawn_on_loop(coro: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine on the running (qasync) loop, keeping a reference until it ends."""
    task = asyncio.ensure_future(coro)
    _running.add(task)
    task.add_done_callback(_running.discard)


def pane_title(pane: PaneState) -> str:
    name = pane.persona.name if pane.persona else "Claude"
    return f"{name} ({pane.target})"


class PromptDialog(QDialog):
    """Asks for the text of a prompt; Send or Ctrl+Enter sends it."""

    def __init__(self, pane: PaneState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Send a prompt to {pane_title(pane)}")
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("Type what Claude should do; it is sent exactly as typed.")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        send = buttons.button(QDialogButtonBox.StandardButton.Ok)
        send.setText("Send")
        send.setShortcut("Ctrl+Return")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(plain_label(QLabel(pane.cwd)))
        box.addWidget(self.text, 1)
        box.addWidget(buttons)
        self.resize(560, 240)


class PaneActionMenu(QObject):
    """Builds the actions menu of a pane and runs what the person picks."""

    failed = Signal(str)  # a sentence: what went wrong and what to do
    done = Signal(str)  # a short note of what happened (e.g. the terminal jumped to)

    def __init__(
        self,
        actions: PaneActions,
        spawn: Spawn = spawn_on_loop,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.actions = actions
        self.spawn = spawn
        self.dialogs: list[QDialog] = []
        self.card_menus: CardContextMenus | None = None

    def run(self, work: Callable[[], Awaitable[Any]], note: str = "") -> None:
        async def go() -> None:
            try:
                result = await work()
            except ActionError as e:
                self.failed.emit(str(e))
                return
            except Exception:
                log.exception("pane action failed")
                self.failed.emit("That action failed unexpectedly; the log says why.")
                return
            if note:
                self.done.emit(note.format(result=result))

        self.spawn(go())

    def populate(self, menu: QMenu, pane: PaneState) -> None:
        """Add the pane's actions to menu; those that make no sense now are disabled."""
        pid = pane.pane_id
        alive = pane.alive and pane.status is not Status.ENDED
        asking = pane.status is Status.NEEDS_INPUT
        jump = menu.addAction("Jump to pane")
        # A remote pane cannot be shown here: the jump answers the command that attaches to it.
        shown = f"{pane.target} shown in tmux" if pane.host == LOCAL_HOST else "run: {result}"
        jump.triggered.connect(lambda: self.run(lambda: self.actions.jump_to(pid), shown))
        prompt = menu.addAction("Send prompt…")
        prompt.setEnabled(alive and not asking)
        prompt.triggered.connect(lambda: self.ask_prompt(pane))
        stop = menu.addAction("Interrupt (Esc)")
        stop.setEnabled(alive)
        stop.triggered.connect(lambda: self.run(lambda: self.actions.interrupt(pid)))
        menu.addSeparator()
        for label, choice in (
            ("Approve once", PermissionChoice.ONCE),
            ("Approve always", PermissionChoice.ALWAYS),
            ("Deny", PermissionChoice.DENY),
        ):
            answer = menu.addAction(label)
            answer.setEnabled(alive and asking)
            answer.triggered.connect(
                lambda _=False, c=choice: self.run(lambda: self.actions.answer_permission(pid, c))
            )
        menu.addSeparator()
        preview = menu.addAction("Preview terminal…")
        preview.triggered.connect(lambda: self.open_preview(pane))
        new = menu.addAction("New Claude in a folder…")
        new.triggered.connect(lambda: self.ask_folder(pane.cwd))

    def menu_for(self, pane: PaneState, parent: QWidget | None = None) -> QMenu:
        menu = QMenu(parent)
        menu.setTitle(menu_text(pane_title(pane)))
        self.populate(menu, pane)
        return menu

    # --- the entries that ask first --------------------------------------------------------

    def _keep(self, dialog: QDialog) -> None:
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _=0: self.dialogs.remove(dialog))

    def ask_prompt(self, pane: PaneState) -> PromptDialog:
        # open(), not exec(): a nested event loop would stall the qasync loop.
        dialog = PromptDialog(pane)
        dialog.accepted.connect(
            lambda: self.run(
                lambda: self.actions.send_prompt(pane.pane_id, dialog.text.toPlainText())
            )
        )
        self._keep(dialog)
        dialog.open()
        return dialog

    def ask_folder(self, start: str) -> QFileDialog:
        dialog = QFileDialog(None, "Start Claude in which folder?", start)
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(
            lambda folder: self.run(
                lambda: self.actions.new_claude(folder),
                f"Claude started in {Path(folder).name or folder} ({{result}})",
            )
        )
        self._keep(dialog)
        dialog.open()
        return dialog

    def open_preview(self, pane: PaneState) -> PreviewDialog:
        dialog = PreviewDialog(
            f"{pane_title(pane)} — terminal",
            lambda: self.actions.capture(pane.pane_id, ansi=True, history=200),
            self.spawn,
        )
        self._keep(dialog)
        dialog.start()
        return dialog


class CardContextMenus(QObject):
    """Right-click on a card opens its pane's actions (cards leave the event to their canvas)."""

    def __init__(
        self,
        menus: PaneActionMenu,
        cards: Callable[[], list[Any]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.menus = menus
        self.cards = cards
        self.last_menu: QMenu | None = None

    def pane_under(self, canvas: QWidget, global_pos: QPoint) -> PaneState | None:
        """The pane of the card at a screen position on the canvas (cards have a `pane`)."""
        known = {id(card): card for card in self.cards()}
        widget = canvas.childAt(canvas.mapFromGlobal(global_pos))
        while widget is not None and widget is not canvas:
            if id(widget) in known:
                pane: PaneState = known[id(widget)].pane
                return pane
            widget = widget.parentWidget()
        return None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ContextMenu
            and isinstance(event, QContextMenuEvent)
            and isinstance(watched, QWidget)
        ):
            pane = self.pane_under(watched, event.globalPos())
            if pane is not None:
                self.last_menu = self.menus.menu_for(pane)
                self.last_menu.popup(event.globalPos())
                return True
        return False


def add_tray_submenus(menu: QMenu, menus: PaneActionMenu, panes: Callable[[], list[Any]]) -> None:
    """Give each pane entry of the tray menu its actions, after the tray rebuilt the menu.

    The entry itself keeps its first meaning (show the card) as the submenu's first item.
    """
    submenus: list[QMenu] = []

    def extend() -> None:
        for old in submenus:
            old.deleteLater()
        submenus.clear()
        by_id = {p.pane_id: p for p in panes()}
        for action in menu.actions():
            pane = by_id.get(action.data()) if isinstance(action.data(), str) else None
            if pane is None:
                continue
            sub = QMenu(menu)
            show = sub.addAction("Show card")
            show.triggered.connect(action.trigger)
            sub.addSeparator()
            menus.populate(sub, pane)
            action.setMenu(sub)
            submenus.append(sub)

    menu.aboutToShow.connect(extend)


def attach_pane_actions(
    actions: PaneActions,
    window: QWidget,
    canvas: QWidget,
    cards: Callable[[], list[Any]],
    tray_menu: QMenu | None = None,
    tray_panes: Callable[[], list[Any]] | None = None,
) -> PaneActionMenu:
    """Card context menus on `canvas`, pane submenus in the tray, outcomes in the status bar."""
    menus = PaneActionMenu(actions, parent=window)
    context = CardContextMenus(menus, cards, parent=window)
    canvas.installEventFilter(context)
    menus.card_menus = context
    status_bar = getattr(window, "statusBar", None)
    if callable(status_bar):
        menus.failed.connect(lambda text: status_bar().showMessage(text, 15000))
        menus.done.connect(lambda text: status_bar().showMessage(text, 5000))
    if tray_menu is not None and tray_panes is not None:
        add_tray_submenus(tray_menu, menus, tray_panes)
    return menus
