"""Renders one request's "why": classifier signals, every candidate with its reason, fallback hops."""

from __future__ import annotations

import time
from collections.abc import Sequence
from html import escape

from routerdesk.core.types import Candidate
from routerdesk.gui.models.request_row import RequestRow
from routerdesk.gui.widgets import usd


def _row(*cells: str, header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f"<{tag} align='left'>{c}</{tag}>" for c in cells) + "</tr>"


def candidates_table(
    candidates: Sequence[Candidate], primary: str, fallbacks: Sequence[str]
) -> str:
    """Every model the router considered, kept or dropped, with its reason."""
    rows = [_row("Model", "Kept", "Score", "Est. cost", "Reason", header=True)]
    chosen = {primary, *fallbacks}
    # Kept ones first, best score first: the choice is at the top, the dropped below.
    for c in sorted(candidates, key=lambda c: (not c.kept, c.model_id != primary, -c.score)):
        mark = "✔" if c.kept else "✘"
        name = f"<b>{escape(c.model_id)}</b>" if c.model_id in chosen else escape(c.model_id)
        rows.append(_row(name, mark, f"{c.score:.2f}", usd(c.est_cost), escape(c.reason)))
    return "<table cellspacing='0' cellpadding='3'>" + "".join(rows) + "</table>"


LOCAL_TOKEN = "the local token (the server's own access token, not a person token)"


def sender(r: RequestRow) -> str:
    """Who sent the request: a person token's name, else the server's own (single) token."""
    return f"sent by <b>{escape(r.person)}</b>" if r.person else f"sent with {LOCAL_TOKEN}"


def explain(r: RequestRow) -> str:
    """HTML for the detail pane."""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started_at))
    parts = [
        f"<h3>{escape(r.model_id or 'no model')} <small>({escape(r.status)} {r.status_code})</small></h3>",
        f"<p>{escape(when)} · {sender(r)} · {escape(r.client or 'unknown client')} · asked for "
        f"<code>{escape(r.requested_model)}</code> · strategy <b>{escape(r.strategy)}</b> · "
        f"{r.latency_ms:,.0f} ms (router {r.overhead_ms:.1f} ms)</p>",
    ]
    if r.error:
        parts.append(f"<p><b>Error:</b> {escape(r.error)}</p>")
    parts.append(
        f"<h4>Classification</h4><p>task <b>{escape(r.task)}</b>, confidence {r.confidence:.2f}, "
        f"complexity {r.complexity:.2f}, tier {escape(r.tier)}</p>"
    )
    if r.signals:
        parts.append("<ul>" + "".join(f"<li>{escape(s)}</li>" for s in r.signals) + "</ul>")
    if r.has_decision:
        if r.why:
            parts.append(f"<p><b>Why:</b> {escape(r.why)}</p>")
        if r.notes:
            parts.append("<p>Notes: " + escape("; ".join(r.notes)) + "</p>")
        if r.candidate_count:
            table = candidates_table(r.candidates(), r.primary, r.fallbacks)
            parts.append("<h4>Candidates</h4>" + table)
        if r.fallbacks:
            parts.append("<p>Fallback order: " + escape(" → ".join(r.fallbacks)) + "</p>")
    if r.hops:
        rows = [_row("Model", "Provider", "Status", "Time", "Error", header=True)]
        for model_id, provider, status, error, ms in r.hops:
            rows.append(
                _row(
                    escape(model_id),
                    escape(provider),
                    str(status or "–"),
                    f"{ms:.0f} ms",
                    escape(error),
                )
            )
        parts.append(
            "<h4>Fallback hops</h4><table cellspacing='0' cellpadding='3'>"
            + "".join(rows)
            + "</table>"
        )
    parts.append(
        f"<h4>Tokens and cost</h4><p>{r.input_tokens:,} in ({r.cached_input_tokens:,} cached) · "
        f"{r.output_tokens:,} out · cost ${r.cost:.6f} · baseline ${r.baseline_cost:.6f} · "
        f"saved ${r.savings:.6f}</p>"
    )
    if r.preview:
        parts.append(f"<h4>Prompt preview</h4><pre>{escape(r.preview)}</pre>")
    parts.append(f"<p><small>request id {escape(r.request_id)}</small></p>")
    return "".join(parts)
