"""`routerdesk tokens`: per-person access tokens for a team server.

    routerdesk tokens create alice [--budget-daily 5]   # prints alice's token, once
    routerdesk tokens list                              # names, budgets, spend today, revoked
    routerdesk tokens budget alice 10                   # or `none` to remove the limit
    routerdesk tokens revoke alice

Only a SHA-256 of each token is stored: in people.sqlite3 in the state folder
(mode 0600; a running server sees a change on its next request), or with
``[storage] url`` in the team's PostgreSQL database (every instance sees it
within ~2 s). The single local token (`routerdesk keys token`) keeps working alongside.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime


def _usd(text: str) -> float | None:
    if text.lower() in ("none", "off"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an amount in USD: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("a budget cannot be negative")
    return value


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("tokens", help="per-person access tokens (team server)")
    sub = p.add_subparsers(dest="tokens_command", metavar="ACTION", required=True)
    c = sub.add_parser("create", help="make a token for a person and print it once")
    c.add_argument("name")
    c.add_argument(
        "--budget-daily", type=_usd, default=None, metavar="USD", help="daily spend limit"
    )
    sub.add_parser("list", help="show every person, their budget, spend today, and status")
    b = sub.add_parser("budget", help="change a person's daily budget (`none` removes it)")
    b.add_argument("name")
    b.add_argument("usd", type=_usd, metavar="USD|none")
    r = sub.add_parser("revoke", help="refuse a person's token from now on")
    r.add_argument("name")


def _list() -> int:
    from routerdesk.core.budget import day_start, local_now
    from routerdesk.storage.usage_open import (
        configured_url,
        open_configured_usage_store,
        open_person_tokens,
    )

    people = open_person_tokens(configured_url()).list()
    if not people:
        print("no person tokens yet: `routerdesk tokens create NAME [--budget-daily USD]`")
        return 0
    store = open_configured_usage_store()
    try:
        spent = store.spend_by_person_since(day_start(local_now()).timestamp())
    finally:
        store.close()
    width = max(len("name"), *(len(p.name) for p in people))
    print(f"{'name':<{width}}  {'budget/day $':>12}  {'spent today $':>13}  status")
    for p in people:
        budget = f"{p.budget_daily_usd:.2f}" if p.budget_daily_usd is not None else "-"
        status = (
            f"revoked {datetime.fromtimestamp(p.revoked_at):%Y-%m-%d %H:%M}"
            if p.revoked_at is not None
            else f"active since {datetime.fromtimestamp(p.created_at):%Y-%m-%d}"
        )
        print(f"{p.name:<{width}}  {budget:>12}  {spent.get(p.name, 0.0):>13.4f}  {status}")
    return 0


def run(args: argparse.Namespace) -> int:
    from routerdesk.core.errors import ConfigError
    from routerdesk.storage.usage_open import configured_url, database_error, open_person_tokens

    try:
        tokens = open_person_tokens(configured_url())
    except ConfigError as exc:
        print(f"routerdesk: {exc.message}", file=sys.stderr)
        return 1
    try:
        if args.tokens_command == "create":
            token = tokens.create(args.name, args.budget_daily)
            print(token)
            print(
                f"routerdesk: this is {args.name}'s token; it is shown only now (only its hash "
                "is stored). They send it as their API key.",
                file=sys.stderr,
            )
            return 0
        if args.tokens_command == "list":
            return _list()
        if args.tokens_command == "budget":
            if tokens.set_budget(args.name, args.usd):
                limit = "no limit" if args.usd is None else f"${args.usd:.2f} a day"
                print(f"{args.name}: {limit}")
                return 0
            print(f"routerdesk: {args.name!r} has no active token", file=sys.stderr)
            return 1
        if args.tokens_command == "revoke":
            if tokens.revoke(args.name):
                print(f"revoked {args.name}'s token; running servers refuse it from now on")
                return 0
            print(f"routerdesk: {args.name!r} has no active token", file=sys.stderr)
            return 1
    except ValueError as exc:
        print(f"routerdesk: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the database (SQLite or PostgreSQL) failed: say so, no traceback
        print(
            f"routerdesk: the person-token database failed: {database_error(exc)}", file=sys.stderr
        )
        return 1
    return 2
