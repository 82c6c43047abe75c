"""The dashboard's "no requests yet" panel: the next step, instead of empty charts.

In demo mode it offers to send a sample mix through the local server; always it
shows where tools connect, a copyable curl, and a way to the Integrations page.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from routerdesk.gui.integration_snippets import curl_example
from routerdesk.gui.widgets import CodeBlock
from routerdesk.samples import SAMPLES, SampleRun


class FirstSteps(QFrame):
    """Next steps while the dashboard has no requests to show.

    Signals:
        samples_requested(): "Send sample requests" was clicked (demo mode only).
        integrations_requested(): the link to the Integrations page was clicked.
    """

    samples_requested = Signal()
    integrations_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel("<b>No requests yet.</b>")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.text.linkActivated.connect(lambda _link: self.integrations_requested.emit())
        self.send = QPushButton(f"&Send {len(SAMPLES)} sample requests")
        self.send.setToolTip(
            "Send a realistic mix (every task, each strategy, both APIs, streaming) through "
            "the local server to the offline demo provider, over about 20 seconds. Free."
        )
        self.send.clicked.connect(self.samples_requested)
        self.progress = QLabel()
        self.progress.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.curl = CodeBlock()
        self.curl.button.setText("Copy curl")
        self.curl.button.setToolTip("Copy this command; run it in a terminal to send one request")
        row = QHBoxLayout()
        row.addWidget(self.send)
        row.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addLayout(row)
        layout.addWidget(self.curl)
        self._demo = False
        self.set_demo(False)

    def set_endpoint(self, base: str, token: str) -> None:
        self.curl.set_text(curl_example(base, token))
        self._base = base
        self._show_text()

    _base = ""

    def set_demo(self, on: bool) -> None:
        self._demo = on
        self.send.setVisible(on)
        self.progress.setVisible(on)
        self._show_text()

    def _show_text(self) -> None:
        where = (
            f"Point your tools at <code>{self._base}/v1</code> (OpenAI API) or "
            f"<code>{self._base}</code> (Anthropic API): the "
            '<a href="integrations">Integrations page</a> has the settings for Cursor, '
            "Continue, Aider, Claude Code and more. Or run this in a terminal:"
        )
        lead = (
            "Demo mode is on: send a sample mix to see the charts fill within half a minute "
            "(nothing is billed). "
            if self._demo
            else ""
        )
        self.text.setText(lead + where)

    def show_progress(self, run: SampleRun) -> None:
        """While sending: how many went and answered; after: what failed, each reason once."""
        done = run.sent >= run.total
        self.send.setEnabled(done)
        self.title.setText(
            "<b>No requests yet.</b>"
            if done
            else "<b>Sending the sample mix…</b> the charts below fill in as the answers arrive."
        )
        text = f"{run.sent} of {run.total} sent, {run.ok} answered"
        if run.errors:
            reasons = "; ".join(
                f"{reason} ({n}×)" if n > 1 else reason for reason, n in run.errors.items()
            )
            text += f" · {run.failed} failed: {reasons}"
        self.progress.setText(text)
