"""`routerdesk audit report [--since 7d] [--json] [--demo]`: quality kept, by task and model, and suggestions."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from routerdesk.core.errors import ConfigError, RouterError
from routerdesk.core.quality import QualitySummary, Share, Suggestion, suggestions, summarize
from routerdesk.core.replay import parse_since


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("audit", help="quality audits: how routed answers compare")
    sub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    report = sub.add_parser(
        "report", help="share of audited answers judged at least as good as the baseline's"
    )
    report.add_argument(
        "--since", default="7d", help="1d, 7d, 30d, 12h or an ISO date (default 7d)"
    )
    report.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    report.add_argument(
        "--demo", action="store_true", help="the demo provider's audits instead of real ones"
    )


def share_json(s: Share) -> dict[str, Any]:
    lo, hi = s.interval
    return {
        "kept": s.rate,
        "low": round(lo, 4),
        "high": round(hi, 4),
        "audits": s.n,
        "better": s.better,
        "as_good": s.as_good,
        "worse": s.worse,
    }


def report_json(
    summary: QualitySummary, found: list[Suggestion], since: float, demo: bool, saved: float | None
) -> dict[str, Any]:
    return {
        "since": datetime.fromtimestamp(since).astimezone().isoformat(timespec="seconds"),
        "demo": demo,
        "quality_kept": share_json(summary.overall),
        "failed": summary.failed,
        "audit_cost_usd": round(summary.cost, 6),
        "saved_share": saved,
        "by_task": {k: share_json(v) for k, v in sorted(summary.by_task.items())},
        "by_model": {k: share_json(v) for k, v in sorted(summary.by_model.items())},
        "suggestions": [
            {
                "model_id": s.model_id,
                "task": s.task,
                "direction": s.direction,
                "current": s.current,
                "proposed": s.proposed,
                "evidence": s.evidence,
            }
            for s in found
        ],
    }


def _table(title: str, groups: dict[str, Share]) -> list[str]:
    out = [f"{title:<24} {'audits':>6} {'better':>6} {'as good':>7} {'worse':>5}  quality kept"]
    for key, s in sorted(groups.items(), key=lambda kv: (-kv[1].n, kv[0])):
        out.append(
            f"{key[:24]:<24} {s.n:>6} {s.better:>6} {s.as_good:>7} {s.worse:>5}  {s.describe()}"
        )
    return out


def report_text(
    summary: QualitySummary, found: list[Suggestion], since: float, demo: bool, saved: float | None
) -> str:
    when = f"{datetime.fromtimestamp(since).astimezone():%Y-%m-%d %H:%M %Z}"
    lines = [f"quality audits since {when}" + (" (demo provider and demo judge)" if demo else "")]
    kept = f"quality kept {summary.overall.describe()}"
    if saved is not None:
        kept += f" · saved {saved:.0%}"
    lines.append(kept)
    lines.append(
        f"audits without a verdict: {summary.failed} · audit spend ${summary.cost:.4f}"
        + (" (simulated)" if demo else "")
    )
    if summary.overall.n:
        lines += ["", *_table("task", summary.by_task), "", *_table("model", summary.by_model)]
    if found:
        lines += ["", "suggested registry changes (accept or dismiss on the Registry page):"]
        lines += [
            f"  {s.direction} {s.model_id} {s.task}: {s.current} -> {s.proposed}; {s.evidence}"
            for s in found
        ]
    if not summary.overall.n and not summary.failed:
        lines.append("Turn audits on in Settings → Quality audits, or [audit] enabled = true.")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from routerdesk.commands._registry import registry_document, settings
    from routerdesk.core.prices import baseline_model
    from routerdesk.storage.audits import AuditStore
    from routerdesk.storage.paths import audits_db_path
    from routerdesk.storage.usage_open import open_configured_usage_store

    try:
        since = parse_since(args.since)
        doc, _ = registry_document(None)
        config = settings()
    except ValueError as exc:
        print(f"routerdesk: {exc}")
        return 2
    except ConfigError as exc:
        print(f"routerdesk: {exc}")
        return 2
    demo = bool(args.demo)
    store = AuditStore(audits_db_path())
    try:
        summary = summarize(store.judged(since, demo=demo))
        dismissed = store.dismissed()
    finally:
        store.close()
    try:
        baseline_id = baseline_model(doc.registry, config).id
    except RouterError:
        baseline_id = ""
    found = suggestions(summary, doc.registry, baseline_id=baseline_id, dismissed=dismissed)
    usage = open_configured_usage_store()  # a team server's PostgreSQL log when configured
    try:
        total = usage.overall(since, demo=demo)
    finally:
        usage.close()
    saved = total.savings / total.baseline_cost if total.baseline_cost else None
    if args.json:
        print(json.dumps(report_json(summary, found, since, demo, saved), indent=2))
    else:
        print(report_text(summary, found, since, demo, saved))
    return 0
