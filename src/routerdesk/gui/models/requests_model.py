"""Table model of per-request routing decisions (newest first) and its filter proxy.

Rows are `RequestRow`s (plain values), not the engine's `UsageRecord`s: see models/request_row.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from routerdesk.gui.models.request_row import RequestRow

RECORD_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole
ERROR_COLOUR = QColor("#d9534f")  # readable on light and dark backgrounds

Index = QModelIndex | QPersistentModelIndex


def _client(r: RequestRow) -> str:
    return (r.client or "-").split(" ", 1)[0][:40]


def _money(v: float) -> str:
    # A cheap model's answer costs a few millionths of a dollar: show them, not "$0.0000".
    if abs(v) < 5e-8 or abs(v) >= 1:
        return f"${v:,.2f}"
    return f"${v:.4f}" if abs(v) >= 0.01 else f"${v:.7f}".rstrip("0")


# (header, tooltip, display, sort key); numbers are right-aligned.
Column = tuple[str, str, Callable[[RequestRow], str], Callable[[RequestRow], Any]]
COLUMNS: tuple[Column, ...] = (
    ("Time", "When the request started", lambda r: time.strftime("%H:%M:%S", time.localtime(r.started_at)), lambda r: r.started_at),
    ("Client", "The calling tool (User-Agent)", _client, _client),
    ("Person", "Whose person token sent it (blank: the server's own access token)", lambda r: r.person, lambda r: r.person),
    ("Task", "Task type the classifier chose", lambda r: r.task, lambda r: r.task),
    ("Conf.", "Classifier confidence 0..1", lambda r: f"{r.confidence:.2f}", lambda r: r.confidence),
    ("Cplx.", "Estimated complexity 0..1", lambda r: f"{r.complexity:.2f}", lambda r: r.complexity),
    ("Tier", "l1: rules only; l2: a cheap model confirmed the task", lambda r: r.tier, lambda r: r.tier),
    ("Strategy", "Routing strategy used", lambda r: r.strategy, lambda r: r.strategy),
    ("Model", "Model that answered", lambda r: r.model_id or "-", lambda r: r.model_id),
    ("Fallbacks", "Failed attempts before the answer", lambda r: " → ".join(h[0] for h in r.hops), lambda r: len(r.hops)),
    ("Tokens", "Input + output tokens", lambda r: f"{r.tokens:,}", lambda r: r.tokens),
    ("Cost", "What this request cost (USD)", lambda r: _money(r.cost), lambda r: r.cost),
    ("Saved", "Baseline cost minus cost (USD)", lambda r: _money(r.savings), lambda r: r.savings),
    ("Latency", "Total time in milliseconds", lambda r: f"{r.latency_ms:,.0f} ms", lambda r: r.latency_ms),
    ("Status", "ok, error or cancelled, with the HTTP status", lambda r: r.status if r.status == "ok" else f"{r.status} {r.status_code}", lambda r: r.status),
)  # fmt: skip


def column(name: str) -> int:
    """A column's index by its header."""
    return next(i for i, c in enumerate(COLUMNS) if c[0] == name)


_NUMERIC = frozenset(map(column, ("Conf.", "Cplx.", "Tokens", "Cost", "Saved", "Latency")))
_STATUS, _CLIENT, _FALLBACKS = column("Status"), column("Client"), column("Fallbacks")
_PERSON = column("Person")


