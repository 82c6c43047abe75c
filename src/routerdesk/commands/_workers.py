"""`routerdesk serve --workers N`: N server processes on one port, one supervisor.

Each worker is a full `routerdesk serve` (its own process, event loop, engine
and usage writer) started with ``--worker``: it binds the same host:port with
SO_REUSEPORT, so the kernel spreads incoming connections over the workers.
They share the SQLite usage log (WAL mode, busy timeout: one writer at a time,
the others wait milliseconds) and the person-token file, and re-read today's
spend from the log every couple of seconds so budgets hold across workers
(overshoot: what the other workers spent in the last ~2 s).

The supervisor migrates the usage log once before the workers start (so they
never race to create it), picks the port when asked for port 0, waits for every
worker to listen, then prints the one ``listening on`` line. SIGINT/SIGTERM are
passed on to the workers, which flush their usage rows and exit. A worker still
running `STOP_GRACE_S` later gets SIGABRT, which makes it print every thread's
stack to stderr (faulthandler) before it dies, and the supervisor exits 1: a
stuck shutdown is bounded and says where it was stuck. A worker that dies on its
own stops the whole server (exit 1): a supervisor under systemd is restarted as
a whole; a half-dead server is harder to notice.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import subprocess
import sys
import threading
import time
from types import FrameType

from routerdesk.core.errors import ConfigError

START_TIMEOUT_S = 60.0
# a worker flushes its usage rows on SIGTERM (the writer gets up to 30 s, see UsageStore.close)
STOP_GRACE_S = 40.0


def _address(args: argparse.Namespace) -> tuple[str, int]:
    from routerdesk.core.settings import Settings
    from routerdesk.core.settings_file import load_settings
    from routerdesk.storage.paths import settings_path

    try:
        server = load_settings(settings_path()).server
    except ConfigError:
        server = Settings().server  # the workers report the bad file themselves
    host = args.host if args.host is not None else server.host
    port = args.port if args.port is not None else server.port
    return host, port


def _reserve(host: str, port: int) -> socket.socket:
    """Bind (not listen) host:port with SO_REUSEPORT: port 0 becomes a concrete port the
    workers can all join, and nobody else can take it while they start."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker_argv(args: argparse.Namespace, host: str, port: int, index: int) -> list[str]:
    argv = [sys.executable, "-m", "routerdesk", "serve", "--worker", str(index)]
    argv += ["--host", host, "--port", str(port), "--log-level", args.log_level]
    argv += ["--loop", args.loop, "--demo-latency", str(args.demo_latency)]
    if args.demo:
        argv.append("--demo")
    if args.allow_remote:
        argv.append("--allow-remote")
    return argv


def run_workers(args: argparse.Namespace) -> int:
    if not hasattr(socket, "SO_REUSEPORT"):
        print("routerdesk: --workers needs SO_REUSEPORT (Linux, BSD)", file=sys.stderr)
        return 2
    from routerdesk.storage.usage_open import database_error, open_configured_usage_store

    try:
        open_configured_usage_store().close()  # schema migrated once, before the workers race
    except Exception as exc:
        print(f"routerdesk: cannot open the usage log: {database_error(exc)}", file=sys.stderr)
        return 1
    host, port = _address(args)
    try:
        reserved = _reserve(host, port)
    except OSError as exc:
        print(f"routerdesk: cannot start the server: {exc}", file=sys.stderr)
        return 1
    port = int(reserved.getsockname()[1])
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    workers = [
        subprocess.Popen(_worker_argv(args, host, port, i), stdout=subprocess.PIPE, text=True)
        for i in range(args.workers)
    ]
    try:
        url = _wait_listening(workers)
        reserved.close()
        if url is None:
            return 1
        print(f"routerdesk: {len(workers)} workers on one port (SO_REUSEPORT)", file=sys.stderr)
        print(f"listening on {url}", flush=True)
        while not stop.wait(0.2):
            dead = [w for w in workers if w.poll() is not None]
            if dead:
                print(
                    f"routerdesk: worker pid {dead[0].pid} exited ({dead[0].returncode}); "
                    "stopping the server",
                    file=sys.stderr,
                )
                return 1
        return 0 if _stop(workers) else 1
    finally:
        if any(w.poll() is None for w in workers):
            _stop(workers)


def _wait_listening(workers: list[subprocess.Popen[str]]) -> str | None:
    """Each worker's ``listening on URL`` line (read in threads: one may hang); the URL."""
    lines: list[str] = [""] * len(workers)

    def read(i: int) -> None:
        out = workers[i].stdout
        if out is not None:
            lines[i] = out.readline().strip()

    readers = [threading.Thread(target=read, args=(i,), daemon=True) for i in range(len(workers))]
    for t in readers:
        t.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    for t in readers:
        t.join(max(0.0, deadline - time.monotonic()))
    bad = [i for i, line in enumerate(lines) if not line.startswith("listening on ")]
    if bad:
        print(f"routerdesk: worker {bad[0]} did not start (see above)", file=sys.stderr)
        return None
    return lines[0].removeprefix("listening on ")


def _stop(workers: list[subprocess.Popen[str]], grace_s: float = STOP_GRACE_S) -> bool:
    """SIGTERM every worker, then wait for all of them within one `grace_s`; SIGABRT (stacks
    on stderr) and then SIGKILL for any still running. True if all exited cleanly (0)."""
    for w in workers:
        if w.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                w.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    clean = True
    for w in workers:
        try:
            w.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(
                f"routerdesk: worker pid {w.pid} still running {grace_s:.0f} s after SIGTERM; "
                "aborting it (its threads' stacks follow)",
                file=sys.stderr,
                flush=True,
            )
            with contextlib.suppress(ProcessLookupError):
                w.send_signal(signal.SIGABRT)
            try:
                w.wait(5)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
        clean = clean and w.returncode == 0
    return clean
