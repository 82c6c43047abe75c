"""Settings page: routing, L2 classifier, pinning, budgets, quality audits, server and token, privacy.

Every field is checked by the pydantic `Settings` model on Save and written
atomically through the backend. Changing the default strategy shows, before
anything is saved, what the last 7 days would have cost under it.
"""

from __future__ import annotations

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from routerdesk.core.errors import ConfigError, RouterError
from routerdesk.core.settings import Settings
from routerdesk.core.types import QUALITY_TIERS, STRATEGIES
from routerdesk.gui.backend import Backend
from routerdesk.gui.pages.audit_settings import AuditSettingsBox
from routerdesk.gui.pages.what_if import WhatIfPanel
from routerdesk.gui.tasks import spawn
from routerdesk.gui.widgets import Banner, CopyField

AUTO_L2_MODEL = "Automatic (cheapest JSON-capable model with a key)"
AT_LIMIT = (("error", "Refuse requests (error)"), ("local_only", "Use free/local models only"))


def _label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


def _tip(widget: QWidget, text: str) -> QWidget:
    widget.setToolTip(text)
    return widget


def parse_usd(text: str, what: str) -> float | None:
    """An optional dollar amount: empty means no limit; '$1,200.50' is fine."""
    cleaned = text.strip().replace("$", "").replace(",", "")
    if not cleaned:
        return None
    try:
        return float(cleaned)
    except ValueError:
        raise ValueError(f"{what}: {text.strip()!r} is not an amount in dollars") from None


