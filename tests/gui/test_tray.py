"""The system tray for real: the app on Xvfb next to an XEmbed tray host (trayer).

Offscreen Qt has no tray, so the in-process tests cannot reach this path. Here
a private Xvfb display runs `trayer` (a freedesktop system tray), and
tray_driver.py runs the real app on it: the tray is detected the way the app
does it, the icon gets embedded, clicked with xdotool, and its menu used.
scripts/system-deps.sh installs Xvfb, trayer and xdotool, so CI runs this.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gui.tray_driver import TOKEN

NEEDED = ("Xvfb", "trayer", "xdotool")
MISSING = [b for b in NEEDED if shutil.which(b) is None]

pytestmark = [
    pytest.mark.gui,
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(MISSING),
        reason=f"needs {', '.join(MISSING)} (scripts/system-deps.sh installs them)",
    ),
]

DRIVER = Path(__file__).with_name("tray_driver.py")
TRAYER = ("trayer", "--SetDockType", "true", "--transparent", "false")
STEPS = [
    "tray detected and icon shown",
    "icon embedded at",
    "menu: open, pause routing, quit",
    "tooltip: routerdesk: demo / Today's spend: $",
    "closing the window keeps the server answering",
    "left click on the icon opens the window",
    "right click on the icon shows the menu",
    "pause routing from the menu: ",
    "open from the menu",
    "quit from the menu",
]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def tray_display() -> Iterator[str]:
    """A fresh Xvfb display with trayer owning its system tray selection."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    assert number, "Xvfb did not report a display"
    display = f":{number}"
    env = {**os.environ, "DISPLAY": display}
    trayer = subprocess.Popen(
        [*TRAYER, "--edge", "top", "--align", "right", "--widthtype", "request", "--height", "24"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            found = subprocess.run(
                ["xdotool", "search", "--class", "trayer"], env=env, capture_output=True
            )
            if found.returncode == 0 and found.stdout.strip():
                break
            assert trayer.poll() is None, "trayer exited"
            time.sleep(0.1)
        else:
            raise AssertionError("trayer never mapped its window")
        yield display
    finally:
        _stop(trayer)
        _stop(xvfb)


def test_tray_open_pause_quit_and_server_survives_closing(
    tray_display: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(
        DISPLAY=tray_display,
        QT_QPA_PLATFORM="xcb",
        ROUTERDESK_HOME=str(tmp_path),
        ROUTERDESK_TOKEN=TOKEN,
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run(
        [sys.executable, str(DRIVER)], env=env, capture_output=True, text=True, timeout=120
    )
    out = done.stdout.splitlines()
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-4000:]}"
    for i, expected in enumerate(STEPS):
        assert out[i].startswith(f"ok {expected}"), (i, out)
    assert out[-1] == "all tray checks passed"
