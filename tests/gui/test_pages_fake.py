"""Every page builds over a fake backend and shows its data; the window wires them together."""

from __future__ import annotations

from typing import Any

import pytest

from gui.fake_backend import FakeBackend
from gui.helpers import record
from routerdesk.core.events import REQUEST_FINISHED, REQUEST_STARTED
from routerdesk.gui.bridge import EngineBridge
from routerdesk.gui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot: Any) -> MainWindow:
    backend = FakeBackend()
    bridge = EngineBridge(backend.events, interval_ms=10)
    win = MainWindow(backend, bridge, hide_on_close=False)
    qtbot.addWidget(win)
    win.show()
    return win


def test_first_run_shows_welcome_and_demo_switch(window: MainWindow, qtbot: Any) -> None:
    assert window.dashboard.showing_welcome()
    window.dashboard.welcome.demo.click()
    assert window.backend.settings.demo
    assert not window.dashboard.showing_welcome()
    assert window.demo_switch.isChecked()


def test_events_reach_table_and_tiles(window: MainWindow, qtbot: Any) -> None:
    bus = window.backend.events
    for _ in range(20):
        bus.publish(REQUEST_STARTED, "r", "auto")
        bus.publish(REQUEST_FINISHED, record(cost=0.01))
    qtbot.waitUntil(lambda: window.dashboard.tiles["requests"].value() == "20")
    window.show_page(1)
    assert window.requests.model.rowCount() == 20
    assert window.dashboard.tiles["spend"].value() == "$0.2000"
    assert window.spend_label.text() == "Today: $0.2000"
    window.show_page(1)
    window.requests.table.selectRow(0)
    assert "Candidates" in window.requests.detail.toHtml()


def test_playground_shows_each_strategy(window: MainWindow) -> None:
    pg = window.playground
    pg.prompt.setPlainText('{"messages": [{"role": "user", "content": "hi"}]}')
    pg.run()
    assert pg.table.rowCount() == 3
    assert pg.table.item(0, 1).text() == "cheap"
    assert pg.table.item(2, 1).text() == "top"


def test_registry_edit_goes_to_backend(window: MainWindow) -> None:
    model = window.registry.model
    model.setData(model.index(0, 4), "0.5")
    assert window.backend.registry["cheap"].prices.input == 0.5
    assert window.registry.save.isEnabled()
    window.registry.save.click()
    assert window.backend.saved_registry["cheap"].prices.input == 0.5
    assert not model.setData(model.index(0, 4), "abc")
    assert not window.registry.banner.isHidden() and "not a number" in window.registry.banner.text()


def test_providers_key_field_clears(window: MainWindow, run: Any) -> None:
    page = window.providers
    page.select("anthropic")
    page.key_edit.setText("sk-ant-secret-value")
    page.set_key.click()
    assert page.key_edit.text() == ""
    run(page.pending)
    assert window.backend.keys["anthropic"] == "sk-ant-secret-value"
    assert "set" in page.key_state.text()


def test_providers_timeouts_are_shown_and_saved(window: MainWindow) -> None:
    page = window.providers
    page.select("openai")
    assert page.timeouts["first_event"].value() == 10.0  # the default, on screen
    page.timeouts["first_event"].setValue(7.5)
    page.timeouts["first_byte"].setValue(900.0)
    page.save_timeouts.click()
    saved = window.backend.settings.provider("openai").timeouts
    assert (saved.first_event, saved.first_byte) == (7.5, 900.0)
    page.select("anthropic")
    assert page.timeouts["first_event"].value() == 10.0
    page.select("openai")
    assert page.timeouts["first_event"].value() == 7.5


def test_settings_save(window: MainWindow) -> None:
    page = window.settings_page
    page.strategy.setCurrentText("cheapest")
    page.previews.setChecked(True)
    page.save.click()
    assert window.backend.settings.routing.strategy == "cheapest"
    assert window.backend.settings.privacy.previews


def test_integrations_have_token(window: MainWindow) -> None:
    texts = [v.code.text() for v in window.integrations.views]
    assert any("ANTHROPIC_BASE_URL" in t and "rd-test-token" in t for t in texts)
    assert any("--openai-api-base" in t and "openai/auto" in t for t in texts)
    assert any("unset ANTHROPIC_API_KEY" in t for t in texts)
    assert any('ANTHROPIC_DEFAULT_HAIKU_MODEL="auto:cheapest"' in t for t in texts)
    assert any("OPENAI_API_BASE=" in t and "/v1" in t for t in texts)
    intros = {v.title.text(): v.intro.text() for v in window.integrations.views}
    windsurf = next(text for title, text in intros.items() if "Windsurf" in title)
    assert "no custom base URL" in windsurf
    cursor = next(text for title, text in intros.items() if "Cursor" in title)
    assert "from its own servers" in cursor and "localhost" in cursor


def test_registry_editors_are_a_provider_list_and_score_spinners(window: MainWindow) -> None:
    from PySide6.QtWidgets import QComboBox, QSpinBox, QStyleOptionViewItem

    from routerdesk.gui.pages.registry_delegate import PROVIDER_COL, SCORE_COLS

    table, model = window.registry.table, window.registry.model
    delegate = table.itemDelegate()
    index = model.index(0, PROVIDER_COL)
    combo = delegate.createEditor(table.viewport(), QStyleOptionViewItem(), index)
    assert isinstance(combo, QComboBox)
    combo.setCurrentText("mistral")
    delegate.setModelData(combo, model, index)
    assert model.spec(0).provider == "mistral"
    index = model.index(0, min(SCORE_COLS))
    spin = delegate.createEditor(table.viewport(), QStyleOptionViewItem(), index)
    assert isinstance(spin, QSpinBox) and spin.maximum() == 5
    spin.setValue(5)
    delegate.setModelData(spin, model, index)
    assert max(model.spec(0).capabilities.values()) == 5
