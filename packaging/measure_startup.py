"""Cold-start times of the bundle: `serve --demo` until `listening on`, the GUI until its window is mapped.

    python packaging/measure_startup.py [--runs N] [--exe dist/routerdesk/routerdesk] [--drop-caches]

Each run uses a fresh ROUTERDESK_HOME (so it includes first-run setup: copying
the shipped registry, creating the usage database). With --drop-caches (root
only) the page cache is emptied before every run, so the bundle's ~200 MB is
read from disk again: a true cold start. Prints one JSON object with the median,
min and max in seconds.

The GUI is timed under Xvfb (`xvfb-run`, QT_QPA_PLATFORM=xcb): from spawn until a
top-level window of class "routerdesk" is viewable on the X server (polled with
xwininfo every 10 ms), then the app is stopped. `--exe .venv/bin/routerdesk` times
the source install the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(rb"listening on http://")


def _drop_caches() -> None:
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home / "home"),
        "ROUTERDESK_HOME": str(home / "state"),
        "ROUTERDESK_TOKEN": "rd-measure-startup",
        "XDG_RUNTIME_DIR": str(home),
        "LANG": "C.UTF-8",
        **extra,
    }
    (home / "home").mkdir(exist_ok=True)
    return env


def time_serve(exe: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [str(exe), "serve", "--demo", "--port", "0"],
            env=_env(Path(tmp)),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        try:
            while sel.select(timeout=60):
                line = proc.stdout.readline()
                if not line:
                    break
                if LISTENING.search(line):
                    return time.perf_counter() - start
            raise RuntimeError("serve never printed 'listening on'")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def _window_mapped(display: str) -> bool:
    """True once the app's top-level window (WM_CLASS "routerdesk") is viewable on the X server."""
    env = {"DISPLAY": display, "PATH": "/usr/bin:/bin"}
    tree = subprocess.run(
        ["xwininfo", "-root", "-tree"], env=env, capture_output=True, text=True
    ).stdout
    for wid in re.findall(r'(0x[0-9a-f]+) "routerdesk[^"]*": \("routerdesk"', tree):
        info = subprocess.run(
            ["xwininfo", "-id", wid], env=env, capture_output=True, text=True
        ).stdout
        if "Map State: IsViewable" in info:
            return True
    return False


def time_gui(exe: Path, display: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(Path(tmp), DISPLAY=display, QT_QPA_PLATFORM="xcb")
        start = time.perf_counter()
        proc = subprocess.Popen(
            [str(exe)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            while time.perf_counter() - start < 60:
                if _window_mapped(display):
                    return time.perf_counter() - start
                if proc.poll() is not None:
                    raise RuntimeError(f"the app exited early with {proc.returncode}")
                time.sleep(0.01)
            raise RuntimeError("no routerdesk window within 60 s")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _summary(samples: list[float]) -> dict[str, float | int]:
    return {
        "runs": len(samples),
        "median_s": round(statistics.median(samples), 3),
        "min_s": round(min(samples), 3),
        "max_s": round(max(samples), 3),
    }


def _start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    for n in range(90, 120):
        if not Path(f"/tmp/.X11-unix/X{n}").exists():
            break
    display = f":{n}"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        if Path(f"/tmp/.X11-unix/X{n}").exists():
            return xvfb, display
        time.sleep(0.05)
    xvfb.kill()
    raise RuntimeError("Xvfb did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--exe", type=Path, default=ROOT / "dist" / "routerdesk" / "routerdesk")
    parser.add_argument("--drop-caches", action="store_true", help="empty the page cache per run")
    parser.add_argument("--no-gui", action="store_true")
    args = parser.parse_args()
    prepare = _drop_caches if args.drop_caches else (lambda: None)

    serve = []
    for _ in range(args.runs):
        prepare()
        serve.append(time_serve(args.exe))
    result: dict[str, object] = {"serve_demo_until_listening": _summary(serve)}

    if not args.no_gui:
        if not (shutil.which("Xvfb") and shutil.which("xwininfo")):
            print("measure_startup: GUI skipped (needs Xvfb and xwininfo)", file=sys.stderr)
        else:
            xvfb, display = _start_xvfb()
            try:
                gui = []
                for _ in range(args.runs):
                    prepare()
                    gui.append(time_gui(args.exe, display))
                result["gui_until_window_mapped"] = _summary(gui)
            finally:
                xvfb.terminate()
                xvfb.wait()
    result["page_cache"] = "dropped before each run" if args.drop_caches else "warm"
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
