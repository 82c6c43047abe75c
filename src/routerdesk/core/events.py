"""A tiny synchronous event bus: the engine publishes, the GUI bridge (or tests) subscribe.

The core never calls the GUI; the GUI registers callbacks here. Callbacks run on
the publisher's thread (the event loop) and must be quick: the Qt bridge only
queues the event and lets a throttle redraw later.

Event names (pinned, see ARCHITECTURE.md):
    request_started(request_id: str, requested_model: str)
    request_finished(record: UsageRecord)
    registry_changed(registry: Registry)
    provider_health_changed(provider: str, health: ProviderHealth)
    settings_changed(settings: Settings)
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

REQUEST_STARTED = "request_started"
REQUEST_FINISHED = "request_finished"
REGISTRY_CHANGED = "registry_changed"
PROVIDER_HEALTH_CHANGED = "provider_health_changed"
SETTINGS_CHANGED = "settings_changed"

Callback = Callable[..., None]


class EventBus:
    def __init__(self) -> None:
        self._subs: defaultdict[str, list[Callback]] = defaultdict(list)

    def subscribe(self, event: str, callback: Callback) -> Callable[[], None]:
        """Register `callback` for `event`; returns a function that unsubscribes."""
        self._subs[event].append(callback)

        def unsubscribe() -> None:
            if callback in self._subs[event]:
                self._subs[event].remove(callback)

        return unsubscribe

    def publish(self, event: str, *args: Any) -> None:
        for cb in tuple(self._subs.get(event, ())):
            try:
                cb(*args)
            except Exception:  # a broken subscriber must not break a request
                log.exception("event subscriber for %s failed", event)
