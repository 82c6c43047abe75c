"""RouterEventLoop keeps asyncio's semantics: FIFO callbacks, ordered timers, cancellation, threads."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from routerdesk.gui.loop import RouterEventLoop

pytestmark = pytest.mark.gui


def test_callbacks_and_timers_keep_asyncio_order(run: Callable[[Awaitable[Any]], Any]) -> None:
    async def scenario() -> list[str]:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, RouterEventLoop)
        seen: list[str] = []
        done = loop.create_future()
        loop.call_later(0.05, seen.append, "t50")
        loop.call_later(0.01, seen.append, "t10")
        cancelled = loop.call_later(0.02, seen.append, "never")
        cancelled.cancel()
        loop.call_soon(seen.append, "s1")
        loop.call_soon(seen.append, "s2")
        loop.call_later(0.08, done.set_result, None)
        await done
        return seen

    assert run(scenario()) == ["s1", "s2", "t10", "t50"]


def test_sleep_threads_and_many_cancelled_timers(run: Callable[[Awaitable[Any]], Any]) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        handles = [loop.call_later(60, lambda: None) for _ in range(500)]
        for h in handles:
            h.cancel()  # aiohttp does this per request; the heap must not keep them all
        assert len(loop._timers) < 500  # type: ignore[attr-defined]
        t0 = time.monotonic()
        await asyncio.sleep(0.03)
        assert time.monotonic() - t0 >= 0.029
        assert await asyncio.to_thread(lambda: threading.current_thread().name) != "MainThread"
        fut = loop.create_future()
        threading.Thread(target=lambda: loop.call_soon_threadsafe(fut.set_result, 7)).start()
        assert await asyncio.wait_for(fut, 2) == 7

    run(scenario())
