"""Rebuild `UsageRecord`s from usage-log rows (the dicts `UsageStore.recent()` returns)."""

from __future__ import annotations

from typing import Any

from routerdesk.core.types import Candidate, Classification, Decision, Hop, Usage, UsageRecord


def record_from_row(row: dict[str, Any]) -> UsageRecord:
    """The row as a record with its decision and classification, so the detail view can explain it."""
    g = row.get
    hops = [
        Hop(str(h.get("model_id", "")), str(h.get("provider", "")), h.get("status"), str(h.get("error", "")), float(h.get("ms") or 0.0))
        for h in g("hops") or []
    ]  # fmt: skip
    candidates = [
        Candidate(str(c.get("model_id", "")), bool(c.get("kept")), str(c.get("reason", "")), float(c.get("score") or 0.0), float(c.get("est_cost") or 0.0))
        for c in g("candidates") or []
    ]  # fmt: skip
    decision = Decision(
        strategy=str(g("strategy") or ""),
        primary=str(g("decision_primary") or ""),
        fallbacks=list(g("decision_fallbacks") or []),
        candidates=candidates,
        why=str(g("decision_why") or ""),
        notes=list(g("decision_notes") or []),
    )
    classification = Classification(
        task=str(g("task") or ""),
        confidence=float(g("confidence") or 0.0),
        complexity=float(g("complexity") or 0.0),
        tier="l2" if g("tier") == "l2" else "l1",
        signals=list(g("signals") or []),
        features=dict(g("features") or {}),
    )
    return UsageRecord(
        request_id=str(g("request_id") or ""),
        started_at=float(g("started_at") or 0.0),
        client=str(g("client") or ""),
        inbound=str(g("inbound") or ""),
        requested_model=str(g("requested_model") or ""),
        strategy=str(g("strategy") or ""),
        task=str(g("task") or ""),
        confidence=float(g("confidence") or 0.0),
        complexity=float(g("complexity") or 0.0),
        tier=str(g("tier") or ""),
        model_id=str(g("model_id") or ""),
        provider=str(g("provider") or ""),
        hops=hops,
        usage=Usage(
            int(g("input_tokens") or 0),
            int(g("output_tokens") or 0),
            int(g("cached_input_tokens") or 0),
            int(g("cache_write_tokens") or 0),
            int(g("reasoning_tokens") or 0),
        ),
        cost=float(g("cost") or 0.0),
        baseline_cost=float(g("baseline_cost") or 0.0),
        latency_ms=float(g("latency_ms") or 0.0),
        overhead_ms=float(g("overhead_ms") or 0.0),
        ttft_ms=g("ttft_ms"),
        status=str(g("status") or "ok"),
        status_code=int(g("status_code") or 200),
        error=str(g("error") or ""),
        stream=bool(g("stream")),
        demo=bool(g("demo")),
        decision=decision if decision.primary or candidates else None,
        classification=classification,
        preview=str(g("preview") or ""),
        person=str(g("person") or ""),  # NULL: the local access token
    )
