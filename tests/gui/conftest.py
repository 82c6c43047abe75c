"""GUI test setup: offscreen platform noise that is not a real warning is ignored here only."""

from __future__ import annotations

import pytest

# The offscreen platform plugin warns about window features it lacks; that is
# not a problem of the app, so it must not fail a test (qt_log_level_fail = WARNING).
_OFFSCREEN_NOISE = ("propagateSizeHints", "QSystemTrayIcon::setVisible: No Icon set")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(*_OFFSCREEN_NOISE))
