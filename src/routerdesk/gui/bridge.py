"""Bridges the engine's `EventBus` to Qt signals, batching the request stream through a throttle.

The engine publishes on the event loop (which, under qasync, is the GUI
thread); a subscriber there must be quick, so the bridge only queues events.
A `Throttle` flushes the queue at most every `interval_ms`, emitting one
batched signal, so a burst of a thousand requests costs one redraw.
A finished request is queued as a `RequestRow` (plain values), not the
engine's `UsageRecord`, so the record dies with its request instead of
keeping some seventy GC-tracked objects alive (see models/request_row.py).
Rare events (registry, settings, provider health) are forwarded at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from routerdesk.core import events as ev
from routerdesk.core.events import EventBus
from routerdesk.core.types import UsageRecord
from routerdesk.gui.models.request_row import RequestRow
from routerdesk.gui.throttle import Throttle

DEFAULT_INTERVAL_MS = 250  # at most ~4 redraws a second


class EngineBridge(QObject):
    """Qt face of the engine's events.

    Signals:
        requests_finished(list[RequestRow]): a batch of finished requests, oldest first.
        in_flight_changed(int): how many requests are running now.
        registry_changed(Registry): the engine switched to another registry.
        settings_changed(Settings): the engine's settings changed.
        provider_health_changed(str, object): provider id and its new health.
    """

    requests_finished = Signal(list)
    in_flight_changed = Signal(int)
    registry_changed = Signal(object)
    settings_changed = Signal(object)
    provider_health_changed = Signal(str, object)
    _wake = Signal()  # internal: crosses threads if an event comes from elsewhere

    def __init__(
        self, bus: EventBus, interval_ms: int = DEFAULT_INTERVAL_MS, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._finished: deque[RequestRow] = deque()
        self._started = 0
        self._in_flight = 0
        self._armed = False  # a wake-up is already on its way: later events just queue
        self._throttle = Throttle(self._flush, interval_ms, self)
        self._wake.connect(self._throttle)
        self._unsubscribe: list[Callable[[], None]] = [
            bus.subscribe(ev.REQUEST_STARTED, self._on_started),
            bus.subscribe(ev.REQUEST_FINISHED, self._on_finished),
            bus.subscribe(ev.REGISTRY_CHANGED, self._on_registry),
            bus.subscribe(ev.SETTINGS_CHANGED, self._on_settings),
            bus.subscribe(ev.PROVIDER_HEALTH_CHANGED, self._on_health),
        ]

    def close(self) -> None:
        """Stop listening (the window is going away for good)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._throttle.cancel()

    def flush(self) -> None:
        """Emit whatever is queued now (tests and screenshots)."""
        self._flush()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    # --- event bus callbacks: quick, no Qt work beyond a wake-up -------------------

    def _on_started(self, _request_id: str, _requested_model: str, *_: Any) -> None:
        self._started += 1
        self._arm()

    def _on_finished(self, record: UsageRecord, *_: Any) -> None:
        self._finished.append(RequestRow(record))
        self._arm()

    def _arm(self) -> None:
        # One Qt signal per flush, not per event: emitting costs more than queueing.
        if not self._armed:
            self._armed = True
            self._wake.emit()

    def _on_registry(self, registry: Any, *_: Any) -> None:
        self.registry_changed.emit(registry)

    def _on_settings(self, settings: Any, *_: Any) -> None:
        self.settings_changed.emit(settings)

    def _on_health(self, provider: str, health: Any, *_: Any) -> None:
        self.provider_health_changed.emit(provider, health)

    # --- throttled ---------------------------------------------------------------

    def _flush(self) -> None:
        self._armed = False
        batch = list(self._finished)
        self._finished.clear()
        in_flight = max(0, self._in_flight + self._started - len(batch))
        self._started = 0
        if in_flight != self._in_flight:
            self._in_flight = in_flight
            self.in_flight_changed.emit(in_flight)
        if batch:
            self.requests_finished.emit(batch)
