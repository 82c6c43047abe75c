"""The desktop app quits cleanly on SIGTERM/SIGINT: server stopped, usage log flushed, exit code 0.

Runs the real `routerdesk` GUI in a subprocess (offscreen, throwaway
ROUTERDESK_HOME, demo mode so no key is needed) and signals it the way a
session logout or Ctrl+C would.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from fakes import free_port

pytestmark = [
    pytest.mark.gui,
    pytest.mark.slow,
    pytest.mark.skipif(os.name != "posix", reason="POSIX signals"),
]

TOKEN = "rd-signal-test-token-0123456789"


def start_app(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    (home / "settings.toml").write_text(f"demo = true\n\n[server]\nport = {port}\n")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(
        ROUTERDESK_HOME=str(home),
        ROUTERDESK_TOKEN=TOKEN,
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "routerdesk"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return proc, f"http://127.0.0.1:{port}"


def wait_until_serving(proc: subprocess.Popen[bytes], url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"routerdesk exited early ({proc.returncode}): {err.decode()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("routerdesk did not start serving in time")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_server_flushes_usage_and_exits_zero(tmp_path: Path, sig: int) -> None:
    proc, url = start_app(tmp_path)
    try:
        wait_until_serving(proc, url)
        reply = httpx.post(
            f"{url}/v1/chat/completions",
            headers={"Authorization": f"Bearer {TOKEN}"},
            json={"model": "auto", "messages": [{"role": "user", "content": "hello"}]},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        proc.send_signal(sig)  # at once: the usage row is still queued in memory
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.decode()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health", timeout=2)
    with sqlite3.connect(tmp_path / "usage.sqlite3") as db:
        rows = db.execute("SELECT status, demo FROM requests").fetchall()
    assert rows == [("ok", 1)]


def test_sigterm_closes_the_start_up_error_box_and_exits(tmp_path: Path) -> None:
    """A start-up error (here: no keyring and no ROUTERDESK_TOKEN, so the access token
    cannot be kept) is shown in a modal box with its own event loop; SIGTERM (a logout)
    must still end the app, not wait for someone to click OK."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.pop("ROUTERDESK_TOKEN", None)
    env.update(
        ROUTERDESK_HOME=str(tmp_path),
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "routerdesk"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    reported = threading.Event()

    def watch() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "cannot start" in line:
                reported.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        assert reported.wait(30), "the start-up error was never reported"
        time.sleep(0.5)  # the box is up and its event loop is running
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            raise AssertionError("the app ignored SIGTERM while its error box was open")
    assert proc.returncode == 1  # it did not start: not a clean run
