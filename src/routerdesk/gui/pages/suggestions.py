"""Registry suggestions backed by quality audits: the evidence, and Accept / Dismiss for each.

Accept applies the new score to the registry like any edit on the page (the
next request routes with it; Save writes registry.toml). Dismiss hides the
suggestion for good, until the score it is about changes. Nothing changes the
registry without the user's click.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from routerdesk.core.quality import Suggestion
from routerdesk.core.registry import Registry
from routerdesk.gui.backend import Backend
from routerdesk.gui.tasks import spawn, spawn_if_running

REFRESH_MS = 30_000


def with_score(registry: Registry, s: Suggestion) -> Registry:
    """The registry with the suggested score for one model and task."""
    models = []
    for m in registry:
        if m.id == s.model_id:
            m = m.model_copy(update={"capabilities": {**m.capabilities, s.task: s.proposed}})
        models.append(m)
    return registry.replace(models)


class SuggestionsPanel(QWidget):
    """One line per suggestion; empty (and zero height) when the audits suggest nothing.

    Signals:
        accepted(Registry, str): apply this registry; the str says what changed.
    """

    accepted = Signal(object, str)

    def __init__(self, backend: Backend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.suggestions: list[Suggestion] = []
        self._rows = QVBoxLayout(self)
        self._rows.setContentsMargins(0, 0, 0, 0)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        if self.isVisible():
            spawn_if_running(self.load)

    async def load(self) -> None:
        view = await self.backend.quality(None)
        self.show_suggestions(view.suggestions)

    def show_suggestions(self, found: list[Suggestion]) -> None:
        if found == self.suggestions:
            return
        self.suggestions = found
        while self._rows.count():
            item = self._rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for s in found:
            self._rows.addWidget(self._row(s))

    def _row(self, s: Suggestion) -> QWidget:
        row = QWidget()
        row.setObjectName(f"suggestion:{s.key}")
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        verb = "Lower" if s.direction == "lower" else "Raise"
        text = QLabel(
            f"<b>Suggestion:</b> {verb} <b>{escape(s.model_id)}</b>'s {escape(s.task)} score "
            f"{s.current} → {s.proposed}: {escape(s.evidence)}."
        )
        text.setWordWrap(True)
        accept = QPushButton("A&ccept")
        accept.setToolTip("Apply the new score now (Save keeps it in registry.toml)")
        accept.clicked.connect(lambda _=False, s=s: self._accept(s))
        dismiss = QPushButton("D&ismiss")
        dismiss.setToolTip("Do not suggest this again")
        dismiss.clicked.connect(lambda _=False, s=s: spawn(self.dismiss(s)))
        layout.addWidget(text, 1)
        layout.addWidget(accept)
        layout.addWidget(dismiss)
        return row

    def _accept(self, s: Suggestion) -> None:
        registry = with_score(self.backend.registry, s)
        self.show_suggestions([x for x in self.suggestions if x.key != s.key])
        self.accepted.emit(registry, f"{s.model_id} {s.task} score {s.current} → {s.proposed}")

    async def dismiss(self, s: Suggestion) -> None:
        await self.backend.dismiss_suggestion(s.key)
        self.show_suggestions([x for x in self.suggestions if x.key != s.key])
