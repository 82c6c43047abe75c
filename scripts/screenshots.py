"""Regenerate docs/screenshots/<page>.png: the real app in demo mode with traffic sent through its server.

Runs offscreen unless DISPLAY is set (and QT_QPA_PLATFORM is not), in a
throwaway ROUTERDESK_HOME, so it never touches your own settings, keys or log.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QPalette

    from routerdesk.gui.main_window import MainWindow

TOKEN = "rd-screenshots-token"


async def _shoot(out: Path) -> None:
    from PySide6.QtCore import QSize, Qt
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    from routerdesk.app import DesktopApp

    app = DesktopApp(
        demo=False, demo_latency_scale=0.15, port=0, tray=False, bridge_interval_ms=250
    )
    await app.start()
    win = app.window
    assert win is not None
    win.resize(QSize(1280, 800))

    async def grab(name: str) -> None:
        for _ in range(5):
            # qasync runs Qt's events while this sleeps (processEvents() here would step
            # tasks the pages start, e.g. Registry suggestions, inside this one)
            await asyncio.sleep(0.05)
        path = out / f"{name}.png"
        image = (
            win.grab()
            .toImage()
            .convertToFormat(QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.ThresholdDither)
        )  # 8-bit palette: a third of the size, text stays crisp
        image.save(str(path), "PNG", 9)
        print(f"wrote {path}")

    try:
        await grab("welcome")
        win.dashboard.welcome.demo.click()
        assert app.backend is not None
        settings = app.backend.settings.model_copy(deep=True)
        settings.budgets.daily_usd, settings.budgets.monthly_usd = 5.0, 60.0
        app.backend.save_settings(settings)  # the budget bar (real spend: demo never counts)
        win.refresh_state()
        win.settings_page.load()
        win.dashboard.redraw_now()
        await grab("first-run-demo")
        # The newcomer's path: the dashboard's button sends the sample mix through the server.
        win.dashboard.first_steps.send.click()
        assert win.samples is not None
        run = await win.samples
        print(f"sample requests: {run.sent} sent, {run.ok} answered, errors: {run.errors}")
        assert app.bridge is not None
        if app.runtime.auditor is not None:  # demo mode audits a share of requests
            await app.runtime.auditor.drain()
        await asyncio.sleep(0.6)
        app.bridge.flush()
        await win.quality._load()
        for i, (name, _page, _tip) in enumerate(win.pages):
            win.show_page(i)
            if name == "Dashboard":
                win.dashboard.redraw_now()
            if name == "Requests":  # an audited request: verdict and both answers
                await _select_audited(win)
            if name == "Providers":
                win.providers.select("anthropic")
            if name == "Integrations":
                win.integrations.list.setCurrentRow(2)  # Continue
            if name == "Settings":  # the what-if line for another strategy
                page = win.settings_page
                page.strategy.setCurrentText("cheapest")
                page.what_if.start_now()
                if page.what_if.pending is not None:
                    await page.what_if.pending
            await grab(name.lower())
        # The same window after the system switches to a dark palette.
        QApplication.setStyle("Fusion")
        QApplication.setPalette(_dark_palette())
        win.show_page(0)
        win.dashboard.redraw_now()
        await grab("dashboard-dark")
    finally:
        await app.stop()


async def _select_audited(win: MainWindow) -> None:
    from routerdesk.gui.models.requests_model import RECORD_ROLE

    page = win.requests
    for row in range(page.proxy.rowCount()):
        record = page.proxy.index(row, 0).data(RECORD_ROLE)
        if record is not None and await win.backend.audit(record.request_id) is not None:
            page.table.selectRow(row)
            await win._show_audit(record.request_id)
            return
    page.table.selectRow(0)


def _dark_palette() -> QPalette:
    from PySide6.QtGui import QColor, QPalette

    p = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, "#202124"), (roles.WindowText, "#e8eaed"), (roles.Base, "#17181a"),
        (roles.AlternateBase, "#26282b"), (roles.Text, "#e8eaed"), (roles.Button, "#2d2f33"),
        (roles.ButtonText, "#e8eaed"), (roles.Highlight, "#3b82f6"), (roles.HighlightedText, "#ffffff"),
        (roles.ToolTipBase, "#2d2f33"), (roles.ToolTipText, "#e8eaed"), (roles.PlaceholderText, "#9aa0a6"),
    ):  # fmt: skip
        p.setColor(role, QColor(colour))
    for role in (roles.WindowText, roles.Text):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#8a8f94"))
    return p


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default=str(Path(__file__).resolve().parent.parent / "docs" / "screenshots")
    )
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["ROUTERDESK_HOME"] = tempfile.mkdtemp(prefix="routerdesk-shots-")
    os.environ["ROUTERDESK_TOKEN"] = TOKEN
    for var in [v for v in os.environ if v.endswith("_API_KEY")]:
        del os.environ[var]  # screenshots show the no-key first run, then demo mode

    import keyring
    from keyring.backends import null

    keyring.set_keyring(null.Keyring())  # never read or write the user's keyring

    from routerdesk.app import exit_now, make_qapp, release_qt
    from routerdesk.gui.loop import RouterEventLoop

    qapp = make_qapp()
    loop = RouterEventLoop(qapp)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(_shoot(out))
    release_qt()
    exit_now(0)


if __name__ == "__main__":
    raise SystemExit(main())
