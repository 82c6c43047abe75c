"""A finished request as the GUI keeps it: one object of plain values per request.

The window holds thousands of finished requests (the Requests table, its
backlog while hidden) on the event loop that also serves HTTP. A `UsageRecord`
is some seventy objects the cyclic GC tracks: the record, its usage, decision
and classification, their lists, and one `Candidate` per registry model (named
tuples stay tracked; only exact tuples of plain values are dropped from the
GC's lists). Held past a collection, every one of them pushed the young
generation towards the next collection and then sat in every full one: the
GC became the largest part of what the open window cost per request.

A `RequestRow` is one tracked object; its sequences are exact tuples of
strings and numbers (the shared empty tuple when empty), which the GC stops
tracking. The bridge converts each record as it arrives, so the record itself
dies with its request. `candidates()` rebuilds the `Candidate`s for the one
row whose detail is on show.
"""

from __future__ import annotations

from itertools import chain

from routerdesk.core.types import Candidate, UsageRecord

_STRIDE = len(Candidate._fields)  # candidates are stored flat, one field after another

HopRow = tuple[str, str, int | None, str, float]  # model id, provider, HTTP status, error, ms


class RequestRow:
    """What the dashboard, the Requests table and the detail pane show of one request."""

    __slots__ = (
        "_candidates",
        "baseline_cost",
        "cached_input_tokens",
        "client",
        "complexity",
        "confidence",
        "cost",
        "demo",
        "error",
        "fallbacks",
        "has_decision",
        "hops",
        "input_tokens",
        "latency_ms",
        "model_id",
        "notes",
        "output_tokens",
        "overhead_ms",
        "person",
        "preview",
        "primary",
        "provider",
        "request_id",
        "requested_model",
        "signals",
        "started_at",
        "status",
        "status_code",
        "strategy",
        "task",
        "tier",
        "why",
    )

    def __init__(self, r: UsageRecord) -> None:
        self.request_id = r.request_id
        self.started_at = r.started_at
        self.client = r.client
        self.requested_model = r.requested_model
        self.strategy = r.strategy
        self.task = r.task
        self.confidence = r.confidence
        self.complexity = r.complexity
        self.tier = r.tier
        self.model_id = r.model_id
        self.provider = r.provider
        self.hops: tuple[HopRow, ...] = (
            tuple((h.model_id, h.provider, h.status, h.error, h.ms) for h in r.hops)
            if r.hops
            else ()
        )
        u = r.usage
        self.input_tokens = u.input_tokens
        self.output_tokens = u.output_tokens
        self.cached_input_tokens = u.cached_input_tokens
        self.cost = r.cost
        self.baseline_cost = r.baseline_cost
        self.latency_ms = r.latency_ms
        self.overhead_ms = r.overhead_ms
        self.status = r.status
        self.status_code = r.status_code
        self.error = r.error
        self.demo = r.demo
        self.preview = r.preview
        self.person = r.person  # "" for the local access token (not a person token)
        c = r.classification
        self.signals: tuple[str, ...] = tuple(c.signals) if c is not None else ()
        d = r.decision
        self.has_decision = d is not None
        if d is None:
            self.why, self.primary = "", ""
            self.notes: tuple[str, ...] = ()
            self.fallbacks: tuple[str, ...] = ()
            self._candidates: tuple[str | bool | float, ...] = ()
        else:
            self.why, self.primary = d.why, d.primary
            self.notes = tuple(d.notes)
            self.fallbacks = tuple(d.fallbacks)
            self._candidates = tuple(chain.from_iterable(d.candidates))

    @property
    def savings(self) -> float:
        return self.baseline_cost - self.cost

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def candidate_count(self) -> int:
        return len(self._candidates) // _STRIDE

    def candidates(self) -> list[Candidate]:
        """Every model the router considered for this request, as the engine decided them."""
        flat = self._candidates
        return [Candidate(*flat[i : i + _STRIDE]) for i in range(0, len(flat), _STRIDE)]  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"RequestRow({self.request_id!r}, {self.model_id!r}, {self.status!r})"
