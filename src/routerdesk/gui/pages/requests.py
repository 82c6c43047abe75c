"""Requests page: a searchable table of routing decisions; the selected row explains itself.

Right-click a row to copy its id or a curl (without the token) or to see its
usage-log entry; Export CSV writes the rows the filter shows.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from routerdesk.gui.backend import Backend
from routerdesk.gui.models.request_row import RequestRow
from routerdesk.gui.models.requests_model import (
    COLUMNS,
    RECORD_ROLE,
    RequestsFilter,
    RequestsModel,
    column,
)
from routerdesk.gui.pages.audit_detail import ANCHOR, parent_id
from routerdesk.gui.pages.request_actions import curl_for, write_csv
from routerdesk.gui.pages.request_detail import explain
from routerdesk.gui.tasks import spawn
from routerdesk.gui.widgets import Banner, SortArrowStyle, copy_to_clipboard

DEMO_NOTE = "Demo data — simulated costs. Real requests show here again once demo mode is off."

STATUS_COL, FALLBACKS_COL, PERSON_COL = column("Status"), column("Fallbacks"), column("Person")
# Widest text each column must show in full before the row is even filled; long
# free-text columns (client, model, fallbacks) are capped so Status stays on screen.
SAMPLES = {
    "Time": "00:00:00", "Task": "complex_reasoning", "Conf.": "0.00", "Cplx.": "0.00",
    "Tier": "Tier", "Strategy": "cheapest", "Tokens": "100,000", "Cost": "$0.0000123",
    "Saved": "-$0.0000123", "Latency": "10,000 ms", "Status": "error 503",
}  # fmt: skip
CAPS = {
    "Client": "routerdesk-samples", "Person": "alice.b", "Model": "claude-sonnet-5-5",
    "Fallbacks": "gpt-5 → claude",
}  # fmt: skip
# With the Person column on show the Client column gives up the width it takes, so that
# every column but Fallbacks still fits a 1280 px window (a longer client is elided; its
# full name is in the tooltip and the detail pane).
PEOPLE_CAPS = {**CAPS, "Client": "claude-cli"}

STATUS_FILTERS = (
    ("All", ""),
    ("OK only", "ok"),
    ("Errors only", "error"),
    ("Client requests", "requests"),
    ("Classifier (L2) calls", "l2"),
)
EVERYONE = "Everyone"
LOCAL_TOKEN_ITEM = "(local token)"  # the server's own access token, as `routerdesk stats` says


class RequestsPage(QWidget):
    """Table of finished requests (newest first), a filter bar and a detail pane.

    Signals:
        request_selected(str): a row was selected (its request id); the main window
            answers with `show_audit` when the request was audited.
    """

    request_selected = Signal(str)

    def __init__(self, backend: Backend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.model = RequestsModel(parent=self)
        self.proxy = RequestsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search model, task, client, error…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Words to match anywhere in a row (all must match)")
        self.search.textChanged.connect(lambda text: self._refilter(self.proxy.set_search, text))
        search_label = QLabel("&Search:")
        search_label.setBuddy(self.search)
        self.status = QComboBox()
        for name, _ in STATUS_FILTERS:
            self.status.addItem(name)
        self.status.setToolTip(
            "Show all rows, answered or failed requests, or the L2 classifier's own calls"
        )
        self.status.currentIndexChanged.connect(
            lambda i: self._refilter(self.proxy.set_status, STATUS_FILTERS[i][1])
        )
        status_label = QLabel("S&how:")
        status_label.setBuddy(self.status)
        # Who sent each request, once a person token has (a team server's log): the
        # column and this filter stay out of the way of the one-person desktop.
        self.person = QComboBox()
        self.person.setToolTip(
            "Show everyone's requests, one person's, or those sent with the server's own "
            "access token"
        )
        self.person.currentIndexChanged.connect(
            lambda _i: self._refilter(self.proxy.set_person, self.person.currentData())
        )
        self.person_label = QLabel("&Person:")
        self.person_label.setBuddy(self.person)
        self.model.people_changed.connect(self._show_people)
        self.count = QLabel()
        self.export = QPushButton("&Export CSV…")
        self.export.setToolTip("Write the rows shown (this search and filter) to a CSV file")
        self.export.clicked.connect(self._ask_export)
        self.export_dialog: QFileDialog | None = None
        self.demo_banner = Banner()
        self.source_banner = Banner()
        bar = QHBoxLayout()
        shown: tuple[QWidget, ...] = (search_label, self.search, status_label, self.status)
        for w in (*shown, self.person_label, self.person, self.count, self.export):
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
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # Status right after Time: whether a request failed is the first thing to see,
        # and it stays on screen however narrow the window (the model keeps its order).
        header.moveSection(header.visualIndex(STATUS_COL), 1)
        # Fallbacks last: mostly empty, it takes the spare width rather than pushing
        # Latency off-screen.
        header.moveSection(header.visualIndex(FALLBACKS_COL), header.count() - 1)
        self.arrow_style = SortArrowStyle()
        self.arrow_style.setParent(header)
        header.setStyle(self.arrow_style)
        self._set_widths(initial=True)
        self.table.setToolTip(
            "Select a request to see why it was routed this way; right-click for more"
        )
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.menu: QMenu | None = None
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
        layout.addWidget(self.source_banner)
        layout.addWidget(self.demo_banner)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        for signal in (
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,
            self.proxy.modelReset,
            self.proxy.layoutChanged,
        ):
            signal.connect(self._update_count)
        # A row the filter hides is deselected without a selectionChanged: check here.
        for signal in (self.proxy.rowsRemoved, self.proxy.modelReset, self.proxy.layoutChanged):
            signal.connect(self._clear_detail_if_hidden)
        self.pending: asyncio.Task[None] | None = None  # the last log read (tests await it)
        self._sized = False
        self._pending: list[RequestRow] = []
        self._update_count()
        self._show_people()

    def set_demo(self, on: bool) -> None:
        """Show demo rows (simulated costs) while demo mode is on, real rows otherwise."""
        self._refilter(self.proxy.set_demo, on)
        if on:
            self.demo_banner.show_message(DEMO_NOTE, "warn")
        else:
            self.demo_banner.clear_message()

    def _show_people(self) -> None:
        """The Person column and filter, with every name seen; hidden while nobody has one."""
        people = self.model.people
        shown = bool(people) or self.team_view
        for w in (self.person_label, self.person):
            w.setVisible(shown)
        if shown == self.table.isColumnHidden(PERSON_COL):
            self.table.setColumnHidden(PERSON_COL, not shown)
            self._set_widths(initial=not self._sized)
        chosen = self.person.currentData()
        self.person.blockSignals(True)
        self.person.clear()
        self.person.addItem(EVERYONE, None)
        self.person.addItem(LOCAL_TOKEN_ITEM, "")
        for name in people:
            self.person.addItem(name, name)
        found = self.person.findData(chosen) if chosen is not None else 0
        self.person.setCurrentIndex(max(found, 0))
        self.person.blockSignals(False)
        if found < 0:  # the chosen person is gone (a reload): show everyone again
            self._refilter(self.proxy.set_person, None)

    def set_source(self, team: str, note: str, kind: str) -> None:
        """Say which usage log the table shows: nothing for this app's (`team` empty), the team
        feed's note for a team database (whose Person column shows even before a name does)."""
        self.team_view = bool(team)
        if note:
            self.source_banner.show_message(note, kind)
        else:
            self.source_banner.clear_message()
        self._show_people()

    team_view = False

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
            self.table.resizeColumnsToContents()  # once: it reads every visible row
            self._set_widths(initial=False)
            self._sized = True

    def _set_widths(self, *, initial: bool) -> None:
        """Fixed-format columns fit their widest sample; free text fits its content up to a cap."""
        fm = self.table.fontMetrics()
        hfm = self.table.horizontalHeader().fontMetrics()
        caps = CAPS if self.table.isColumnHidden(PERSON_COL) else PEOPLE_CAPS
        for col, (name, *_rest) in enumerate(COLUMNS):
            header = hfm.horizontalAdvance(name) + 28  # room for the sort arrow
            content = 0 if initial else self.table.columnWidth(col)
            if name in caps:
                cap = fm.horizontalAdvance(caps[name]) + 16
                width = max(header, min(content or cap, cap))
            else:
                width = max(header, content, fm.horizontalAdvance(SAMPLES.get(name, "")) + 16)
            self.table.setColumnWidth(col, width)

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count.setText(f"{shown:,} of {total:,}" if shown != total else f"{total:,} requests")

    def selected_row(self) -> RequestRow | None:
        rows = self.table.selectionModel().selectedRows()
        record = rows[0].data(RECORD_ROLE) if rows else None
        return record if isinstance(record, RequestRow) else None

    _filtering = False

    def _refilter(self, change: Callable[[Any], None], value: Any) -> None:
        """Change the filter; the view moves its selection off a hidden row onto a
        neighbour, which the user never picked: the detail pane follows their pick only."""
        self._filtering = True
        try:
            change(value)
        finally:
            self._filtering = False
        self._clear_detail_if_hidden()

    def _selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        if self._filtering:
            return
        rows = self.table.selectionModel().selectedRows()
        record = rows[0].data(RECORD_ROLE) if rows else None
        if isinstance(record, RequestRow):
            self._shown = QPersistentModelIndex(self.proxy.mapToSource(rows[0]))
            self.detail.setHtml(explain(record))
            self.request_selected.emit(record.request_id)
        else:
            self._shown = QPersistentModelIndex()
            self.detail.clear()

    _shown = QPersistentModelIndex()  # the source row the detail pane explains

    def show_audit(self, request_id: str, html: str) -> None:
        """Add an audit's verdict and answers under the shown request's detail."""
        r = self._shown.data(RECORD_ROLE) if self._shown.isValid() else None
        if isinstance(r, RequestRow) and parent_id(r.request_id) == request_id:
            self.detail.setHtml(explain(r) + html)
            self.detail.scrollToAnchor(ANCHOR)

    def _clear_detail_if_hidden(self) -> None:
        """The filter changed: keep explaining the shown request only while its row is listed.

        Filtering can leave the selection on another row (or none) without a
        selectionChanged, so the pane is checked against its own request.
        """
        if not self._shown.isValid():
            if self.selected_row() is None:
                self.detail.clear()
            return
        listed = self.proxy.mapFromSource(self._shown)
        if not listed.isValid():
            self.table.clearSelection()
            self._shown = QPersistentModelIndex()
            self.detail.clear()
        elif self.table.selectionModel().selectedRows() != [listed.siblingAtColumn(0)]:
            self.table.selectRow(listed.row())

    # --- actions ---------------------------------------------------------------------

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        record = index.data(RECORD_ROLE)
        if isinstance(record, RequestRow):
            self.row_menu(record).popup(self.table.viewport().mapToGlobal(pos))

    def row_menu(self, record: RequestRow) -> QMenu:
        """The right-click menu for one request."""
        menu = QMenu(self)
        menu.addAction("Copy request &id", lambda: copy_to_clipboard(record.request_id))
        curl = menu.addAction(
            "Copy as &curl (without the token)",
            lambda: copy_to_clipboard(curl_for(record, self.backend.server_url)),
        )
        curl.setToolTip("Reads the token from $ROUTERDESK_TOKEN; the prompt is the stored preview")
        menu.addAction("Show in usage &log…", lambda: self.show_log_entry(record.request_id))
        menu.addSeparator()
        menu.addAction("&Export CSV of the rows shown…", self._ask_export)
        self.menu = menu
        return menu

    def show_log_entry(self, request_id: str) -> None:
        self.pending = spawn(self._show_log_entry(request_id))

    async def _show_log_entry(self, request_id: str) -> None:
        try:
            entry = await self.backend.log_entry(request_id)
        except Exception as exc:  # shown, never raised into the loop
            self.detail.setHtml(f"<p>Could not read the usage log: {escape(str(exc))}</p>")
            return
        if entry is None:
            text = f"{request_id} is not in the usage log (yet: rows are written in batches)."
            self.detail.setHtml(f"<p>{escape(text)}</p>")
            return
        dump = json.dumps(entry, indent=2, ensure_ascii=False, default=str)
        self.detail.setHtml(
            f"<h4>Usage log entry {escape(request_id)}</h4><pre>{escape(dump)}</pre>"
        )

    def visible_rows(self) -> list[RequestRow]:
        """The rows the search and filter show, in the table's order."""
        rows = []
        for i in range(self.proxy.rowCount()):
            record = self.proxy.index(i, 0).data(RECORD_ROLE)
            if isinstance(record, RequestRow):
                rows.append(record)
        return rows

    def _ask_export(self) -> None:
        # open(), not exec(): a nested event loop would stall the server on the same loop.
        dialog = QFileDialog(self, "Export the rows shown as CSV", "", "CSV files (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.selectFile("routerdesk-requests.csv")
        dialog.fileSelected.connect(lambda path: self.export_csv(Path(path)))
        self.export_dialog = dialog
        dialog.open()

    def export_csv(self, path: Path) -> None:
        try:
            n = write_csv(self.visible_rows(), path)
        except OSError as exc:
            self.count.setText(f"Not exported: {exc.strerror or exc}")
            return
        self.count.setText(f"Exported {n:,} rows to {path.name}")
        self.count.setToolTip(str(path))