def validation_message(exc: ValidationError) -> str:
    """Pydantic's errors as 'routing.l2.deadline_s: Input should be ...' lines."""
    return "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())


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
        self._build_routing()
        self._build_l2()
        self._build_budgets()
        self._build_server_privacy()
        self._build_team()
        self.audit_box = AuditSettingsBox(self.backend)
        self.save = QPushButton("&Save")
        self.save.setToolTip("Validate and write settings.toml")
        self.save.clicked.connect(self._save)
        self.revert = QPushButton("Re&vert")
        self.revert.setToolTip("Show the settings in use again")
        self.revert.clicked.connect(self.load)

        left = QVBoxLayout()
        left.addWidget(self.routing_box)
        left.addWidget(self.l2_box)
        left.addWidget(self.team_box)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.budget_box)
        right.addWidget(self.server_box)
        right.addWidget(self.privacy_box)
        right.addWidget(self.audit_box)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        body = QWidget()
        body.setLayout(columns)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert)
        buttons.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self.load()

    # --- construction ---------------------------------------------------------------

    def _build_routing(self) -> None:
        self.strategy = QComboBox()
        self.strategy.addItems(list(STRATEGIES))
        _tip(
            self.strategy,
            "For model 'auto'. cheapest: lowest price that can do the task; balanced: good "
            "value; best: highest score. Changing it shows what the last 7 days would have cost.",
        )
        self.strategy.currentTextChanged.connect(self._strategy_changed)
        self.what_if = WhatIfPanel(self.backend)
        self.tier = QComboBox()
        self.tier.addItems(list(QUALITY_TIERS))
        _tip(self.tier, "enhanced raises the capability bar every strategy must clear")
        self.baseline = QComboBox()
        _tip(self.baseline, "Savings are measured against what this model would have cost")
        self.pinning = QCheckBox("Keep a conversation on its &first model")
        _tip(
            self.pinning,
            "Follow-up turns of a conversation stay on the model that answered the first turn "
            "(consistent style, warm prompt caches) unless it can no longer serve them",
        )
        self.pin_window = QDoubleSpinBox()
        self.pin_window.setRange(1, 7 * 24 * 60)
        self.pin_window.setDecimals(0)
        self.pin_window.setSuffix(" min")
        _tip(self.pin_window, "How long after its last turn a conversation stays pinned")
        self.pinning.toggled.connect(self.pin_window.setEnabled)
        self.routing_box = QGroupBox("Routing")
        form = QFormLayout(self.routing_box)
        form.addRow(_label("Default &strategy:", self.strategy), self.strategy)
        form.addRow(self.what_if)
        form.addRow(_label("&Quality tier:", self.tier), self.tier)
        form.addRow(_label("&Baseline model:", self.baseline), self.baseline)
        form.addRow("Pinning:", self.pinning)
        form.addRow(_label("Pinning &window:", self.pin_window), self.pin_window)

    def _build_l2(self) -> None:
        self.l2 = QCheckBox("As&k a cheap model when the L1 classifier is unsure")
        _tip(
            self.l2,
            "L2 classification: one cheap call when the L1 classifier's calibrated confidence is low",
        )
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        _tip(self.threshold, "L1 confidence below which L2 runs (0 to 1)")
        self.l2_mode = QComboBox()
        self.l2_mode.addItem("Inline: wait for L2 and route by it", "inline")
        self.l2_mode.addItem("Shadow: route by L1, only record L2", "shadow")
        _tip(
            self.l2_mode,
            "Inline waits up to the deadline and routes by L2's answer; shadow never waits and "
            "only records L2's verdict, so the agreement rate tells whether inline is worth it",
        )
        self.l2_deadline = QDoubleSpinBox()
        self.l2_deadline.setRange(0.1, 30.0)
        self.l2_deadline.setSingleStep(0.1)
        self.l2_deadline.setDecimals(1)
        self.l2_deadline.setSuffix(" s")
        _tip(
            self.l2_deadline,
            "Inline mode waits at most this long for L2, then keeps L1's answer (0.1 to 30 s)",
        )
        self.l2_model = QComboBox()
        _tip(
            self.l2_model,
            "The model that classifies: automatic picks the cheapest enabled model with JSON "
            "output whose provider has a key; or name one (it must support JSON output)",
        )
        self.l2_status = QLabel()
        self.l2_status.setWordWrap(True)
        self.l2_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        _tip(
            self.l2_status, "Whether L2 runs now, with which model, and how often it agrees with L1"
        )
        for w in (self.threshold, self.l2_mode, self.l2_deadline, self.l2_model):
            self.l2.toggled.connect(w.setEnabled)
        self.l2_box = QGroupBox("L2 classifier")
        form = QFormLayout(self.l2_box)
        form.addRow(self.l2)
        form.addRow(_label("L2 t&hreshold:", self.threshold), self.threshold)
        form.addRow(_label("L2 &mode:", self.l2_mode), self.l2_mode)
        form.addRow(_label("L2 &deadline:", self.l2_deadline), self.l2_deadline)
        form.addRow(_label("Classifier m&odel:", self.l2_model), self.l2_model)
        form.addRow("Status:", self.l2_status)

    def _build_budgets(self) -> None:
        self.daily = QLineEdit()
        self.daily.setPlaceholderText("no limit")
        _tip(self.daily, "Most real money to spend per day (local time), in USD; empty: no limit")
        self.monthly = QLineEdit()
        self.monthly.setPlaceholderText("no limit")
        _tip(self.monthly, "Most real money to spend per calendar month, in USD; empty: no limit")
        self.step_down = QSpinBox()
        self.step_down.setRange(1, 100)
        self.step_down.setSuffix(" %")
        _tip(
            self.step_down,
            "From this share of a limit, 'auto' requests step down a strategy "
            "(best → balanced → cheapest); halfway to the limit, two steps",
        )
        self.at_limit = QComboBox()
        for value, text in AT_LIMIT:
            self.at_limit.addItem(text, value)
        _tip(
            self.at_limit,
            "At the limit: refuse every request with a clear error, or keep answering from "
            "free and local models only",
        )
        note = QLabel("Demo traffic never counts against a budget.")
        note.setEnabled(False)
        self.budget_box = QGroupBox("Budgets")
        form = QFormLayout(self.budget_box)
        form.addRow(_label("&Daily limit (USD):", self.daily), self.daily)
        form.addRow(_label("&Monthly limit (USD):", self.monthly), self.monthly)
        form.addRow(_label("Step down &at:", self.step_down), self.step_down)
        form.addRow(_label("At the &limit:", self.at_limit), self.at_limit)
        form.addRow(note)

    def _build_server_privacy(self) -> None:
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        _tip(self.port, "Port of the local server; takes effect after a restart")
        self.token = CopyField(tooltip="Clients send this as their API key (Bearer token)")
        self.token.edit.setEchoMode(self.token.edit.EchoMode.PasswordEchoOnEdit)
        self.regenerate = QPushButton("Re&generate")
        _tip(self.regenerate, "Make a new access token; every client must be updated")
        self.regenerate.clicked.connect(self._regenerate)
        self.server_box = QGroupBox("Server")
        form = QFormLayout(self.server_box)
        form.addRow(_label("Server &port:", self.port), self.port)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token, 1)
        token_row.addWidget(self.regenerate)
        form.addRow(_label("Access &token:", self.token.edit), token_row)
        self.previews = QCheckBox("Store a short previe&w of each prompt")
        _tip(self.previews, "Off by default: prompts are never stored, only their classification")
        self.retention = QSpinBox()
        self.retention.setRange(1, 3650)
        self.retention.setSuffix(" days")
        _tip(self.retention, "Usage rows older than this are deleted")
        self.privacy_box = QGroupBox("Privacy")
        form = QFormLayout(self.privacy_box)
        form.addRow(self.previews)
        form.addRow(_label("Keep usage &log:", self.retention), self.retention)

    def _build_team(self) -> None:
        self.team_url = QLineEdit()
        self.team_url.setPlaceholderText("postgresql://you@team-db.example.com/routerdesk")
        self.team_url.setClearButtonEnabled(True)
        _tip(
            self.team_url,
            "A team server's usage database ([storage] url on the server) to show on the "
            "Dashboard and Requests page instead of this app's log. Read-only: this app never "
            "writes, migrates or prunes it. Empty: this app's own log",
        )
        note = QLabel(
            "Read-only; this app's own requests still go to its local log. No password "
            "here: PostgreSQL reads it from PGPASSWORD or ~/.pgpass."
        )
        note.setWordWrap(True)
        note.setEnabled(False)
        self.team_box = QGroupBox("Team")
        form = QFormLayout(self.team_box)
        form.addRow(_label("Team &usage database:", self.team_url), self.team_url)
        form.addRow(note)

    # --- showing --------------------------------------------------------------------

    def load(self) -> None:
        s = self.backend.settings
        self.strategy.blockSignals(True)
        self.strategy.setCurrentText(s.routing.strategy)
        self.strategy.blockSignals(False)
        self.what_if.clear()
        self.tier.setCurrentText(s.routing.quality_tier)
        self.baseline.clear()
        self.baseline.addItem("(most capable model)", "")
        for m in self.backend.registry:
            self.baseline.addItem(m.id, m.id)
        self.baseline.setCurrentIndex(max(self.baseline.findData(s.routing.baseline_model), 0))
        self.pinning.setChecked(s.routing.pinning)
        self.pin_window.setValue(s.routing.pin_window_s / 60)
        self.pin_window.setEnabled(s.routing.pinning)
        l2 = s.routing.l2
        self.l2.setChecked(l2.enabled)
        self.threshold.setValue(l2.threshold)
        self.l2_mode.setCurrentIndex(max(self.l2_mode.findData(l2.mode), 0))
        self.l2_deadline.setValue(l2.deadline_s)
        self._fill_l2_models(l2.model)
        for w in (self.threshold, self.l2_mode, self.l2_deadline, self.l2_model):
            w.setEnabled(l2.enabled)
        self.refresh_l2_status()
        b = s.budgets
        self.daily.setText(f"{b.daily_usd:g}" if b.daily_usd is not None else "")
        self.monthly.setText(f"{b.monthly_usd:g}" if b.monthly_usd is not None else "")
        self.step_down.setValue(round(b.step_down_at * 100))
        self.at_limit.setCurrentIndex(max(self.at_limit.findData(b.at_limit), 0))
        self.port.setValue(s.server.port or 1)
        self.token.set_text(self.backend.access_token)
        self.previews.setChecked(s.privacy.previews)
        self.retention.setValue(s.privacy.retention_days)
        self.team_url.setText(s.storage.team_url)
        self.audit_box.load(s.audit, self.backend.registry)
        err = self.backend.settings_error
        if err:
            self.banner.show_message(
                f"settings.toml was not loaded, defaults are in use and the file is left as it is.\n"
                f"{err.path}: {err.field or '(file)'}: {err.reason}",
                "error",
            )
        else:
            self.banner.clear_message()

    def _fill_l2_models(self, chosen: str) -> None:
        self.l2_model.clear()
        self.l2_model.addItem(AUTO_L2_MODEL, "")
        for m in self.backend.registry:
            if m.supports("json"):
                self.l2_model.addItem(m.id, m.id)
        if chosen and self.l2_model.findData(chosen) < 0:
            self.l2_model.addItem(f"{chosen} (not a JSON-capable registry model)", chosen)
        self.l2_model.setCurrentIndex(max(self.l2_model.findData(chosen), 0))

    def refresh_l2_status(self) -> None:
        """The classifier's state from the backend, and the live L1/L2 agreement rate."""
        status = self.backend.l2_status()
        if status is None:
            self.l2_status.setText("L2 is not available in this session.")
            return
        agreement = status.agreement.summary()
        mode = f" ({status.mode} mode)" if status.enabled else ""
        self.l2_status.setText(f"{status.reason}{mode}.\n{agreement} since start-up.")

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh_l2_status()

    def _strategy_changed(self, strategy: str) -> None:
        if strategy == self.backend.settings.routing.strategy:
            self.what_if.clear()
        else:
            self.what_if.request(strategy, what=f"under {strategy}")

    # --- saving ---------------------------------------------------------------------

    def collect(self) -> Settings:
        """The form as a validated Settings object (pydantic checks bounds).

        Raises ValueError (a budget that is not a number) or pydantic's ValidationError.
        """
        data = self.backend.settings.model_dump()
        routing = data["routing"]
        routing.update(
            strategy=self.strategy.currentText(),
            quality_tier=self.tier.currentText(),
            baseline_model=self.baseline.currentData() or "",
            pinning=self.pinning.isChecked(),
            pin_window_s=self.pin_window.value() * 60,
        )
        routing["l2"].update(
            enabled=self.l2.isChecked(),
            threshold=round(self.threshold.value(), 4),
            mode=self.l2_mode.currentData(),
            deadline_s=round(self.l2_deadline.value(), 2),
            model=self.l2_model.currentData() or "",
        )
        data["budgets"].update(
            daily_usd=parse_usd(self.daily.text(), "Daily limit"),
            monthly_usd=parse_usd(self.monthly.text(), "Monthly limit"),
            step_down_at=self.step_down.value() / 100,
            at_limit=self.at_limit.currentData(),
        )
        data["server"]["port"] = self.port.value()
        data["privacy"].update(
            previews=self.previews.isChecked(), retention_days=self.retention.value()
        )
        data["storage"]["team_url"] = self.team_url.text().strip()
        self.audit_box.collect(data)
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
            settings = self.collect()
        except ValidationError as exc:
            self.banner.show_message(f"Not saved: {validation_message(exc)}", "error")
            return
        except ValueError as exc:
            self.banner.show_message(f"Not saved: {exc}", "error")
            return
        try:
            self.backend.save_settings(settings)
        except (ConfigError, OSError) as exc:
            self.banner.show_message(f"Not saved: {exc}", "error")
            return
        self.what_if.clear()
        self.refresh_l2_status()
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
