"""A light/dark switch while the app runs reaches widgets whose style sheets name palette roles."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from routerdesk.core.budget import SpendTotals, budget_status
from routerdesk.core.settings import BudgetSettings
from routerdesk.gui.pages.budget import BudgetBar

pytestmark = pytest.mark.gui


def groove_colour(bar: BudgetBar) -> QColor:
    progress = bar.rows["daily"][1]
    image = progress.grab().toImage()
    # right end of the groove: past the (empty, 0%) chunk, inside the 1 px border
    return image.pixelColor(image.width() - 4, image.height() // 2)


def test_budget_bars_follow_a_palette_switch(qtbot: QtBot) -> None:
    bar = BudgetBar()
    qtbot.addWidget(bar)
    bar.resize(600, 60)
    bar.show_status(budget_status(BudgetSettings(daily_usd=5.0), SpendTotals()))
    original = QApplication.palette()
    try:
        light = QPalette(original)
        light.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
        QApplication.setPalette(light)
        qtbot.waitUntil(lambda: groove_colour(bar).lightness() > 200)
        dark = QPalette(light)
        dark.setColor(QPalette.ColorRole.Base, QColor("#101030"))
        QApplication.setPalette(dark)  # what a system switch to dark mode does
        qtbot.waitUntil(lambda: groove_colour(bar).lightness() < 60)  # the change is posted
    finally:
        QApplication.setPalette(original)
