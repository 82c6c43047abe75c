"""The Settings page's "Quality audits" group: opt in, sample share, daily cap, judge, tool requests.

It says plainly what an audit sends where before anyone turns it on.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
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


class AuditSettingsBox(QGroupBox):
    """A form over `settings.audit` (core/settings.py AuditSettings)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Quality audits", parent)
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
        form.addRow(self.tools)
        form.addRow(self.note)

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
