"""Replay: past usage rows re-routed through the real router and priced on their actual tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from routerdesk.core.registry import ModelSpec, Prices, Registry
from routerdesk.core.replay import PastRequest, parse_since, project
from routerdesk.core.settings import Settings
from routerdesk.core.tokens import estimate_prompt_tokens
from routerdesk.core.types import TASKS, Usage


def spec(
    model_id: str, price: float, score: int, *features: str, context: int = 128_000
) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        provider={"small": "deepseek", "medium": "openai"}.get(model_id, "anthropic"),
        name=model_id,
        prices=Prices(input=price, output=price * 4),
        context_window=context,
        max_output_tokens=8_000,
        features=frozenset({"streaming", *features}),  # type: ignore[arg-type]
        capabilities=dict.fromkeys(TASKS, score),
    )


REGISTRY = Registry(
    [
        spec("small", 0.1, 2, "json", context=16_000),
        spec("medium", 1.0, 4, "vision", "tools", "json"),
        spec("large", 5.0, 5, "vision", "tools", "json"),
    ]
)
SETTINGS = Settings()


def price(model: ModelSpec, usage: Usage) -> float:
    return (
        usage.input_tokens * model.prices.input + usage.output_tokens * model.prices.output
    ) / 1e6


def row(model_id: str = "large", **over: Any) -> dict[str, Any]:
    usage = (over.pop("input_tokens", 1_000), over.pop("output_tokens", 500))
    base: dict[str, Any] = {
        "request_id": "r",
        "started_at": 1_700_000_000.0,
        "requested_model": "auto",
        "task": "general",
        "confidence": 0.9,
        "complexity": 0.1,
        "tier": "l1",
        "model_id": model_id,
        "status": "ok",
        "input_tokens": usage[0],
        "output_tokens": usage[1],
        "cost": price(REGISTRY[model_id], Usage(*usage)) if model_id else 0.0,
        "stream": False,
        "demo": False,
        "features": {"user_chars": 400.0, "system_chars": 0.0, "images": 0.0, "tools": 0.0},
    }
    base.update(over)
    return base


BEST = Settings(routing={"strategy": "best"})  # type: ignore[arg-type]


def test_cheapest_default_projects_lower_spend_than_the_current_setup() -> None:
    rows = [row("large") for _ in range(3)] + [row("small")]
    p = project(rows, REGISTRY, BEST, "cheapest", price=price)
    assert (p.requests, p.rerouted, p.changed) == (4, 4, 4)
    one = Usage(1000, 500)
    # The current setup (best) routes all four to large, even the one that went to small.
    assert p.current_cost == pytest.approx(4 * price(REGISTRY["large"], one))
    assert p.projected_cost == pytest.approx(4 * price(REGISTRY["small"], one))
    assert p.actual_cost == pytest.approx(3 * price(REGISTRY["large"], one) + 0.0003)
    assert p.savings == pytest.approx(p.current_cost - p.projected_cost) and p.savings > 0
    assert p.savings_share is not None and 0.9 < p.savings_share < 1
    mix = {s.model_id: (s.current_requests, s.projected_requests) for s in p.mix()}
    assert mix == {"small": (0, 4), "large": (4, 0)}


def test_best_default_costs_more() -> None:
    p = project([row("small")], REGISTRY, Settings(), "best", price=price)
    assert p.savings < 0 and p.mix()[0].model_id == "large"


def test_a_no_op_edit_shows_no_change() -> None:
    """A price edit on a model no request used, and the same strategy: 0 changes, same cost."""
    rows = [row("large"), row("small"), row("large", requested_model="auto:best")]
    rows += [row("medium", features={"images": 1.0, "user_chars": 100.0})]
    edited = Registry(
        [
            *(m for m in REGISTRY.models if m.id != "medium"),
            REGISTRY["medium"].model_copy(
                update={"prices": Prices(input=1.0, output=4.0, cached_input=0.01)}
            ),
            spec("unused", 50.0, 1),
        ]
    )
    for proposed in (REGISTRY, edited):
        p = project(rows, proposed, SETTINGS, "balanced", current=REGISTRY, price=price)
        assert (p.requests, p.changed) == (4, 0)
        assert p.projected_cost == pytest.approx(p.current_cost)
        assert p.savings_share == pytest.approx(0.0)


def test_each_request_keeps_the_strategy_it_asked_for() -> None:
    """Changing the default strategy moves plain `auto` traffic only, never `auto:best`."""
    rows = [row("large", requested_model="auto:best"), row("large")]
    p = project(rows, REGISTRY, BEST, "cheapest", price=price)
    assert p.changed == 1
    mix = {s.model_id: (s.current_requests, s.projected_requests) for s in p.mix()}
    assert mix == {"large": (2, 1), "small": (0, 1)}


def test_raising_the_price_of_the_model_in_use_costs_more() -> None:
    rows = [row("small") for _ in range(3)]
    dearer = Registry(
        [
            *(m for m in REGISTRY.models if m.id != "small"),
            REGISTRY["small"].model_copy(update={"prices": Prices(input=0.2, output=0.8)}),
        ]
    )
    cheap = Settings(routing={"strategy": "cheapest"})  # type: ignore[arg-type]
    p = project(rows, dearer, cheap, "cheapest", current=REGISTRY, price=price)
    assert p.changed == 0 and p.savings < 0
    assert p.projected_cost == pytest.approx(2 * p.current_cost)


def test_needs_and_size_of_the_request_survive_the_replay() -> None:
    rows = [
        row("large", features={"images": 1.0, "user_chars": 100.0}),  # needs vision
        row("large", features={"tools": 3.0, "user_chars": 100.0}),  # needs tools
        row("large", input_tokens=50_000),  # does not fit small's 16k window
        row("large", stream=True),  # every model streams
    ]
    p = project(rows, REGISTRY, SETTINGS, "cheapest", price=price)
    projected = {s.model_id: s.projected_requests for s in p.mix() if s.projected_requests}
    assert projected == {"medium": 3, "small": 1}


def test_explicit_requests_and_unroutable_ones_are_kept_as_they_were() -> None:
    rows = [
        row("large", requested_model="large"),
        row("large", features={"images": 2.0}),  # no vision model left below
    ]
    no_vision = Registry([spec("small", 0.1, 2), spec("plain", 1.0, 4)])
    p = project(rows, no_vision, SETTINGS, "cheapest", price=price)
    assert (p.explicit, p.unroutable, p.rerouted) == (1, 1, 0)
    assert p.projected_cost == pytest.approx(p.current_cost)
    assert p.projected_cost == pytest.approx(p.actual_cost)
    assert p.mix()[0].model_id == "large"  # a model no longer in the registry still shows up
    [reason] = p.unroutable_reasons
    assert "lacking a needed feature" in reason


def test_l2_calls_and_demo_rows_are_set_apart() -> None:
    rows = [
        row("large"),
        row("small", task="l2", tier="l2", cost=0.0004, requested_model="small"),
        row("large", demo=True, cost=0.0),
    ]
    p = project(rows, REGISTRY, SETTINGS, "cheapest", price=price)
    assert (p.requests, p.l2_calls, p.skipped_demo) == (1, 1, 1)
    assert p.l2_cost == pytest.approx(0.0004)


def test_audit_calls_are_set_apart() -> None:
    rows = [
        row("large"),
        row("large", task="audit", tier="audit", cost=0.002, requested_model="large"),
    ]
    p = project(rows, REGISTRY, SETTINGS, "cheapest", price=price)
    assert (p.requests, p.audit_calls, p.explicit) == (1, 1, 0)
    assert p.audit_cost == pytest.approx(0.002)
    assert sum(s.current_requests for s in p.mix()) == 1  # the audit call is not in the mix


def test_failed_requests_count_in_the_mix_at_no_cost() -> None:
    failed = row("", status="error", input_tokens=0, output_tokens=0, cost=0.0)
    p = project([failed], REGISTRY, SETTINGS, "balanced", price=price)
    assert p.projected_cost == 0.0 == p.current_cost and p.changed == 0
    [share] = p.mix()
    assert (share.current_requests, share.projected_requests) == (1, 1)


def test_prompt_size_falls_back_from_column_to_tokens_to_features() -> None:
    assert PastRequest.from_row(row(est_prompt_tokens=7_000)).est_prompt_tokens == 7_000
    assert PastRequest.from_row(row(input_tokens=3_000)).est_prompt_tokens == 3_000
    no_usage = row(input_tokens=0, features={"user_chars": 4_000.0, "images": 1.0})
    assert PastRequest.from_row(no_usage).est_prompt_tokens == 1_000 + 1_200


def test_synthetic_request_has_the_stored_shape() -> None:
    past = PastRequest.from_row(
        row(
            input_tokens=9_000,
            stream=True,
            max_tokens=256,
            features={"tools": 2.0, "images": 1.0, "json_mode": 1.0},
        )
    )
    req = past.request("balanced")
    assert abs(estimate_prompt_tokens(req) - 9_000) <= 1
    assert len(req.tools) == 2 and req.has_images() and req.needs_json() and req.stream
    assert req.max_tokens == 256 and req.model == "auto:balanced"


def test_parse_since() -> None:
    now = datetime(2025, 3, 14, 12, 0).astimezone()
    assert parse_since("1d", now) == pytest.approx(now.timestamp() - 86400)
    assert parse_since("7d", now) == pytest.approx(now.timestamp() - 7 * 86400)
    assert parse_since("12h", now) == pytest.approx(now.timestamp() - 12 * 3600)
    assert parse_since("2025-03-01", now) == datetime(2025, 3, 1).astimezone().timestamp()
    assert parse_since("2025-03-01T09:00+00:00", now) == pytest.approx(1740819600.0)
    with pytest.raises(ValueError, match="expected a span like 1d"):
        parse_since("last week", now)
