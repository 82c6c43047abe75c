"""Drives the real app against a real X system tray; run by test_tray.py under Xvfb + trayer.

Not a test module itself (pytest does not collect it): it runs `DesktopApp` in
this process on the app's own event loop, with the tray detected the way the
app detects it, and prints one `ok <step>` line per check that held. Any
failed check raises, so the process exits non-zero with the traceback.
The tray icon is clicked with xdotool at the place the tray host embedded it,
so activation goes through the real XEmbed path; menu items are triggered
through the tray's own `QMenu`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable

import httpx

TOKEN = "rd-tray-test-token-0123456789"


def step(name: str) -> None:
    print(f"ok {name}", flush=True)


async def until(what: str, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.05)


async def ask(url: str) -> str:
    """One chat completion from a worker thread (the loop keeps serving meanwhile): the model
    that answered."""

    def call() -> str:
        r = httpx.post(
            f"{url}/v1/chat/completions",
            headers={"Authorization": f"Bearer {TOKEN}"},
            json={"model": "auto", "messages": [{"role": "user", "content": "What is 2+2?"}]},
            timeout=10,
        )
        r.raise_for_status()
        return str(r.json()["model"]).removesuffix("-demo")  # the demo provider's answer

    return await asyncio.to_thread(call)


async def xdotool(*args: str) -> None:
    await asyncio.to_thread(subprocess.run, ["xdotool", *args], check=True, timeout=10)


async def scenario() -> None:
    from PySide6.QtWidgets import QSystemTrayIcon

    from routerdesk.app import DesktopApp

    assert QSystemTrayIcon.isSystemTrayAvailable(), "no system tray on this display"
    app = DesktopApp(demo=True, demo_latency_scale=0.0, port=0, bridge_interval_ms=50)
    url = await app.start()
    tray, win = app.tray, app.window
    assert tray is not None and win is not None, "the app built no tray icon"
    assert win.hide_on_close
    # No window manager on this display: keep the window off the tray host's panel
    # (top right), or the window, once shown, would take the clicks meant for the icon.
    win.setGeometry(0, 120, 900, 600)
    step("tray detected and icon shown")

    await until("the tray host embeds the icon", lambda: not tray.icon.geometry().isEmpty())
    geo = tray.icon.geometry()
    x, y = geo.center().x(), geo.center().y()
    step(f"icon embedded at {geo.x()},{geo.y()} {geo.width()}x{geo.height()}")

    names = [a.text().replace("&", "") for a in tray.menu.actions() if not a.isSeparator()]
    assert names == ["Open routerdesk", "Pause routing", "Quit"], names
    step("menu: open, pause routing, quit")

    routed = await ask(url)
    await until("tooltip shows today's spend", lambda: "Today's spend: $" in tray.tooltip())
    assert tray.tooltip().startswith("routerdesk: demo"), tray.tooltip()  # says what is true
    step(f"tooltip: {' / '.join(tray.tooltip().splitlines())}")

    win.close()
    await until("the window hides", lambda: not win.isVisible())
    assert app.window is win and not app._quit.is_set()
    assert await ask(url) == routed
    step("closing the window keeps the server answering")

    await xdotool("mousemove", str(x), str(y), "click", "1")
    await until("a click on the tray icon brings the window back", win.isVisible)
    step("left click on the icon opens the window")

    await xdotool("mousemove", str(x), str(y), "click", "3")
    await until("a right click pops the tray menu up", tray.menu.isVisible)
    tray.menu.hide()
    step("right click on the icon shows the menu")

    baseline = app.runtime.engine.baseline
    assert baseline is not None and baseline.id != routed, (routed, baseline)
    tray.pause_action.trigger()
    await until("routing pauses", lambda: app.backend is not None and app.backend.paused)
    assert win.pause_action.isChecked()
    paused_model = await ask(url)
    assert paused_model == baseline.id, (paused_model, baseline.id, routed)
    await until("tooltip says paused", lambda: tray.tooltip().startswith("routerdesk: paused"))
    tray.pause_action.trigger()
    await until("routing resumes", lambda: app.backend is not None and not app.backend.paused)
    assert await ask(url) == routed
    step(f"pause routing from the menu: {baseline.id} answers while paused, {routed} after")

    win.close()
    await until("the window hides", lambda: not win.isVisible())
    tray.open_action.trigger()
    await until("Open brings the window back", win.isVisible)
    step("open from the menu")

    tray.quit_action.trigger()
    await asyncio.wait_for(app.wait_closed(), 10)
    await app.stop()
    step("quit from the menu")


def main() -> int:
    from routerdesk.app import exit_now, make_qapp, release_qt
    from routerdesk.gui.loop import RouterEventLoop

    qapp = make_qapp()
    loop = RouterEventLoop(qapp)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(asyncio.wait_for(scenario(), 60))
    release_qt()
    print("all tray checks passed", flush=True)
    sys.stdout.flush()
    exit_now(0)


if __name__ == "__main__":
    raise SystemExit(main())
