"""A table view whose first columns stay put while the others scroll sideways.

Qt's "frozen column" example: a second view over the same model and selection,
laid over the left edge, shows only the pinned columns and scrolls vertically
with the main view. The Registry's per-task scores sit far to the right of the
model id; without the pin, a row scrolled into view no longer says which model
it is.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemDelegate, QAbstractItemView, QFrame, QTableView


class PinnedColumnsTable(QTableView):
    """QTableView with the first `pinned` columns drawn by an overlay view that never scrolls sideways."""

    def __init__(self, pinned: int) -> None:
        super().__init__()
        self.pinned = pinned
        self.frozen = QTableView(self)
        f = self.frozen
        f.setObjectName("pinnedColumns")
        f.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        f.verticalHeader().hide()
        f.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        f.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        f.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        f.setFrameShape(QFrame.Shape.NoFrame)
        f.setStyleSheet("QTableView#pinnedColumns { border-right: 1px solid palette(mid); }")
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.horizontalHeader().sectionResized.connect(self._column_resized)
        self.verticalHeader().sectionResized.connect(
            lambda row, _old, size: self.frozen.setRowHeight(row, size)
        )
        self.verticalScrollBar().valueChanged.connect(f.verticalScrollBar().setValue)
        f.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        f = self.frozen
        f.setModel(model)
        f.setSelectionModel(self.selectionModel())
        f.setSelectionBehavior(self.selectionBehavior())
        f.setEditTriggers(self.editTriggers())
        if model is not None:
            model.modelReset.connect(self._sync_columns)
            model.rowsInserted.connect(lambda *_: self._sync_rows())
        self._sync_columns()

    def setItemDelegate(self, delegate: QAbstractItemDelegate) -> None:
        super().setItemDelegate(delegate)
        self.frozen.setItemDelegate(delegate)

    def setEditTriggers(self, triggers: QAbstractItemView.EditTrigger) -> None:
        super().setEditTriggers(triggers)
        self.frozen.setEditTriggers(triggers)

    def setAlternatingRowColors(self, enable: bool) -> None:
        super().setAlternatingRowColors(enable)
        self.frozen.setAlternatingRowColors(enable)

    def setRowHidden(self, row: int, hide: bool) -> None:
        super().setRowHidden(row, hide)
        self.frozen.setRowHidden(row, hide)

    def _sync_columns(self) -> None:
        model = self.model()
        if model is None:
            return
        for col in range(model.columnCount()):
            self.frozen.setColumnHidden(col, col >= self.pinned)
            if col < self.pinned:
                self.frozen.setColumnWidth(col, self.columnWidth(col))
        self._sync_rows()
        self._place()

    def _sync_rows(self) -> None:
        model = self.model()
        if model is None:
            return
        for row in range(model.rowCount()):
            self.frozen.setRowHeight(row, self.rowHeight(row))
            self.frozen.setRowHidden(row, self.isRowHidden(row))

    def _column_resized(self, col: int, _old: int, size: int) -> None:
        if col < self.pinned:
            self.frozen.setColumnWidth(col, size)
            self._place()

    def pinned_width(self) -> int:
        return sum(self.columnWidth(c) for c in range(self.pinned))

    def _place(self) -> None:
        # Row heights set through the default size emit no sectionResized: follow it here.
        size = self.verticalHeader().defaultSectionSize()
        if self.frozen.verticalHeader().defaultSectionSize() != size:
            self.frozen.verticalHeader().setDefaultSectionSize(size)
        self.frozen.horizontalHeader().setFixedHeight(self.horizontalHeader().height())
        self.frozen.setGeometry(
            self.verticalHeader().width() + self.frameWidth(),
            self.frameWidth(),
            self.pinned_width(),
            self.viewport().height() + self.horizontalHeader().height(),
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place()

    def updateGeometries(self) -> None:
        super().updateGeometries()
        self._place()

    def scrollTo(
        self,
        index: QModelIndex | QPersistentModelIndex,
        hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible,
    ) -> None:
        # A scrolled column must not slide under the pinned ones.
        if index.column() >= self.pinned:
            super().scrollTo(index, hint)
            left = self.columnViewportPosition(index.column())
            if left < self.pinned_width():
                bar = self.horizontalScrollBar()
                bar.setValue(bar.value() + left - self.pinned_width())
        else:
            self.frozen.scrollTo(index, hint)
