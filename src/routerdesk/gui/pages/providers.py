"""Providers page: per provider, set or clear the API key, override the base URL, edit the
timeouts, test, see health."""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from routerdesk.core.errors import ConfigError, RouterError
from routerdesk.core.registry import LOCAL_PROVIDERS, PROVIDERS
from routerdesk.core.settings import Timeouts
from routerdesk.gui.backend import Backend, HealthView
from routerdesk.gui.tasks import spawn
from routerdesk.gui.widgets import Banner, pad_items

log = logging.getLogger(__name__)

STATE_TEXT = {
    "closed": "healthy",
    "open": "circuit open: skipped until it recovers",
    "half_open": "probing after failures",
}


def health_text(h: HealthView) -> str:
    """The state and the last error in words that agree with each other."""
    if h.state == "closed" and h.failures:
        calls = "call" if h.failures == 1 else "calls"
        text = f"in use, the last {h.failures} {calls} failed"
    elif h.state == "closed" and h.last_error:
        text = "healthy: the last call succeeded"
    else:
        text = STATE_TEXT.get(h.state, h.state)
    if h.key_rejected:
        text += f" · {h.rejected}" if h.rejected else " · the provider rejected the key"
    if h.last_error:
        text += f" · {'last' if h.failures or h.state != 'closed' else 'earlier'} error: "
        text += h.last_error
    return text


