"""`routerdesk stats [--since 1d|7d|30d|ISO]`: spend and savings by model and by task."""

from __future__ import annotations

import argparse
import re
import time
from datetime import datetime

from routerdesk.storage.usage import Totals

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: float | None = None) -> float:
    """`7d`, `12h`, `30m`, `2w` or an ISO date/time (local time if no zone) as unix seconds."""
    now = time.time() if now is None else now
    m = _RELATIVE.match(text.strip().lower())
    if m:
        return now - float(m.group(1)) * _UNITS[m.group(2)]
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--since {text!r}: use e.g. 1d, 7d, 12h or an ISO date like 2026-11-01"
        ) from None
    if when.tzinfo is None:
        when = when.astimezone()
    return when.timestamp()


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("stats", help="spend and savings by model and task")
    p.add_argument("--since", default="7d", help="1d, 7d, 30d, 12h or an ISO date (default 7d)")


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
    from routerdesk.storage.paths import usage_db_path
    from routerdesk.storage.usage import UsageStore

    try:
        since = parse_since(args.since)
    except argparse.ArgumentTypeError as exc:
        print(f"routerdesk: {exc}")
        return 2
    store = UsageStore(usage_db_path())
    try:
        total = store.overall(since)
        lines = [f"since {datetime.fromtimestamp(since).astimezone():%Y-%m-%d %H:%M %Z}"]
        lines += [*_table("model", store.totals("model_id", since)), ""]
        lines += [*_table("task", store.totals("task", since)), ""]
        pct = (total.savings / total.baseline_cost * 100) if total.baseline_cost else 0.0
        lines.append(
            f"total: {total.requests} requests, spent ${total.cost:.4f}, "
            f"baseline ${total.baseline_cost:.4f}, saved ${total.savings:.4f} ({pct:.0f}%)"
        )
        print("\n".join(lines))
    finally:
        store.close()
    return 0
