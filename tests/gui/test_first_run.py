"""The app as a newcomer meets it (issue 13): first run, empty states, honest status, stable layout.

Layout checks run at the default window size and at the minimum one.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionHeader, QWidget

from gui.fake_backend import FakeBackend
from gui.helpers import record
from routerdesk.core.events import PROVIDER_HEALTH_CHANGED, REQUEST_FINISHED
from routerdesk.core.types import UsageRecord
from routerdesk.gui.backend import HealthView
from routerdesk.gui.bridge import EngineBridge
from routerdesk.gui.main_window import DEFAULT_SIZE, MIN_SIZE, MainWindow
from routerdesk.gui.models.requests_model import COLUMNS
from routerdesk.gui.pages.playground import NO_KEY_NOTE
from routerdesk.gui.pages.providers import health_text
from routerdesk.gui.pages.requests import PERSON_COL, STATUS_COL
from routerdesk.gui.widgets import SortArrowStyle
from routerdesk.samples import SAMPLES

pytestmark = pytest.mark.gui
Run = Callable[[Awaitable[Any]], Any]
SIZES = pytest.mark.parametrize("size", [DEFAULT_SIZE, MIN_SIZE], ids=["1280x800", "minimum"])


def make_window(
    qtbot: Any, backend: FakeBackend | None = None, size: QSize = DEFAULT_SIZE
) -> MainWindow:
    backend = backend or FakeBackend()
    win = MainWindow(backend, EngineBridge(backend.events, interval_ms=10), hide_on_close=False)
    qtbot.addWidget(win)
    win.resize(size)
    win.show()
    qtbot.waitExposed(win)
    return win


def finish(win: MainWindow, *records: UsageRecord) -> None:
    for r in records:
        win.backend.events.publish(REQUEST_FINISHED, r)
    win.bridge.flush()


def y_in(win: MainWindow, w: QWidget) -> int:
    return w.mapTo(win, w.rect().topLeft()).y()


# --- first run --------------------------------------------------------------------------------


def test_status_bar_and_tray_text_say_what_is_true(qtbot: Any) -> None:
    win = make_window(qtbot)
    states: list[str] = []
    win.status_changed.connect(lambda _spend, state: states.append(state))
    assert win.server_label.text().endswith("· no provider key")
    win.set_demo(True)
    assert win.server_label.text().endswith("· demo") and states[-1] == "demo"
    win.set_demo(False)
    win.backend.keys["openai"] = "sk-test"  # type: ignore[attr-defined]
    win.refresh_state()
    assert win.server_label.text().endswith("· routing") and states[-1] == "routing"
    win.set_paused(True)
    assert states[-1] == "paused"


def test_a_rejected_key_is_named_in_the_status_not_taken_for_a_missing_one(qtbot: Any) -> None:
    """Issue 12 benches a rejected key; the status must not say "no provider key" then."""
    backend = FakeBackend()
    backend.keys["openai"] = "sk-test"
    win = make_window(qtbot, backend)
    states: list[str] = []
    win.status_changed.connect(lambda _spend, state: states.append(state))
    assert win.routing_state() == "routing"
    backend.health_views["openai"] = HealthView(
        "open",
        "invalid key",
        key_rejected=True,
        failures=1,
        rejected="the openai key was rejected (HTTP 401) at 10:42; replace it ...",
    )
    backend.events.publish(PROVIDER_HEALTH_CHANGED, "openai", None)  # as the engine does
    assert states[-1] == "key rejected: openai"
    assert win.server_label.text().endswith("· key rejected: openai")
    win.refresh_state()
    assert not win.dashboard.showing_welcome()  # the key is there; the Providers page says why
    assert "⚠" in win.providers.list.item(0).text()
    backend.health_views.clear()  # a new key or a successful retry
    backend.events.publish(PROVIDER_HEALTH_CHANGED, "openai", None)
    assert states[-1] == "routing"


def test_no_key_guidance_stays_after_a_failed_request(qtbot: Any) -> None:
    """A tool set up before any key gets errors; the welcome must still say what is missing."""
    win = make_window(qtbot)
    assert win.dashboard.showing_welcome()
    finish(win, record(status="error", cost=0.0))
    assert win.dashboard.showing_welcome()
    win.backend.keys["openai"] = "sk-test"  # type: ignore[attr-defined]
    win.refresh_state()
    assert not win.dashboard.showing_welcome()


def test_playground_without_keys_shows_every_strategy_as_if_providers_were_usable(
    qtbot: Any,
) -> None:
    win = make_window(qtbot)
    pg = win.playground
    pg.run()
    assert pg.table.rowCount() == 3
    assert [pg.table.item(i, 1).text() for i in range(3)] == ["cheap", "cheap", "top"]
    assert pg.banner.text() == NO_KEY_NOTE
    assert "providers" in pg.banner.text().lower()
    pg.banner.linkActivated.emit("providers")
    assert win.stack.currentWidget() is win.providers
    win.backend.keys["openai"] = "sk-test"  # type: ignore[attr-defined]
    pg.run()  # with a key: only what is usable now, and no preview note
    assert pg.banner.text() != NO_KEY_NOTE
    assert [pg.table.item(i, 1).text() for i in range(3)] == ["cheap"] * 3


def test_demo_first_steps_send_samples_and_the_charts_fill(qtbot: Any, run: Run) -> None:
    win = make_window(qtbot)
    dash = win.dashboard
    win.set_demo(True)
    dash.redraw_now()
    steps = dash.first_steps
    assert steps.isVisible() and steps.send.isVisible()
    assert win.backend.server_url in steps.curl.text()
    assert win.backend.access_token in steps.curl.text()  # the user's own machine: runnable
    charts = dash.ensure_charts()
    assert charts.by_model.placeholder.isVisible() and charts.latency_placeholder.isVisible()
    assert not charts.spend.getAxis("left").style["showValues"]  # no meaningless 0.2 0.4 ...
    steps.text.linkActivated.emit("integrations")
    assert win.stack.currentWidget() is win.integrations
    win.show_page(0)

    async def click() -> None:
        steps.send.click()
        assert win.samples is not None
        result = await win.samples
        assert (result.sent, result.ok) == (len(SAMPLES), len(SAMPLES))

    run(click())
    win.bridge.flush()
    dash.redraw_now()
    assert dash.tiles["requests"].value() == str(len(SAMPLES))
    assert not steps.isVisible()
    assert not charts.by_model.placeholder.isVisible()
    assert f"{len(SAMPLES)} sent, {len(SAMPLES)} answered" in win.statusBar().currentMessage()


def test_no_sample_button_outside_demo_mode(qtbot: Any) -> None:
    backend = FakeBackend()
    backend.keys["openai"] = "sk-test"
    win = make_window(qtbot, backend)
    win.dashboard.redraw_now()
    assert win.dashboard.first_steps.isVisible()
    assert not win.dashboard.first_steps.send.isVisible()
    win.send_samples()  # e.g. a stale click: nothing is sent to real providers
    assert win.samples is None


# --- layout: nothing jumps, everything fits ---------------------------------------------------


@SIZES
def test_dashboard_first_paint_has_tiles_at_the_top(qtbot: Any, size: QSize) -> None:
    backend = FakeBackend()
    backend.settings = backend.settings.model_copy(update={"demo": True})
    win = make_window(qtbot, backend, size)
    dash = win.dashboard
    assert dash.charts is None  # pyqtgraph arrives after the first paint
    QApplication.processEvents()
    assert y_in(win, dash.range) < 80
    assert y_in(win, dash.tiles["requests"]) < 200


@SIZES
@pytest.mark.parametrize("person", ["", "alice.example"], ids=["one person", "person tokens"])
def test_requests_table_shows_status_and_whole_costs(qtbot: Any, size: QSize, person: str) -> None:
    win = make_window(qtbot, size=size)
    wide = "claude-sonnet-5-5"  # as wide as the Model column gets
    rows = [record(wide, cost=0.0000123), record(cost=1234.5, person=person), record(wide)]
    rows[2].status, rows[2].status_code, rows[2].error = "error", 503, "upstream failed"
    rows[2].cost = 0.0
    finish(win, *rows)
    win.show_page(1)
    page = win.requests
    table, header = page.table, page.table.horizontalHeader()
    right = header.sectionViewportPosition(STATUS_COL) + header.sectionSize(STATUS_COL)
    assert header.sectionViewportPosition(STATUS_COL) >= 0 and right <= table.viewport().width()
    fm = table.fontMetrics()
    for name in ("Cost", "Saved", "Status"):
        col = [c[0] for c in COLUMNS].index(name)
        widest = max(fm.horizontalAdvance(COLUMNS[col][2](page.model.record(r))) for r in range(3))
        assert table.columnWidth(col) >= widest + 6, name
    assert table.isColumnHidden(PERSON_COL) == (not person)
    if size == DEFAULT_SIZE:  # every column but the stretching Fallbacks is on screen
        latency = [c[0] for c in COLUMNS].index("Latency")
        assert header.sectionViewportPosition(latency) + header.sectionSize(latency) <= (
            table.viewport().width()
        )


@SIZES
def test_banners_never_push_fields_down(qtbot: Any, size: QSize, run: Run) -> None:
    win = make_window(qtbot, size=size)
    win.show_page(4)
    providers = win.providers
    before = y_in(win, providers.key_edit)
    providers.set_key.click()  # nothing pasted: an error banner
    assert "Paste a key first" in providers.banner.text()
    QApplication.processEvents()
    assert y_in(win, providers.key_edit) == before
    win.show_page(3)
    pg = win.playground
    before = y_in(win, pg.table)
    pg.prompt.setPlainText("{ not json")
    pg.run()
    QApplication.processEvents()
    assert y_in(win, pg.table) == before
    win.show_page(2)
    reg = win.registry
    before = y_in(win, reg.table)
    assert reg.model.setData(reg.model.index(0, 4), "0.2")  # applied: banner + what-if line
    QApplication.processEvents()
    assert "Applied" in reg.banner.text() and not reg.what_if.isHidden()
    assert y_in(win, reg.table) == before


def test_test_result_clears_when_a_key_is_set_and_clear_asks_first(qtbot: Any, run: Run) -> None:
    win = make_window(qtbot)
    page = win.providers
    page.select("mistral")
    page.test_result.setText("✘ no key set")
    page.key_edit.setText("mistral-key-0123456789")

    async def store() -> None:
        page.set_key.click()
        assert page.pending is not None
        await page.pending

    run(store())
    assert page.test_result.text() == ""
    page.clear_key.click()
    assert page.confirm_clear is not None and "mistral" in page.confirm_clear.text()
    assert win.backend.keys == {"mistral": "mistral-key-0123456789"}  # type: ignore[attr-defined]
    page.confirm_clear.reject()
    assert win.backend.keys == {"mistral": "mistral-key-0123456789"}  # type: ignore[attr-defined]


def test_health_and_last_error_agree() -> None:
    assert health_text(HealthView()) == "healthy"
    recovered = health_text(HealthView("closed", "Could not connect", failures=0))
    assert recovered.startswith("healthy: the last call succeeded") and "earlier error" in recovered
    failing = health_text(HealthView("closed", "Could not connect", failures=2))
    assert failing.startswith("in use, the last 2 calls failed") and "healthy" not in failing
    assert "last error: HTTP 503" in health_text(HealthView("open", "HTTP 503", failures=5))


# --- Requests page -----------------------------------------------------------------------------


def test_detail_clears_when_the_filter_hides_the_row(qtbot: Any) -> None:
    win = make_window(qtbot)
    finish(win, record(model="cheap"), record(model="top", status="error"))
    win.show_page(1)
    page = win.requests
    page.table.selectRow(0)
    assert page.detail.toPlainText()
    shown = page.selected_row()
    assert shown is not None
    page.status.setCurrentIndex(2 if shown.status == "ok" else 1)  # hide the selected row
    assert page.selected_row() is None and page.detail.toPlainText() == ""


def test_sort_arrow_points_down_for_newest_first(qtbot: Any) -> None:
    """The proxy draws a descending sort (QHeaderView's SortUp) as the base style's down arrow."""
    app_style = QApplication.style()
    proxy = SortArrowStyle()

    def draw(style: QStyle, indicator: QStyleOptionHeader.SortIndicator) -> QImage:
        image = QImage(16, 16, QImage.Format.Format_ARGB32)
        image.fill(0)
        option = QStyleOptionHeader()
        option.rect = image.rect()
        option.palette = QGuiApplication.palette()
        option.sortIndicator = indicator
        painter = QPainter(image)
        style.drawPrimitive(QStyle.PrimitiveElement.PE_IndicatorHeaderArrow, option, painter)
        painter.end()
        return image

    up, down = QStyleOptionHeader.SortIndicator.SortUp, QStyleOptionHeader.SortIndicator.SortDown
    assert draw(app_style, up) != draw(app_style, down)  # the check can see a difference
    assert draw(proxy, up) == draw(app_style, down)
    win = make_window(qtbot)
    header = win.requests.table.horizontalHeader()
    assert header.style() is win.requests.arrow_style
    assert (
        header.sortIndicatorSection() == 0 and header.sortIndicatorOrder().name == "DescendingOrder"
    )


def test_row_menu_copies_without_the_token_and_exports_the_filtered_rows(
    qtbot: Any, run: Run, tmp_path: Path
) -> None:
    backend = FakeBackend()
    rows = [record(model="cheap"), record(model="top", status="error"), record(model="mid")]
    backend.add_usage(rows)
    win = make_window(qtbot, backend)
    finish(win, *rows)
    win.show_page(1)
    page = win.requests
    page.table.selectRow(0)
    first = page.selected_row()
    assert first is not None
    menu = page.row_menu(first)  # what a right-click pops up (popping up grabs the keyboard)
    actions = {a.text().replace("&", ""): a for a in menu.actions() if a.text()}
    actions["Copy request id"].trigger()
    assert QGuiApplication.clipboard().text() == first.request_id
    actions["Copy as curl (without the token)"].trigger()
    curl = QGuiApplication.clipboard().text()
    assert curl.startswith(f"curl {backend.server_url}/v1/")
    assert "$ROUTERDESK_TOKEN" in curl and backend.access_token not in curl

    async def log() -> None:
        actions["Show in usage log…"].trigger()
        assert page.pending is not None
        await page.pending

    run(log())
    assert f"Usage log entry {first.request_id}" in page.detail.toPlainText()
    page.status.setCurrentIndex(1)  # OK only
    out = tmp_path / "rows.csv"
    page.export_csv(out)
    with out.open() as f:
        written = list(csv.DictReader(f))
    assert [r["request_id"] for r in written] == [r.request_id for r in page.visible_rows()]
    assert len(written) == 2 and {r["status"] for r in written} == {"ok"}
    assert "Exported 2 rows" in page.count.text()
    assert backend.access_token not in out.read_text()


# --- Registry ----------------------------------------------------------------------------------


@SIZES
def test_registry_id_stays_in_view_and_search_filters(qtbot: Any, size: QSize) -> None:
    win = make_window(qtbot, size=size)
    win.show_page(2)
    table = win.registry.table
    QApplication.processEvents()
    frozen = table.frozen
    assert frozen.isVisible() and frozen.width() == table.columnWidth(0) + table.columnWidth(1)
    assert frozen.rowHeight(0) == table.rowHeight(0)
    table.horizontalScrollBar().setValue(table.horizontalScrollBar().maximum())
    QApplication.processEvents()
    assert table.horizontalScrollBar().value() > 0  # the scores are off to the right
    assert frozen.columnViewportPosition(1) == table.columnWidth(0)  # Id did not move
    assert frozen.visualRect(frozen.model().index(0, 1)).isValid()
    win.registry.search.setText("to")
    shown = [r for r in range(table.model().rowCount()) if not table.isRowHidden(r)]
    assert [table.model().spec(r).id for r in shown] == ["top"]
    assert [r for r in range(3) if not frozen.isRowHidden(r)] == shown
    win.registry.search.clear()
    assert not any(table.isRowHidden(r) for r in range(3))


def test_axis_ranges_follow_a_demo_switch(qtbot: Any) -> None:
    """Real rows an hour old, demo rows from the last minutes: each switch refits the axes."""
    backend = FakeBackend()
    backend.keys["openai"] = "sk-test"
    win = make_window(qtbot, backend)
    now = time.time()
    real = [record(cost=2.0, t=now - 3600 + i * 60) for i in range(30)]
    demo = [record(cost=0.001, t=now - 100 + i) for i in range(30)]
    for r in demo:
        r.demo = True
    win.load_history([*real, *demo])
    dash = win.dashboard
    dash.redraw_now()
    charts = dash.ensure_charts()
    (x0, _x1), (_y0, y1) = charts.spend.getViewBox().viewRange()
    assert x0 <= now - 3600 and y1 >= 60.0  # thirty real requests at $2
    charts.spend.getViewBox().setRange(xRange=(0, 1), yRange=(0, 1))  # panned away
    win.set_demo(True)
    dash.redraw_now()
    (x0, x1), (_y0, y1) = charts.spend.getViewBox().viewRange()
    assert now - 200 <= x0 and x1 >= now - 71 and y1 < 1.0  # demo minutes, cents
    win.set_demo(False)
    dash.redraw_now()
    (x0, _x1), (_y0, y1) = charts.spend.getViewBox().viewRange()
    assert x0 <= now - 3600 and y1 >= 60.0
