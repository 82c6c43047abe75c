"""`routerdesk export --csv FILE [--since ...]`: the usage log as CSV (no prompt text unless previews were on)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("export", help="export the usage log")
    p.add_argument(
        "--csv", required=True, type=Path, metavar="FILE", help="write CSV here ('-' for stdout)"
    )
    p.add_argument("--since", default=None, help="1d, 7d, 12h or an ISO date (default: everything)")


def run(args: argparse.Namespace) -> int:
    from routerdesk.core.replay import parse_since
    from routerdesk.storage.usage_open import open_configured_usage_store

    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        print(f"routerdesk: {exc}", file=sys.stderr)
        return 2
    store = open_configured_usage_store()
    try:
        n = store.export_csv(args.csv, since)
    except OSError as exc:
        print(f"routerdesk: cannot write {args.csv}: {exc.strerror}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"wrote {n} rows to {args.csv}", file=sys.stderr)
    return 0
