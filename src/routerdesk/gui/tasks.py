"""Fire-and-forget coroutines from Qt slots: keeps a reference and logs failures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)
_running: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    """Schedule `coro` on the event loop (qasync's, in the app); it must handle its own errors."""
    task = asyncio.ensure_future(coro)
    _running.add(task)
    task.add_done_callback(_done)
    return task


def _done(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("background task failed", exc_info=task.exception())


def spawn_if_running(make: Callable[[], Coroutine[Any, Any, Any]]) -> asyncio.Task[Any] | None:
    """`spawn(make())` when an event loop is running now (a Qt slot inside the app's qasync
    loop); else None, and no coroutine is made (widgets refreshing before the loop starts,
    tests without a loop). For refreshes that a timer or the next event repeats anyway."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return None
    return spawn(make())
