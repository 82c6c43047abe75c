"""`routerdesk serve`: run the OpenAI/Anthropic-compatible server without the desktop app.

Prints exactly one line on stdout, ``listening on http://HOST:PORT``, once the
socket accepts connections (``--port 0`` picks a free port and prints it);
everything else goes to stderr. SIGINT/SIGTERM stop it cleanly, flushing the
usage log. ``--workers N`` runs N processes on the one port (see `_workers`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import logging
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from routerdesk.core.errors import RouterError

if TYPE_CHECKING:
    from routerdesk.runtime import Runtime


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("serve", help="run the API server (no GUI)")
    p.add_argument("--host", default=None, help="listen address (default: settings, 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=None, help="port (default: settings, 8787; 0 = any free port)"
    )
    p.add_argument("--demo", action="store_true", help="answer from the offline demo provider")
    p.add_argument(
        "--demo-latency",
        type=float,
        default=1.0,
        metavar="SCALE",
        help="scale the demo provider's simulated latency (0 = none)",
    )
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (clients still need the access token)",
    )
    p.add_argument("--log-level", default="WARNING", help="stderr log level (default WARNING)")
    p.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="server processes sharing the port (SO_REUSEPORT) and the usage log (default 1)",
    )
    # set by the --workers supervisor on each worker it starts: join the port, share the log
    p.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument(
        "--loop",
        choices=("auto", "asyncio", "uvloop"),
        default="auto",
        help="event loop: uvloop when installed (auto), or the stdlib one",
    )


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return n


async def _serve(args: argparse.Namespace) -> int:
    from routerdesk.runtime import Runtime, settle_gc

    worker = args.worker
    runtime = Runtime(
        demo=args.demo, demo_latency_scale=args.demo_latency, shared_usage=worker is not None
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        url = await runtime.start(
            args.host, args.port, allow_remote=args.allow_remote, reuse_port=worker is not None
        )
    except (RouterError, OSError) as exc:
        await runtime.stop()
        print(
            f"routerdesk: cannot start the server: {getattr(exc, 'message', exc)}", file=sys.stderr
        )
        return 1
    if not worker:  # workers after the first would only repeat these
        _hints(runtime, url)
    settle_gc()
    print(f"listening on {url}", flush=True)
    try:
        await stop.wait()
    finally:
        await runtime.stop()
    return 0


def _hints(runtime: Runtime, url: str) -> None:
    for err in (runtime.settings_error, runtime.registry_error):
        if err is not None:
            print(f"routerdesk: warning: {err.message}", file=sys.stderr)
    if runtime.token is not None:
        where = (
            "the ROUTERDESK_TOKEN environment variable"
            if runtime.token.source.startswith("env:")
            else "the OS keyring (show it with `routerdesk keys token`)"
        )
        print(
            f"routerdesk: clients must send the access token from {where} as their API key",
            file=sys.stderr,
        )
    if runtime.engine.demo:
        print("routerdesk: demo mode: answers come from the offline demo provider", file=sys.stderr)
    elif not runtime.engine.usable_providers():
        print(
            "routerdesk: no provider has an API key yet: `routerdesk keys set openai` (or "
            "anthropic, google, ...), or restart with --demo to try it offline",
            file=sys.stderr,
        )
    print(
        f"routerdesk: OpenAI clients: base URL {url}/v1; Claude Code: ANTHROPIC_BASE_URL={url}",
        file=sys.stderr,
    )


def _loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when asked or available (cheaper per request, see benchmarks/bench_server.py); optional."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise SystemExit("routerdesk: --loop uvloop needs `pip install uvloop`") from None
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    # a crash, SIGABRT (what the --workers supervisor sends a worker stuck in its shutdown) or
    # SIGUSR1 (ask a live server where it is) prints every thread's Python stack to stderr
    with contextlib.suppress(ValueError, OSError):  # stderr without a file descriptor: skip
        faulthandler.enable(file=sys.stderr, all_threads=True)
        if hasattr(signal, "SIGUSR1"):
            faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
    if args.workers > 1 and args.worker is None:
        from routerdesk.commands._workers import run_workers

        return run_workers(args)
    try:
        with asyncio.Runner(loop_factory=_loop_factory(args.loop)) as runner:
            return runner.run(_serve(args))
    except KeyboardInterrupt:
        return 130
