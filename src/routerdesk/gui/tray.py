"""The system tray icon: open the window, pause routing, quit; the tooltip shows today's spend."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

PAUSE_TIP = "While paused, requests for auto go straight to the baseline model (no routing)"


class Tray(QObject):
    """Tray icon and menu. Only built when `QSystemTrayIcon.isSystemTrayAvailable()`.

    Signals:
        open_requested(): show and raise the main window.
        pause_toggled(bool): the user paused (True) or resumed routing.
        quit_requested(): stop the server and exit.
    """

    open_requested = Signal()
    pause_toggled = Signal(bool)
    quit_requested = Signal()

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.menu = QMenu()
        self.open_action = QAction("&Open routerdesk", self.menu)
        self.pause_action = QAction("&Pause routing", self.menu)
        self.pause_action.setCheckable(True)
        self.pause_action.setToolTip(PAUSE_TIP)
        self.quit_action = QAction("&Quit", self.menu)
        self.open_action.triggered.connect(self.open_requested)
        self.pause_action.toggled.connect(self.pause_toggled)
        self.quit_action.triggered.connect(self.quit_requested)
        self.menu.addAction(self.open_action)
        self.menu.addAction(self.pause_action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.set_status(0.0, "routing")

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def set_paused(self, paused: bool) -> None:
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(paused)
        self.pause_action.blockSignals(False)

    def set_status(self, spend_today: float, state: str) -> None:
        """`state` as `MainWindow.routing_state()` says it: paused, demo, routing, no provider key…"""
        self.icon.setToolTip(f"routerdesk: {state}\nToday's spend: ${spend_today:,.4f}")

    def tooltip(self) -> str:
        return self.icon.toolTip()

    def notify(self, title: str, text: str) -> None:
        self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 4000)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.open_requested.emit()
