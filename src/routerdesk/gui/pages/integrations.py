"""Integrations page: copy-ready setup for each coding tool and SDK, with this server's URL and token."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from routerdesk.gui.backend import Backend
from routerdesk.gui.integration_snippets import Integration, integrations
from routerdesk.gui.widgets import CodeBlock, CopyField, PageStack, pad_items


class _IntegrationView(QWidget):
    def __init__(self, item: Integration) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.title = QLabel(f"<h3>{item.name}</h3>")
        self.intro = QLabel(item.intro)
        self.intro.setWordWrap(True)
        self.code = CodeBlock()
        self.code.set_text(item.snippet)
        self.code.button.setToolTip(f"Copy the {item.name} setup to the clipboard")
        layout.addWidget(self.title)
        layout.addWidget(self.intro)
        layout.addWidget(self.code)
        layout.addStretch(1)

    def show_item(self, item: Integration) -> None:
        self.intro.setText(item.intro)
        self.code.set_text(item.snippet)


class IntegrationsPage(QWidget):
    """A list of tools and, for the selected one, what to paste where.

    Signals: none.
    """

    def __init__(self, backend: Backend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.base = CopyField(tooltip="Base URL for OpenAI-compatible clients")
        self.token = CopyField(tooltip="Clients send this as their API key")
        self.token.edit.setEchoMode(self.token.edit.EchoMode.PasswordEchoOnEdit)
        header = QLabel(
            "routerdesk answers the OpenAI API at <code>/v1/chat/completions</code> and the "
            "Anthropic API at <code>/v1/messages</code>. Point your tool here with the access "
            "token as its API key and model <code>auto</code>."
        )
        header.setWordWrap(True)
        self.list = QListWidget()
        self.list.setFixedWidth(self.fontMetrics().horizontalAdvance("OpenAI Python SDK") + 40)
        self.list.setToolTip("Choose a tool to see its setup")
        self.stack = PageStack()
        self.views: list[_IntegrationView] = []
        for item in self._items():
            self.list.addItem(item.name)
            view = _IntegrationView(item)
            self.views.append(view)
            self.stack.addWidget(view)
        pad_items(self.list, 8)
        self.list.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.list.setCurrentRow(0)
        body = QHBoxLayout()
        body.addWidget(self.list)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        form = QVBoxLayout()
        base_label = QLabel("OpenAI base &URL:")
        base_label.setBuddy(self.base.edit)
        token_label = QLabel("Access &token (API key):")
        token_label.setBuddy(self.token.edit)
        for w in (base_label, self.base, token_label, self.token):
            form.addWidget(w)
        layout.addLayout(form)
        layout.addLayout(body, 1)
        self.refresh()

    def _items(self) -> list[Integration]:
        return integrations(self.backend.server_url, self.backend.access_token)

    def refresh(self) -> None:
        """Fill in the current address and token (after a port or token change)."""
        self.base.set_text(f"{self.backend.server_url}/v1")
        self.token.set_text(self.backend.access_token)
        for view, item in zip(self.views, self._items(), strict=True):
            view.show_item(item)
