"""Requests page: a searchable table of routing decisions; the selected row explains itself."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from routerdesk.gui.models.request_row import RequestRow
from routerdesk.gui.models.requests_model import RECORD_ROLE, RequestsFilter, RequestsModel
from routerdesk.gui.pages.audit_detail import ANCHOR, parent_id
from routerdesk.gui.pages.request_detail import explain
from routerdesk.gui.widgets import Banner

DEMO_NOTE = "Demo data — simulated costs. Real requests show here again once demo mode is off."

STATUS_FILTERS = (
    ("All", ""),
    ("OK only", "ok"),
    ("Errors only", "error"),
    ("Client requests", "requests"),
    ("Classifier (L2) calls", "l2"),
)


class RequestsPage(QWidget):
    """Table of finished requests (newest first), a filter bar and a detail pane.

    Signals:
        request_selected(str): a row was selected (its request id); the main window
            answers with `show_audit` when the request was audited.
    """

    request_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RequestsModel(parent=self)
        self.proxy = RequestsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search model, task, client, error…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Words to match anywhere in a row (all must match)")
        self.search.textChanged.connect(self.proxy.set_search)
        search_label = QLabel("&Search:")
        search_label.setBuddy(self.search)
        self.status = QComboBox()
        for name, _ in STATUS_FILTERS:
            self.status.addItem(name)
        self.status.setToolTip(
            "Show all rows, answered or failed requests, or the L2 classifier's own calls"
        )
        self.status.currentIndexChanged.connect(
            lambda i: self.proxy.set_status(STATUS_FILTERS[i][1])
        )
        status_label = QLabel("S&how:")
        status_label.setBuddy(self.status)
        self.count = QLabel()
        self.demo_banner = Banner()
        bar = QHBoxLayout()
        for w in (search_label, self.search, status_label, self.status, self.count):
            bar.addWidget(w)
        bar.setStretch(1, 1)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        fm = self.fontMetrics()
        for col, sample in (
            (2, "complex_reasoning"),
            (7, "claude-sonnet-5-5-2026"),
            (8, "gpt-5-mini → claude"),
        ):
            self.table.setColumnWidth(col, fm.horizontalAdvance(sample) + 16)
        self.table.setToolTip("Select a request to see why it was routed this way")
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.detail = QTextBrowser()
        self.detail.setOpenLinks(False)
        self.detail.setPlaceholderText(
            "Select a request to see the classifier's signals, every candidate and any fallback hops."
        )
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.demo_banner)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        self._sized = False
        self._pending: list[RequestRow] = []
        self._update_count()

    def set_demo(self, on: bool) -> None:
        """Show demo rows (simulated costs) while demo mode is on, real rows otherwise."""
        self.proxy.set_demo(on)
        if on:
            self.demo_banner.show_message(DEMO_NOTE, "warn")
        else:
            self.demo_banner.clear_message()

    def load_history(self, records: Sequence[RequestRow]) -> None:
        self.model.set_records(records)
        self._fit_columns()

    def add_records(self, records: Sequence[RequestRow]) -> None:
        """A batch from the bridge; held back while the page is hidden (sorting rows nobody sees
        costs the loop that serves requests), shown at once when it is."""
        self._pending.extend(records)
        # Only the newest rows would survive the model's cap: keep no more than those
        # (a long run with the page hidden would otherwise hold every record since).
        extra = len(self._pending) - self.model.max_rows
        if extra > 0:
            del self._pending[:extra]
        if self.isVisible():
            self._apply_pending()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._apply_pending()

    def _apply_pending(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        self.model.add_records(batch)
        if not self._sized:
            self._fit_columns()

    def _fit_columns(self) -> None:
        if self.model.rowCount():
            widths = {c: self.table.columnWidth(c) for c in (2, 7, 8)}
            self.table.resizeColumnsToContents()  # once: it reads every visible row
            for col, width in widths.items():
                self.table.setColumnWidth(col, max(width, self.table.columnWidth(col)))
            self._sized = True

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count.setText(f"{shown:,} of {total:,}" if shown != total else f"{total:,} requests")

    def _selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        record = rows[0].data(RECORD_ROLE)
        if isinstance(record, RequestRow):
            self.detail.setHtml(explain(record))
            self._shown = record
            self.request_selected.emit(record.request_id)

    _shown: RequestRow | None = None

    def show_audit(self, request_id: str, html: str) -> None:
        """Add an audit's verdict and answers under the selected request's detail."""
        r = self._shown
        if r is not None and parent_id(r.request_id) == request_id:
            self.detail.setHtml(explain(r) + html)
            self.detail.scrollToAnchor(ANCHOR)
