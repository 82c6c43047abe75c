"""Prices: the shipped registry matches genai-prices, and cost_usd matches genai-prices' arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import genai_prices
import pytest
from genai_prices import types as gp

from routerdesk.core import prices
from routerdesk.core.errors import NoUsableModel
from routerdesk.core.prices import (
    RateCard,
    UnknownPriceRef,
    baseline_model,
    cost_usd,
    list_prices,
    lookup,
    refresh_prices,
    split_price_ref,
    to_genai_usage,
)
from routerdesk.core.registry import ModelSpec, Prices, Registry
from routerdesk.core.registry_file import load_shipped_registry
from routerdesk.core.settings import RoutingSettings, Settings
from routerdesk.core.types import TASKS, Usage

SHIPPED = load_shipped_registry()


def spec(model_id: str, **kw: object) -> ModelSpec:
    base: dict[str, object] = {
        "id": model_id,
        "provider": "openai",
        "name": model_id,
        "prices": Prices(input=1.0, output=2.0),
        "context_window": 100_000,
        "max_output_tokens": 8_000,
        "capabilities": dict.fromkeys(TASKS, 3),
    }
    base.update(kw)
    return ModelSpec.model_validate(base)


def genai_cost(price_ref: str, usage: Usage, at: datetime) -> float:
    provider_id, model_ref = split_price_ref(price_ref)
    calc = genai_prices.calc_price(
        to_genai_usage(usage), model_ref, provider_id=provider_id, genai_request_timestamp=at
    )
    return float(calc.total_price)


# --- the shipped registry ----------------------------------------------------------------


def test_shipped_registry_is_broad() -> None:
    reg = SHIPPED.registry
    assert len(reg) >= 50
    providers = {m.provider for m in reg}
    for p in ("openai", "anthropic", "google", "deepseek", "moonshot", "mistral", "xai", "groq"):
        assert p in providers
    assert any(m.is_local and m.prices.input == 0 == m.prices.output for m in reg)
    assert SHIPPED.prices_as_of is not None


@pytest.mark.parametrize("model", [m for m in SHIPPED.registry if m.price_ref], ids=lambda m: m.id)
def test_every_shipped_price_equals_genai_prices(model: ModelSpec) -> None:
    assert SHIPPED.prices_as_of is not None
    assert model.prices == list_prices(model.price_ref, SHIPPED.prices_as_of)


def test_local_models_are_free_and_unreferenced() -> None:
    for m in SHIPPED.registry:
        if m.is_local:
            assert m.price_ref == ""
            assert cost_usd(m, Usage(10_000, 10_000)) == 0.0


# --- list prices ---------------------------------------------------------------------------


def test_tiered_price_uses_the_base_tier() -> None:
    _, info = lookup("google:gemini-3.1-pro-preview")
    assert isinstance(info.prices, gp.ModelPrice)
    assert isinstance(info.prices.input_mtok, gp.TieredPrices)
    assert list_prices("google:gemini-3.1-pro-preview", date(2026, 11, 26)).input == float(
        info.prices.input_mtok.base
    )


def test_time_of_day_prices_take_the_price_in_force_most_of_the_day() -> None:
    # deepseek-v4-pro: peak 01-04 and 06-10 UTC (7 h) at 1.32, off-peak (17 h) at 0.66.
    day = date(2026, 11, 26)
    p = list_prices("deepseek:deepseek-v4-pro", day)
    _, info = lookup("deepseek:deepseek-v4-pro")
    off_peak = info.get_prices(datetime(2026, 11, 26, 20, 0, tzinfo=UTC))
    peak = info.get_prices(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    assert off_peak.input_mtok != peak.input_mtok
    assert p.input == float(off_peak.input_mtok)


def test_date_conditional_prices_follow_the_day() -> None:
    # Gemini 4 Argon's introductory price ends on 2026-12-01.
    before = list_prices("google:gemini-4-argon", date(2026, 11, 30))
    after = list_prices("google:gemini-4-argon", date(2026, 12, 1))
    assert before.input < after.input


@pytest.mark.parametrize("ref", ["nocolon", ":model", "openai:", "openai:no-such-model-xyz"])
def test_bad_price_refs_are_reported(ref: str) -> None:
    with pytest.raises(UnknownPriceRef):
        list_prices(ref, date(2026, 11, 26))


# --- cost of usage --------------------------------------------------------------------------

CASES = [
    ("openai:gpt-5-mini", Usage(12_000, 900, cached_input_tokens=8_000, reasoning_tokens=400)),
    (
        "anthropic:claude-sonnet-5-5",
        Usage(20_000, 1_500, cached_input_tokens=12_000, cache_write_tokens=4_000),
    ),
    ("anthropic:claude-opus-5-5", Usage(3_000, 200, cache_write_tokens=3_000)),
    ("google:gemini-3.1-pro-preview", Usage(50_000, 2_000, cached_input_tokens=10_000)),
    ("google:gemini-3.1-pro-preview", Usage(250_000, 2_000, cached_input_tokens=10_000)),
    ("deepseek:deepseek-v4-pro", Usage(9_000, 3_000, cached_input_tokens=5_000)),
    ("x-ai:grok-4.7", Usage(210_000, 1_000, cached_input_tokens=100_000)),
    ("moonshotai:kimi-k3", Usage(7_000, 700, cached_input_tokens=1_000, cache_write_tokens=2_000)),
    ("groq:llama-3.3-70b-versatile", Usage(5_000, 500, cached_input_tokens=1_000)),
]
TIMES = [datetime(2026, 11, 26, 2, 30, tzinfo=UTC), datetime(2026, 11, 26, 20, 0, tzinfo=UTC)]


@pytest.mark.parametrize(("ref", "usage"), CASES, ids=[f"{r}-{u.input_tokens}" for r, u in CASES])
@pytest.mark.parametrize("at", TIMES, ids=["peak", "off-peak"])
def test_cost_matches_genai_prices(ref: str, usage: Usage, at: datetime) -> None:
    model = spec("m-" + ref.replace(":", "-"), price_ref=ref)
    expected = genai_cost(ref, usage, at)
    assert expected > 0
    assert cost_usd(model, usage, at=at) == pytest.approx(expected, rel=1e-12)


def test_deepseek_peak_costs_more_than_off_peak() -> None:
    model = spec("ds", provider="deepseek", price_ref="deepseek:deepseek-v4-pro")
    usage = Usage(10_000, 1_000)
    assert cost_usd(model, usage, at=TIMES[0]) > cost_usd(model, usage, at=TIMES[1])


def test_cached_tokens_reported_beside_input_are_not_negative() -> None:
    # An adapter bug (cached > input) must not produce a negative plain-input count.
    model = spec("x", price_ref="anthropic:claude-sonnet-5-5")
    assert cost_usd(model, Usage(100, 10, cached_input_tokens=500)) > 0


def test_unmodelled_units_fall_back_to_calc_price() -> None:
    mp = gp.ModelPrice(input_mtok=Decimal(1), output_mtok=Decimal(2), requests_kcount=Decimal(5))
    assert RateCard.from_genai(mp) is None
    plain = gp.ModelPrice(
        input_mtok=Decimal(1), output_mtok=Decimal(2), web_searches_kcount=Decimal(10)
    )
    assert RateCard.from_genai(plain) is not None


def test_models_without_price_ref_use_registry_prices() -> None:
    model = spec("custom", prices=Prices(input=3.0, output=6.0, cached_input=0.3))
    usage = Usage(1_000_000, 500_000, cached_input_tokens=400_000)
    assert cost_usd(model, usage) == pytest.approx(0.6 * 3 + 0.4 * 0.3 + 0.5 * 6)


def test_unknown_price_ref_costs_from_registry_prices() -> None:
    model = spec("gone", price_ref="openai:model-that-never-was", prices=Prices(input=1, output=1))
    assert cost_usd(model, Usage(1_000_000, 0)) == pytest.approx(1.0)


def test_rate_card_is_looked_up_and_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Speed lives in benchmarks/bench_routing.py; here: the cache that makes it fast."""
    calls = {"lookup": 0, "card": 0}
    real_lookup, real_card = prices.lookup, prices.RateCard.from_genai

    def counting_lookup(ref: str) -> Any:
        calls["lookup"] += 1
        return real_lookup(ref)

    def counting_card(mp: Any) -> Any:
        calls["card"] += 1
        return real_card(mp)

    monkeypatch.setattr(prices, "lookup", counting_lookup)
    monkeypatch.setattr(prices.RateCard, "from_genai", staticmethod(counting_card))
    calculator = prices.CostCalculator()
    model = spec("fast", price_ref="anthropic:claude-sonnet-5-5")
    usage = Usage(20_000, 1_000, cached_input_tokens=5_000)
    costs = {calculator.cost(model, usage) for _ in range(100)}
    assert calls == {"lookup": 1, "card": 1}
    assert len(costs) == 1 and costs.pop() > 0


