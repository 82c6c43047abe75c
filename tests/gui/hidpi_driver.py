"""Checks every page of the real app for clipped text; run by test_hidpi.py at QT_SCALE_FACTOR=2.

Not a test module itself: the scale factor must be set before the process
creates its QApplication, so test_hidpi.py runs this in a fresh interpreter.
The app runs in demo mode with traffic sent through its own server; then every
page is shown in turn and every visible label, button and check box on it must
be at least as large as its own size hint (Qt's "everything fits" size), and
the dashboard tiles must hold a long figure. Prints `dpr <ratio>`, one
`page <name> <widgets checked>` line per page and `clipped <where>` for each
widget that does not fit; exits 0 after the last page.
"""

from __future__ import annotations

import asyncio
import sys

import httpx

TOKEN = "rd-hidpi-test-token-0123456789"
PROMPTS = [
    "What is 2+2?",
    "Write a Python function that parses ISO dates.",
    "Translate 'hi' to French.",
]


async def traffic(url: str, n: int) -> None:
    def call(i: int) -> None:
        httpx.post(
            f"{url}/v1/chat/completions",
            headers={"Authorization": f"Bearer {TOKEN}"},
            json={"model": "auto", "messages": [{"role": "user", "content": PROMPTS[i % 3]}]},
            timeout=10,
        ).raise_for_status()

    for i in range(n):
        await asyncio.to_thread(call, i)


def clipped_widgets(page: object) -> tuple[int, list[str]]:
    from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

    assert isinstance(page, QWidget)
    checked, clipped = 0, []
    for w in page.findChildren(QWidget):
        if not w.isVisible() or not isinstance(w, QLabel | QAbstractButton):
            continue
        if isinstance(w, QLabel) and (w.wordWrap() or not w.text()):
            continue  # wrapping labels trade width for height by design
        hint, size = w.sizeHint(), w.size()
        checked += 1
        if size.width() < hint.width() or size.height() < hint.height():
            text = w.text().replace("\n", " ")[:40]
            clipped.append(
                f"{type(w).__name__} {text!r} {size.width()}x{size.height()} < {hint.width()}x{hint.height()}"
            )
    return checked, clipped


def sidebar_clipped(sidebar: object) -> list[str]:
    from PySide6.QtWidgets import QListWidget

    assert isinstance(sidebar, QListWidget)
    room = sidebar.viewport().width()
    fm = sidebar.fontMetrics()
    items = [sidebar.item(i) for i in range(sidebar.count())]
    return [
        f"sidebar {item.text()!r} needs {fm.horizontalAdvance(item.text())} of {room}"
        for item in items
        if sidebar.visualItemRect(item).width() > room or fm.horizontalAdvance(item.text()) > room
    ]


async def scenario() -> None:

    from routerdesk.app import DesktopApp

    app = DesktopApp(demo=True, demo_latency_scale=0.0, port=0, tray=False, bridge_interval_ms=50)
    url = await app.start()
    win = app.window
    assert win is not None and app.bridge is not None
    print(f"dpr {win.devicePixelRatio()}", flush=True)
    await traffic(url, 12)
    await asyncio.sleep(0.2)
    app.bridge.flush()
    # The widest figures a tile shows in practice must fit too.
    dashboard = win.dashboard
    dashboard.redraw_now()
    dashboard.tiles["spend"].set("$12,345.67")
    dashboard.tiles["requests"].set("1,234,567", "12,345 errors")
    for i, (name, _page, _tip) in enumerate(win.pages):
        win.show_page(i)
        for _ in range(3):
            # qasync runs Qt's events while this sleeps; processEvents() here would step
            # the tasks a page starts when shown (quality tile, registry suggestions,
            # audit status) inside this one: "Cannot enter into task", and a stuck page.
            await asyncio.sleep(0.05)
        page = win.stack.currentWidget()
        checked, clipped = clipped_widgets(page)
        clipped += sidebar_clipped(win.sidebar)
        print(f"page {name} {checked}", flush=True)
        for line in clipped:
            print(f"clipped {name}: {line}", flush=True)
    shot = win.grab()
    print(
        f"grab {shot.width()}x{shot.height()} dpr {shot.devicePixelRatio()} window {win.width()}x{win.height()}"
    )
    await app.stop()


def main() -> int:
    from routerdesk.app import exit_now, make_qapp, release_qt
    from routerdesk.gui.loop import RouterEventLoop

    qapp = make_qapp()
    loop = RouterEventLoop(qapp)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(asyncio.wait_for(scenario(), 60))
    release_qt()
    sys.stdout.flush()
    exit_now(0)


if __name__ == "__main__":
    raise SystemExit(main())
