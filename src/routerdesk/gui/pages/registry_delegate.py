"""Editors for the registry table: a provider drop-down and 1..5 spin boxes for capability scores."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from routerdesk.core.registry import PROVIDERS
from routerdesk.core.types import TASKS
from routerdesk.gui.models.registry_model import COLUMNS

Index = QModelIndex | QPersistentModelIndex
PROVIDER_COL = next(i for i, c in enumerate(COLUMNS) if c[0] == "Provider")
SCORE_COLS = frozenset(
    i for i, c in enumerate(COLUMNS) if c[0] in {t.replace("_", " ") for t in TASKS}
)


class RegistryDelegate(QStyledItemDelegate):
    """Picks the editor by column; every other cell edits as text (validated by the model).

    Signals: the standard delegate ones.
    """

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        col = index.column()
        if col == PROVIDER_COL:
            combo = QComboBox(parent)
            combo.addItems(list(PROVIDERS))
            combo.setToolTip("Provider id")
            return combo
        if col in SCORE_COLS:
            spin = QSpinBox(parent)
            spin.setRange(1, 5)
            spin.setToolTip("1 (poor) .. 5 (best)")
            return spin
        return super().createEditor(parent, option, index)

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        value = str(index.data(Qt.ItemDataRole.EditRole) or "")
        if isinstance(editor, QComboBox):
            editor.setCurrentText(value)
        elif isinstance(editor, QSpinBox):
            editor.setValue(int(value) if value.isdigit() else 3)
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText())
        elif isinstance(editor, QSpinBox):
            editor.interpretText()
            model.setData(index, str(editor.value()))
        else:
            super().setModelData(editor, model, index)
