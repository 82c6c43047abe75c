"""The dashboard's "quality kept" tile and its breakdown chart, fed from the backend's audits.

The tile sits beside Savings: the share of audited answers judged at least as
good as the baseline model's, its 95% (Wilson) interval and the sample count.
The chart right of the traffic charts shows the same share by task and by model,
each bar with its interval, so a thin sample reads as the wide bar it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QWidget

from routerdesk.core.quality import Share
from routerdesk.gui.backend import Backend, QualityView
from routerdesk.gui.tasks import spawn_if_running
from routerdesk.gui.widgets import Tile
from routerdesk.gui.widgets import usd as money

if TYPE_CHECKING:
    from routerdesk.gui.pages.dashboard import DashboardPage

REFRESH_MS = 10_000  # audits finish in the background, seconds after their requests
MAX_BARS = 8
TILE_TIP = (
    "Share of audited answers the judge model found at least as good as the baseline model's "
    "answer to the same request, with its 95% interval, the number of audits and what the "
    "audits cost (not in Spend or Savings; budgets count it). "
    "Turn audits on in Settings → Quality audits."
)


def tile_text(view: QualityView) -> tuple[str, str]:
    """(value, line under it) for the tile."""
    s = view.summary.overall
    if not s.n:
        return "–", ("no audits yet" if view.enabled else "audits off")
    lo, hi = s.interval
    word = "audit" if s.n == 1 else "audits"
    sub = f"{lo * 100:.0f}–{hi * 100:.0f}%, {s.n:,} {word}"
    cost = view.summary.cost
    sub += f" · {money(cost)}" + (" simulated" if view.simulated else "") if cost else ""
    return f"{s.rate:.0%}", sub


def ranked(groups: dict[str, Share]) -> list[tuple[str, Share]]:
    """Most-audited first; at most MAX_BARS."""
    return sorted(groups.items(), key=lambda kv: (-kv[1].n, kv[0]))[:MAX_BARS]


class QualityBreakdown(QWidget):
    """Quality kept by task and by model: a bar per group with its 95% interval."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg  # only once there are audits to show (start-up time)

        from routerdesk.gui.theme import chart_colours

        self._pg = pg
        c = chart_colours(self.palette())
        layout = self._plots = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.by_task = self._plot("Quality kept by task", c)
        self.by_model = self._plot("Quality kept by model", c)
        self._items: dict[Any, tuple[Any, Any]] = {}
        for plot in (self.by_task, self.by_model):
            bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.6, brush=c.bars, pen=None)
            empty = np.zeros(0)
            errors = pg.ErrorBarItem(
                x=empty, y=empty, left=empty, right=empty, beam=0.2, pen=c.foreground
            )
            plot.addItem(bars)
            plot.addItem(errors)
            self._items[plot] = (bars, errors)
            layout.addWidget(plot)
        self.apply_colours()
        self.setToolTip("Share judged at least as good as the baseline; whiskers: 95% interval")
        # pyqtgraph clips, never shrinks, a plot below its labels' and title's width
        self.setMinimumWidth(320)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # By task over by model in a column beside the traffic charts; side by side in a
        # wide strip (the dashboard puts the breakdown under them on a narrow page).
        size = event.size()
        strip = size.width() > size.height()
        side = QBoxLayout.Direction.LeftToRight if strip else QBoxLayout.Direction.TopToBottom
        self._plots.setDirection(side)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_colours()

    def apply_colours(self) -> None:
        """Recolour from the current palette (the system switched light/dark)."""
        from routerdesk.gui.theme import chart_colours

        c = chart_colours(self.palette())
        for plot, (bars, errors) in self._items.items():
            plot.setBackground(c.background)
            title = plot.getPlotItem().titleLabel
            title.setText(title.text, color=c.foreground)
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(c.foreground)
                axis.setTextPen(c.foreground)
            bars.setOpts(brush=c.bars)
            errors.setData(pen=c.foreground)

    def _plot(self, title: str, c: Any) -> Any:
        pg = self._pg
        plot = pg.PlotWidget(background=c.background)
        plot.setTitle(title, color=c.foreground)
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.getPlotItem().invertY(True)
        plot.setXRange(0, 100, padding=0.02)
        plot.getAxis("bottom").setLabel("% at least as good")
        return plot

    def show_groups(self, by_task: dict[str, Share], by_model: dict[str, Share]) -> None:
        for plot, groups in ((self.by_task, by_task), (self.by_model, by_model)):
            rows = ranked(groups)
            bars, errors = self._items[plot]
            ys = np.arange(len(rows), dtype=float)
            rates = np.array([100 * (s.rate or 0.0) for _, s in rows])
            lows = np.array([100 * s.interval[0] for _, s in rows])
            highs = np.array([100 * s.interval[1] for _, s in rows])
            bars.setOpts(x0=np.zeros(len(rows)), y=ys, width=rates, height=0.6)
            errors.setData(x=rates, y=ys, left=rates - lows, right=highs - rates)
            ticks = [(i, f"{name} ({s.n})") for i, (name, s) in enumerate(rows)]
            plot.getAxis("left").setTicks([ticks])
            plot.setYRange(-0.6, max(len(rows), 3) - 0.4, padding=0)

    def labels(self, which: str) -> list[str]:
        """The bar labels of one chart, top to bottom (tests)."""
        plot = self.by_task if which == "task" else self.by_model
        ticks = plot.getAxis("left")._tickLevels
        return [label for _, label in ticks[0]] if ticks else []


class QualityPanel(QObject):
    """Keeps the dashboard's quality tile and chart current; see the module docstring."""

    def __init__(self, backend: Backend, dashboard: DashboardPage) -> None:
        super().__init__(dashboard)
        self.backend = backend
        self.dashboard = dashboard
        self.tile = Tile("Quality kept", TILE_TIP)
        self.chart: QualityBreakdown | None = None
        self._chart_slot = QWidget()
        self._slot_layout = QHBoxLayout(self._chart_slot)
        self._slot_layout.setContentsMargins(0, 0, 0, 0)
        self._chart_slot.hide()
        dashboard.add_quality(self.tile, self._chart_slot)
        self.view: QualityView | None = None
        self._running = False
        self._again = False
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        dashboard.range.currentIndexChanged.connect(self.refresh)
        QTimer.singleShot(0, self.refresh)  # once the app's event loop runs

    def refresh(self) -> None:
        """Read the audits again (off the loop); a call while one runs is folded into one more."""
        if self._running:
            self._again = True
            return
        self._running = spawn_if_running(self._load) is not None

    async def _load(self) -> None:
        try:
            since = self.dashboard.since()
            view = await self.backend.quality(since if since is not None else 0.0)
            self.show_view(view)
        finally:
            self._running = False
            if self._again:
                self._again = False
                self.refresh()

    def show_view(self, view: QualityView) -> None:
        self.view = view
        value, sub = tile_text(view)
        self.tile.set(value, sub)
        s = view.summary
        if not s.overall.n:
            self._chart_slot.hide()
            return
        if self.chart is None:
            self.chart = QualityBreakdown()
            self._slot_layout.addWidget(self.chart)
        self.chart.show_groups(s.by_task, s.by_model)
        self._chart_slot.show()
