"""GUI test setup: offscreen platform noise that is not a real warning is ignored here only."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import keyring
import pytest
from PySide6.QtWidgets import QApplication

from routerdesk.gui.loop import RouterEventLoop
from storage.memory_keyring import MemoryKeyring

TOKEN = "rd-gui-test-token-0123456789"
T = TypeVar("T")

# The offscreen platform plugin warns about window features it lacks; that is
# not a problem of the app, so it must not fail a test (qt_log_level_fail = WARNING).
_OFFSCREEN_NOISE = (
    "propagateSizeHints",
    "does not support raise",
    "systemTrayWindowChanged",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(*_OFFSCREEN_NOISE))


@pytest.fixture
def test_keyring() -> Iterator[None]:
    """The real (throwaway) Secret Service under `make pytest`, else an in-memory backend."""
    if os.environ.get("ROUTERDESK_KEYRING_READY"):
        yield
        return
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def run(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch, test_keyring: None
) -> Iterator[Callable[[Awaitable[T]], T]]:
    """Run a coroutine to completion on a qasync loop (Qt events are processed meanwhile)."""
    monkeypatch.setenv("ROUTERDESK_TOKEN", TOKEN)
    qapp.setQuitOnLastWindowClosed(False)  # as in the app: the window is not the process
    loop = RouterEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop.run_until_complete  # type: ignore[misc]
    finally:
        loop.close()
        asyncio.set_event_loop(None)
