"""Spend limits (`settings.budgets`): step the strategy down near a limit, stop or go local at it.

Two limits, either may be unset: today's spend against `daily_usd` and this
month's against `monthly_usd`, both in local time (the day resets at local
midnight, the month on the 1st). The engine keeps the running totals in a
`SpendTracker`, seeded from the usage log at start-up and fed every recorded
cost (classifier calls included).

Bands, per limit, with ``s = step_down_at`` (default 0.8)
    share < s               ok         the strategy as asked
    s <= share < (s+1)/2    near       one step down   (best -> balanced -> cheapest)
    (s+1)/2 <= share < 1    near       two steps down
    share >= 1              at_limit   `BudgetExceeded`, or only free/local models
                                       when ``at_limit = "local_only"``
The worse of the two limits wins. Explicit model requests are not stepped
down (they name no strategy) but are refused at the limit like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from routerdesk.core.errors import BudgetExceeded
from routerdesk.core.registry import ModelSpec
from routerdesk.core.settings import BudgetSettings

Period = Literal["daily", "monthly"]
BudgetState = Literal["off", "ok", "near", "at_limit"]

STEP_DOWN: dict[str, str] = {"best": "balanced", "balanced": "cheapest", "cheapest": "cheapest"}
_STATE_ORDER: dict[BudgetState, int] = {"off": 0, "ok": 1, "near": 2, "at_limit": 3}
WHERE_TO_CHANGE = "Settings → Budgets (settings.toml, [budgets] daily_usd / monthly_usd / at_limit)"


def day_start(now: datetime) -> datetime:
    """Midnight that began `now`'s day; `now` is local and timezone-aware (see `local_now`)."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(now: datetime) -> datetime:
    return day_start(now).replace(day=1)


def next_reset(period: Period, now: datetime) -> datetime:
    if period == "daily":
        start = day_start(now) + timedelta(days=1)
    else:
        m = month_start(now)
        start = (
            m.replace(year=m.year + 1, month=1) if m.month == 12 else m.replace(month=m.month + 1)
        )
    # Re-attach the local zone so a DST change inside the period is honoured.
    return start.replace(tzinfo=None).astimezone()


def local_now(unix: float | None = None) -> datetime:
    return (
        datetime.now().astimezone() if unix is None else datetime.fromtimestamp(unix).astimezone()
    )


def is_free(model: ModelSpec) -> bool:
    """Local, or priced at zero (e.g. OpenRouter's free variants)."""
    return model.is_local or (model.prices.input == 0 and model.prices.output == 0)


# --- running totals ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpendTotals:
    today: float = 0.0  # USD
    month: float = 0.0


class SpendTracker:
    """Today's and this month's spend, kept in memory; rolls over at local midnight / the 1st."""

    def __init__(self) -> None:
        self._day: tuple[int, int, int] | None = None
        self._month: tuple[int, int] | None = None
        self._today = 0.0
        self._this_month = 0.0

    def seed(self, today: float, month: float, now: datetime | None = None) -> None:
        """Start from totals read from the usage log (spend since `day_start` / `month_start`)."""
        now = now or local_now()
        self._day, self._month = _day_key(now), _month_key(now)
        self._today, self._this_month = today, month

    def add(self, cost: float, at: datetime | None = None) -> None:
        if cost <= 0:
            return
        self._roll(at or local_now())
        self._today += cost
        self._this_month += cost

    def totals(self, now: datetime | None = None) -> SpendTotals:
        self._roll(now or local_now())
        return SpendTotals(self._today, self._this_month)

    def _roll(self, now: datetime) -> None:
        if _day_key(now) != self._day:
            self._day, self._today = _day_key(now), 0.0
        if _month_key(now) != self._month:
            self._month, self._this_month = _month_key(now), 0.0


def _day_key(d: datetime) -> tuple[int, int, int]:
    return (d.year, d.month, d.day)


def _month_key(d: datetime) -> tuple[int, int]:
    return (d.year, d.month)


