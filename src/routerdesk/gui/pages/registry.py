"""Registry page: edit models in place; valid edits route the next request, Save writes the file.

While there are unsaved edits, a "what if" line shows what the last 7 days of
traffic would have cost with the edited registry.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from routerdesk.core.errors import ConfigError
from routerdesk.core.registry import Registry
from routerdesk.gui.backend import Backend
from routerdesk.gui.models.registry_model import RegistryModel
from routerdesk.gui.pages.registry_delegate import RegistryDelegate
from routerdesk.gui.pages.suggestions import SuggestionsPanel
from routerdesk.gui.pages.what_if import WhatIfPanel
from routerdesk.gui.pinned_table import PinnedColumnsTable
from routerdesk.gui.widgets import Banner


def _button(text: str, tip: str) -> QPushButton:
    b = QPushButton(text)
    b.setToolTip(tip)
    return b


class RegistryPage(QWidget):
    """The registry table with add/duplicate/delete, refresh prices, save and revert.

    Signals: none (edits go straight to the backend).
    """

    def __init__(self, backend: Backend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.model = RegistryModel(backend.registry, self)
        self.banner = Banner(reserve_lines=1)
        self.banner.show_hint(
            "Double-click a cell or press F2 to edit, Space toggles On, Ctrl+F searches. "
            "Edits route the next request at once; Save keeps them."
        )
        self.what_if = WhatIfPanel(
            backend,
            idle_hint="Edit a price, score or switch: the line here then says what the last "
            "7 days of traffic would cost with the change, before you save it.",
        )
        self.model.registry_edited.connect(self._apply)
        self.model.edit_rejected.connect(lambda msg: self.banner.show_message(msg, "error"))
        self.model.dirty_changed.connect(self._dirty)
        self.table = PinnedColumnsTable(pinned=2)  # On and Id stay while scores scroll
        self.table.setModel(self.model)
        self.table.setItemDelegate(RegistryDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setToolTip("Double-click or press F2 to edit a cell; Space toggles On")
        self.search = QLineEdit()
        self.search.setPlaceholderText(f"Search {self.model.rowCount()} models…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Show models whose id, provider, upstream name or features match")
        self.search.textChanged.connect(self._filter)
        self.model.modelReset.connect(self._filter)
        self.model.rowsInserted.connect(self._filter)
        QShortcut(QKeySequence.StandardKey.Find, self, self.search.setFocus)
        self.add = _button("&Add", "Add a blank model (disabled until you enable it)")
        self.duplicate = _button("D&uplicate", "Copy the selected model")
        self.delete = _button("De&lete", "Remove the selected models (Delete key)")
        self.refresh = _button("Refresh &prices", "Fetch current list prices from genai-prices")
        self.save = _button("&Save", "Write registry.toml (Ctrl+S)")
        self.revert = _button("Re&vert", "Discard unsaved edits and reload registry.toml")
        self.add.clicked.connect(self._add)
        self.duplicate.clicked.connect(self._duplicate)
        self.delete.clicked.connect(self._delete)
        self.refresh.clicked.connect(self._refresh)
        self.save.clicked.connect(self._save)
        self.revert.clicked.connect(self._revert)
        QShortcut(QKeySequence.StandardKey.Save, self, self._save)
        del_key = QShortcut(QKeySequence.StandardKey.Delete, self.table, self._delete)
        del_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        for b in (self.add, self.duplicate, self.delete, self.refresh):
            bar.addWidget(b)
        bar.addSpacing(12)
        bar.addWidget(self.revert)
        bar.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.what_if)
        self.suggestions = SuggestionsPanel(backend)  # from quality audits
        self.suggestions.accepted.connect(self._accept_suggestion)
        layout.addWidget(self.suggestions)
        layout.addWidget(self.table, 1)
        self._dirty(False)
        self.table.resizeColumnsToContents()
        if backend.registry_error:
            self.banner.show_message(
                f"registry.toml was not loaded: {backend.registry_error}", "error"
            )

    def _filter(self) -> None:
        words = self.search.text().lower().split()
        for row in range(self.model.rowCount()):
            m = self.model.spec(row)
            hay = " ".join((m.id, m.provider, m.name, *m.features)).lower()
            self.table.setRowHidden(row, not all(w in hay for w in words))

    def _selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.table.selectionModel().selectedIndexes()})

    def _apply(self, registry: Registry) -> None:
        self.backend.apply_registry(registry)
        self.banner.show_message(
            "Applied: the next request routes with this change. Save to keep it.", "info"
        )
        self._project(registry)

    def _project(self, registry: Registry) -> None:
        strategy = self.backend.settings.routing.strategy
        self.what_if.request(
            strategy, registry, current=self.model.saved, what="with the edited registry"
        )

    def _dirty(self, dirty: bool) -> None:
        self.save.setEnabled(dirty)
        self.revert.setEnabled(dirty)

    def _add(self) -> None:
        row = self.model.add()
        self.table.selectRow(row)
        self.table.edit(self.model.index(row, 1))

    def _duplicate(self) -> None:
        rows = self._selected_rows()
        if rows:
            self.table.selectRow(self.model.duplicate(rows[0]))

    def _delete(self) -> None:
        self.model.remove(self._selected_rows())

    def _refresh(self) -> None:
        try:
            registry, changes = self.backend.refresh_prices(self.model.registry())
        except Exception as exc:  # network, genai-prices data: show, don't crash
            self.banner.show_message(f"Could not refresh prices: {exc}", "error")
            return
        if not changes:
            self.banner.show_message("Prices are up to date.", "ok")
            return
        self.model.reset(registry, dirty=True)
        self.backend.apply_registry(registry)
        self._project(registry)
        self.banner.show_message(
            "Updated: " + "; ".join(changes[:8]) + (" …" if len(changes) > 8 else ""), "ok"
        )

    def _save(self) -> None:
        try:
            self.backend.save_registry(self.model.registry())
        except (ConfigError, OSError) as exc:
            self.banner.show_message(f"Not saved: {exc}", "error")
            return
        self.model.mark_saved()
        self.what_if.clear()
        self.banner.show_message("Saved registry.toml.", "ok")

    def _revert(self) -> None:
        try:
            registry = self.backend.load_registry()
        except ConfigError as exc:
            self.banner.show_message(f"registry.toml is invalid: {exc}", "error")
            return
        self.model.reset(registry)
        self.what_if.clear()
        self.banner.show_message("Reverted to the saved registry.", "info")

    def _accept_suggestion(self, registry: Registry, what: str) -> None:
        self.model.reset(registry, dirty=True)
        self._apply(registry)
        self.banner.show_message(
            f"Applied {what}: the next request routes with it. Save to keep it.", "info"
        )

    def show_registry(self, registry: Registry) -> None:
        """The engine switched registry (e.g. from elsewhere); show it unless we have unsaved edits."""
        if not self.model.dirty and list(registry) != list(self.model.registry()):
            self.model.reset(registry)
