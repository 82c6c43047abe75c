"""Dashboard charts: time axes read as clock times even when all data spans a few seconds."""

from __future__ import annotations

import time
from typing import Any

import pytest
from PySide6.QtGui import QImage, QPainter

from gui.helpers import row
from routerdesk.gui.models.usage_stats import UsageSeries
from routerdesk.gui.pages.charts import MIN_TIME_SPAN_S, DashboardCharts

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
