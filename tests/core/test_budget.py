"""Spend limits: bands, step-down, the limit error, local-only mode, running totals, resets."""

from __future__ import annotations

from datetime import datetime

import pytest

from routerdesk.core.budget import (
    SpendTotals,
    SpendTracker,
    budget_status,
    enforce,
    exceeded_error,
    is_free,
    next_reset,
)
from routerdesk.core.errors import BudgetExceeded
from routerdesk.core.registry import ModelSpec, Prices
from routerdesk.core.settings import BudgetSettings
from routerdesk.core.types import TASKS

NOW = datetime(2025, 3, 14, 15, 30).astimezone()
DAILY = BudgetSettings(daily_usd=10.0)


def test_no_limits_means_off_and_untouched() -> None:
    verdict = enforce("best", BudgetSettings(), SpendTotals(999, 999), NOW)
    assert verdict.strategy == "best" and not verdict.local_only and verdict.notes == []
    assert verdict.status.state == "off"


@pytest.mark.parametrize(
    ("spend", "asked", "expected", "state"),
    [
        (7.99, "best", "best", "ok"),
        (8.0, "best", "balanced", "near"),
        (8.99, "best", "balanced", "near"),
        (9.0, "best", "cheapest", "near"),
        (9.5, "balanced", "cheapest", "near"),
        (8.5, "cheapest", "cheapest", "near"),
    ],
)
def test_step_down_one_step_per_band(spend: float, asked: str, expected: str, state: str) -> None:
    verdict = enforce(asked, DAILY, SpendTotals(today=spend, month=spend), NOW)
    assert verdict.strategy == expected
    assert verdict.status.state == state
    if expected != asked:
        assert verdict.notes == [
            f"budget step-down: {asked} -> {expected} (${spend:.2f} of $10.00 today ({spend / 10:.0%}))"
        ]
    else:
        assert verdict.notes == []


def test_explicit_model_is_not_stepped_down() -> None:
    verdict = enforce("best", DAILY, SpendTotals(9.5, 9.5), NOW, explicit_model=True)
    assert verdict.strategy == "best" and verdict.notes == []


def test_the_worse_limit_wins() -> None:
    settings = BudgetSettings(daily_usd=10.0, monthly_usd=100.0)
    status = budget_status(settings, SpendTotals(today=1.0, month=95.0), NOW)
    assert status.binding is status.monthly and status.state == "near" and status.steps == 2
    assert status.daily is not None and status.daily.state == "ok"
    assert enforce("best", settings, SpendTotals(1.0, 95.0), NOW).strategy == "cheapest"


def test_at_the_limit_the_error_says_limit_spend_reset_and_where() -> None:
    with pytest.raises(BudgetExceeded) as info:
        enforce("balanced", DAILY, SpendTotals(10.02, 10.02), NOW)
    err = info.value
    assert err.status == 429 and err.kind == "budget_exceeded"
    assert "Daily budget reached: spent $10.02 of $10.00" in err.message
    assert "resets at midnight (2025-03-15 00:00 local time, in 8 h 30 min)" in err.message
    assert "Settings → Budgets" in err.message and "daily_usd" in err.message
    assert 'at_limit = "local_only"' in err.message


def test_monthly_limit_error_names_the_first_of_next_month() -> None:
    with pytest.raises(BudgetExceeded, match=r"Monthly budget .* the 1st \(2025-04-01 00:00"):
        enforce("best", BudgetSettings(monthly_usd=50), SpendTotals(1, 50), NOW)


def test_local_only_at_the_limit() -> None:
    settings = BudgetSettings(daily_usd=10.0, at_limit="local_only")
    verdict = enforce("best", settings, SpendTotals(12, 12), NOW)
    assert verdict.local_only and verdict.status.state == "at_limit"
    assert "free/local models only" in verdict.notes[0]
    # The engine's error when no free model is usable: no local_only hint any more.
    err = exceeded_error(verdict.status, NOW, extra="No free or local model is usable. ")
    assert "No free or local model is usable." in err.message and "local_only" not in err.message


def test_zero_limit_means_spend_nothing() -> None:
    with pytest.raises(BudgetExceeded):
        enforce("cheapest", BudgetSettings(daily_usd=0), SpendTotals(), NOW)


def test_status_for_the_dashboard() -> None:
    status = budget_status(BudgetSettings(daily_usd=4, monthly_usd=80), SpendTotals(1, 20), NOW)
    assert status.daily is not None and status.monthly is not None
    assert status.daily.share == pytest.approx(0.25) and status.daily.remaining == 3
    assert status.daily.resets_at == datetime(2025, 3, 15).astimezone()
    assert status.monthly.resets_at == datetime(2025, 4, 1).astimezone()
    assert status.state == "ok"


def test_december_resets_in_january() -> None:
    assert (
        next_reset("monthly", datetime(2025, 12, 31, 23).astimezone())
        == datetime(2026, 1, 1).astimezone()
    )


def test_tracker_accumulates_and_rolls_over() -> None:
    tracker = SpendTracker()
    tracker.seed(today=2.0, month=30.0, now=NOW)
    tracker.add(0.5, NOW)
    tracker.add(-1.0, NOW)  # refunds and zero costs change nothing
    assert tracker.totals(NOW) == SpendTotals(2.5, 30.5)
    tomorrow = datetime(2025, 3, 15, 0, 1).astimezone()
    assert tracker.totals(tomorrow) == SpendTotals(0.0, 30.5)
    tracker.add(1.0, tomorrow)
    assert tracker.totals(datetime(2025, 4, 1, 9).astimezone()) == SpendTotals(0.0, 0.0)


def test_free_models() -> None:
    def spec(provider: str, price: float) -> ModelSpec:
        return ModelSpec(
            id=f"{provider}-{price}",
            provider=provider,
            name="m",
            prices=Prices(input=price, output=price),
            context_window=8000,
            max_output_tokens=1000,
            capabilities=dict.fromkeys(TASKS, 2),
        )

    assert is_free(spec("ollama", 1.0))
    assert is_free(spec("openrouter", 0.0))
    assert not is_free(spec("openai", 0.1))