# --- status --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LimitStatus:
    """One limit as the dashboard shows it."""

    period: Period
    limit: float  # USD
    spend: float  # USD
    step_down_at: float
    resets_at: datetime

    @property
    def share(self) -> float:
        if self.limit <= 0:  # a zero limit means "spend nothing"
            return 1.0
        return self.spend / self.limit

    @property
    def state(self) -> BudgetState:
        if self.share >= 1:
            return "at_limit"
        return "near" if self.share >= self.step_down_at else "ok"

    @property
    def steps(self) -> int:
        """How many strategy steps down this limit asks for (0..2; at the limit, 2)."""
        share, s = self.share, self.step_down_at
        if share < s:
            return 0
        return 1 if share < (s + 1) / 2 and share < 1 else 2

    @property
    def remaining(self) -> float:
        return max(0.0, self.limit - self.spend)

    def describe(self) -> str:
        word = "today" if self.period == "daily" else "this month"
        return f"${self.spend:.2f} of ${self.limit:.2f} {word} ({self.share:.0%})"


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """Both limits; `binding` is the one that decides (worst state, then highest share)."""

    daily: LimitStatus | None
    monthly: LimitStatus | None
    at_limit_policy: Literal["error", "local_only"] = "error"

    @property
    def limits(self) -> list[LimitStatus]:
        return [x for x in (self.daily, self.monthly) if x is not None]

    @property
    def binding(self) -> LimitStatus | None:
        limits = self.limits
        if not limits:
            return None
        return max(limits, key=lambda x: (_STATE_ORDER[x.state], x.share))

    @property
    def state(self) -> BudgetState:
        b = self.binding
        return "off" if b is None else b.state

    @property
    def steps(self) -> int:
        return max((x.steps for x in self.limits), default=0)


def budget_status(
    settings: BudgetSettings, spend: SpendTotals, now: datetime | None = None
) -> BudgetStatus:
    now = now or local_now()
    daily = monthly = None
    if settings.daily_usd is not None:
        daily = LimitStatus(
            "daily",
            settings.daily_usd,
            spend.today,
            settings.step_down_at,
            next_reset("daily", now),
        )
    if settings.monthly_usd is not None:
        monthly = LimitStatus(
            "monthly",
            settings.monthly_usd,
            spend.month,
            settings.step_down_at,
            next_reset("monthly", now),
        )
    return BudgetStatus(daily, monthly, settings.at_limit)


# --- enforcement ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BudgetVerdict:
    """What the budget allows for one request."""

    strategy: str  # possibly stepped down
    local_only: bool  # only free/local models may answer
    status: BudgetStatus
    notes: list[str] = field(default_factory=list)  # for Decision.notes


def _until(when: datetime, now: datetime) -> str:
    minutes = max(1, int((when - now).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days"


def exceeded_error(
    status: BudgetStatus, now: datetime | None = None, *, extra: str = ""
) -> BudgetExceeded:
    """A `BudgetExceeded` naming the limit, the spend, when it resets and where to change it."""
    now = now or local_now()
    b = status.binding
    assert b is not None and b.state == "at_limit"
    when = "midnight" if b.period == "daily" else "the 1st"
    reset = f"{b.resets_at:%Y-%m-%d %H:%M} local time"
    hint = (
        ""
        if status.at_limit_policy == "local_only"
        else (', or set at_limit = "local_only" to keep answering from local models')
    )
    return BudgetExceeded(
        f"{b.period.capitalize()} budget reached: spent ${b.spend:.2f} of ${b.limit:.2f}. "
        f"{extra}It resets at {when} ({reset}, in {_until(b.resets_at, now)}). "
        f"Raise or remove the limit in {WHERE_TO_CHANGE}{hint}."
    )


def enforce(
    strategy: str,
    settings: BudgetSettings,
    spend: SpendTotals,
    now: datetime | None = None,
    *,
    explicit_model: bool = False,
) -> BudgetVerdict:
    """The strategy (and model pool) the budget allows; raises `BudgetExceeded` at the limit.

    With ``at_limit = "local_only"`` a request at the limit is not refused here:
    the verdict says `local_only` and the engine routes among free/local models
    (raising `exceeded_error(...)` itself if there are none).
    """
    now = now or local_now()
    status = budget_status(settings, spend, now)
    b = status.binding
    if b is None or b.state == "ok":
        return BudgetVerdict(strategy, False, status)
    if b.state == "at_limit":
        if settings.at_limit == "error":
            raise exceeded_error(status, now)
        return BudgetVerdict(
            strategy,
            True,
            status,
            [f"budget reached ({b.describe()}): free/local models only"],
        )
    if explicit_model:
        return BudgetVerdict(strategy, False, status)
    stepped = strategy
    for _ in range(status.steps):
        stepped = STEP_DOWN.get(stepped, stepped)
    if stepped == strategy:
        return BudgetVerdict(strategy, False, status)
    return BudgetVerdict(
        stepped,
        False,
        status,
        [f"budget step-down: {strategy} -> {stepped} ({b.describe()})"],
    )
