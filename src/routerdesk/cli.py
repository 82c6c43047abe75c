"""Command-line entry point: `routerdesk [COMMAND]`; with no command it opens the desktop app.

Each command lives in `routerdesk.commands.<name>` with `add_parser(subparsers)`
and `run(args) -> int`; modules are imported lazily so `routerdesk route` never
pays for Qt or aiohttp.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from routerdesk import __version__

# each command is the module routerdesk.commands.<name>
COMMANDS: tuple[str, ...] = (
    "route", "prices", "serve", "keys", "tokens", "stats", "export", "replay", "audit",
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="routerdesk",
        description="A desktop LLM router. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"routerdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"routerdesk.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"routerdesk.commands.{name}":
                raise
            continue  # command not built yet
        mod.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return _run_gui(parser)
    mod = importlib.import_module(f"routerdesk.commands.{args.command}")
    result: int = mod.run(args)
    return result


def _run_gui(parser: argparse.ArgumentParser) -> int:
    try:
        app = importlib.import_module("routerdesk.app")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in ("PySide6", "pyqtgraph", "qasync"):
            print(
                f"The desktop app needs {exc.name}; install it with "
                "`pip install 'routerdesk[gui]'`, or run `routerdesk serve`.",
                file=sys.stderr,
            )
            return 2
        if exc.name == "routerdesk.app":
            parser.print_help()
            return 0
        raise
    result: int = app.main()
    return result


if __name__ == "__main__":
    raise SystemExit(main())
