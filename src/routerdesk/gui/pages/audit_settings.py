"""The Settings page's "Quality audits" group: opt in, sample share, daily cap, judge, tool requests.

It says plainly what an audit sends where before anyone turns it on.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QWidget,
)

from routerdesk.core.audit import DEMO_SAMPLE_RATE
from routerdesk.core.registry import Registry
from routerdesk.core.settings import AuditSettings
from routerdesk.gui.backend import Backend, QualityView
from routerdesk.gui.tasks import spawn_if_running

AUTO_JUDGE = "Automatic (strongest usable model that did not answer)"
WHAT_IS_SENT = (
    "An audit sends the audited request's whole prompt to up to two more providers: the "
    "baseline model's provider (for a second answer) and the judge model's provider (the "
    "prompt and both answers, twice, in swapped order). These calls cost real money, are "
    "logged as “audit” rows, count in your budgets and stop at the daily cap; none run while "
    "a budget is near its limit. Both "
    "answers are kept on this computer (audits.sqlite3) as long as the usage log. "
    f"Demo mode audits {DEMO_SAMPLE_RATE:.0%} of demo requests with a built-in judge: nothing "
    "leaves the computer."
)


def status_text(view: QualityView) -> str:
    """Today's audit spend against the cap, the audits of the last week, the last skip."""
    if not view.enabled:
        return "Audits are off."
    n = view.summary.overall.n + view.summary.failed
    parts = [
        "Demo audits (simulated costs)."
        if view.simulated
        else f"Audits today: ${view.spent_today:.4f} of the ${view.cap_usd:.2f} cap.",
        f"{n} audits in the last 7 days.",
    ]
    if view.last_skip:
        parts.append(f"Last skipped: {view.last_skip}.")
    return " ".join(parts)


class AuditSettingsBox(QGroupBox):
    """A form over `settings.audit` (core/settings.py AuditSettings), and the audits' status."""

    def __init__(self, backend: Backend, parent: QWidget | None = None) -> None:
        super().__init__("Quality audits", parent)
        self.backend = backend
        self.enabled = QCheckBox("Audit a sample of routed answers against the baseline mod&el")
        self.enabled.setToolTip("Off by default. See what is sent where below.")
        self.rate = QDoubleSpinBox()
        self.rate.setRange(0.1, 100.0)
        self.rate.setDecimals(1)
        self.rate.setSuffix(" %")
        self.rate.setToolTip(
            "Share of 'auto' requests answered by a cheaper model that get audited"
        )
        self.cap = QDoubleSpinBox()
        self.cap.setRange(0.0, 1000.0)
        self.cap.setDecimals(2)
        self.cap.setPrefix("$ ")
        self.cap.setToolTip("Audits stop for the day once their calls cost this much")
        self.judge = QComboBox()
        self.judge.setToolTip("The model that compares the two answers")
        self.tools = QCheckBox("Also aud&it requests with tool results or forced tool calls")
        self.tools.setToolTip(
            "Their answers are tool calls or depend on tool output: rarely comparable"
        )
        self.note = QLabel(WHAT_IS_SENT)
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for w in (self.rate, self.cap, self.judge, self.tools):
            self.enabled.toggled.connect(w.setEnabled)
        form = QFormLayout(self)
        form.addRow(self.enabled)
        form.addRow(_label("Sa&mple:", self.rate), self.rate)
        form.addRow(_label("Daily ca&p:", self.cap), self.cap)
        form.addRow(_label("&Judge model:", self.judge), self.judge)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setToolTip("Audit spend today, recent audits, and why the last one was skipped")
        form.addRow(self.tools)
        form.addRow("Status:", self.status)
        form.addRow(self.note)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        spawn_if_running(self.refresh_status)

    async def refresh_status(self) -> None:
        view = await self.backend.quality(time.time() - 7 * 86400)
        self.status.setText(status_text(view))

    def load(self, audit: AuditSettings, registry: Registry) -> None:
        self.enabled.setChecked(audit.enabled)
        self.rate.setValue(audit.sample_rate * 100)
        self.cap.setValue(audit.daily_cap_usd)
        self.judge.clear()
        self.judge.addItem(AUTO_JUDGE, "")
        for m in registry:
            self.judge.addItem(m.id, m.id)
        if audit.judge_model and self.judge.findData(audit.judge_model) < 0:
            self.judge.addItem(f"{audit.judge_model} (not in the registry)", audit.judge_model)
        self.judge.setCurrentIndex(max(self.judge.findData(audit.judge_model), 0))
        self.tools.setChecked(audit.include_tool_requests)
        for w in (self.rate, self.cap, self.judge, self.tools):
            w.setEnabled(audit.enabled)

    def collect(self, data: dict[str, Any]) -> None:
        """Write the form into `data["audit"]` (a `Settings.model_dump()`)."""
        data["audit"].update(
            enabled=self.enabled.isChecked(),
            sample_rate=round(self.rate.value() / 100, 4),
            daily_cap_usd=round(self.cap.value(), 2),
            judge_model=self.judge.currentData() or "",
            include_tool_requests=self.tools.isChecked(),
        )


def _label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    return label
