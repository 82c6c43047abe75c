"""High-DPI: the real app at scale 2 (and 1.5) renders at that ratio and no page clips its text.

The scale factor has to be in the environment before a QApplication exists, so
hidpi_driver.py runs in a fresh interpreter (offscreen) for each setting.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gui.hidpi_driver import TOKEN

pytestmark = [pytest.mark.gui, pytest.mark.slow]

DRIVER = Path(__file__).with_name("hidpi_driver.py")
PAGES = ["Dashboard", "Requests", "Registry", "Playground", "Providers", "Settings", "Integrations"]


@pytest.mark.parametrize(
    ("variable", "value", "ratio"),
    [
        ("QT_SCALE_FACTOR", "2", 2.0),
        ("QT_SCREEN_SCALE_FACTORS", "2", 2.0),
        ("QT_SCALE_FACTOR", "1.5", 1.5),
    ],
)
def test_every_page_fits_its_text_when_scaled(
    variable: str, value: str, ratio: float, tmp_path: Path
) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_API_KEY") and not k.startswith(("QT_SCALE", "QT_SCREEN_SCALE"))
    }
    env.update(
        {variable: value},
        QT_QPA_PLATFORM="offscreen",
        ROUTERDESK_HOME=str(tmp_path),
        ROUTERDESK_TOKEN=TOKEN,
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    done = subprocess.run(
        [sys.executable, str(DRIVER)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Traceback" not in done.stderr, done.stderr[-4000:]  # e.g. a task stepped re-entrantly
    out = done.stdout.splitlines()
    assert out[0] == f"dpr {ratio}"
    pages = {line.split()[1]: int(line.split()[2]) for line in out if line.startswith("page ")}
    assert list(pages) == PAGES
    assert all(n > 0 for n in pages.values()), pages  # each page had text to check
    assert [line for line in out if line.startswith("clipped")] == []
    # The window's pixels are the logical size times the ratio: nothing is drawn at 1x and stretched.
    grab = next(line for line in out if line.startswith("grab "))
    assert grab == f"grab {round(1280 * ratio)}x{round(800 * ratio)} dpr {ratio} window 1280x800"
