"""The dashboard's spend by person: who sent how many requests and what they cost, in the range.

Shown once more than one sender appears in the usage log on show (a team
server's log with person tokens, or the team database the app shows): for one
person it would only repeat the tiles. The figures come from the store's own
``GROUP BY person`` query, the one `routerdesk stats` prints, so the two agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHeaderView,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from routerdesk.core.errors import RouterError
from routerdesk.gui.backend import Backend, PersonTotals
from routerdesk.gui.tasks import spawn_if_running
from routerdesk.gui.throttle import Throttle
from routerdesk.gui.widgets import usd as money

if TYPE_CHECKING:
    from routerdesk.gui.pages.dashboard import DashboardPage

REFRESH_MS = 10_000  # another instance's rows (a team database) arrive without an event
LOCAL_TOKEN = "(local token)"  # as `routerdesk stats` names it
LOCAL_TIP = "Requests sent with the server's own access token, not a person token"
HEADERS = ("Person", "Requests", "Spend", "Saved")
MAX_LINES = 6  # beside the charts
NARROW_LINES = 3  # under them, where every line is taken from the charts' height


class PeopleTable(QGroupBox):
    """One line per sender, biggest spend first."""

    def __init__(self) -> None:
        super().__init__("Spend by person")
        self.setToolTip("Requests and spend per person token in the range (routerdesk stats)")
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(HEADERS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.table)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 44))
        # As tall as its lines (up to MAX_LINES, then it scrolls): under the charts on a
        # narrow page it must not take their height, beside them it sits at the top.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    max_lines = MAX_LINES

    def set_max_lines(self, lines: int) -> None:
        """Lines shown before the table scrolls (fewer under the charts on a narrow page)."""
        self.max_lines = lines
        self._fit_height()

    def _fit_height(self) -> None:
        lines = max(1, min(self.table.rowCount(), self.max_lines))
        rows = self.table.verticalHeader().defaultSectionSize() * lines
        frame = 2 * self.table.frameWidth()
        self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height() + rows + frame)

    def show_people(self, people: list[PersonTotals]) -> None:
        self.table.setRowCount(len(people))
        self._fit_height()
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for i, t in enumerate(people):
            cells = (t.name or LOCAL_TOKEN, f"{t.requests:,}", money(t.cost), money(t.savings))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col:
                    item.setTextAlignment(right)
                elif not t.name:
                    item.setToolTip(LOCAL_TIP)
                self.table.setItem(i, col, item)

    def names(self) -> list[str]:
        """The Person column, top to bottom (tests)."""
        items = (self.table.item(i, 0) for i in range(self.table.rowCount()))
        return [item.text() if item is not None else "" for item in items]


class PeoplePanel(QObject):
    """Keeps the dashboard's spend-by-person table current; see the module docstring."""

    def __init__(self, backend: Backend, dashboard: DashboardPage) -> None:
        super().__init__(dashboard)
        self.backend = backend
        self.dashboard = dashboard
        self.box = PeopleTable()
        self.box.hide()
        dashboard.add_people(self.box)
        self.people: list[PersonTotals] = []
        self._running = False
        self._again = False
        # New rows come in bursts (~4 batches a second): one read per couple of seconds.
        self.soon = Throttle(self.refresh, 2000, self)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        dashboard.range.currentIndexChanged.connect(self.refresh)
        QTimer.singleShot(0, self.refresh)

    def refresh(self) -> None:
        """Read the totals again (off the loop); a call while one runs is folded into one more."""
        if self._running:
            self._again = True
            return
        self._running = spawn_if_running(self.load) is not None

    async def load(self) -> None:
        try:
            if not shiboken6.isValid(self.dashboard):
                return  # the window closed meanwhile
            try:
                people = await self.backend.people_totals(
                    self.dashboard.since(), demo=self.dashboard.demo
                )
            except RouterError:  # the team database cannot be read: its banner says so
                people = []
            if shiboken6.isValid(self.box):
                self.show_people(people)
        finally:
            self._running = False
            if self._again:
                self._again = False
                self.refresh()

    def show_people(self, people: list[PersonTotals]) -> None:
        self.people = people
        if len(people) > 1:
            self.box.show_people(people)
        self.box.setVisible(len(people) > 1)
