"""The app's event loop: qasync's QEventLoop with asyncio's own scheduling for callbacks and timers.

qasync runs every `call_soon` callback and every `call_later` timer on a Qt
timer of its own, and a cancelled timer lives on until it fires: aiohttp's
per-request keep-alive and deadline timers pile up in Qt by the thousand.
Here, as in asyncio's loop, ready callbacks queue in a deque and timers sit in
a heap; a zero-delay Qt timer drains the ready queue and one precise Qt timer
waits for the earliest deadline. Qt still processes its events between two
drains. I/O notifiers stay qasync's (they end in `call_soon`).
"""

from __future__ import annotations

import asyncio
import heapq
import math
from collections import deque
from collections.abc import Callable
from contextvars import Context
from typing import Any

import qasync
from PySide6.QtCore import QObject, Qt, QTimer, QTimerEvent
from PySide6.QtWidgets import QApplication


class _Pump(QObject):
    """Owns the two Qt timers that drive the ready queue and the timer heap.

    Signals: none.
    """

    def __init__(self, drain: Callable[[], None], due: Callable[[], None]) -> None:
        super().__init__()
        self._drain = drain
        self._drain_id = 0
        self.deadline = QTimer(self)
        self.deadline.setSingleShot(True)
        self.deadline.setTimerType(Qt.TimerType.PreciseTimer)
        self.deadline.timeout.connect(due)

    def arm_drain(self) -> None:
        if not self._drain_id:
            self._drain_id = self.startTimer(0)

    def stop(self) -> None:
        if self._drain_id:
            self.killTimer(self._drain_id)
            self._drain_id = 0
        self.deadline.stop()

    def timerEvent(self, event: QTimerEvent) -> None:
        if event.timerId() == self._drain_id:
            self.killTimer(self._drain_id)
            self._drain_id = 0
            self._drain()


class RouterEventLoop(qasync.QEventLoop):  # type: ignore[misc]
    """A qasync loop whose callbacks and timers are scheduled the way asyncio does it."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._ready_handles: deque[asyncio.Handle] = deque()
        self._timers: list[asyncio.TimerHandle] = []
        self._cancelled_timers = 0
        self._pump = _Pump(self._run_ready, self._run_due)

    # --- scheduling ------------------------------------------------------------

    def call_soon(
        self, callback: Callable[..., Any], *args: Any, context: Context | None = None
    ) -> asyncio.Handle:
        self._check_closed()
        handle = asyncio.Handle(callback, args, self, context=context)
        self._ready_handles.append(handle)
        self._pump.arm_drain()
        return handle

    def call_later(
        self,
        delay: float,
        callback: Callable[..., Any],
        *args: Any,
        context: Context | None = None,
    ) -> asyncio.TimerHandle:
        return self.call_at(self.time() + delay, callback, *args, context=context)

    def call_at(
        self, when: float, callback: Callable[..., Any], *args: Any, context: Context | None = None
    ) -> asyncio.TimerHandle:
        self._check_closed()
        handle = asyncio.TimerHandle(when, callback, args, self, context=context)
        first = not self._timers or when < self._timers[0].when()
        heapq.heappush(self._timers, handle)
        handle._scheduled = True  # type: ignore[attr-defined]
        if first:
            self._arm_deadline()
        return handle

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        # asyncio's trick: drop cancelled timers in bulk once they are the majority.
        self._cancelled_timers += 1
        if self._cancelled_timers > 100 and self._cancelled_timers * 2 > len(self._timers):
            self._timers = [h for h in self._timers if not h.cancelled()]
            heapq.heapify(self._timers)
            self._cancelled_timers = 0
            self._arm_deadline()

    # --- running ---------------------------------------------------------------

    def _arm_deadline(self) -> None:
        while self._timers and self._timers[0].cancelled():
            heapq.heappop(self._timers)._scheduled = False  # type: ignore[attr-defined]
            self._cancelled_timers = max(0, self._cancelled_timers - 1)
        if not self._timers:
            self._pump.deadline.stop()
            return
        delay_ms = max(0, math.ceil((self._timers[0].when() - self.time()) * 1000))
        self._pump.deadline.start(delay_ms)

    def _run_due(self) -> None:
        now = self.time() + 0.001  # Qt's millisecond timers may wake a hair early
        while self._timers and self._timers[0].when() <= now:
            handle = heapq.heappop(self._timers)
            handle._scheduled = False  # type: ignore[attr-defined]
            if handle.cancelled():
                self._cancelled_timers = max(0, self._cancelled_timers - 1)
            else:
                self._ready_handles.append(handle)
        self._arm_deadline()
        self._run_ready()

    def _run_ready(self) -> None:
        # Like asyncio: run what was ready when the drain began; callbacks added
        # meanwhile wait for the next drain, so Qt events are never starved.
        ready = self._ready_handles
        for _ in range(len(ready)):
            handle = ready.popleft()
            if not handle.cancelled():
                handle._run()
        if ready:
            self._pump.arm_drain()

    def close(self) -> None:
        self._pump.stop()
        self._ready_handles.clear()
        self._timers.clear()
        super().close()
