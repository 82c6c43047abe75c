"""The dashboard's four pyqtgraph charts, drawn from one `Window` of aggregated usage."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QGridLayout, QWidget

from routerdesk.gui.models.usage_stats import FloatArray, Window
from routerdesk.gui.theme import ChartColours, chart_colours

MAX_POINTS = 600  # a line never needs more points than the chart has pixels
MAX_BARS = 10  # the 10th bar sums the rest as "other" when there are more
EMPTY_TEXT = "No requests in this range yet"
# A time axis spanning only seconds labels its ticks "10.000 11.000" (seconds and
# milliseconds), which reads as plain numbers: show at least two minutes, so
# ticks are clock times from the first requests on.
MIN_TIME_SPAN_S = 120.0


def with_other(pairs: list[tuple[str, int]], limit: int = MAX_BARS) -> list[tuple[str, int]]:
    """At most `limit` bars: the most used, then one "other (N)" bar summing the rest."""
    if len(pairs) <= limit:
        return pairs
    rest = pairs[limit - 1 :]
    return [*pairs[: limit - 1], (f"other ({len(rest)})", sum(n for _, n in rest))]


def count_step(top: float) -> float:
    """A whole-number tick step (1, 2, 5, 10, 20, 50 ...) giving at most ~6 labels up to `top`."""
    step = 1.0
    while top / step > 6:
        for factor in (2.0, 2.5, 2.0):  # 1 -> 2 -> 5 -> 10
            step *= factor
            if top / step <= 6:
                break
    return step


def break_gaps(t: FloatArray, gap: float, *ys: FloatArray) -> tuple[FloatArray, ...]:
    """Insert a NaN point wherever points are more than `gap` apart, so the line breaks there.

    A latency line drawn straight across minutes of silence suggests a trend that
    never happened.
    """
    if len(t) < 2 or gap <= 0:
        return (t, *ys)
    cut = np.flatnonzero(np.diff(t) > gap) + 1
    if not len(cut):
        return (t, *ys)
    mid = (t[cut - 1] + t[cut]) / 2
    return (np.insert(t, cut, mid), *(np.insert(y, cut, np.nan) for y in ys))


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
        self.placeholder = _placeholder(self, colours)

    def set_counts(self, pairs: list[tuple[str, int]]) -> None:
        pairs = with_other(pairs)
        ys = list(range(len(pairs)))
        widths = [n for _, n in pairs]
        self.bars.setOpts(x0=[0] * len(pairs), y=ys, width=widths, height=0.6)
        self.getAxis("left").setTicks([[(i, name) for i, (name, _) in enumerate(pairs)]])
        top = max(widths, default=1)
        step = count_step(top)
        self.getAxis("bottom").setTickSpacing(step, step)  # counts are whole numbers
        self.setXRange(0, top * 1.05, padding=0)
        self.setYRange(-0.6, max(len(pairs), 3) - 0.4, padding=0)
        self.placeholder.setVisible(not pairs)
        self.getAxis("bottom").setStyle(showValues=bool(pairs))
        self.placeholder.setPos(top * 1.05 / 2, 1)


def _placeholder(plot: pg.PlotWidget, colours: ChartColours) -> pg.TextItem:
    """A centred "no requests" line, shown while the chart has nothing to draw."""
    text = pg.TextItem(EMPTY_TEXT, color=colours.foreground, anchor=(0.5, 0.5))
    text.setZValue(10)
    plot.addItem(text, ignoreBounds=True)
    return text


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
        # connect="finite": NaNs from break_gaps cut the line; small dots keep a lone
        # bucket between two gaps visible.
        self.p50_curve = self.latency.plot(
            pen=pg.mkPen(c.p50, width=2), name="p50", connect="finite",
            symbol="o", symbolSize=4, symbolPen=None, symbolBrush=c.p50,
        )  # fmt: skip
        self.p95_curve = self.latency.plot(
            pen=pg.mkPen(c.p95, width=1.5), name="p95", connect="finite",
            symbol="o", symbolSize=3, symbolPen=None, symbolBrush=c.p95,
        )  # fmt: skip
        self.spend_placeholder = _placeholder(self.spend, c)
        self.latency_placeholder = _placeholder(self.latency, c)
        self.log_spend = False
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
        self.p50_curve.setSymbolBrush(c.p50)
        self.p95_curve.setSymbolBrush(c.p95)
        for text in (
            self.by_model.placeholder,
            self.by_task.placeholder,
            self.spend_placeholder,
            self.latency_placeholder,
        ):
            text.setColor(c.foreground)

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

    def set_log_spend(self, on: bool) -> None:
        """A log scale keeps a spend of cents readable beside a baseline of dollars."""
        self.log_spend = on
        self.spend.setLogMode(x=False, y=on)
        self.spend.getPlotItem().getViewBox().enableAutoRange(y=True)

    def show_window(self, w: Window, *, reset: bool = False) -> None:
        """Draw `w`; `reset` forgets any pan or zoom (another range, demo switched)."""
        if reset:
            for plot in (self.spend, self.latency):
                plot.getPlotItem().getViewBox().enableAutoRange()
        self._set_data(w)
        for plot in (self.by_model, self.by_task, self.spend, self.latency):
            # Settle the auto-range now: left to the paint, it changes the axes
            # and asks for a second paint.
            plot.getPlotItem().getViewBox().prepareForPaint()

    def _set_data(self, w: Window) -> None:
        self.by_model.set_counts(w.by_model)
        self.by_task.set_counts(w.by_task)
        t, spend, base = _thin(w.cum_t, w.cum_spend, w.cum_baseline)
        if self.log_spend:  # log10(0) is -inf: leave the zero start out
            spend = np.where(spend > 0, spend, np.nan)
            base = np.where(base > 0, base, np.nan)
        self.spend_curve.setData(t, spend, connect="finite")
        self.baseline_curve.setData(t, base, connect="finite")
        lat_t, p50, p95 = break_gaps(w.lat_t, w.lat_bucket_s * 1.5, w.lat_p50, w.lat_p95)
        self.p50_curve.setData(lat_t, p50)
        self.p95_curve.setData(lat_t, p95)
        for plot, text, times in (
            (self.spend, self.spend_placeholder, t),
            (self.latency, self.latency_placeholder, lat_t),
        ):
            empty = not len(times)
            _at_least_min_span(plot, times)
            text.setVisible(empty)
            # No values to read while empty: "0.2 0.4 0.6" on an empty axis means nothing.
            plot.getAxis("left").setStyle(showValues=not empty)
            box = plot.getViewBox()
            if empty:
                box.setYRange(0, 1, padding=0)
                lo, hi = box.viewRange()[0]
                text.setPos((lo + hi) / 2, 0.5)
            else:
                box.enableAutoRange(y=True)


def _at_least_min_span(plot: pg.PlotWidget, t: FloatArray) -> None:
    """Show MIN_TIME_SPAN_S up to the newest point while the data spans less; else fit the data."""
    box = plot.getViewBox()
    if not len(t):  # nothing yet: the last minutes up to now, not 1970 or a stale range
        end = time.time()
        box.setXRange(end - MIN_TIME_SPAN_S, end, padding=0)
    elif t[-1] - t[0] < MIN_TIME_SPAN_S:
        end = float(t[-1]) + MIN_TIME_SPAN_S * 0.02
        box.setXRange(end - MIN_TIME_SPAN_S, end, padding=0)  # turns x auto-range off
    else:
        box.enableAutoRange(x=True)
