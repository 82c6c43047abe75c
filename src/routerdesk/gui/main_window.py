"""The main window: a sidebar of pages, menus with shortcuts, a status bar with the server's state."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QWidget,
)

from routerdesk import __version__
from routerdesk.core.audit import AUDIT_TASK
from routerdesk.core.errors import ConfigError
from routerdesk.core.types import UsageRecord
from routerdesk.gui.backend import Backend, can_route, rejected_keys
from routerdesk.gui.bridge import EngineBridge
from routerdesk.gui.icons import app_icon
from routerdesk.gui.models.request_row import RequestRow
from routerdesk.gui.pages.audit_detail import audit_html, parent_id
from routerdesk.gui.pages.dashboard import DashboardPage, money
from routerdesk.gui.pages.integrations import IntegrationsPage
from routerdesk.gui.pages.people import PeoplePanel
from routerdesk.gui.pages.playground import PlaygroundPage
from routerdesk.gui.pages.providers import ProvidersPage
from routerdesk.gui.pages.quality import QualityPanel
from routerdesk.gui.pages.registry import RegistryPage
from routerdesk.gui.pages.requests import RequestsPage
from routerdesk.gui.pages.settings import SettingsPage
from routerdesk.gui.tasks import spawn, spawn_if_running
from routerdesk.gui.team_feed import TeamFeed
from routerdesk.gui.tray import PAUSE_TIP
from routerdesk.gui.widgets import PageStack, pad_items
from routerdesk.samples import SAMPLES, SampleRun

HISTORY_ROWS = 5000  # rows read from the usage log at start-up
DEFAULT_SIZE = QSize(1280, 800)
MIN_SIZE = QSize(960, 600)  # every page stays usable down to this (tests check both sizes)


def not_audits(rows: Sequence[RequestRow]) -> list[RequestRow]:
    """The dashboard's rows: audit calls are measurement, not routing; their cost shows on the
    quality tile (budgets and the Requests page still count and list them)."""
    return [r for r in rows if r.task != AUDIT_TASK]


class MainWindow(QMainWindow):
    """Pages in a stack switched by the sidebar (Ctrl+1..7); closing hides to the tray if there is one.

    Signals:
        quit_requested(): File → Quit, or closing without a tray.
        status_changed(float, str): today's real spend and `routing_state()` (for the tray).
        hidden_to_tray(): the window was closed but the app keeps running in the tray.
    """

    quit_requested = Signal()
    status_changed = Signal(float, str)
    hidden_to_tray = Signal()

    def __init__(self, backend: Backend, bridge: EngineBridge, *, hide_on_close: bool) -> None:
        super().__init__()
        self.backend = backend
        self.bridge = bridge
        self.hide_on_close = hide_on_close
        self._told_about_tray = False
        self.setWindowTitle("routerdesk")
        self.setWindowIcon(app_icon())
        self.dashboard = DashboardPage()
        self.requests = RequestsPage(backend)
        self.registry = RegistryPage(backend)
        self.playground = PlaygroundPage(backend)
        self.providers = ProvidersPage(backend)
        self.settings_page = SettingsPage(backend)
        self.integrations = IntegrationsPage(backend)
        self.quality = QualityPanel(backend, self.dashboard)
        self.people = PeoplePanel(backend, self.dashboard)
        # A team database in the settings: the Dashboard and Requests page show it instead
        # of this app's log (read-only; this app's own requests still go to its log).
        self.team = TeamFeed(backend, HISTORY_ROWS, self)
        self.pages: list[tuple[str, QWidget, str]] = [
            ("Dashboard", self.dashboard, "Spend, savings and traffic at a glance"),
            ("Requests", self.requests, "Every request and why it went where it did"),
            ("Registry", self.registry, "Models, prices and capabilities"),
            ("Playground", self.playground, "Try how a prompt would route, free"),
            ("Providers", self.providers, "API keys, endpoints and health"),
            ("Settings", self.settings_page, "Strategy, classifier, server and privacy"),
            ("Integrations", self.integrations, "Set up Cursor, Continue, Aider, Claude Code…"),
        ]
        self.sidebar = QListWidget()
        self.sidebar.setAccessibleName("Pages")
        self.sidebar.setFixedWidth(self.fontMetrics().horizontalAdvance("Integrations") + 56)
        self.sidebar.setSpacing(3)
        self.stack = PageStack()
        for i, (name, page, tip) in enumerate(self.pages):
            self.sidebar.addItem(name)
            self.sidebar.item(i).setToolTip(f"{tip} (Ctrl+{i + 1})")
            self.stack.addWidget(page)
        pad_items(self.sidebar, 14)
        self.sidebar.currentRowChanged.connect(self.stack.setCurrentIndex)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._build_menus()
        self._build_status_bar()
        self._wire()
        self._show_source()
        self.sidebar.setCurrentRow(0)
        self.setMinimumSize(MIN_SIZE)
        self.resize(DEFAULT_SIZE)
        self.refresh_state()

    # --- construction ---------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        close = QAction(
            "&Close window", self, shortcut=QKeySequence(QKeySequence.StandardKey.Close)
        )
        close.setToolTip("Hide the window; the server keeps running in the tray")
        close.triggered.connect(self.close)
        quit_ = QAction("&Quit", self, shortcut=QKeySequence(QKeySequence.StandardKey.Quit))
        quit_.triggered.connect(self.quit_requested)
        file_menu.addAction(close)
        file_menu.addAction(quit_)
        view = self.menuBar().addMenu("&View")
        for i, (name, _page, _tip) in enumerate(self.pages):
            action = QAction(f"&{i + 1} {name}", self, shortcut=QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _=False, row=i: self.show_page(row))
            view.addAction(action)
        routing = self.menuBar().addMenu("&Routing")
        self.pause_action = QAction(
            "&Pause routing", self, checkable=True, shortcut=QKeySequence("Ctrl+Shift+P")
        )
        self.pause_action.setToolTip(PAUSE_TIP)
        self.pause_action.toggled.connect(self.set_paused)
        self.demo_action = QAction(
            "&Demo mode", self, checkable=True, shortcut=QKeySequence("Ctrl+Shift+D")
        )
        self.demo_action.setToolTip(
            "Answer every model from the offline demo provider: no keys, no cost"
        )
        self.demo_action.toggled.connect(self.set_demo)
        routing.addAction(self.pause_action)
        routing.addAction(self.demo_action)
        help_menu = self.menuBar().addMenu("&Help")
        self.about_action = QAction("&About routerdesk", self)
        self.about_action.triggered.connect(self._about)
        help_menu.addAction(self.about_action)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.server_label = QLabel()
        self.server_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.server_label.setToolTip("Where your tools connect (see Integrations)")
        self.spend_label = QLabel()
        self.spend_label.setToolTip(
            "Real money spent since midnight (demo traffic never counts; L2 calls do)"
        )
        self.demo_switch = QCheckBox("De&mo mode")
        self.demo_switch.setToolTip(
            "Answer every model from the offline demo provider: no keys, no cost"
        )
        self.demo_switch.toggled.connect(self.set_demo)
        bar.addWidget(self.server_label, 1)
        bar.addPermanentWidget(self.spend_label)
        bar.addPermanentWidget(self.demo_switch)

    def _wire(self) -> None:
        b = self.bridge
        b.requests_finished.connect(self._on_requests)
        b.in_flight_changed.connect(self.dashboard.set_in_flight)
        b.registry_changed.connect(self.registry.show_registry)
        b.settings_changed.connect(lambda _s: self.refresh_state())
        b.provider_health_changed.connect(lambda _p, _h: self._on_health())
        self.dashboard.add_key_requested.connect(self._go_add_key)
        self.playground.add_key_requested.connect(self._go_add_key)
        self.dashboard.demo_requested.connect(lambda: self.set_demo(True))
        steps = self.dashboard.first_steps
        steps.samples_requested.connect(self.send_samples)
        steps.integrations_requested.connect(lambda: self.show_page(6))
        self.providers.key_stored.connect(lambda _p: self.refresh_state())
        self.settings_page.token_changed.connect(self.integrations.refresh)
        self.requests.request_selected.connect(
            lambda rid: spawn_if_running(lambda: self._show_audit(rid))
        )
        self.team.reloaded.connect(self._show_rows)
        self.team.added.connect(self._add_rows)
        self.team.state_changed.connect(self._show_source)

    # --- behaviour ------------------------------------------------------------------

    def show_page(self, row: int) -> None:
        self.sidebar.setCurrentRow(row)
        page = self.stack.currentWidget()
        if page is not None:
            page.setFocus()

    def load_history(self, records: Sequence[UsageRecord]) -> None:
        """Show what this app's usage log already holds (read by the caller off the loop);
        not while a team database is on show (the team feed fills the pages then)."""
        if not self.team.active:
            self._show_rows([RequestRow(r) for r in records])
        self.refresh_state()

    def _show_rows(self, rows: Sequence[RequestRow]) -> None:
        """Every row the pages show, at once (a history read)."""
        self.dashboard.load_history(not_audits(rows))
        self.requests.load_history(rows)
        self.people.refresh()

    def _add_rows(self, rows: Sequence[RequestRow]) -> None:
        """New rows of the log on show (oldest first)."""
        routed = not_audits(rows)
        if routed:
            self.dashboard.add_records(routed)
        self.requests.add_records(rows)
        self.people.soon()

    async def _show_own_log(self) -> None:
        """Back from a team database to this app's log: read it again."""
        records = await self.backend.recent_records(HISTORY_ROWS)
        if not self.team.active:
            self._show_rows([RequestRow(r) for r in records])

    def _show_source(self) -> None:
        note, kind = self.team.note()
        self.dashboard.set_source(self.team.database, note, kind)
        self.requests.set_source(self.team.database, note, kind)
        self._show_status()

    async def _show_audit(self, request_id: str) -> None:
        audit = await self.backend.audit(parent_id(request_id))
        if audit is not None:
            self.requests.show_audit(audit.request_id, audit_html(audit))

    def _on_requests(self, records: Sequence[RequestRow]) -> None:
        if len(not_audits(records)) < len(records):
            self.quality.refresh()
        if not self.team.active:  # in the team view they are in this app's log only
            self._add_rows(records)
        self._show_status()
        if not all(r.demo for r in records):
            self.dashboard.set_budget(self.backend.budget_status())
        if self.dashboard.showing_welcome():
            self.refresh_state()

    def refresh_state(self) -> None:
        """Re-read demo, pause, keys, server address and the usage log on show from the backend."""
        if self.team.follow() and not self.team.active:
            spawn_if_running(self._show_own_log)
        team = self.team.active
        demo = self.backend.demo
        for w in (self.demo_switch, self.demo_action):
            w.blockSignals(True)
            w.setChecked(demo)
            w.blockSignals(False)
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(self.backend.paused)
        self.pause_action.blockSignals(False)
        routable = can_route(self.backend)
        # A team database's rows are shown as they are (real ones), whatever this app's mode.
        self.dashboard.set_demo(demo and not team)
        self.quality.refresh()
        self.people.refresh()
        self.requests.set_demo(demo and not team)
        self.dashboard.set_budget(self.backend.budget_status())
        # Until a key exists or demo is on there is nothing to route to, whatever the
        # log holds (failed requests from a tool set up too early must not hide this).
        # A rejected key is not a missing one: the status bar and Providers page say so.
        # (A team database needs no key here: this app only shows it.)
        self.dashboard.set_empty_state(
            not team and not demo and not routable and not rejected_keys(self.backend)
        )
        self.dashboard.first_steps.set_endpoint(self.backend.server_url, self.backend.access_token)
        self.integrations.refresh()
        self.providers.refresh()
        self._show_status()

    def _on_health(self) -> None:
        self.providers.refresh()
        self._show_status()  # a rejected key (or its recovery) changes what a request meets

    def routing_state(self) -> str:
        """What a request meets now: paused, demo, routing, key rejected: …, or no provider key."""
        if self.backend.paused:
            return "paused"
        if self.backend.demo:
            return "demo"
        if can_route(self.backend):
            return "routing"
        rejected = rejected_keys(self.backend)
        return f"key rejected: {', '.join(rejected)}" if rejected else "no provider key"

    def _show_status(self) -> None:
        state = self.routing_state()
        self.server_label.setText(f"Server: {self.backend.server_url} · {state}")
        today = self.backend.spend().today  # real money only: demo costs are simulated
        # This app's own spend, also while the pages show a team database's.
        own = "This app today" if self.team.active else "Today"
        self.spend_label.setText(f"{own}: {money(today)}")
        self.status_changed.emit(today, state)

    def set_paused(self, paused: bool) -> None:
        self.backend.set_paused(paused)
        self.refresh_state()

    def set_demo(self, on: bool) -> None:
        try:
            self.backend.set_demo(on)
        except (ConfigError, OSError) as exc:
            QMessageBox.warning(self, "Demo mode", f"Could not save settings: {exc}")
        self.refresh_state()
        self.playground.run()

    samples: asyncio.Task[SampleRun] | None = None  # the last sample run (tests await it)

    def send_samples(self) -> None:
        """Send the sample mix through the local server (demo mode only: nothing is billed)."""
        if not self.backend.demo or (self.samples is not None and not self.samples.done()):
            return
        self.samples = spawn(self._send_samples())

    async def _send_samples(self) -> SampleRun:
        steps = self.dashboard.first_steps
        self.dashboard.set_sampling(True)
        steps.show_progress(SampleRun(total=len(SAMPLES)))
        try:
            run = await self.backend.send_samples(steps.show_progress)
        finally:
            self.dashboard.set_sampling(False)
        steps.show_progress(run)
        note = f"Sample requests: {run.sent} sent, {run.ok} answered"
        if run.errors:
            note += f", {run.failed} failed ({'; '.join(run.errors)})"
        self.statusBar().showMessage(note + ". See them on the Requests page.", 30_000)
        return run

    def _go_add_key(self) -> None:
        self.show_page(4)
        self.providers.key_edit.setFocus()

    def bring_to_front(self) -> None:
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.hide_on_close:
            event.ignore()
            self.hide()
            self.hidden_to_tray.emit()
            return
        event.accept()
        self.quit_requested.emit()

    about_box: QMessageBox | None = None

    def about_text(self) -> str:
        """Version (from the package metadata, i.e. pyproject), config folder and server URL."""
        return (
            f"<b>routerdesk {__version__}</b><br>A desktop LLM router: one local endpoint for "
            "your tools, the cheapest capable model for each prompt.<br><br>"
            f"Config folder: <code>{self.backend.config_dir}</code><br>"
            f"Server: <code>{self.backend.server_url}</code>"
        )

    def _about(self) -> None:
        # Not QMessageBox.about(): that nests an event loop, and this one also serves HTTP.
        box = QMessageBox(
            QMessageBox.Icon.NoIcon, "About routerdesk", self.about_text(), parent=self
        )
        box.setIconPixmap(app_icon().pixmap(64, 64))
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: setattr(self, "about_box", None))
        self.about_box = box
        box.open()