# --- baseline and refresh ---------------------------------------------------------------------


def test_baseline_is_most_capable_then_pricier() -> None:
    strong = spec("strong", capabilities=dict.fromkeys(TASKS, 5), prices=Prices(input=1, output=1))
    strong_pricey = spec(
        "strong-pricey", capabilities=dict.fromkeys(TASKS, 5), prices=Prices(input=9, output=9)
    )
    weak = spec("weak", prices=Prices(input=50, output=50))
    disabled = spec(
        "off",
        capabilities=dict.fromkeys(TASKS, 5),
        prices=Prices(input=99, output=99),
        enabled=False,
    )
    reg = Registry([strong, strong_pricey, weak, disabled])
    assert baseline_model(reg, Settings()).id == "strong-pricey"
    configured = Settings(routing=RoutingSettings(baseline_model="weak"))
    assert baseline_model(reg, configured).id == "weak"
    unknown = Settings(routing=RoutingSettings(baseline_model="nope"))
    assert baseline_model(reg, unknown).id == "strong-pricey"


def test_baseline_without_enabled_models_says_what_to_do() -> None:
    with pytest.raises(NoUsableModel, match="enable"):
        baseline_model(Registry([spec("off", enabled=False)]), Settings())


def test_refresh_reports_and_fixes_changed_prices() -> None:
    day = date(2026, 11, 26)
    right = list_prices("openai:gpt-5-mini", day)
    stale = spec(
        "gpt-5-mini", price_ref="openai:gpt-5-mini", prices=Prices(input=9.0, output=right.output)
    )
    local = spec("local", provider="ollama", prices=Prices(input=0, output=0))
    broken = spec("broken", price_ref="openai:no-such-model-xyz")
    reg, changes, problems = refresh_prices(Registry([stale, local, broken]), day)
    assert [(c.model_id, c.field, c.old, c.new) for c in changes if c.field == "input"] == [
        ("gpt-5-mini", "input", 9.0, right.input)
    ]
    assert reg["gpt-5-mini"].prices == right
    assert reg["local"] == local and reg["broken"] == broken
    assert len(problems) == 1 and "broken" in problems[0]


def test_cost_cache_can_be_cleared() -> None:
    model = spec("c", price_ref="openai:gpt-5-mini")
    before = cost_usd(model, Usage(1000, 100))
    prices.clear_cost_cache()
    assert cost_usd(model, Usage(1000, 100)) == before
