"""`routerdesk prices refresh`: update your registry's prices from the installed genai-prices data."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from routerdesk.core.errors import ConfigError
from routerdesk.core.prices import refresh_prices
from routerdesk.core.registry_file import RegistryDocument, save_registry


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("prices", help="model prices (from genai-prices)")
    actions = p.add_subparsers(dest="prices_action", metavar="ACTION", required=True)
    r = actions.add_parser(
        "refresh",
        help="update registry prices from the installed genai-prices data",
        description="Re-read every model's price (by price_ref) for today, print what changed "
        "and save the registry atomically. Upgrade genai-prices first for newer data.",
    )
    r.add_argument("--registry", metavar="FILE", help="registry.toml to update instead of yours")
    r.add_argument("--dry-run", action="store_true", help="show changes, do not save")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def run(args: argparse.Namespace) -> int:
    from routerdesk.commands import _registry

    try:
        doc, path = _registry.registry_document(args.registry)
    except ConfigError as exc:
        print(f"routerdesk prices: {exc.message}", file=sys.stderr)
        print("The file was left as it is; fix it and run again.", file=sys.stderr)
        return 2
    today = datetime.now(UTC).date()
    registry, changes, problems = refresh_prices(doc.registry, today)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    for change in changes:
        print(f"{change.model_id}: {change.field} {_fmt(change.old)} -> {_fmt(change.new)} USD/1M")
    models = len({c.model_id for c in changes})
    print(f"{models} model(s) changed, {len(changes)} price(s); prices as of {today}")
    if args.dry_run:
        print("dry run: nothing saved")
        return 0
    if changes or doc.prices_as_of != today:
        save_registry(path, RegistryDocument(registry, today))
        print(f"saved {path}")
    return 0
