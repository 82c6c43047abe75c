"""Renders one quality audit for the Requests page: the verdict, the judge's reasons, both answers side by side."""

from __future__ import annotations

from html import escape

from routerdesk.core.audit import AuditResult

VERDICT_WORDS = {
    "better": "better than the baseline's",
    "as_good": "as good as the baseline's",
    "worse": "worse than the baseline's",
}
ANCHOR = "audit"  # the Requests page scrolls here when the audit arrives
ORDER_WORDS = {"better": "routed better", "as_good": "tie", "worse": "baseline better"}


def parent_id(request_id: str) -> str:
    """The audited request of an audit call's row (``rd-1.audit-judge-1`` -> ``rd-1``)."""
    head, sep, _tail = request_id.rpartition(".audit-")
    return head if sep else request_id


def _answer(text: str) -> str:
    return f"<pre style='white-space: pre-wrap'>{escape(text) or '<i>(no answer)</i>'}</pre>"


def audit_html(a: AuditResult) -> str:
    """HTML appended to the request's detail pane."""
    parts = [f"<hr><a name='{ANCHOR}'></a><h4>Quality audit</h4>"]
    if a.verdict is None:
        parts.append(f"<p><b>No verdict:</b> {escape(a.error or 'the audit did not finish')}</p>")
    else:
        parts.append(
            f"<p>The judge (<code>{escape(a.judge_model)}</code>) found this answer "
            f"<b>{VERDICT_WORDS[a.verdict]}</b> (<code>{escape(a.baseline_model)}</code>).</p>"
        )
        parts.append(
            "<p>Asked twice with the answers swapped (position bias): "
            f"routed answer first → {ORDER_WORDS.get(a.first or '', '–')}; "
            f"second → {ORDER_WORDS.get(a.second or '', '–')}"
            + ("; they disagree, so it counts as a tie" if a.first != a.second else "")
            + ".</p>"
        )
        if a.reason:
            parts.append(f"<p><b>Reason:</b> {escape(a.reason)}</p>")
        if a.reason_swapped and a.reason_swapped != a.reason:
            parts.append(f"<p><b>Reason (swapped):</b> {escape(a.reason_swapped)}</p>")
    cost = f"${a.cost:.6f}" + (" (simulated)" if a.demo else "")
    parts.append(f"<p><small>audit cost {cost}</small></p>")
    parts.append(
        "<table width='100%' cellspacing='0' cellpadding='4' border='1'><tr>"
        f"<th align='left' width='50%'>Routed answer ({escape(a.routed_model)})</th>"
        f"<th align='left' width='50%'>Baseline answer ({escape(a.baseline_model)})</th></tr>"
        f"<tr><td valign='top'>{_answer(a.routed_answer)}</td>"
        f"<td valign='top'>{_answer(a.baseline_answer)}</td></tr></table>"
    )
    return "".join(parts)
