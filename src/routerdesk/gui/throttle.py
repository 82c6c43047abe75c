"""A QObject that rate-limits calls: the first call runs at once, later ones are coalesced.

Modelled on qutebrowser's `misc/throttle.py`. Live views are fed by a fast
event stream; a throttle makes sure a burst of a thousand events costs one
redraw per interval instead of a thousand.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    """Call `func` at most once every `delay_ms`; the last pending call always runs.

    Signals: none (it calls `func` directly on the GUI thread).
    """

    def __init__(
        self, func: Callable[[], None], delay_ms: int, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._func = func
        self._delay_ms = delay_ms
        self._last_run = 0.0  # monotonic seconds
        self._pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)

    @property
    def delay_ms(self) -> int:
        return self._delay_ms

    def __call__(self) -> None:
        """Request a call: now if the interval has passed, else once when it has."""
        if self._timer.isActive():
            self._pending = True
            return
        elapsed_ms = (time.monotonic() - self._last_run) * 1000.0
        if elapsed_ms >= self._delay_ms:
            self._run()
            self._timer.start(self._delay_ms)  # opens the quiet window
        else:
            self._pending = True
            self._timer.start(max(1, int(self._delay_ms - elapsed_ms)))

    def flush(self) -> None:
        """Run a pending call now (tests, shutdown)."""
        if self._pending:
            self._timer.stop()
            self._run()

    def cancel(self) -> None:
        self._pending = False
        self._timer.stop()

    def _fire(self) -> None:
        if self._pending:
            self._run()
            self._timer.start(self._delay_ms)

    def _run(self) -> None:
        self._pending = False
        self._last_run = time.monotonic()
        self._func()
