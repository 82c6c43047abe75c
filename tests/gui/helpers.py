"""Small builders for GUI tests: a registry and usage records without the engine."""

from __future__ import annotations

import itertools
import time

from routerdesk.core.registry import ModelSpec, Prices, Registry
from routerdesk.core.types import (
    TASKS,
    Candidate,
    Classification,
    Decision,
    Hop,
    Usage,
    UsageRecord,
)
from routerdesk.gui.models.request_row import RequestRow

_ids = itertools.count()


def spec(model_id: str, provider: str = "openai", price: float = 1.0, score: int = 3) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        provider=provider,
        name=model_id,
        prices=Prices(input=price, output=price * 4),
        context_window=128_000,
        max_output_tokens=16_000,
        capabilities=dict.fromkeys(TASKS, score),
    )


def small_registry() -> Registry:
    return Registry(
        [
            spec("cheap", price=0.1, score=2),
            spec("mid", "anthropic", 1.0, 4),
            spec("top", "google", 5.0, 5),
        ]
    )


def record(
    model: str = "cheap",
    task: str = "simple_qa",
    cost: float = 0.001,
    status: str = "ok",
    t: float | None = None,
    person: str = "",
) -> UsageRecord:
    n = next(_ids)
    return UsageRecord(
        request_id=f"req-{n}",
        started_at=time.time() if t is None else t,
        client="OpenAI/Python 1.0",
        inbound="openai",
        requested_model="auto",
        strategy="balanced",
        task=task,
        confidence=0.8,
        complexity=0.3,
        tier="l1",
        model_id=model,
        provider="openai",
        hops=[Hop("top", "google", 503, "overloaded", 12.0)] if status == "ok" and n % 5 == 0 else [],
        usage=Usage(100, 50),
        cost=cost,
        baseline_cost=cost * 10,
        latency_ms=100.0 + n % 7,
        overhead_ms=1.5,
        status=status,
        status_code=200 if status == "ok" else 502,
        error="" if status == "ok" else "upstream failed",
        decision=Decision(
            "balanced", model, ["mid"],
            [Candidate(model, True, "score 4, cheapest", 4.0, cost), Candidate("top", False, "over budget")],
            why="cheapest capable",
        ),
        classification=Classification(task, 0.8, 0.3, "l1", ["short prompt", "question mark"]),
        person=person,
    )  # fmt: skip


def row(
    model: str = "cheap",
    task: str = "simple_qa",
    cost: float = 0.001,
    status: str = "ok",
    t: float | None = None,
    person: str = "",
) -> RequestRow:
    """`record(...)` as the GUI keeps it."""
    return RequestRow(record(model, task, cost, status, t, person))
