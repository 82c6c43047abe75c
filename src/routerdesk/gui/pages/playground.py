"""Playground page: paste a prompt or an OpenAI-format conversation and see how it would route.

Nothing is sent anywhere: it only classifies and asks the router, per strategy.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from html import escape

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from routerdesk.core.errors import RouterError
from routerdesk.core.types import (
    STRATEGIES,
    ChatRequest,
    Classification,
    Decision,
    Message,
    TextPart,
)
from routerdesk.gui.backend import Backend, can_route
from routerdesk.gui.pages.request_detail import candidates_table
from routerdesk.gui.widgets import Banner, usd

log = logging.getLogger(__name__)
EXAMPLE = "Write a Python function that merges two sorted lists in O(n)."
HINT = (
    "What each strategy would choose for this prompt with the providers you can use now. "
    "Select a row to see every candidate and why it was kept or dropped."
)
NO_KEY_NOTE = (
    "No provider key yet: each strategy's choice is shown as if every provider were usable. "
    '<a href="providers">Add a key on the Providers page</a> or switch on demo mode to send '
    "requests."
)


def build_request(backend: Backend, text: str) -> ChatRequest:
    """Plain text becomes one user message; JSON (a body or a messages list) is parsed as OpenAI."""
    stripped = text.strip()
    if stripped[:1] in "{[":
        try:
            body = json.loads(stripped)
        except json.JSONDecodeError:
            pass
        else:
            return backend.parse_openai(body)
    return ChatRequest(messages=[Message("user", [TextPart(text)])])


def _est_cost(d: Decision) -> float:
    return next((c.est_cost for c in d.candidates if c.model_id == d.primary), 0.0)


class PlaygroundPage(QWidget):
    """Prompt editor, the classification, and one row per strategy with its choice and cost.

    Signals:
        add_key_requested(): the no-key note's link to the Providers page was clicked.
    """

    add_key_requested = Signal()

    def __init__(self, backend: Backend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.decisions: dict[str, Decision] = {}
        self.prompt = QPlainTextEdit(EXAMPLE)
        self.prompt.setTabChangesFocus(True)
        self.prompt.setToolTip("A prompt, or an OpenAI chat-completions JSON body / messages list")
        prompt_label = QLabel("&Prompt or JSON conversation (routes as you type; nothing is sent):")
        prompt_label.setBuddy(self.prompt)
        self.route = QPushButton("&Route")
        self.route.setToolTip("Classify and route now (Ctrl+Enter)")
        self.route.clicked.connect(self.run)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.run)
        self.banner = Banner(reserve_lines=2)
        self.banner.linkActivated.connect(lambda _link: self.add_key_requested.emit())
        self.classification = QLabel()
        self.classification.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Strategy", "Model", "Est. cost", "Fallbacks"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        rows = len(STRATEGIES) + 1
        self.table.setFixedHeight(self.table.fontMetrics().height() * rows * 2 + 8)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setToolTip("What each strategy would choose; select one to see every candidate")
        self.table.itemSelectionChanged.connect(self._show_candidates)
        self.candidates = QTextBrowser()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.run)
        self.prompt.textChanged.connect(self._debounce.start)

        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(prompt_label)
        tl.addWidget(self.prompt)
        row = QHBoxLayout()
        row.addWidget(self.classification, 1)
        row.addWidget(self.route)
        tl.addLayout(row)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.table)
        bl.addWidget(self.candidates, 1)
        splitter = QSplitter()
        splitter.setOrientation(splitter.orientation().Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setSizes([200, 540])
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)
        self.run()

    def run(self) -> None:
        self._debounce.stop()
        self.decisions.clear()
        self.table.setRowCount(0)
        self.candidates.clear()
        # Without a key nothing can be sent, but the choices are still worth seeing.
        preview = not self.backend.demo and not can_route(self.backend)
        try:
            req = build_request(self.backend, self.prompt.toPlainText())
            results: list[tuple[str, Classification, Decision]] = []
            for strategy in STRATEGIES:
                c, d = self.backend.decide(
                    dataclasses.replace(req, model=f"auto:{strategy}"), all_providers=preview
                )
                results.append((strategy, c, d))
        except RouterError as exc:
            self.banner.show_message(exc.message, "error")
            self.classification.setText("")
            return
        except Exception as exc:  # a bug in routing must not take the window down
            log.exception("playground routing failed")
            self.banner.show_message(f"Routing failed unexpectedly: {exc!r}", "error")
            self.classification.setText("")
            return
        if preview:
            self.banner.show_message(NO_KEY_NOTE, "info")
        else:
            self.banner.show_hint(HINT)
        c = results[0][1]
        signals = ", ".join(c.signals[:6])
        self.classification.setText(
            f"<b>{escape(c.task)}</b> · confidence {c.confidence:.2f} · complexity "
            f"{c.complexity:.2f} · tier {escape(c.tier)}"
            + (f"<br><small>{escape(signals)}</small>" if signals else "")
        )
        default = self.backend.settings.routing.strategy
        for strategy, _c, d in results:
            self.decisions[strategy] = d
            r = self.table.rowCount()
            self.table.insertRow(r)
            label = f"{strategy} (default)" if strategy == default else strategy
            cells = (label, d.primary, usd(_est_cost(d)), " → ".join(d.fallbacks))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(d.why or text)
                self.table.setItem(r, col, item)
        self.table.selectRow(STRATEGIES.index(default) if default in STRATEGIES else 0)

    def _show_candidates(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        d = self.decisions.get(STRATEGIES[rows[0].row()])
        if d is None:
            return
        why = f"<p><b>Why:</b> {escape(d.why)}</p>" if d.why else ""
        notes = why + (f"<p>{escape('; '.join(d.notes))}</p>" if d.notes else "")
        self.candidates.setHtml(
            f"<h4>{escape(d.strategy)}: every candidate</h4>{notes}"
            + candidates_table(d.candidates, d.primary, d.fallbacks)
        )
