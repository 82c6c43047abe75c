"""End to end: the real app (runtime, aiohttp server, window) on one qasync loop, driven by the openai SDK.

The SDK is synchronous and runs in a worker thread (`asyncio.to_thread`) so
the loop keeps serving while the test waits for it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import keyring
import pytest
from openai import OpenAI
from PySide6.QtWidgets import QMessageBox

from gui.conftest import TOKEN
from routerdesk.app import DesktopApp
from routerdesk.core.audit import AUDIT_TASK
from routerdesk.core.types import ChatRequest, Message, TextPart
from routerdesk.gui.main_window import MainWindow
from routerdesk.gui.models.request_row import RequestRow
from routerdesk.gui.runtime_backend import RuntimeBackend
from routerdesk.samples import SAMPLES
from routerdesk.storage.secrets import SERVICE

pytestmark = pytest.mark.gui


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def routed_rows(win: MainWindow) -> list[RequestRow]:
    """The Requests table's rows but the audits' own calls: demo mode audits a share of
    requests a second after they finish, so their rows may or may not be there yet."""
    model = win.requests.model
    rows = [model.record(i) for i in range(model.rowCount())]
    return [r for r in rows if r.task != AUDIT_TASK]


def ask(url: str, prompt: str, model: str = "auto") -> Any:
    client = OpenAI(base_url=f"{url}/v1", api_key=TOKEN, max_retries=0, timeout=10)
    return client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": prompt}]
    )


async def started(**kw: Any) -> DesktopApp:
    app = DesktopApp(demo=True, demo_latency_scale=0.0, port=0, bridge_interval_ms=50, **kw)
    await app.start()
    return app


PROMPTS = [
    "What is the capital of France?",
    "Write a Python function that reverses a linked list.",
    "Translate 'good morning, how are you?' into German.",
    "Summarize the following text in one sentence: routers pick models by price and skill.",
]


def test_sdk_requests_show_up_in_table_and_tiles(run: Callable[[Awaitable[None]], None]) -> None:
    async def scenario() -> None:
        app = await started(tray=False)
        win = app.window
        assert isinstance(win, MainWindow)
        try:
            for prompt in PROMPTS:
                reply = await asyncio.to_thread(ask, app.url, prompt)
                assert reply.choices[0].message.content
            await until(lambda: win.dashboard.tiles["requests"].value() == str(len(PROMPTS)))
            win.show_page(1)  # the table takes rows while hidden, shows them when visible
            assert len(routed_rows(win)) == len(PROMPTS)
            await asyncio.to_thread(ask, app.url, "One more, with the table in view.")
            await until(lambda: len(routed_rows(win)) == len(PROMPTS) + 1)
            record = routed_rows(win)[0]
            assert record.status == "ok" and record.model_id
            assert not win.dashboard.showing_welcome()
            win.requests.table.selectRow(win.requests.visible_rows().index(record))
            assert "Candidates" in win.requests.detail.toHtml()
        finally:
            await app.stop()

    run(scenario())


def test_registry_edit_persists_and_changes_next_decision(
    run: Callable[[Awaitable[None]], None],
) -> None:
    async def scenario() -> None:
        app = await started(tray=False)
        win = app.window
        assert win is not None and app.backend is not None
        try:
            req = ChatRequest(
                messages=[Message("user", [TextPart("What is 2 + 2?")])], model="auto:cheapest"
            )
            _, before = app.backend.decide(req)
            model = win.registry.model
            row = next(i for i in range(model.rowCount()) if model.spec(i).id == before.primary)
            assert model.setData(model.index(row, 0), 0, role=10)  # CheckStateRole: disable it
            _, after = app.backend.decide(req)
            assert after.primary != before.primary
            win.registry.save.click()
            from routerdesk.core.registry_file import load_registry
            from routerdesk.storage.paths import registry_path

            saved = load_registry(registry_path()).registry
            assert not saved[before.primary].enabled
            # and a rejected edit leaves file and engine alone, with a visible reason
            assert not model.setData(model.index(row, 4), "-3")
            assert "greater than or equal to 0" in win.registry.banner.text()
        finally:
            await app.stop()

    run(scenario())


def test_sample_requests_go_through_the_real_server(
    run: Callable[[Awaitable[None]], None],
) -> None:
    """Demo mode's first step: the dashboard button sends the mix over HTTP to the app's server."""

    async def scenario() -> None:
        app = await started(tray=False)
        win = app.window
        assert win is not None and isinstance(app.backend, RuntimeBackend)
        app.backend.sample_spread_s = 0.5
        try:
            win.dashboard.redraw_now()
            steps = win.dashboard.first_steps
            assert steps.isVisible() and steps.send.isVisible()
            steps.send.click()
            assert win.samples is not None
            result = await win.samples
            assert (result.sent, result.ok, result.errors) == (len(SAMPLES), len(SAMPLES), {})
            await until(lambda: win.dashboard.tiles["requests"].value() == str(len(SAMPLES)))
            win.dashboard.redraw_now()
            assert not steps.isVisible()
            win.show_page(1)
            rows = routed_rows(win)
            assert len(rows) == len(SAMPLES) and all(r.status == "ok" for r in rows)
            assert {r.client.split("/")[0] for r in rows} == {"routerdesk-samples"}
            assert {r.strategy for r in rows} >= {"cheapest", "balanced", "best"}
            assert len({r.task for r in rows}) >= 6 and len({r.model_id for r in rows}) >= 3
            for _ in range(100):  # the usage log writes in batches
                entry = await app.backend.log_entry(rows[0].request_id)
                if entry is not None:
                    break
                await asyncio.sleep(0.05)
            assert entry is not None and entry["model_id"] == rows[0].model_id
        finally:
            await app.stop()

    run(scenario())


def test_provider_key_goes_to_keyring(run: Callable[[Awaitable[None]], None]) -> None:
    async def scenario() -> None:
        app = await started(tray=False)
        win = app.window
        assert win is not None
        try:
            page = win.providers
            page.select("mistral")
            page.key_edit.setText("mistral-test-key-0123456789")
            page.set_key.click()
            assert page.key_edit.text() == ""  # never left on screen
            assert page.pending is not None
            await page.pending
            assert keyring.get_password(SERVICE, "mistral") == "mistral-test-key-0123456789"
            assert "keyring" in page.key_state.text()
            stored = page.pending
            page.clear_key.click()  # asks first
            assert page.confirm_clear is not None and page.pending is stored
            page.confirm_clear.button(QMessageBox.StandardButton.Cancel).click()
            assert keyring.get_password(SERVICE, "mistral") == "mistral-test-key-0123456789"
            page.clear_key.click()
            assert page.confirm_clear is not None
            page.confirm_clear.button(QMessageBox.StandardButton.Yes).click()
            assert page.pending is not stored
            await page.pending
            assert keyring.get_password(SERVICE, "mistral") is None
        finally:
            await app.stop()

    run(scenario())


def test_close_to_tray_keeps_serving_and_demo_switch(
    run: Callable[[Awaitable[None]], None],
) -> None:
    async def scenario() -> None:
        app = await started(tray=True)
        win = app.window
        assert win is not None and app.tray is not None
        try:
            win.close()
            assert not win.isVisible()
            reply = await asyncio.to_thread(ask, app.url, "Still there?")
            assert reply.choices[0].message.content
            await until(lambda: "Today's spend" in app.tray.tooltip())  # type: ignore[union-attr]
            app.tray.open_action.trigger()
            assert win.isVisible()
            app.tray.pause_action.trigger()
            assert app.runtime.engine.paused and win.pause_action.isChecked()
        finally:
            await app.stop()

    run(scenario())


def test_first_run_without_keys_offers_demo(run: Callable[[Awaitable[None]], None]) -> None:
    async def scenario() -> None:
        app = DesktopApp(port=0, tray=False, bridge_interval_ms=50)
        await app.start()
        win = app.window
        assert win is not None
        try:
            assert win.dashboard.showing_welcome()
            win.dashboard.welcome.demo.click()
            assert app.runtime.engine.demo and not win.dashboard.showing_welcome()
            reply = await asyncio.to_thread(ask, app.url, "hello")
            assert "[demo]" in (reply.choices[0].message.content or "")
            win.demo_switch.setChecked(False)
            assert not app.runtime.engine.demo
        finally:
            await app.stop()

    run(scenario())


def test_bad_settings_file_is_reported_and_kept(
    run: Callable[[Awaitable[None]], None], routerdesk_home: Any
) -> None:
    bad = '[routing]\nstrategy = "fastest"\n'
    path = routerdesk_home / "settings.toml"
    path.write_text(bad)

    async def scenario() -> None:
        app = await started(tray=False)
        win = app.window
        assert win is not None
        try:
            banner = win.settings_page.banner.text()
            assert "settings.toml" in banner and "routing.strategy" in banner
            assert "fastest" in banner or "cheapest" in banner  # the reason names the choices
            assert path.read_text() == bad
        finally:
            await app.stop()

    run(scenario())
    assert path.read_text() == bad


def test_without_a_tray_closing_quits(run: Callable[[Awaitable[None]], None]) -> None:
    async def scenario() -> None:
        app = await started(tray=False)
        assert app.window is not None and not app.window.hide_on_close
        app.window.close()
        await asyncio.wait_for(app.wait_closed(), 5)
        await app.stop()

    run(scenario())


def test_refresh_prices_reports(run: Callable[[Awaitable[None]], None]) -> None:
    async def scenario() -> None:
        app = await started(tray=False)
        win = app.window
        assert win is not None
        try:
            win.registry.refresh.click()
            text = win.registry.banner.text()
            assert text.startswith(("Prices are up to date", "Updated")), text
        finally:
            await app.stop()

    run(scenario())


def test_test_connection_lists_models_without_spending(
    run: Callable[[Awaitable[None]], None], routerdesk_home: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fakes import FakeOpenAI, Fault

    async def scenario() -> None:
        async with FakeOpenAI() as fake:
            (routerdesk_home / "settings.toml").write_text(
                f'[providers.openai]\nbase_url = "{fake.base_url}"\n'
            )
            monkeypatch.setenv("OPENAI_API_KEY", "sk-conn-test-0123456789")
            app = await started(tray=False)  # demo mode: the test still asks the real provider
            win = app.window
            assert win is not None
            try:
                page = win.providers
                page.select("openai")
                page.test.click()
                assert page.pending is not None
                await page.pending
                assert page.test_result.text().startswith("✔ openai accepted the key")
                assert [(r.method, r.path) for r in fake.requests] == [("GET", "/v1/models")]
                fake.push(Fault(status=401, message="invalid key"))
                page.test.click()
                await page.pending
                assert "rejected the API key" in page.test_result.text()
                assert "sk-conn-test" not in page.test_result.text()
                await until(lambda: "⚠" in page.list.currentItem().text())
                assert "the openai key was rejected (HTTP 401) at " in page.health_label.text()
                assert all(r.method == "GET" for r in fake.requests)  # no chat call, no spend
            finally:
                await app.stop()

    run(scenario())


def test_what_if_over_thousands_of_rows_runs_off_the_loop_and_reads_the_log_once(
    run: Callable[[Awaitable[None]], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from gui.helpers import record
    from routerdesk.gui import runtime_backend

    threads: dict[str, list[int]] = {"load_past": [], "project": []}

    def spy(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            threads[name].append(threading.get_ident())
            return real(*args, **kwargs)

        return wrapper

    for name in threads:
        monkeypatch.setattr(runtime_backend, name, spy(name, getattr(runtime_backend, name)))

    async def scenario() -> None:
        app = await started(tray=False)
        assert app.backend is not None and app.runtime.usage is not None
        try:
            now = time.time()
            for i in range(3000):
                r = record(model="", task="code_generation", cost=0.002, t=now - i * 60)
                r.demo = True  # a demo session: the projection uses the simulated rows
                app.runtime.usage.submit(r)
            await asyncio.to_thread(app.runtime.usage.flush)
            result = await app.backend.what_if("cheapest")
            assert result.simulated and result.projection.requests == 3000
            assert result.projection.rerouted == 3000
            again = await app.backend.what_if("best")  # rows cached: only the projection runs
            assert again.projection.requests == 3000
            # the loop only waits: reading and re-routing the rows happen in worker threads
            loop_thread = threading.get_ident()
            assert len(threads["load_past"]) == 1 and len(threads["project"]) == 2
            assert loop_thread not in threads["load_past"] + threads["project"]
        finally:
            await app.stop()

    run(scenario())
