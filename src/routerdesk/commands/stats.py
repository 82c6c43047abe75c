"""`routerdesk stats [--since 1d|7d|30d|ISO]`: spend and savings by model, task and person.

The per-person table appears once a team server has served person tokens
(`routerdesk tokens`); requests made with the local token show as "(local token)".
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import datetime

from routerdesk.core.replay import parse_since
from routerdesk.storage.usage import Totals


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("stats", help="spend and savings by model and task")
    p.add_argument("--since", default="7d", help="1d, 7d, 30d, 12h or an ISO date (default 7d)")
    p.add_argument(
        "--demo",
        action="store_true",
        help="show the demo provider's requests (simulated costs) instead of real ones",
    )


def _table(title: str, rows: list[Totals]) -> list[str]:
    out = [
        f"{title:<28} {'requests':>8} {'errors':>6} {'tokens in':>10} {'tokens out':>10} {'spend $':>10} {'saved $':>10}"
    ]
    for t in rows:
        out.append(
            f"{(t.key or '-')[:28]:<28} {t.requests:>8} {t.errors:>6} {t.input_tokens:>10} "
            f"{t.output_tokens:>10} {t.cost:>10.4f} {t.savings:>10.4f}"
        )
    return out


def run(args: argparse.Namespace) -> int:
    from routerdesk.storage.usage_open import open_configured_usage_store

    try:
        since = parse_since(args.since)
    except ValueError as exc:
        print(f"routerdesk: {exc}")
        return 2
    store = open_configured_usage_store()
    try:
        demo = bool(args.demo)
        total = store.overall(since, demo=demo)
        when = f"{datetime.fromtimestamp(since).astimezone():%Y-%m-%d %H:%M %Z}"
        lines = [f"since {when}" + (" (demo provider: simulated costs)" if demo else "")]
        lines += [*_table("model", store.totals("model_id", since, demo=demo)), ""]
        lines += [*_table("task", store.totals("task", since, demo=demo)), ""]
        people = store.totals("person", since, demo=demo)
        if any(t.key for t in people):
            named = [replace(t, key=t.key or "(local token)") for t in people]
            lines += [*_table("person", named), ""]
        pct = (total.savings / total.baseline_cost * 100) if total.baseline_cost else 0.0
        lines.append(
            f"total: {total.requests} requests, spent ${total.cost:.4f}, "
            f"baseline ${total.baseline_cost:.4f}, saved ${total.savings:.4f} ({pct:.0f}%)"
        )
        print("\n".join(lines))
    finally:
        store.close()
    return 0
