"""`routerdesk replay`: what past traffic would cost with another default strategy or registry.

Re-routes every request in the usage log since `--since` from its stored
classification and shape (never the prompt, which is not stored) twice: with
your current registry and strategy, and with `--registry` / `--strategy`; both
are priced on the tokens actually used, so without options it reports 0
changes. Requests that asked for ``auto:<strategy>`` keep it; requests that
named a model are kept as they were. Nothing is sent to any provider. See
`routerdesk.core.replay` for what is and is not replayed.

    routerdesk replay --strategy cheapest --since 7d
    routerdesk replay --strategy balanced --registry candidate.toml --json
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import datetime
from typing import Any

from routerdesk.core.errors import ConfigError
from routerdesk.core.replay import Projection, parse_since, project
from routerdesk.core.types import STRATEGIES


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "replay",
        help="project past traffic's spend under another strategy or registry",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--strategy",
        choices=STRATEGIES,
        help="default strategy to try for plain `auto` requests (default: yours)",
    )
    p.add_argument(
        "--registry", metavar="FILE", help="registry.toml to replay with instead of yours"
    )
    p.add_argument("--since", default="7d", help="1d, 7d, 12h, 2w or an ISO date (default 7d)")
    p.add_argument(
        "--all-providers",
        action="store_true",
        help="assume every provider has a key (default: only providers you have keys for)",
    )
    p.add_argument("--json", action="store_true", help="print the projection as JSON")


def run(args: argparse.Namespace) -> int:
    from routerdesk.commands import _registry
    from routerdesk.storage import paths

    try:
        since = parse_since(args.since)
    except ValueError as exc:
        print(f"routerdesk replay: {exc}", file=sys.stderr)
        return 2
    try:
        doc, registry_file = _registry.registry_document(args.registry)
        current = _registry.registry_document(None)[0].registry if args.registry else None
        settings = _registry.settings()
    except ConfigError as exc:
        print(f"routerdesk replay: {exc}", file=sys.stderr)
        return 2
    db = paths.usage_db_path()
    if not settings.storage.url and not db.exists():  # (a team's PostgreSQL log: just open it)
        print(f"No usage recorded yet ({db}).")
        return 0
    strategy: str = args.strategy or settings.routing.strategy
    usable: set[str] | None = None
    if not args.all_providers:
        usable = _registry.providers_with_keys()
        if not usable:
            print(
                "routerdesk replay: no provider keys found; assuming every provider is usable",
                file=sys.stderr,
            )
            usable = None

    from routerdesk.storage.usage_open import open_usage_store

    try:
        store = open_usage_store(settings.storage.url)
    except ConfigError as exc:
        print(f"routerdesk replay: {exc}", file=sys.stderr)
        return 2
    try:
        projection = project(
            store.rows(since),
            doc.registry,
            settings,
            strategy,
            current=current,
            usable_providers=usable,
            since=since,
        )
    finally:
        store.close()
    if args.json:
        print(json.dumps(as_json(projection, str(registry_file)), indent=2))
    else:
        print(render(projection, str(registry_file), args.since))
    return 0


def as_json(p: Projection, registry_file: str) -> dict[str, Any]:
    out = asdict(p)
    out["by_model"] = [asdict(s) for s in p.mix()]
    out.update(savings=p.savings, savings_share=p.savings_share, registry=registry_file)
    return out


def _usd(x: float) -> str:
    return f"-${-x:,.4f}" if x < 0 else f"${x:,.4f}"


def render(p: Projection, registry_file: str, since_text: str) -> str:
    when = datetime.fromtimestamp(p.since).astimezone() if p.since else None
    head = f"since {when:%Y-%m-%d %H:%M} ({since_text})" if when else "all time"
    lines = [
        f"Replay of {p.requests:,} requests {head}: "
        f"default strategy {p.current_strategy} -> {p.strategy}",
        f"registry: {registry_file}",
        "",
    ]
    if not p.requests:
        lines.append("Nothing to replay in this window.")
        return "\n".join(lines)
    share = f" ({p.savings_share:.0%})" if p.savings_share is not None else ""
    if abs(p.savings) < 5e-7:
        verdict = "  the change costs the same"
    else:
        verb = "saves" if p.savings > 0 else "costs more by"
        verdict = f"  the change {verb} {_usd(abs(p.savings))}{share}"
    lines += [
        f"  current setup     {_usd(p.current_cost):>14}  (recorded spend {_usd(p.actual_cost)})",
        f"  with the change   {_usd(p.projected_cost):>14}",
        verdict,
        f"  model changes     {p.changed:,} of {p.rerouted:,} re-routed requests",
    ]
    if p.explicit or p.unroutable:
        lines.append(
            f"  kept as they were {p.explicit:,} that named a model, "
            f"{p.unroutable:,} no model in this registry can serve"
        )
    if p.l2_calls:
        lines.append(
            f"  L2 classifier     {_usd(p.l2_cost)} over {p.l2_calls:,} calls (under any strategy)"
        )
    if p.skipped_demo:
        lines.append(f"  left out          {p.skipped_demo:,} demo-mode requests")
    lines += ["", f"  {'model':<32} {'current':>16} {'with the change':>16}"]
    for s in p.mix():
        lines.append(
            f"  {s.model_id[:32]:<32} {s.current_requests:>6} {_usd(s.current_cost):>9} "
            f"{s.projected_requests:>6} {_usd(s.projected_cost):>9}"
        )
    for reason, n in sorted(p.unroutable_reasons.items(), key=lambda kv: -kv[1]):
        lines.append(f"  unroutable ({n}): {reason}")
    lines.append("")
    lines.append(
        "Both sides are re-routed and priced on each request's actual tokens; "
        "auto:<strategy> requests keep their strategy; pinning and budgets are not replayed."
    )
    return "\n".join(lines)
