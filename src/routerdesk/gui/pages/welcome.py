"""The first-run empty state: no provider key yet, so lead to adding one or to demo mode."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class WelcomePanel(QWidget):
    """Explains what routerdesk needs and offers the two ways forward.

    Signals:
        add_key_requested(): the user wants to enter a provider API key.
        demo_requested(): the user wants to try the offline demo provider.
    """

    add_key_requested = Signal()
    demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel("<h2>Welcome to routerdesk</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(
            "routerdesk answers your tools on this computer and sends each prompt to the "
            "cheapest model that can handle it.<br><br>"
            "<b>No provider key is set yet</b>, so there is nothing to route to. Add an API key "
            "for OpenAI, Anthropic, Google or another provider, or try demo mode: an offline "
            "provider that answers every model with canned text and costs nothing.<br><br>"
            "Meanwhile the <b>Playground</b> shows where any prompt would go, key or not."
        )
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setMaximumWidth(620)
        # Word-wrapped labels in a stretched row shrink to their narrowest: keep a column.
        text.setMinimumWidth(min(620, text.fontMetrics().averageCharWidth() * 70))
        self.add_key = QPushButton("&Add an API key…")
        self.add_key.setToolTip("Open the Providers page to store a key in the system keyring")
        self.add_key.setDefault(True)
        self.demo = QPushButton("Try &demo mode")
        self.demo.setToolTip("Serve every model from the offline demo provider (no keys, no cost)")
        self.add_key.clicked.connect(self.add_key_requested)
        self.demo.clicked.connect(self.demo_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_key)
        buttons.addWidget(self.demo)
        buttons.addStretch(1)
        centre = QHBoxLayout()
        centre.addStretch(1)
        centre.addWidget(text)
        centre.addStretch(1)
        layout.addWidget(title)
        layout.addLayout(centre)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addStretch(2)