class ProvidersPage(QWidget):
    """A provider list and, for the selected one, its key, base URL, test and health.

    Signals:
        key_stored(str): a provider's key was set or removed.
    """

    key_stored = Signal(str)

    def __init__(self, backend: Backend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.pending: asyncio.Task[None] | None = (
            None  # the last key/test operation (tests await it)
        )
        self.list = QListWidget()
        self.list.setToolTip("Providers; ● has a key, ○ has none")
        self.list.setFixedWidth(self.fontMetrics().horizontalAdvance("○ openrouter ⚠") + 40)
        self.list.currentRowChanged.connect(self._show)
        self.banner = Banner(reserve_lines=2)
        self.banner.show_hint(
            "Keys go to the system keyring and are never shown again. ● has a key, ○ has none, "
            "◆ is a local server that needs none."
        )
        self.confirm_clear: QMessageBox | None = None
        self.title = QLabel()
        self.key_state = QLabel()
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Paste an API key")
        self.key_edit.setToolTip("Stored in the system keyring; never shown again after you set it")
        self.key_edit.returnPressed.connect(self._set_key)
        self.set_key = QPushButton("Set &key")
        self.set_key.setToolTip("Store this key in the system keyring")
        self.set_key.clicked.connect(self._set_key)
        self.clear_key = QPushButton("C&lear key")
        self.clear_key.setToolTip("Remove this provider's key from the keyring")
        self.clear_key.clicked.connect(self._clear_key)
        self.base_url = QLineEdit()
        self.base_url.setPlaceholderText("default endpoint")
        self.base_url.setToolTip(
            "Send this provider's requests to another endpoint (local server, company proxy)"
        )
        self.base_url.returnPressed.connect(self._save_url)
        self.save_url = QPushButton("Save &URL")
        self.save_url.setToolTip("Save the base URL override to settings.toml (empty: default)")
        self.save_url.clicked.connect(self._save_url)
        # one spin box per Timeouts field, titled from the settings model
        self.timeouts: dict[str, QDoubleSpinBox] = {}
        for name, info in Timeouts.model_fields.items():
            spin = QDoubleSpinBox()
            spin.setRange(0.1, 3600.0)
            spin.setDecimals(1)
            spin.setSuffix(" s")
            spin.setMaximumWidth(self.fontMetrics().horizontalAdvance("0000.0 s") + 40)
            spin.setToolTip(info.title or name)
            spin.setAccessibleName(info.title or name)
            self.timeouts[name] = spin
        self.save_timeouts = QPushButton("Save ti&meouts")
        self.save_timeouts.setToolTip("Save this provider's timeouts to settings.toml")
        self.save_timeouts.clicked.connect(self._save_timeouts)
        self.test = QPushButton("&Test connection")
        self.test.setToolTip(
            "List this provider's models with its key: checks key and endpoint, spends nothing"
        )
        self.test.clicked.connect(self._test)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.health_label = QLabel()
        self.health_label.setWordWrap(True)
        self.demo_note = QLabel()
        self.demo_note.setWordWrap(True)
        self.demo_note.hide()

        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.set_key)
        key_row.addWidget(self.clear_key)
        url_row = QHBoxLayout()
        url_row.addWidget(self.base_url, 1)
        url_row.addWidget(self.save_url)
        timeouts_form = QFormLayout()
        for name, spin in self.timeouts.items():
            title = (Timeouts.model_fields[name].title or name).removesuffix(" (s)")
            timeouts_form.addRow(title + ":", spin)
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_timeouts)
        save_row.addStretch(1)
        timeouts_form.addRow(save_row)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test)
        test_row.addWidget(self.test_result, 1)
        box = QGroupBox()
        form = QFormLayout(box)
        form.addRow(self.title)
        form.addRow("Key:", self.key_state)
        key_label = QLabel("&API key:")
        key_label.setBuddy(self.key_edit)
        form.addRow(key_label, key_row)
        url_label = QLabel("&Base URL:")
        url_label.setBuddy(self.base_url)
        form.addRow(url_label, url_row)
        form.addRow("Timeouts:", timeouts_form)
        form.addRow("Connection:", test_row)
        form.addRow("Health:", self.health_label)
        right = QVBoxLayout()
        right.addWidget(self.banner)
        right.addWidget(box)
        right.addWidget(self.demo_note)  # below the form: showing it moves no field
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(right, 1)
        for _ in PROVIDERS:
            self.list.addItem("")
        pad_items(self.list, 8)
        self.refresh()
        self.list.setCurrentRow(0)

    @property
    def provider(self) -> str:
        return PROVIDERS[max(0, self.list.currentRow())]

    def select(self, provider: str) -> None:
        self.list.setCurrentRow(PROVIDERS.index(provider))

    def refresh(self) -> None:
        """Re-read key presence and health for every provider (after events)."""
        for i, p in enumerate(PROVIDERS):
            key = self.backend.key(p)
            mark = "◆" if p in LOCAL_PROVIDERS else ("●" if key.present else "○")
            health = self.backend.health(p)
            warn = " ⚠" if health.key_rejected or health.state == "open" else ""
            self.list.item(i).setText(f"{mark} {p}{warn}")
        self._show(self.list.currentRow())

    _shown = ""

    def _show(self, row: int) -> None:
        if row < 0:
            return
        p = PROVIDERS[row]
        key = self.backend.key(p)
        self.title.setText(f"<h3>{p}</h3>")
        if p in LOCAL_PROVIDERS:
            self.key_state.setText("not needed (local server)")
        elif key.present:
            self.key_state.setText(f"set ({key.source})" if key.source else "set")
        else:
            self.key_state.setText("not set")
        self.clear_key.setEnabled(key.present and key.source == "keyring")
        self.base_url.setText(self.backend.settings.provider(p).base_url or "")
        current = self.backend.settings.provider(p).timeouts
        for name, spin in self.timeouts.items():
            spin.setValue(float(getattr(current, name)))
        if p not in LOCAL_PROVIDERS and not key.present and not self.backend.demo:
            self.health_label.setText("not used: no key")
        else:
            self.health_label.setText(health_text(self.backend.health(p)))
        if p != self._shown:  # a refresh after the test keeps its result on screen
            self._shown = p
            self.test_result.setText("")
        if self.backend.settings.demo:
            self.demo_note.setText(
                "Demo mode is on: the offline demo provider answers every model. Keys set here "
                "are kept and used once you switch demo mode off (Routing menu or status bar)."
            )
            self.demo_note.show()
        else:
            self.demo_note.hide()

    def _set_key(self) -> None:
        key = self.key_edit.text().strip()
        self.key_edit.clear()  # never keep the key on screen
        if not key:
            self.banner.show_message("Paste a key first.", "error")
            return
        self.set_key.setEnabled(False)
        self.pending = spawn(self._store_key(self.provider, key))

    async def _store_key(self, provider: str, key: str) -> None:
        try:
            await self.backend.set_key(provider, key)
        except RouterError as exc:
            self.banner.show_message(f"Key not stored: {exc.message}", "error")
        else:
            self.banner.show_message(f"Key for {provider} stored in the system keyring.", "ok")
            self.test_result.setText("")  # a "no key set" from before is no longer true
            self.key_stored.emit(provider)
        self.set_key.setEnabled(True)
        self.refresh()

    def _clear_key(self) -> None:
        """Ask first: a cleared key is gone from the keyring (routerdesk never shows it again)."""
        provider = self.provider
        # open(), not exec(): a nested event loop would stall the server on the same loop.
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Clear key",
            f"Remove the {provider} API key from the system keyring?\n\n"
            "Requests stop going to this provider until you set a key again.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("C&lear key")
        box.finished.connect(lambda result: self._cleared(provider, result))
        self.confirm_clear = box
        box.open()

    def _cleared(self, provider: str, result: int) -> None:
        self.confirm_clear = None
        if result == QMessageBox.StandardButton.Yes:
            self.pending = spawn(self._remove_key(provider))

    async def _remove_key(self, provider: str) -> None:
        try:
            await self.backend.clear_key(provider)
        except RouterError as exc:
            self.banner.show_message(f"Key not removed: {exc.message}", "error")
        else:
            self.banner.show_message(f"Key for {provider} removed.", "ok")
            self.test_result.setText("")
            self.key_stored.emit(provider)
        self.refresh()

    def _save_url(self) -> None:
        p, url = self.provider, self.base_url.text().strip() or None
        s = self.backend.settings.model_copy(deep=True)
        s.providers[p] = s.provider(p).model_copy(update={"base_url": url})
        try:
            self.backend.save_settings(s)
        except (ConfigError, OSError) as exc:
            self.banner.show_message(f"Not saved: {exc}", "error")
            return
        self.banner.show_message(
            f"{p}: {'base URL ' + url if url else 'default endpoint'} saved.", "ok"
        )

    def _save_timeouts(self) -> None:
        p = self.provider
        s = self.backend.settings.model_copy(deep=True)
        timeouts = Timeouts(**{name: spin.value() for name, spin in self.timeouts.items()})
        s.providers[p] = s.provider(p).model_copy(update={"timeouts": timeouts})
        try:
            self.backend.save_settings(s)
        except (ConfigError, OSError) as exc:
            self.banner.show_message(f"Not saved: {exc}", "error")
            return
        self.banner.show_message(
            f"{p}: timeouts saved (streams give up after {timeouts.first_event:g} s "
            f"without a first event).",
            "ok",
        )

    def _test(self) -> None:
        self.test.setEnabled(False)
        self.test_result.setText("testing…")
        self.pending = spawn(self._run_test(self.provider))

    async def _run_test(self, provider: str) -> None:
        try:
            ok, message = await self.backend.test_connection(provider)
        except Exception as exc:  # shown to the user, never raised into the loop
            log.debug("test connection failed", exc_info=True)
            ok, message = False, str(exc)
        self.test.setEnabled(True)
        if provider == self.provider:
            self.test_result.setText(("✔ " if ok else "✘ ") + message)
        self.refresh()
