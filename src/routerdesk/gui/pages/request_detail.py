"""Renders one request's "why": classifier signals, every candidate with its reason, fallback hops."""

from __future__ import annotations

import time
from html import escape

from routerdesk.core.types import Decision, UsageRecord
from routerdesk.gui.widgets import usd


def _row(*cells: str, header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f"<{tag} align='left'>{c}</{tag}>" for c in cells) + "</tr>"


def candidates_table(d: Decision) -> str:
    """Every model the router considered, kept or dropped, with its reason."""
    rows = [_row("Model", "Kept", "Score", "Est. cost", "Reason", header=True)]
    chosen = {d.primary, *d.fallbacks}
    # Kept ones first, best score first: the choice is at the top, the dropped below.
    for c in sorted(d.candidates, key=lambda c: (not c.kept, c.model_id != d.primary, -c.score)):
        mark = "✔" if c.kept else "✘"
        name = f"<b>{escape(c.model_id)}</b>" if c.model_id in chosen else escape(c.model_id)
        rows.append(_row(name, mark, f"{c.score:.2f}", usd(c.est_cost), escape(c.reason)))
    return "<table cellspacing='0' cellpadding='3'>" + "".join(rows) + "</table>"


def explain(r: UsageRecord) -> str:
    """HTML for the detail pane."""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started_at))
    parts = [
        f"<h3>{escape(r.model_id or 'no model')} <small>({escape(r.status)} {r.status_code})</small></h3>",
        f"<p>{escape(when)} · {escape(r.client or 'unknown client')} · asked for "
        f"<code>{escape(r.requested_model)}</code> · strategy <b>{escape(r.strategy)}</b> · "
        f"{r.latency_ms:,.0f} ms (router {r.overhead_ms:.1f} ms)</p>",
    ]
    if r.error:
        parts.append(f"<p><b>Error:</b> {escape(r.error)}</p>")
    c = r.classification
    parts.append(
        f"<h4>Classification</h4><p>task <b>{escape(r.task)}</b>, confidence {r.confidence:.2f}, "
        f"complexity {r.complexity:.2f}, tier {escape(r.tier)}</p>"
    )
    if c and c.signals:
        parts.append("<ul>" + "".join(f"<li>{escape(s)}</li>" for s in c.signals) + "</ul>")
    d = r.decision
    if d:
        if d.why:
            parts.append(f"<p><b>Why:</b> {escape(d.why)}</p>")
        if d.notes:
            parts.append("<p>Notes: " + escape("; ".join(d.notes)) + "</p>")
        if d.candidates:
            parts.append("<h4>Candidates</h4>" + candidates_table(d))
        if d.fallbacks:
            parts.append("<p>Fallback order: " + escape(" → ".join(d.fallbacks)) + "</p>")
    if r.hops:
        rows = [_row("Model", "Provider", "Status", "Time", "Error", header=True)]
        for h in r.hops:
            rows.append(
                _row(
                    escape(h.model_id),
                    escape(h.provider),
                    str(h.status or "–"),
                    f"{h.ms:.0f} ms",
                    escape(h.error),
                )
            )
        parts.append(
            "<h4>Fallback hops</h4><table cellspacing='0' cellpadding='3'>"
            + "".join(rows)
            + "</table>"
        )
    u = r.usage
    parts.append(
        f"<h4>Tokens and cost</h4><p>{u.input_tokens:,} in ({u.cached_input_tokens:,} cached) · "
        f"{u.output_tokens:,} out · cost ${r.cost:.6f} · baseline ${r.baseline_cost:.6f} · "
        f"saved ${r.savings:.6f}</p>"
    )
    if r.preview:
        parts.append(f"<h4>Prompt preview</h4><pre>{escape(r.preview)}</pre>")
    parts.append(f"<p><small>request id {escape(r.request_id)}</small></p>")
    return "".join(parts)
