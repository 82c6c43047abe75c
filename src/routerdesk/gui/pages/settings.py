"""Settings page: routing defaults, L2 classifier, baseline, server port and token, privacy."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from routerdesk.core.errors import ConfigError, RouterError
from routerdesk.core.settings import Settings
from routerdesk.core.types import QUALITY_TIERS, STRATEGIES
from routerdesk.gui.backend import Backend
from routerdesk.gui.tasks import spawn
from routerdesk.gui.widgets import Banner, CopyField


def _label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


class SettingsPage(QWidget):
    """A form over `Settings`; Save validates and writes settings.toml atomically.

    Signals:
        token_changed(): a new access token was made.
    """

    token_changed = Signal()

    def __init__(self, backend: Backend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.banner = Banner()
        self.strategy = QComboBox()
        self.strategy.addItems(list(STRATEGIES))
        self.strategy.setToolTip(
            "cheapest: lowest price that can do the task; balanced: good value; best: highest score"
        )
        self.tier = QComboBox()
        self.tier.addItems(list(QUALITY_TIERS))
        self.tier.setToolTip("enhanced raises the capability bar every strategy must clear")
        self.l2 = QCheckBox("As&k a cheap model when the rules are unsure")
        self.l2.setToolTip("L2 classification: adds one cheap call when L1 confidence is low")
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setToolTip("L1 confidence below which L2 runs")
        self.l2.toggled.connect(self.threshold.setEnabled)
        self.baseline = QComboBox()
        self.baseline.setToolTip("Savings are measured against what this model would have cost")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setToolTip("Port of the local server; takes effect after a restart")
        self.token = CopyField(tooltip="Clients send this as their API key (Bearer token)")
        self.token.edit.setEchoMode(self.token.edit.EchoMode.PasswordEchoOnEdit)
        self.regenerate = QPushButton("Re&generate")
        self.regenerate.setToolTip("Make a new access token; every client must be updated")
        self.regenerate.clicked.connect(self._regenerate)
        self.previews = QCheckBox("Store a short previe&w of each prompt")
        self.previews.setToolTip(
            "Off by default: prompts are never stored, only their classification"
        )
        self.retention = QSpinBox()
        self.retention.setRange(1, 3650)
        self.retention.setSuffix(" days")
        self.retention.setToolTip("Usage rows older than this are deleted")
        self.save = QPushButton("&Save")
        self.save.setToolTip("Validate and write settings.toml")
        self.save.clicked.connect(self._save)
        self.revert = QPushButton("Re&vert")
        self.revert.setToolTip("Show the settings in use again")
        self.revert.clicked.connect(self.load)

        form = QFormLayout()
        form.addRow(_label("Default &strategy:", self.strategy), self.strategy)
        form.addRow(_label("&Quality tier:", self.tier), self.tier)
        form.addRow("L2 classifier:", self.l2)
        form.addRow(_label("L2 t&hreshold:", self.threshold), self.threshold)
        form.addRow(_label("&Baseline model:", self.baseline), self.baseline)
        form.addRow(_label("Server &port:", self.port), self.port)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token, 1)
        token_row.addWidget(self.regenerate)
        form.addRow(_label("Access &token:", self.token.edit), token_row)
        form.addRow("Privacy:", self.previews)
        form.addRow(_label("Keep usage &log:", self.retention), self.retention)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert)
        buttons.addWidget(self.save)
        column = QWidget()
        column.setMaximumWidth(760)  # a form stretched over a wide window is hard to read
        inner = QVBoxLayout(column)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.banner)
        inner.addLayout(form)
        inner.addLayout(buttons)
        inner.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addWidget(column, 1)
        layout.addStretch(0)
        self.load()

    def load(self) -> None:
        s = self.backend.settings
        self.strategy.setCurrentText(s.routing.strategy)
        self.tier.setCurrentText(s.routing.quality_tier)
        self.l2.setChecked(s.routing.l2.enabled)
        self.threshold.setValue(s.routing.l2.threshold)
        self.threshold.setEnabled(s.routing.l2.enabled)
        self.baseline.clear()
        self.baseline.addItem("(most capable model)", "")
        for m in self.backend.registry:
            self.baseline.addItem(m.id, m.id)
        idx = self.baseline.findData(s.routing.baseline_model)
        self.baseline.setCurrentIndex(max(idx, 0))
        self.port.setValue(s.server.port or 1)
        self.token.set_text(self.backend.access_token)
        self.previews.setChecked(s.privacy.previews)
        self.retention.setValue(s.privacy.retention_days)
        err = self.backend.settings_error
        if err:
            self.banner.show_message(
                f"settings.toml was not loaded, defaults are in use and the file is left as it is.\n"
                f"{err.path}: {err.field or '(file)'}: {err.reason}",
                "error",
            )
        else:
            self.banner.clear_message()

    def collect(self) -> Settings:
        """The form as a validated Settings object (pydantic checks bounds)."""
        data = self.backend.settings.model_dump()
        data["routing"].update(
            strategy=self.strategy.currentText(),
            quality_tier=self.tier.currentText(),
            baseline_model=self.baseline.currentData() or "",
        )
        data["routing"]["l2"].update(
            enabled=self.l2.isChecked(), threshold=round(self.threshold.value(), 4)
        )
        data["server"]["port"] = self.port.value()
        data["privacy"].update(
            previews=self.previews.isChecked(), retention_days=self.retention.value()
        )
        return Settings.model_validate(data)

    def _save(self) -> None:
        if self.backend.settings_error is not None:
            answer = QMessageBox.question(
                self,
                "Replace settings.toml?",
                "settings.toml could not be read. Saving replaces it with the settings shown here. Continue?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        try:
            self.backend.save_settings(self.collect())
        except (ConfigError, OSError, ValueError) as exc:
            self.banner.show_message(f"Not saved: {exc}", "error")
            return
        self.banner.show_message(
            "Saved settings.toml. A new port takes effect after a restart.", "ok"
        )

    def _regenerate(self) -> None:
        answer = QMessageBox.question(
            self,
            "Regenerate the access token?",
            "Every tool set up with the current token is refused until it gets the new one.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            spawn(self.new_token())

    async def new_token(self) -> None:
        try:
            token = await self.backend.regenerate_token()
        except RouterError as exc:
            self.banner.show_message(f"Token not changed: {exc.message}", "error")
            return
        self.token.set_text(token)
        self.token_changed.emit()
        self.banner.show_message(
            "New access token made; update your tools (see Integrations).", "info"
        )