class RequestsModel(QAbstractTableModel):
    """Finished requests, newest first, capped at `max_rows` (the oldest drop off).

    Signals: the standard QAbstractItemModel ones (rowsInserted, rowsRemoved, modelReset), and
        people_changed(): a person token's name appeared that no row had before (or a reset).
    """

    people_changed = Signal()

    def __init__(self, max_rows: int = 5000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RequestRow] = []
        self._max = max_rows
        self._people: set[str] = set()  # person names seen since the last reset, never shrinks

    @property
    def people(self) -> list[str]:
        """Names of the person tokens that sent the rows (the local token, "", not among them)."""
        return sorted(self._people)

    def _note_people(self, records: Sequence[RequestRow], *, reset: bool = False) -> None:
        seen = {r.person for r in records if r.person}
        if reset or not seen <= self._people:
            self._people = seen if reset else self._people | seen
            self.people_changed.emit()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[col][2](r)
        if role == SORT_ROLE:
            return COLUMNS[col][3](r)
        if role == RECORD_ROLE:
            return r
        if role == Qt.ItemDataRole.TextAlignmentRole and col in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and r.status != "ok":
            return ERROR_COLOUR
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == _STATUS and r.error:
                return r.error
            if col == _CLIENT:
                return r.client
            if col == _PERSON:
                return r.person or "The local token (the server's own access token)"
            if col == _FALLBACKS and r.hops:
                return "\n".join(f"{h[0]}: {h[2] or '-'} {h[3]}" for h in r.hops)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section][1]
        return None

    @property
    def max_rows(self) -> int:
        return self._max

    def record(self, row: int) -> RequestRow:
        return self._rows[row]

    def set_records(self, records: Sequence[RequestRow]) -> None:
        """Replace everything (initial load from the usage log); any order in, newest first kept."""
        self.beginResetModel()
        self._rows = sorted(records, key=lambda r: r.started_at, reverse=True)[: self._max]
        self.endResetModel()
        self._note_people(self._rows, reset=True)

    def add_records(self, records: Sequence[RequestRow]) -> None:
        """Prepend a batch (oldest first in), trimming the tail to `max_rows`."""
        if not records:
            return
        batch = list(reversed(records))[: self._max]
        self.beginInsertRows(QModelIndex(), 0, len(batch) - 1)
        self._rows[:0] = batch
        self.endInsertRows()
        self._note_people(batch)
        extra = len(self._rows) - self._max
        if extra > 0:
            self.beginRemoveRows(QModelIndex(), self._max, len(self._rows) - 1)
            del self._rows[self._max :]
            self.endRemoveRows()


class RequestsFilter(QSortFilterProxyModel):
    """Free-text search over the visible columns plus the error text, a status filter, a
    person filter, and real-or-demo rows (never both: demo rows carry simulated costs).

    Signals: the standard proxy ones.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._needle = ""
        self._status = ""  # "" = all, else "ok" / "error" / "requests" / "l2"
        self._demo: bool | None = None  # None = real and demo rows alike
        self._person: str | None = None  # None = everyone, "" = the local token, else a name
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def set_search(self, text: str) -> None:
        self.beginFilterChange()
        self._needle = text.strip().lower()
        self.endFilterChange()

    def set_status(self, status: str) -> None:
        self.beginFilterChange()
        self._status = status
        self.endFilterChange()

    def set_person(self, person: str | None) -> None:
        """Rows of one person token (a name), of the local token (""), or everyone's (None)."""
        self.beginFilterChange()
        self._person = person
        self.endFilterChange()

    def set_demo(self, demo: bool | None) -> None:
        """Show only demo rows (True), only real rows (False) or both (None)."""
        if demo == self._demo:
            return
        self.beginFilterChange()
        self._demo = demo
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, RequestsModel):
            return True
        r = model.record(source_row)
        if self._demo is not None and r.demo != self._demo:
            return False
        if self._person is not None and r.person != self._person:
            return False
        if self._status == "ok" and r.status != "ok":
            return False
        if self._status == "error" and r.status == "ok":
            return False
        if self._status == "requests" and r.task == "l2":
            return False
        if self._status == "l2" and r.task != "l2":
            return False
        if not self._needle:
            return True
        fields = (r.client, r.person, r.task, r.strategy, r.model_id, r.status, r.error)
        hay = " ".join((*fields, r.request_id, r.preview)).lower()
        return all(word in hay for word in self._needle.split())
