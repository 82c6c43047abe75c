"""The dashboard's four pyqtgraph charts, drawn from one `Window` of aggregated usage."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QGridLayout, QWidget

from routerdesk.gui.models.usage_stats import FloatArray, Window
from routerdesk.gui.theme import ChartColours, chart_colours

MAX_POINTS = 600  # a line never needs more points than the chart has pixels
MAX_BARS = 10
# A time axis spanning only seconds labels its ticks "10.000 11.000" (seconds and
# milliseconds), which reads as plain numbers: show at least two minutes, so
# ticks are clock times from the first requests on.
MIN_TIME_SPAN_S = 120.0


def _thin(*arrays: FloatArray) -> tuple[FloatArray, ...]:
    n = len(arrays[0])
    if n <= MAX_POINTS:
        return arrays
    idx = np.unique(np.linspace(0, n - 1, MAX_POINTS).astype(np.int64))
    return tuple(a[idx] for a in arrays)


class _BarChart(pg.PlotWidget):  # type: ignore[misc]
    """Horizontal bars with category names on the left axis (long model ids stay readable)."""

    def __init__(self, title: str, colours: ChartColours) -> None:
        super().__init__()
        self._colours = colours
        self.setTitle(title, color=colours.foreground)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.getPlotItem().invertY(True)
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.6, brush=colours.bars, pen=None)
        self.addItem(self.bars)
        self.getAxis("bottom").setLabel("requests")

    def set_counts(self, pairs: list[tuple[str, int]]) -> None:
        pairs = pairs[:MAX_BARS]
        ys = list(range(len(pairs)))
        widths = [n for _, n in pairs]
        self.bars.setOpts(x0=[0] * len(pairs), y=ys, width=widths, height=0.6)
        self.getAxis("left").setTicks([[(i, name) for i, (name, _) in enumerate(pairs)]])
        top = max(widths, default=1)
        self.setXRange(0, top * 1.05, padding=0)
        self.setYRange(-0.6, max(len(pairs), 3) - 0.4, padding=0)


class DashboardCharts(QWidget):
    """Requests by model, cumulative spend vs baseline, task mix, latency over time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        c = chart_colours(self.palette())
        pg.setConfigOptions(antialias=False, background=c.background, foreground=c.foreground)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.by_model = _BarChart("Requests by model", c)
        self.by_task = _BarChart("Task mix", c)
        self.spend = self._time_plot("Cumulative spend vs baseline (USD)")
        self.latency = self._time_plot("Latency (ms)")
        self.spend_curve = self.spend.plot(pen=pg.mkPen(c.spend, width=2), name="spend")
        self.baseline_curve = self.spend.plot(
            pen=pg.mkPen(c.baseline, width=2, style=Qt.PenStyle.DashLine), name="baseline"
        )
        self.savings_fill = pg.FillBetweenItem(
            self.spend_curve, self.baseline_curve, brush=pg.mkBrush(c.savings_fill)
        )
        self.spend.addItem(self.savings_fill)
        self.p50_curve = self.latency.plot(pen=pg.mkPen(c.p50, width=2), name="p50")
        self.p95_curve = self.latency.plot(pen=pg.mkPen(c.p95, width=1.5), name="p95")
        layout.addWidget(self.by_model, 0, 0)
        layout.addWidget(self.spend, 0, 1)
        layout.addWidget(self.by_task, 1, 0)
        layout.addWidget(self.latency, 1, 1)
        self.by_model.setToolTip("How many requests each model answered in the selected range")
        self.spend.setToolTip(
            "What you spent (solid) vs what the baseline model would have cost (dashed); "
            "the shaded gap is the savings"
        )
        self.by_task.setToolTip("Task types the classifier saw")
        self.latency.setToolTip("Median (p50) and 95th percentile latency over time")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_colours()

    def apply_colours(self) -> None:
        """Recolour everything from the current palette (the system switched light/dark)."""
        c = chart_colours(self.palette())
        for plot in (self.by_model, self.by_task, self.spend, self.latency):
            plot.setBackground(c.background)
            plot.getPlotItem().titleLabel.setText(
                plot.getPlotItem().titleLabel.text, color=c.foreground
            )
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(c.foreground)
                axis.setTextPen(c.foreground)
        for chart in (self.by_model, self.by_task):
            chart.bars.setOpts(brush=c.bars)
        for plot in (self.spend, self.latency):
            legend = plot.getPlotItem().legend
            if legend is not None:
                legend.setLabelTextColor(c.foreground)
                for _sample, label in legend.items:
                    label.setText(label.text)  # re-render with the new colour
        self.spend_curve.setPen(pg.mkPen(c.spend, width=2))
        self.baseline_curve.setPen(pg.mkPen(c.baseline, width=2, style=Qt.PenStyle.DashLine))
        self.savings_fill.setBrush(pg.mkBrush(c.savings_fill))
        self.p50_curve.setPen(pg.mkPen(c.p50, width=2))
        self.p95_curve.setPen(pg.mkPen(c.p95, width=1.5))

    def _time_plot(self, title: str) -> pg.PlotWidget:
        c = chart_colours(self.palette())
        plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        plot.setTitle(title, color=c.foreground)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.showGrid(x=True, y=True, alpha=c.grid_alpha)
        # Grid lines at the labelled values only: the minor levels (every 0.01 on a
        # 0-0.3 spend axis) drew a dense ladder of lines, glaring on a dark background.
        plot.getAxis("left").setStyle(maxTickLevel=0)
        legend = plot.addLegend(offset=(10, 10))
        legend.setLabelTextColor(c.foreground)
        return plot

    def show_window(self, w: Window) -> None:
        self._set_data(w)
        for plot in (self.by_model, self.by_task, self.spend, self.latency):
            # Settle the auto-range now: left to the paint, it changes the axes
            # and asks for a second paint.
            plot.getPlotItem().getViewBox().prepareForPaint()

    def _set_data(self, w: Window) -> None:
        self.by_model.set_counts(w.by_model)
        self.by_task.set_counts(w.by_task)
        t, spend, base = _thin(w.cum_t, w.cum_spend, w.cum_baseline)
        self.spend_curve.setData(t, spend)
        self.baseline_curve.setData(t, base)
        self.p50_curve.setData(w.lat_t, w.lat_p50)
        self.p95_curve.setData(w.lat_t, w.lat_p95)
        for plot in (self.spend, self.latency):
            _at_least_min_span(plot, t)


def _at_least_min_span(plot: pg.PlotWidget, t: FloatArray) -> None:
    """Show MIN_TIME_SPAN_S up to the newest point while the data spans less; else fit the data."""
    box = plot.getViewBox()
    if len(t) and t[-1] - t[0] < MIN_TIME_SPAN_S:
        end = float(t[-1]) + MIN_TIME_SPAN_S * 0.02
        box.setXRange(end - MIN_TIME_SPAN_S, end, padding=0)  # turns x auto-range off
    else:
        box.enableAutoRange(x=True)
