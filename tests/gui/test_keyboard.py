"""Keyboard and discoverability: page shortcuts, mnemonics, tooltips on controls, light/dark charts."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QSpinBox,
)

from gui.fake_backend import FakeBackend
from routerdesk.gui.bridge import EngineBridge
from routerdesk.gui.main_window import MainWindow
from routerdesk.gui.theme import chart_colours, is_dark

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot: Any) -> MainWindow:
    backend = FakeBackend()
    win = MainWindow(backend, EngineBridge(backend.events, interval_ms=10), hide_on_close=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_ctrl_number_switches_pages(window: MainWindow, qtbot: Any) -> None:
    for i in range(len(window.pages)):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_1 + i), Qt.KeyboardModifier.ControlModifier)
        assert window.stack.currentIndex() == i


def test_every_control_has_a_tooltip_or_a_label(window: MainWindow) -> None:
    bare = []
    buddies = {
        id(label.buddy()) for label in window.findChildren(QLabel) if label.buddy() is not None
    }
    for kind in (QAbstractButton, QComboBox, QLineEdit, QSpinBox, QDoubleSpinBox):
        for w in window.findChildren(kind):
            if w.parent() is not None and type(w.parent()).__name__ in (
                "QComboBox",
                "QSpinBox",
                "QDoubleSpinBox",
                "QAbstractSpinBox",
            ):
                continue  # internal parts of a compound control
            if w.objectName().startswith("qt_") or type(w.parent()).__name__ in (
                "QLineEdit",
                "QMenuBar",
            ):
                continue  # Qt's own helpers (table corner button, spin box line edits)
            text = w.text() if isinstance(w, QAbstractButton) else ""
            if not (w.toolTip() or id(w) in buddies or text):
                bare.append(
                    f"{type(w).__name__} {w.objectName() or text!r} on {type(w.window()).__name__}"
                )
    assert bare == []


def test_buttons_have_mnemonics(window: MainWindow) -> None:
    for page in (window.registry, window.providers, window.settings_page):
        labels = [
            b.text() for b in page.findChildren(QAbstractButton) if b.text() and b.text() != "Copy"
        ]
        assert labels and all("&" in t for t in labels), labels


def test_chart_colours_follow_the_palette() -> None:
    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#17181a"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e8eaed"))
    light = QPalette()
    light.setColor(QPalette.ColorRole.Window, QColor("#f0f0f0"))
    assert is_dark(dark) and not is_dark(light)
    assert chart_colours(dark).background == QColor("#17181a")
    assert chart_colours(dark).foreground == QColor("#e8eaed")
    assert chart_colours(dark).spend != chart_colours(light).spend
