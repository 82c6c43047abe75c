"""Dashboard page: headline tiles, the budget bar and live charts over a selectable time range.

Real and demo traffic are never mixed: demo rows carry simulated (list-price)
costs, so while demo mode is on the page shows only them, labelled as
simulated, and otherwise only real rows.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from routerdesk.core.budget import BudgetStatus
from routerdesk.gui.models.request_row import RequestRow
from routerdesk.gui.models.usage_stats import Summary, UsageSeries
from routerdesk.gui.pages.budget import BudgetBar
from routerdesk.gui.pages.first_steps import FirstSteps
from routerdesk.gui.pages.people import MAX_LINES, NARROW_LINES
from routerdesk.gui.pages.welcome import WelcomePanel
from routerdesk.gui.throttle import Throttle
from routerdesk.gui.widgets import Banner, PageStack, Tile

if TYPE_CHECKING:
    from routerdesk.gui.pages.charts import DashboardCharts
    from routerdesk.gui.pages.people import PeopleTable

CHART_INTERVAL_MS = 1000
RANGES: tuple[tuple[str, float | None], ...] = (
    ("Last hour", 3600.0),
    ("Last day", 86400.0),
    ("Last week", 7 * 86400.0),
    ("All time", None),
)
# Below this page width the quality breakdown goes under the traffic charts, not beside
# them: three columns of plots narrower than ~300 px clip their labels.
SIDE_BY_SIDE_PX = 1000


DEMO_NOTE = (
    "Demo data — simulated costs: what these demo answers would have cost at list prices. "
    "Your real usage shows here again once demo mode is off."
)
LOCAL_SOURCE_TIP = (
    "This app's own usage log; set a team database in Settings to show a team server's usage"
)
COST_TILES = {"spend": "Spend", "baseline": "Baseline cost", "savings": "Savings"}


def money(v: float) -> str:
    return f"${v:,.4f}" if abs(v) < 10 else f"${v:,.2f}"


class DashboardPage(QWidget):
    """Tiles (requests, spend, baseline, savings, overhead) and four charts; or the welcome panel.

    Signals:
        add_key_requested(): forwarded from the empty state.
        demo_requested(): forwarded from the empty state.
    """

    add_key_requested = Signal()
    demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._series = {False: UsageSeries(), True: UsageSeries()}  # demo flag -> rows
        self.demo = False
        self.sampling = False  # sample requests on their way: keep their progress on show
        self._reset_axes = False
        self._stack = PageStack()
        self.welcome = WelcomePanel()
        self.welcome.add_key_requested.connect(self.add_key_requested)
        self.welcome.demo_requested.connect(self.demo_requested)
        self._stack.addWidget(self._build_content())
        self._stack.addWidget(self.welcome)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._stack)
        self._dirty = True
        # Tiles follow every batch from the bridge (~4/s); the charts, which cost
        # far more to paint, redraw at most every CHART_INTERVAL_MS.
        self._chart_throttle = Throttle(self._redraw_charts, CHART_INTERVAL_MS, self)
        # A time window slides even without traffic: redraw now and then.
        self._tick = QTimer(self)
        self._tick.setInterval(30_000)
        self._tick.timeout.connect(self._mark_dirty)
        self._tick.start()

    def _build_content(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        label = QLabel("&Range:")
        self.range = QComboBox()
        self.range.addItems([name for name, _ in RANGES])
        self.range.setCurrentIndex(1)
        self.range.setToolTip("Time range for the tiles and charts")
        label.setBuddy(self.range)
        self.range.currentIndexChanged.connect(self._reset_and_redraw)
        self.log_scale = QCheckBox("&Log scale for spend")
        self.log_scale.setToolTip(
            "Spend a hundred times below the baseline sits flat at zero on a linear axis; "
            "a log axis shows both"
        )
        self.log_scale.toggled.connect(self._set_log_scale)
        self.live = QLabel("")
        self.live.setToolTip("Requests running right now")
        self.source = QLabel()
        self.source.setEnabled(False)  # a quiet label; the banner below says more in team view
        top.addWidget(label)
        top.addWidget(self.range)
        top.addSpacing(12)
        top.addWidget(self.log_scale)
        top.addStretch(1)
        top.addWidget(self.live)
        top.addSpacing(12)
        top.addWidget(self.source)
        tiles = self._tiles_row = QHBoxLayout()
        self.tiles = {
            "requests": Tile("Requests", "Requests answered in the range (errors in brackets)"),
            "spend": Tile("Spend", "What the routed requests cost"),
            "baseline": Tile("Baseline cost", "What the same requests would have cost on the baseline model"),
            "savings": Tile("Savings", "Baseline cost minus spend"),
            "overhead": Tile("Router overhead", "Median time routerdesk itself added per request (parse, classify, route)"),
        }  # fmt: skip
        for tile in self.tiles.values():
            tiles.addWidget(tile)
        self.demo_banner = Banner()
        self.source_banner = Banner()
        self.budget = BudgetBar()
        # pyqtgraph (and numpy's plotting paths) take a noticeable part of start-up:
        # the charts are built just after the window first shows.
        self.charts: DashboardCharts | None = None
        # A widget, not a bare layout: until the charts arrive it still takes the
        # spare height, so the first paint has the tiles at the top, not mid-window.
        self._charts_area = QWidget()
        self._charts_area.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._charts_slot = QVBoxLayout(self._charts_area)
        self._charts_slot.setContentsMargins(0, 0, 0, 0)
        self.first_steps = FirstSteps()
        layout.addLayout(top)
        layout.addWidget(self.source_banner)
        layout.addWidget(self.demo_banner)
        layout.addLayout(tiles)
        layout.addWidget(self.budget)
        layout.addWidget(self.first_steps)
        # The traffic charts, and the quality breakdown beside them once there are audits
        # (beside while the page is wide enough: below the tiles every pixel of height is
        # already the charts' and the first steps').
        self._charts_row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self._charts_row.addWidget(self._charts_area, 2)
        layout.addLayout(self._charts_row, 1)
        return page

    # --- data in -----------------------------------------------------------------

    @property
    def series(self) -> UsageSeries:
        """The rows on show: demo rows while demo mode is on, real rows otherwise."""
        return self._series[self.demo]

    def load_history(self, records: Sequence[RequestRow]) -> None:
        ordered = sorted(records, key=lambda r: r.started_at)
        for demo, series in self._series.items():
            series.clear()
            series.extend(r for r in ordered if r.demo == demo)
        self._mark_dirty()

    def add_records(self, records: Sequence[RequestRow]) -> None:
        """A throttled batch from the bridge: at most a few calls a second."""
        demo = [r for r in records if r.demo]
        if demo:
            self._series[True].extend(demo)
        if len(demo) < len(records):
            self._series[False].extend(r for r in records if not r.demo)
        if any(r.demo == self.demo for r in records):
            self._mark_dirty()

    def set_demo(self, on: bool) -> None:
        """Show demo rows with simulated costs (labelled so) or real rows."""
        if on == self.demo:
            return
        self.demo = on
        suffix = " (simulated)" if on else ""
        for key, title in COST_TILES.items():
            self.tiles[key].set_title(title + suffix)
        if on:
            self.demo_banner.show_message(DEMO_NOTE, "warn")
        else:
            self.demo_banner.clear_message()
        self.first_steps.set_demo(on)
        self._reset_and_redraw()

    def set_sampling(self, on: bool) -> None:
        self.sampling = on
        self._mark_dirty()

    def _reset_and_redraw(self) -> None:
        """Another set of rows on show: forget pans and stale axis ranges."""
        self._reset_axes = True
        self._mark_dirty()

    def _set_log_scale(self, on: bool) -> None:
        if self.charts is not None:
            self.charts.set_log_spend(on)
            self._mark_dirty()

    def add_quality(self, tile: QWidget, chart: QWidget) -> None:
        """The quality-kept tile right after Savings, its chart right of the traffic charts
        (under them on a narrow page); both are owned by gui/pages/quality.py's QualityPanel."""
        self._tiles_row.insertWidget(list(self.tiles).index("savings") + 1, tile)
        self._charts_row.addWidget(chart, 1)

    def add_people(self, box: PeopleTable) -> None:
        """The spend-by-person table (gui/pages/people.py), right of the other charts (under
        them on a narrow page, fewer lines high)."""
        self._people = box
        self._charts_row.addWidget(box, 0, Qt.AlignmentFlag.AlignTop)

    _people: PeopleTable | None = None

    def set_source(self, team: str, note: str, kind: str) -> None:
        """Which usage log the page shows: this app's (`team` empty) or a team database's,
        with the feed's note (what was read when, or why it cannot be read)."""
        self.team_view = bool(team)
        self.source.setText(
            "Showing: team database (read-only)" if team else "Showing: this app's log"
        )
        self.source.setToolTip(
            f"The team database {team}, named in Settings" if team else LOCAL_SOURCE_TIP
        )
        if note:
            self.source_banner.show_message(note, kind)
        else:
            self.source_banner.clear_message()
        self._show_first_steps()

    def set_budget(self, status: BudgetStatus) -> None:
        self.budget.show_status(status)

    def set_in_flight(self, n: int) -> None:
        self.live.setText(f"● {n} running" if n else "")

    def set_empty_state(self, empty: bool) -> None:
        self._stack.setCurrentIndex(1 if empty else 0)

    def showing_welcome(self) -> bool:
        return self._stack.currentWidget() is self.welcome

    # --- drawing -----------------------------------------------------------------

    def since(self) -> float | None:
        span = RANGES[self.range.currentIndex()][1]
        return None if span is None else time.time() - span

    def _mark_dirty(self) -> None:
        self._dirty = True
        if self.isVisible():
            self.redraw()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        wide = event.size().width() >= SIDE_BY_SIDE_PX
        side = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        self._charts_row.setDirection(side)
        if self._people is not None:
            self._people.set_max_lines(MAX_LINES if wide else NARROW_LINES)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self.redraw()

    def redraw(self) -> None:
        self._dirty = False
        self._show_summary(self.series.summary(self.since()))
        self._show_first_steps()
        self._chart_throttle()

    team_view = False  # a team database on show: this app's first steps are beside the point

    def _show_first_steps(self) -> None:
        shown = (len(self.series) == 0 and not self.team_view) or self.sampling
        self.first_steps.setVisible(shown)

    def ensure_charts(self) -> DashboardCharts:
        if self.charts is None:
            from routerdesk.gui.pages.charts import DashboardCharts

            self.charts = DashboardCharts()
            self.charts.set_log_spend(self.log_scale.isChecked())
            self._charts_slot.addWidget(self.charts)
        return self.charts

    def _redraw_charts(self) -> None:
        if not self.isVisible():
            self._dirty = True
        elif self.charts is None:
            # First time: let the window paint before pyqtgraph loads.
            QTimer.singleShot(50, self.redraw_now)
            self.charts_pending = True
        else:
            self.charts.show_window(self.series.window(self.since()), reset=self._take_reset())

    def _take_reset(self) -> bool:
        reset, self._reset_axes = self._reset_axes, False
        return reset

    charts_pending = False

    def redraw_now(self) -> None:
        """Tiles and charts at once (first show, tests, screenshots)."""
        self._dirty = False
        self.charts_pending = False
        self._show_summary(self.series.summary(self.since()))
        self._show_first_steps()
        self._chart_throttle.cancel()
        if self.isVisible():
            self.ensure_charts().show_window(
                self.series.window(self.since()), reset=self._take_reset()
            )

    def _show_summary(self, s: Summary) -> None:
        self.tiles["requests"].set(f"{s.requests:,}", f"{s.errors:,} errors" if s.errors else "")
        self.tiles["spend"].set(money(s.spend))
        self.tiles["baseline"].set(money(s.baseline))
        pct = s.savings_pct
        self.tiles["savings"].set(f"{pct:.0f}%" if pct is not None else "–", money(s.savings))
        ms = s.median_overhead_ms
        self.tiles["overhead"].set(f"{ms:.1f} ms" if ms is not None else "–", "median")
