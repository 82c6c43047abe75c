"""Dashboard charts: time axes read as clock times even when all data spans a few seconds."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from PySide6.QtGui import QImage, QPainter

from gui.helpers import row
from routerdesk.gui.models.usage_stats import UsageSeries
from routerdesk.gui.pages.charts import (
    MAX_BARS,
    MIN_TIME_SPAN_S,
    DashboardCharts,
    break_gaps,
    count_step,
    with_other,
)

pytestmark = pytest.mark.gui


def _ticks(plot: Any) -> list[str]:
    """The tick labels the time axis draws now."""
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _line, _marks, texts = plot.getAxis("bottom").generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _rect, _flags, text in texts]


def test_first_seconds_of_traffic_show_clock_times_ending_at_the_newest(qtbot: Any) -> None:
    charts = DashboardCharts()
    qtbot.addWidget(charts)
    charts.resize(1000, 500)
    charts.show()
    qtbot.waitExposed(charts)
    series = UsageSeries()
    now = time.time()
    series.extend([row(t=now - 8 + i * 0.1) for i in range(80)])
    charts.show_window(series.window(now - 3600))
    for plot in (charts.spend, charts.latency):
        lo, hi = plot.getViewBox().viewRange()[0]
        assert hi - lo == pytest.approx(MIN_TIME_SPAN_S, rel=0.01)
        assert now - 1 <= hi <= now + MIN_TIME_SPAN_S * 0.05  # the newest point is at the right
        ticks = _ticks(plot)
        assert ticks and all(":" in t for t in ticks), ticks  # 09:41, not "10.000"
    # Once the data spans longer, the axis fits the data again.
    series.extend([row(t=now + 900 + i) for i in range(10)])
    charts.show_window(series.window(now - 3600))
    lo, hi = charts.spend.getViewBox().viewRange()[0]
    assert hi - lo > 900


def test_more_than_ten_models_end_in_an_other_bar() -> None:
    pairs = [(f"m{i}", 20 - i) for i in range(13)]
    bars = with_other(pairs)
    assert len(bars) == MAX_BARS and bars[:9] == pairs[:9]
    assert bars[-1] == ("other (4)", sum(n for _, n in pairs[9:]))
    assert sum(n for _, n in bars) == sum(n for _, n in pairs)  # nothing dropped silently
    assert with_other(pairs[:10]) == pairs[:10]


def test_count_axes_tick_at_whole_numbers(qtbot: Any) -> None:
    assert [count_step(top) for top in (1, 3, 6, 7, 13, 40, 130, 700)] == [
        1,
        1,
        1,
        2,
        5,
        10,
        50,
        200,
    ]
    charts = DashboardCharts()
    qtbot.addWidget(charts)
    charts.resize(1000, 500)
    charts.show()
    series = UsageSeries()
    series.extend([row(model="cheap"), row(model="top")])
    charts.show_window(series.window())
    labels = _ticks_of(charts.by_model, "bottom")
    assert labels and all(label.isdigit() for label in labels), labels  # no "0.5"


def _ticks_of(plot: Any, axis: str) -> list[str]:
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _line, _marks, texts = plot.getAxis(axis).generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _rect, _flags, text in texts]


def test_latency_line_breaks_at_idle_gaps() -> None:
    t = np.array([0.0, 1.0, 2.0, 300.0, 301.0])
    y = np.array([400.0, 410.0, 420.0, 55.0, 60.0])
    bt, by = break_gaps(t, 1.5, y)
    assert len(bt) == 6 and np.isnan(by[3]) and 2.0 < bt[3] < 300.0
    assert list(by[~np.isnan(by)]) == list(y)
    assert break_gaps(t[:3], 1.5, y[:3])[1].tolist() == y[:3].tolist()


def test_empty_charts_say_so_and_ranges_follow_the_rows_on_show(qtbot: Any) -> None:
    charts = DashboardCharts()
    qtbot.addWidget(charts)
    charts.resize(1000, 500)
    charts.show()
    empty = UsageSeries()
    charts.show_window(empty.window())
    assert charts.spend_placeholder.isVisible() and charts.by_task.placeholder.isVisible()
    series = UsageSeries()
    now = time.time()
    series.extend([row(t=now - 3000 + i * 30, cost=0.5) for i in range(100)])
    charts.show_window(series.window())
    charts.spend.getViewBox().setRange(xRange=(0, 10), yRange=(0, 0.001))  # the user panned
    charts.show_window(series.window(), reset=True)  # e.g. demo mode switched
    (x0, x1), (_y0, y1) = charts.spend.getViewBox().viewRange()
    assert x0 <= now - 3000 and x1 >= now - 30 and y1 >= 50.0
    assert not charts.spend_placeholder.isVisible()


def test_log_scale_keeps_small_spend_readable(qtbot: Any) -> None:
    charts = DashboardCharts()
    qtbot.addWidget(charts)
    charts.show()
    series = UsageSeries()
    now = time.time()
    series.extend([row(t=now - 600 + i, cost=0.0001) for i in range(200)])
    charts.set_log_spend(True)
    charts.show_window(series.window())
    _x, spend = charts.spend_curve.getData()
    assert charts.spend.getPlotItem().ctrl.logYCheck.isChecked()
    assert np.nanmin(spend) > -5  # log10 of dollars: the first cents are on the chart
