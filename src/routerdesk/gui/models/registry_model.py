"""Editable table model of the model registry; every edit is validated by pydantic `ModelSpec`.

An invalid edit is refused (`setData` returns False) and `edit_rejected` says
why; a valid one replaces the row and emits `registry_edited` with the new
`Registry`, which the page hands to the engine at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from routerdesk.core.registry import ModelSpec, Registry
from routerdesk.core.types import TASKS

Index = QModelIndex | QPersistentModelIndex
Row = dict[str, Any]


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:g}"


def _parse_float(text: str) -> float | None:
    text = text.strip().lstrip("$")
    return None if text == "" else float(text)


def _parse_int(text: str) -> int:
    return int(text.strip().replace(",", "").replace("_", ""))


def _set_price(key: str) -> Callable[[Row, str], None]:
    def setter(row: Row, text: str) -> None:
        row["prices"][key] = _parse_float(text)

    return setter


def _set(key: str, parse: Callable[[str], Any]) -> Callable[[Row, str], None]:
    def setter(row: Row, text: str) -> None:
        row[key] = parse(text)

    return setter


def _set_cap(task: str) -> Callable[[Row, str], None]:
    def setter(row: Row, text: str) -> None:
        row["capabilities"][task] = _parse_int(text)

    return setter


def _features(text: str) -> list[str]:
    return sorted({f.strip() for f in text.replace(";", ",").split(",") if f.strip()})


# header, tooltip, display, setter (None: checkbox column)
Col = tuple[str, str, Callable[[ModelSpec], str], Callable[[Row, str], None] | None]
COLUMNS: list[Col] = [
    ("On", "Use this model for routing", lambda m: "", None),
    ("Id", "Registry id, unique; clients may ask for it by name", lambda m: m.id, _set("id", str.strip)),
    ("Provider", "Provider id (openai, anthropic, google, ...)", lambda m: m.provider, _set("provider", str.strip)),
    ("Upstream name", "The provider's model name sent upstream", lambda m: m.name, _set("name", str.strip)),
    ("In $/M", "USD per 1M input tokens", lambda m: _num(m.prices.input), _set_price("input")),
    ("Out $/M", "USD per 1M output tokens", lambda m: _num(m.prices.output), _set_price("output")),
    ("Cached $/M", "USD per 1M cached input tokens (empty: same as input)", lambda m: _num(m.prices.cached_input), _set_price("cached_input")),
    ("Context", "Context window in tokens", lambda m: f"{m.context_window:,}", _set("context_window", _parse_int)),
    ("Max out", "Largest answer in tokens", lambda m: f"{m.max_output_tokens:,}", _set("max_output_tokens", _parse_int)),
    ("Features", "Comma-separated: tools, vision, json, streaming, reasoning", lambda m: ", ".join(sorted(m.features)), _set("features", _features)),
    *[
        (t.replace("_", " "), f"Capability score for {t.replace('_', ' ')}, 1 (poor) .. 5 (best)", (lambda m, t=t: str(m.capabilities.get(t, ""))), _set_cap(t))
        for t in TASKS
    ],
    ("Cplx min", "Lowest prompt complexity (0..1) this model is used for", lambda m: _num(m.complexity_min), _set("complexity_min", float)),
    ("Cplx max", "Highest prompt complexity (0..1) this model is used for", lambda m: _num(m.complexity_max), _set("complexity_max", float)),
]  # fmt: skip
ENABLED_COL = 0
ID_COL = 1


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


class RegistryModel(QAbstractTableModel):
    """Rows are `ModelSpec`s; cells edit as text and are validated on commit.

    Signals:
        registry_edited(Registry): a valid change was made (the new registry).
        edit_rejected(str): an edit was refused; the text says which model, field and why.
        dirty_changed(bool): the table differs (or no longer differs) from the saved file.
    """

    registry_edited = Signal(object)
    edit_rejected = Signal(str)
    dirty_changed = Signal(bool)

    def __init__(self, registry: Registry, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._models: list[ModelSpec] = list(registry)
        self._dirty = False
        self.saved = registry  # what registry.toml holds: the what-if compares edits with it

    # --- Qt model API --------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._models)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._models):
            return None
        m = self._models[index.row()]
        col = index.column()
        if col == ENABLED_COL:
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if m.enabled else Qt.CheckState.Unchecked
            if role == Qt.ItemDataRole.ToolTipRole:
                return "Enabled" if m.enabled else "Disabled: never routed to"
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return COLUMNS[col][2](m)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{m.id}: {COLUMNS[col][1]}"
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

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == ENABLED_COL:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or not 0 <= index.row() < len(self._models):
            return False
        row, col = index.row(), index.column()
        old = self._models[row]
        data = old.model_dump()
        if col == ENABLED_COL:
            if role != Qt.ItemDataRole.CheckStateRole:
                return False
            data["enabled"] = Qt.CheckState(value) == Qt.CheckState.Checked
        else:
            setter = COLUMNS[col][3]
            if role != Qt.ItemDataRole.EditRole or setter is None:
                return False
            try:
                setter(data, str(value))
            except ValueError:
                return self._reject(f"{old.id}: {COLUMNS[col][0]}: {value!r} is not a number")
        try:
            new = ModelSpec.model_validate(data)
        except ValidationError as exc:
            return self._reject(f"{old.id}: {_describe(exc)}")
        if new == old:
            return True
        if new.id != old.id and any(m.id == new.id for m in self._models):
            return self._reject(f"{old.id}: id {new.id!r} is already used by another model")
        self._models[row] = new
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        self._changed()
        return True

    # --- operations ---------------------------------------------------------------

    def registry(self) -> Registry:
        return Registry(self._models)

    def spec(self, row: int) -> ModelSpec:
        return self._models[row]

    def reset(self, registry: Registry, *, dirty: bool = False) -> None:
        """Show another registry (revert, refreshed prices, a change made elsewhere)."""
        self.beginResetModel()
        self._models = list(registry)
        self.endResetModel()
        if not dirty:
            self.saved = registry
        self._set_dirty(dirty)

    def mark_saved(self) -> None:
        self.saved = self.registry()
        self._set_dirty(False)

    @property
    def dirty(self) -> bool:
        return self._dirty

    def add(self, spec: ModelSpec | None = None, row: int | None = None) -> int:
        """Insert `spec` (default: a blank template) at `row` (default: the end); returns the row."""
        spec = spec or self._template()
        spec = spec.model_copy(update={"id": self._free_id(spec.id)})
        row = len(self._models) if row is None else row
        self.beginInsertRows(QModelIndex(), row, row)
        self._models.insert(row, spec)
        self.endInsertRows()
        self._changed()
        return row

    def duplicate(self, row: int) -> int:
        return self.add(self._models[row], row + 1)

    def remove(self, rows: list[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._models[row]
            self.endRemoveRows()
        if rows:
            self._changed()

    def _free_id(self, base: str) -> str:
        taken = {m.id for m in self._models}
        if base not in taken:
            return base
        n = 2
        while f"{base}-{n}" in taken:
            n += 1
        return f"{base}-{n}"

    @staticmethod
    def _template() -> ModelSpec:
        return ModelSpec(
            id="new-model",
            provider="openai",
            name="new-model",
            prices={"input": 0.0, "output": 0.0},  # type: ignore[arg-type]
            context_window=128_000,
            max_output_tokens=16_384,
            capabilities=dict.fromkeys(TASKS, 3),
            enabled=False,  # a blank model must not take traffic before it is filled in
        )

    def _changed(self) -> None:
        self._set_dirty(True)
        self.registry_edited.emit(self.registry())

    def _reject(self, message: str) -> bool:
        self.edit_rejected.emit(message)
        return False

    def _set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)
