"""Requests/s through the server with the desktop window open vs `routerdesk serve` headless.

    .venv/bin/python benchmarks/bench_gui.py [--requests 6000] [--rounds 12] [--concurrency 16] [--json FILE]

Both targets run in their own process in a throwaway ROUTERDESK_HOME, in demo
mode with zero simulated latency (so the router itself is what is measured),
the token from ROUTERDESK_TOKEN and no keyring:
- headless: ``routerdesk serve --demo --demo-latency 0 --port 0``;
- gui: this file with ``--child-gui``: the real `DesktopApp` (qasync loop, window
  shown offscreen on the Dashboard, charts redrawing live, Requests table filling).
The client is this process: one aiohttp session per round, the same requests to
both; after a warm-up the targets take turns (rounds alternate, so background
load and CPU clock changes hit both alike) and each figure is its total requests
over its total time. Goal: gui >= 80% of headless.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TOKEN = "rd-bench-gui-token"
PROMPTS = [
    "What is the capital of Peru?",
    "Write a Python function that parses ISO dates.",
    "Translate 'see you tomorrow' into Italian.",
    "Summarize: the router picks the cheapest capable model for each prompt.",
]


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(
        ROUTERDESK_HOME=str(home),
        ROUTERDESK_TOKEN=TOKEN,
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        QT_QPA_PLATFORM="offscreen",
    )
    return env


def start(cmd: list[str], home: Path) -> tuple[subprocess.Popen[str], str]:
    log = (home / "stderr.log").open("w")  # read back if the process ends badly
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=child_env(home))
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"could not start {cmd}: {line!r}")
    return proc, line.removeprefix("listening on ")


async def load(url: str, n: int, concurrency: int) -> float:
    import aiohttp

    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    bodies = [
        json.dumps({"model": "auto", "messages": [{"role": "user", "content": p}]}).encode()
        for p in PROMPTS
    ]
    counter = iter(range(n))
    errors = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        for i in counter:
            async with session.post(
                f"{url}/v1/chat/completions", data=bodies[i % len(bodies)], headers=headers
            ) as r:
                await r.read()
                errors += r.status != 200

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"{errors} of {n} requests failed against {url}")
    return n / elapsed


async def alternate(
    urls: dict[str, str], n: int, concurrency: int, rounds: int
) -> dict[str, float]:
    """Warm both up, then alternate rounds so drift (other load, CPU clocks) hits both alike."""
    for url in urls.values():
        await load(url, max(200, n // 10), concurrency)
    per_round = max(1, n // rounds)
    spent = dict.fromkeys(urls, 0.0)
    for _ in range(rounds):
        for name, url in urls.items():
            rps = await load(url, per_round, concurrency)
            spent[name] += per_round / rps
    return {name: per_round * rounds / t for name, t in spent.items()}


def measure(cmds: dict[str, list[str]], n: int, concurrency: int, rounds: int) -> dict[str, float]:
    procs: list[subprocess.Popen[str]] = []
    with tempfile.TemporaryDirectory(prefix="routerdesk-bench-") as tmp:
        try:
            urls = {}
            for name, cmd in cmds.items():
                home = Path(tmp) / name
                home.mkdir()
                proc, urls[name] = start(cmd, home)
                procs.append(proc)
            return asyncio.run(alternate(urls, n, concurrency, rounds))
        finally:
            for name, proc in zip(cmds, procs, strict=False):
                proc.terminate()
                try:
                    code = proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    code = proc.wait()
                if code != 0:
                    tail = (Path(tmp) / name / "stderr.log").read_text()[-6000:]
                    print(f"{name} exited with {code}:\n{tail}", file=sys.stderr)


def run_gui_child() -> int:
    """The desktop app in this process, printing the server URL once it listens."""
    import faulthandler
    import signal

    from routerdesk.app import DesktopApp, exit_now, make_qapp, release_qt
    from routerdesk.gui.loop import RouterEventLoop

    faulthandler.enable()

    qapp = make_qapp()
    loop = RouterEventLoop(qapp)
    asyncio.set_event_loop(loop)
    app = DesktopApp(demo=True, demo_latency_scale=0.0, port=0, tray=False)

    async def main() -> None:
        url = await app.start()
        assert app.window is not None and app.window.dashboard.isVisible()
        print(f"listening on {url}", flush=True)
        loop.add_signal_handler(signal.SIGTERM, app.quit)
        await app.wait_closed()
        await app.stop()

    with loop:
        loop.run_until_complete(main())
    release_qt()
    exit_now(0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=12, help="alternating rounds per target")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--child-gui", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_gui:
        return run_gui_child()
    py = sys.executable
    cmds = {
        "headless": [
            py,
            "-m",
            "routerdesk",
            "serve",
            "--demo",
            "--demo-latency",
            "0",
            "--port",
            "0",
        ],
        "gui": [py, __file__, "--child-gui"],
    }
    rps = measure(cmds, args.requests, args.concurrency, args.rounds)
    headless, gui = rps["headless"], rps["gui"]
    ratio = gui / headless
    result: dict[str, Any] = {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "headless_rps": round(headless, 1),
        "gui_rps": round(gui, 1),
        "gui_vs_headless": round(ratio, 3),
        "goal": 0.8,
    }
    print(
        f"headless {headless:.0f} req/s, gui (window open, charts live) {gui:.0f} req/s: "
        f"{ratio:.0%} of headless (goal >= 80%) "
        f"[{args.requests} requests, {args.concurrency} concurrent, demo provider, zero latency]"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0 if ratio >= 0.8 else 1


if __name__ == "__main__":
    raise SystemExit(main())
