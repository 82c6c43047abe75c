"""GUI composition root: one process, one asyncio loop (qasync on Qt's), the server and the window on it.

`main()` is what `routerdesk` with no arguments runs. `DesktopApp` builds the
runtime (engine + aiohttp server), the Qt bridge, the main window and the tray,
and is also what tests, screenshots and the benchmark drive.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from routerdesk.core.errors import RouterError
from routerdesk.gui.bridge import DEFAULT_INTERVAL_MS, EngineBridge
from routerdesk.gui.icons import app_icon
from routerdesk.gui.qt_binding import guard_none_refcount
from routerdesk.gui.single_instance import SingleInstance
from routerdesk.gui.tray import Tray

if TYPE_CHECKING:
    from routerdesk.gui.main_window import MainWindow
    from routerdesk.gui.runtime_backend import RuntimeBackend

# The runtime (aiohttp, httpx, genai-prices) and the pages (pyqtgraph) are
# imported where first needed, so a second launch hands over to the first at
# once and the server listens before the window's modules load.

log = logging.getLogger(__name__)


class DesktopApp(QObject):
    """The running desktop app: runtime, backend, bridge, window and (if available) tray.

    Signals:
        started(str): the server listens at this URL and the window is up.
    """

    started = Signal(str)

    def __init__(
        self,
        *,
        demo: bool = False,
        demo_latency_scale: float = 1.0,
        port: int | None = None,
        tray: bool | None = None,
        bridge_interval_ms: int = DEFAULT_INTERVAL_MS,
        instance: SingleInstance | None = None,
    ) -> None:
        super().__init__()
        from routerdesk.runtime import Runtime

        self.runtime = Runtime(demo=demo, demo_latency_scale=demo_latency_scale)
        self._demo_latency = demo_latency_scale
        self._port = port
        self._want_tray = tray
        self._interval = bridge_interval_ms
        self.instance = instance
        self.backend: RuntimeBackend | None = None
        self.bridge: EngineBridge | None = None
        self.window: MainWindow | None = None
        self.tray: Tray | None = None
        self.url = ""
        self._quit = asyncio.Event()

    async def start(self) -> str:
        """Start the server, then build and show the window. Raises RouterError/OSError."""
        note = ""
        try:
            self.url = await self.runtime.start(port=self._port)
        except OSError as exc:
            if self._port not in (None, self.runtime.engine.settings.server.port):
                raise
            # The configured port is taken (another program): serve anyway, on a free one.
            note = f"Port {self.runtime.engine.settings.server.port} is in use ({exc.strerror}); "
            self.url = await self.runtime.start(port=0)
            note += f"listening on {self.url} for now. Change the port in Settings."
        from routerdesk.gui.main_window import HISTORY_ROWS, MainWindow
        from routerdesk.gui.runtime_backend import RuntimeBackend

        self.backend = RuntimeBackend(self.runtime, demo_latency_scale=self._demo_latency)
        self.bridge = EngineBridge(self.runtime.events, self._interval, self)
        use_tray = (
            QSystemTrayIcon.isSystemTrayAvailable() if self._want_tray is None else self._want_tray
        )
        self.window = MainWindow(self.backend, self.bridge, hide_on_close=use_tray)
        self.window.quit_requested.connect(self.quit)
        if use_tray:
            self.tray = Tray(app_icon(), self)
            self.tray.open_requested.connect(self.window.bring_to_front)
            self.tray.quit_requested.connect(self.quit)
            self.tray.pause_toggled.connect(self.window.pause_action.setChecked)
            self.window.status_changed.connect(self._tray_status)
            self.window.hidden_to_tray.connect(self._told_tray)
            self.tray.show()
        if self.instance is not None:
            self.instance.activated.connect(self.window.bring_to_front)
        self.window.show()
        if note:
            self.window.statusBar().showMessage(note, 30_000)
        # (A team database on show: the window's team feed reads that instead.)
        own = [] if self.window.team.active else await self.backend.recent_records(HISTORY_ROWS)
        self.window.load_history(own)
        # Everything built so far (Qt wrappers, pyqtgraph, the registry) lives as long as
        # the app: keep it out of the cyclic GC's scans, which run on the loop.
        from routerdesk.runtime import settle_gc

        settle_gc()
        self.started.emit(self.url)
        return self.url

    def _tray_status(self, spend_today: float, state: str) -> None:
        if self.tray is not None:
            self.tray.set_paused(state == "paused")
            self.tray.set_status(spend_today, state)

    def _told_tray(self) -> None:
        if self.tray is not None and not self._tray_told:
            self._tray_told = True
            self.tray.notify(
                "routerdesk is still running",
                "Your tools can keep using it. Open or quit it from the tray icon.",
            )

    _tray_told = False

    def quit(self) -> None:
        self._quit.set()
        # A modal dialog (the start-up error box, a key dialog) runs its own event loop and
        # would keep the app up until someone clicks it: close it, so SIGTERM still quits.
        modal = QApplication.activeModalWidget()
        if modal is not None:
            modal.close()

    async def wait_closed(self) -> None:
        await self._quit.wait()

    async def stop(self) -> None:
        if self.bridge is not None:
            self.bridge.close()
        if self.tray is not None:
            self.tray.hide()
        if self.window is not None:
            self.window.hide_on_close = False
            self.window.hide()
            self.window.deleteLater()
            self.window = None
        if self.backend is not None:
            await self.backend.close_team()
        await self.runtime.stop()
        gc.unfreeze()
        if self.instance is not None:
            self.instance.release()

    async def run(self) -> int:
        try:
            await self.start()
        except (RouterError, OSError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            log.error("cannot start: %s", message)
            QMessageBox.critical(None, "routerdesk cannot start", message)
            await self.runtime.stop()
            return 1
        await self.wait_closed()
        await self.stop()
        return 0


def make_qapp() -> QApplication:
    """The QApplication with high-DPI pass-through scaling, name and icon; reused if it exists."""
    # First, before any window exists: a PySide6 that leaks references to None would
    # crash the app under traffic (gui/qt_binding.py; pyproject excludes that release).
    guard_none_refcount()
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    qapp = QApplication(sys.argv[:1])
    qapp.setApplicationName("routerdesk")
    qapp.setApplicationDisplayName("routerdesk")
    qapp.setDesktopFileName("routerdesk")
    qapp.setWindowIcon(app_icon())
    qapp.setQuitOnLastWindowClosed(False)  # the tray keeps the server running
    return qapp


def release_qt() -> None:
    """Destroy deleted-later widgets and collect cycles while the QApplication still exists."""
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def exit_now(code: int) -> NoReturn:
    """End the process without interpreter finalization.

    Everything that matters is already closed (server stopped, usage log
    flushed). Left to finalization, Python and Qt objects die in arbitrary order
    and PySide occasionally aborts ("none_dealloc") on the way out.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def quit_on_signals(loop: asyncio.AbstractEventLoop, quit_app: Callable[[], None]) -> None:
    """SIGTERM (logout, `kill`) and SIGINT (Ctrl+C) quit like File → Quit.

    The app then stops the server, flushes the usage log and exits 0. asyncio's
    handler writes to the loop's self-pipe (`signal.set_wakeup_fd`), whose Qt
    socket notifier wakes the Qt event loop even while it waits in C++.
    """
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, quit_app)
        except (NotImplementedError, RuntimeError):  # Windows: no loop signal handlers
            signal.signal(sig, lambda _sig, _frame: loop.call_soon_threadsafe(quit_app))


def main() -> int:
    from routerdesk.gui.loop import RouterEventLoop

    logging.basicConfig(level=logging.WARNING, format="routerdesk: %(levelname)s: %(message)s")
    qapp = make_qapp()
    instance = SingleInstance()
    if not instance.claim():
        print("routerdesk is already running; its window was brought to the front.")
        return 0
    loop = RouterEventLoop(qapp)
    asyncio.set_event_loop(loop)
    desktop = DesktopApp(instance=instance)
    quit_on_signals(loop, desktop.quit)
    exit_after = os.environ.get("ROUTERDESK_EXIT_AFTER_MS")
    if exit_after:  # smoke tests and start-up timing (packaging/): quit once the window is up
        quit_app = desktop.quit
        desktop.started.connect(lambda _url: QTimer.singleShot(int(exit_after), quit_app))
    with loop:
        result: int = loop.run_until_complete(desktop.run())
    del desktop
    release_qt()
    exit_now(result)
