"""The dashboard's budget bar: today's and this month's real spend against the limits."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QProgressBar, QWidget

from routerdesk.core.budget import BudgetStatus, LimitStatus

STEPS = 1000  # progress bar resolution


class BudgetBar(QFrame):
    """One progress bar per limit: green below the step-down share, amber near, red at the limit.

    Hidden while no budget is set. Demo traffic never counts (budgets are real money).

    Signals: none.
    """

    COLOURS: ClassVar[dict[str, str]] = {"ok": "#2e7d32", "near": "#d97706", "at_limit": "#c0392b"}
    WORDS: ClassVar[dict[str, str]] = {
        "ok": "",
        "near": " · near the limit: strategies step down",
        "at_limit": " · limit reached",
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QGridLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        self.rows: dict[str, tuple[QLabel, QProgressBar, QLabel]] = {}
        for i, (period, title) in enumerate((("daily", "Today"), ("monthly", "This month"))):
            name = QLabel(f"Budget {title.lower()}:")
            bar = QProgressBar()
            bar.setRange(0, STEPS)
            bar.setTextVisible(False)
            bar.setFixedHeight(name.sizeHint().height())
            text = QLabel()
            layout.addWidget(name, i, 0)
            layout.addWidget(bar, i, 1)
            layout.addWidget(text, i, 2)
            self.rows[period] = (name, bar, text)
        layout.setColumnStretch(1, 1)
        layout.setColumnStretch(2, 1)
        self.status: BudgetStatus | None = None
        self.hide()

    def show_status(self, status: BudgetStatus) -> None:
        self.status = status
        if status.state == "off":
            self.hide()
            return
        for period, limit in (("daily", status.daily), ("monthly", status.monthly)):
            self._show_limit(period, limit, status)
        self.setToolTip(
            "Real spend only (demo traffic never counts). Near the step-down share "
            f"({int(status.limits[0].step_down_at * 100)}%) requests use a cheaper strategy; "
            + (
                "at the limit only free/local models answer."
                if status.at_limit_policy == "local_only"
                else "at the limit requests are refused."
            )
            + " Change the limits in Settings → Budgets."
        )
        self.show()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # palette(...) in a style sheet is resolved when it is set: set it again when the
        # system switches light/dark, or the bars keep the old background.
        if event.type() == QEvent.Type.PaletteChange and self.status is not None:
            self.show_status(self.status)

    def state(self, period: str) -> str:
        """The shown state of one limit ("" while it is not set)."""
        bar = self.rows[period][1]
        return str(bar.property("budget_state") or "") if not bar.isHidden() else ""

    def _show_limit(self, period: str, limit: LimitStatus | None, status: BudgetStatus) -> None:
        name, bar, text = self.rows[period]
        for w in (name, bar, text):
            w.setVisible(limit is not None)
        if limit is None:
            return
        colour = self.COLOURS[limit.state]
        bar.setValue(min(STEPS, round(limit.share * STEPS)))
        bar.setProperty("budget_state", limit.state)
        bar.setStyleSheet(
            "QProgressBar { border: 1px solid palette(mid); border-radius: 3px;"
            " background-color: palette(base); }"
            f" QProgressBar::chunk {{ background-color: {colour}; }}"
        )
        text.setText(limit.describe() + self.WORDS[limit.state])
        text.setStyleSheet(f"color: {colour};" if limit.state != "ok" else "")
