"""Colours for charts taken from the system palette, so light and dark themes both read well."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QGuiApplication, QPalette


@dataclass(slots=True, frozen=True)
class ChartColours:
    background: QColor
    foreground: QColor
    grid_alpha: float
    spend: QColor
    baseline: QColor
    savings_fill: QColor
    bars: QColor
    p50: QColor
    p95: QColor


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def chart_colours(palette: QPalette | None = None) -> ChartColours:
    palette = palette or QGuiApplication.palette()
    dark = is_dark(palette)
    fill = QColor("#2ea043")
    fill.setAlpha(70 if dark else 55)
    return ChartColours(
        background=palette.color(QPalette.ColorRole.Base),
        foreground=palette.color(QPalette.ColorRole.Text),
        grid_alpha=0.25 if dark else 0.15,
        spend=QColor("#58a6ff" if dark else "#1f6feb"),
        baseline=QColor("#f0883e" if dark else "#bc4c00"),
        savings_fill=fill,
        bars=QColor("#58a6ff" if dark else "#1f6feb"),
        p50=QColor("#3fb950" if dark else "#1a7f37"),
        p95=QColor("#d29922" if dark else "#9a6700"),
    )
