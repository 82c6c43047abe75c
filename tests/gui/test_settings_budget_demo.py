"""Issue 5 and 6 in the GUI over a fake backend: settings controls, what-if projections,
the budget bar, demo-only/real-only views, the About box."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gui.fake_backend import FakeBackend
from gui.helpers import record, small_registry
from routerdesk import __version__
from routerdesk.core.events import REQUEST_FINISHED
from routerdesk.core.l2 import Agreement, L2Status
from routerdesk.core.registry import Registry
from routerdesk.core.types import UsageRecord
from routerdesk.gui.bridge import EngineBridge
from routerdesk.gui.main_window import MainWindow
from routerdesk.gui.models.registry_model import COLUMNS
from routerdesk.gui.pages.what_if import WhatIfPanel

pytestmark = pytest.mark.gui
Run = Callable[[Awaitable[Any]], Any]


def json_registry() -> Registry:
    """small_registry() with JSON output on every model but "top"."""
    return Registry(
        [
            m if m.id == "top" else m.model_copy(update={"features": frozenset({"json"})})
            for m in small_registry()
        ]
    )


def make_window(qtbot: Any, backend: FakeBackend | None = None) -> MainWindow:
    backend = backend or FakeBackend()
    win = MainWindow(backend, EngineBridge(backend.events, interval_ms=10), hide_on_close=False)
    qtbot.addWidget(win)
    win.show()
    return win


@pytest.fixture
def window(qtbot: Any) -> MainWindow:
    return make_window(qtbot, FakeBackend(json_registry()))


def finish(win: MainWindow, qtbot: Any, *records: UsageRecord) -> None:
    for r in records:
        win.backend.events.publish(REQUEST_FINISHED, r)
    win.bridge.flush()


# --- settings: issue 6 controls --------------------------------------------------------------


def test_settings_issue6_controls_save_through_the_model(window: MainWindow) -> None:
    page = window.settings_page
    backend = window.backend
    page.l2_mode.setCurrentIndex(page.l2_mode.findData("shadow"))
    page.l2_deadline.setValue(2.5)
    page.l2_model.setCurrentIndex(page.l2_model.findData("mid"))
    page.pinning.setChecked(False)
    page.pin_window.setValue(30)
    page.daily.setText("$2.50")
    page.monthly.setText("")
    page.step_down.setValue(70)
    page.at_limit.setCurrentIndex(page.at_limit.findData("local_only"))
    page.save.click()
    s = backend.settings
    assert (s.routing.l2.mode, s.routing.l2.deadline_s, s.routing.l2.model) == (
        "shadow",
        2.5,
        "mid",
    )
    assert not s.routing.pinning and s.routing.pin_window_s == 1800
    assert s.budgets.daily_usd == 2.5 and s.budgets.monthly_usd is None
    assert s.budgets.step_down_at == 0.7 and s.budgets.at_limit == "local_only"
    page.load()  # and back into the form
    assert page.daily.text() == "2.5" and page.monthly.text() == "" and page.step_down.value() == 70


def test_settings_rejects_bad_budgets_without_saving(window: MainWindow) -> None:
    page, backend = window.settings_page, window.backend
    before = backend.settings
    page.daily.setText("lots")
    page.save.click()
    assert "Daily limit" in page.banner.text() and "not an amount" in page.banner.text()
    page.daily.setText("-3")
    page.save.click()
    assert (
        "budgets.daily_usd" in page.banner.text()
        and "greater than or equal to 0" in page.banner.text()
    )
    assert backend.settings is before


def test_l2_status_line_and_model_choices(qtbot: Any) -> None:
    backend = FakeBackend(json_registry())
    win = make_window(qtbot, backend)
    page = win.settings_page
    choices = [page.l2_model.itemData(i) for i in range(page.l2_model.count())]
    assert choices == ["", "cheap", "mid"]  # automatic, then JSON-capable models only
    assert "L2 off: no provider key for a JSON-capable model" in page.l2_status.text()
    backend.l2 = L2Status(True, "shadow", "cheap", "L2 on: cheap", Agreement(4, 3))
    page.refresh_l2_status()
    text = page.l2_status.text()
    assert "L2 on: cheap (shadow mode)" in text and "3 of 4 requests (75%)" in text


def test_every_settings_control_has_a_tooltip(window: MainWindow) -> None:
    page = window.settings_page
    controls = [
        page.strategy, page.tier, page.baseline, page.pinning, page.pin_window, page.l2,
        page.threshold, page.l2_mode, page.l2_deadline, page.l2_model, page.l2_status,
        page.daily, page.monthly, page.step_down, page.at_limit, page.port, page.regenerate,
        page.previews, page.retention, page.save, page.revert,
    ]  # fmt: skip
    missing = [c.objectName() or type(c).__name__ for c in controls if not c.toolTip()]
    assert not missing


# --- what-if projections ---------------------------------------------------------------------


def seeded_backend(n: int = 40, *, demo: bool = False) -> FakeBackend:
    backend = FakeBackend()
    now = time.time()
    records = []
    for i in range(n):
        r = record(model="top", task="simple_qa", cost=0.0, t=now - 3600 * (i % 100))
        r.cost = 5.0 * 100 / 1e6 + 20.0 * 50 / 1e6  # what "top" costs for 100 in, 50 out
        r.demo = demo
        records.append(r)
    backend.add_usage(records)
    return backend


def test_strategy_change_projects_the_last_week(qtbot: Any, run: Run) -> None:
    backend = seeded_backend()
    page = make_window(qtbot, backend).settings_page
    assert page.what_if.isHidden()

    async def scenario() -> None:
        page.strategy.setCurrentText("cheapest")
        assert not page.what_if.isHidden()
        page.what_if.start_now()  # skip the debounce
        assert page.what_if.pending is not None
        await page.what_if.pending

    run(scenario())
    text = page.what_if.text()
    # Compared with the same rows routed as set up now (balanced), not with what they cost then.
    assert text.startswith("Last 7 days under cheapest: $0.0012 (as set up now $0.0120), saves 90%")
    assert "top models: cheap 100%" in text and "40 of 40 requests would change model" in text
    assert backend.settings.routing.strategy == "balanced"  # nothing applied yet
    page.strategy.setCurrentText("balanced")  # back to the saved strategy: nothing to show
    assert page.what_if.isHidden()


def test_registry_edit_projects_before_save(qtbot: Any, run: Run) -> None:
    backend = seeded_backend(12)
    win = make_window(qtbot, backend)
    page = win.registry

    async def scenario() -> None:
        model = page.model
        row = next(i for i in range(model.rowCount()) if model.spec(i).id == "mid")
        assert model.setData(model.index(row, 0), 0, role=10)  # disable what balanced picks
        page.what_if.start_now()
        assert page.what_if.pending is not None
        await page.what_if.pending

    run(scenario())
    text = page.what_if.text()
    assert text.startswith("Last 7 days with the edited registry:")
    assert "mid" not in text.split("top models:")[1]
    assert "12 of 12 requests would change model" in text
    page.save.click()
    # Saved: the panel keeps its place (the table must not jump) and says what it is for.
    assert not page.what_if.isHidden() and page.what_if.text() == page.what_if.idle_hint


def test_a_no_op_registry_edit_projects_no_change(qtbot: Any, run: Run) -> None:
    """A price no request depends on (the top model's cached input): 0 changes, the same cost."""
    backend = seeded_backend(12)
    page = make_window(qtbot, backend).registry
    model = page.model
    row = next(i for i in range(model.rowCount()) if model.spec(i).id == "top")
    col = [c[0] for c in COLUMNS].index("Cached $/M")

    async def scenario() -> None:
        assert model.setData(model.index(row, col), "0.5")
        page.what_if.start_now()
        assert page.what_if.pending is not None
        await page.what_if.pending

    run(scenario())
    assert model.spec(row).prices.cached_input == 0.5
    text = page.what_if.text()
    assert "no request would change model and the cost stays" in text, text


def test_what_if_in_demo_mode_uses_demo_rows_labelled_simulated(qtbot: Any, run: Run) -> None:
    backend = seeded_backend(5, demo=True)
    backend.settings = backend.settings.model_copy(update={"demo": True})
    panel = WhatIfPanel(backend)
    qtbot.addWidget(panel)

    async def scenario() -> None:
        panel.request("cheapest")
        panel.start_now()
        assert panel.pending is not None
        await panel.pending

    run(scenario())
    assert "5 of 5 demo requests (simulated costs) would change model" in panel.text()
    backend.settings = backend.settings.model_copy(update={"demo": False})

    async def real() -> None:
        panel.start_now()
        assert panel.pending is not None
        await panel.pending

    run(real())
    assert panel.text() == "No requests in the last 7 days to project under cheapest from."


# --- dashboard: budget bar and demo accounting ---------------------------------------------------


def test_budget_bar_hidden_without_limits_then_green_amber_red(
    window: MainWindow, qtbot: Any
) -> None:
    bar = window.dashboard.budget
    assert bar.isHidden()
    s = window.backend.settings.model_copy(deep=True)
    s.budgets.daily_usd = 1.0
    window.backend.save_settings(s)
    window.refresh_state()
    assert not bar.isHidden() and bar.state("daily") == "ok" and bar.state("monthly") == ""
    finish(window, qtbot, record(cost=0.85))
    assert bar.state("daily") == "near"
    assert "near the limit" in bar.rows["daily"][2].text()
    finish(window, qtbot, record(cost=0.3))
    assert bar.state("daily") == "at_limit"
    assert "$1.15 of $1.00 today" in bar.rows["daily"][2].text()
    finish(window, qtbot, dataclasses.replace(record(cost=5.0), demo=True))
    assert "$1.15 of $1.00" in bar.rows["daily"][2].text()  # demo never counts


def test_demo_mode_shows_only_demo_rows_with_simulated_labels(
    window: MainWindow, qtbot: Any
) -> None:
    real = record(cost=0.01)
    demo = dataclasses.replace(record(cost=0.5), demo=True, request_id="demo-1")
    window.load_history([real])
    finish(window, qtbot, demo)
    dash = window.dashboard
    dash.redraw_now()
    assert dash.tiles["spend"].title() == "Spend" and dash.tiles["spend"].value() == "$0.0100"
    assert dash.tiles["requests"].value() == "1" and dash.demo_banner.isHidden()
    window.set_demo(True)
    dash.redraw_now()
    assert dash.tiles["spend"].title() == "Spend (simulated)"
    assert dash.tiles["savings"].title() == "Savings (simulated)"
    assert dash.tiles["spend"].value() == "$0.5000"
    assert (
        "Demo data — simulated costs" in dash.demo_banner.text() and not dash.demo_banner.isHidden()
    )
    window.show_page(1)
    proxy = window.requests.proxy
    assert proxy.rowCount() == 1 and not window.requests.demo_banner.isHidden()
    assert window.requests.model.record(proxy.mapToSource(proxy.index(0, 0)).row()).demo
    # the status bar and tray show real money only
    finish(window, qtbot, dataclasses.replace(demo, request_id="demo-2"))
    assert (
        window.spend_label.text() == "Today: $0.0000"
    )  # `real` came from history, not today's tracker
    finish(window, qtbot, record(cost=0.02))
    assert window.spend_label.text() == "Today: $0.0200"
    window.set_demo(False)
    dash.redraw_now()
    assert dash.tiles["spend"].title() == "Spend" and dash.tiles["spend"].value() == "$0.0300"
    assert proxy.rowCount() == 2 and window.requests.demo_banner.isHidden()


# --- About -----------------------------------------------------------------------------------


def test_about_shows_version_config_folder_and_server(window: MainWindow) -> None:
    window.about_action.trigger()
    box = window.about_box
    assert box is not None and box.isVisible()
    text = box.text()
    assert __version__ in text and str(window.backend.config_dir) in text
    assert window.backend.server_url in text
    box.close()
