"""Model prices from genai-prices: list prices for the registry, and the USD cost of actual usage.

`price_ref` format
    ``"<genai-prices provider id>:<genai-prices model id>"``, split at the first
    colon (model ids may contain colons, provider ids never do). Examples:
    ``openai:gpt-5-mini``, ``x-ai:grok-4.7``, ``moonshotai:kimi-k3``,
    ``openrouter:qwen/qwen3.5-122b-a10b``. Empty for models genai-prices does not
    know (local models, user additions): those are costed from the registry's
    own `prices`, and local models always cost zero.

List price (what the registry stores and routing estimates with)
    genai-prices may hold several prices per model. We resolve them for one
    UTC calendar day (`prices_as_of` in the registry file):
    - date-conditional prices (a price change on a date): the one in force that day;
    - time-of-day prices (DeepSeek peak/off-peak): the price in force for most of
      that day, sampled every 15 minutes;
    - prompt-length tiers (e.g. Gemini Pro above 200k tokens): the base tier,
      because routing cares about ordinary prompts and long prompts are rare.

Cost of actual usage
    `cost_usd` bills what genai-prices would bill at the moment of the request,
    so off-peak discounts and long-prompt tiers are honoured. `calc_price`
    takes ~200 µs, too slow for the request path, so per resolved genai-prices
    price we build a `RateCard` once and do the same linear arithmetic:
    cache reads, cache writes and reasoning tokens are carved out of input and
    output and billed at their own rates only where the model has such a rate
    (otherwise they stay at the plain input/output rate), and a prompt above a
    tier threshold moves every token of the request to that tier. Prices with
    units we do not model fall back to `calc_price` itself. Tests check the
    fast path against `calc_price` for several providers.

Usage convention (same as genai-prices): `Usage.input_tokens` counts every
prompt token, cache reads and cache writes included; `output_tokens` counts
every completion token, reasoning included.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import genai_prices
from genai_prices import data_snapshot
from genai_prices import types as gp

from routerdesk.core.errors import NoUsableModel
from routerdesk.core.registry import ModelSpec, Prices, Registry
from routerdesk.core.settings import Settings
from routerdesk.core.types import Usage

log = logging.getLogger(__name__)

_MTOK = 1_000_000
# Price keys the fast path understands.
_TEXT_KEYS = frozenset(
    {"input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "output_reasoning_mtok"}
)
# Price keys for usage we never report (audio, images, 1h cache writes, web searches...):
# they cost nothing for our requests, so the fast path may ignore them.
_IGNORED_PREFIXES = (
    "input_audio",
    "output_audio",
    "cache_audio",
    "input_image",
    "output_image",
    "cache_image",
    "input_video",
    "output_video",
    "cache_video",
    "cache_write_1h",
    "cache_write_5m",
    "web_searches",
    "storage_searches",
    "social_searches",
    "code_executions",
    "audio_hours",
    "input_mchars",
)


class UnknownPriceRef(LookupError):
    """A `price_ref` genai-prices cannot resolve (wrong format, provider or model)."""


def split_price_ref(price_ref: str) -> tuple[str, str]:
    provider_id, sep, model_ref = price_ref.partition(":")
    if not sep or not provider_id or not model_ref:
        raise UnknownPriceRef(
            f"price_ref {price_ref!r} must look like 'provider:model', e.g. 'openai:gpt-5-mini'"
        )
    return provider_id, model_ref


def lookup(price_ref: str) -> tuple[gp.Provider, gp.ModelInfo]:
    """The genai-prices provider and model a `price_ref` names."""
    provider_id, model_ref = split_price_ref(price_ref)
    try:
        return data_snapshot.get_snapshot().find_provider_model(model_ref, None, provider_id, None)
    except LookupError as exc:
        raise UnknownPriceRef(f"price_ref {price_ref!r}: {exc}") from exc


# --- list prices -------------------------------------------------------------------


def _base(value: Decimal | gp.TieredPrices | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, gp.TieredPrices):
        return float(value.base)
    return float(value)


def _price_for_day(info: gp.ModelInfo, day: date) -> gp.ModelPrice:
    if isinstance(info.prices, gp.ModelPrice):
        return info.prices
    start = datetime.combine(day, time(0, 0), tzinfo=UTC)
    seen: dict[int, gp.ModelPrice] = {}
    minutes: Counter[int] = Counter()
    for step in range(96):  # every 15 minutes; the first seen wins a tie
        mp = info.get_prices(start + timedelta(minutes=15 * step))
        seen.setdefault(id(mp), mp)
        minutes[id(mp)] += 15
    return seen[minutes.most_common(1)[0][0]]


def list_prices(price_ref: str, day: date) -> Prices:
    """The registry price of `price_ref` on `day` (see the module docstring for the rules)."""
    _, info = lookup(price_ref)
    mp = _price_for_day(info, day)
    inp = _base(mp.input_mtok)
    out = _base(mp.output_mtok)
    if inp is None or out is None:
        raise UnknownPriceRef(f"price_ref {price_ref!r} has no per-token input/output price")
    return Prices(
        input=inp,
        output=out,
        cached_input=_base(mp.cache_read_mtok),
        cache_write=_base(mp.cache_write_mtok),
    )


# --- cost of usage -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rate:
    """USD per token, with the prompt-length tiers of genai-prices (threshold, rate), ascending."""

    base: float
    tiers: tuple[tuple[int, float], ...] = ()

    def at(self, prompt_tokens: int) -> float:
        for start, rate in reversed(self.tiers):
            if prompt_tokens > start:
                return rate
        return self.base

    @classmethod
    def of(cls, value: Decimal | gp.TieredPrices | float | None) -> _Rate | None:
        if value is None:
            return None
        if isinstance(value, gp.TieredPrices):
            tiers = tuple((t.start, float(t.price) / _MTOK) for t in value.tiers)
            return cls(float(value.base) / _MTOK, tiers)
        return cls(float(value) / _MTOK)


@dataclass(frozen=True, slots=True)
class RateCard:
    """Per-token rates for the token kinds we report; None means 'billed at the plain rate'."""

    input: _Rate
    output: _Rate
    cache_read: _Rate | None = None
    cache_write: _Rate | None = None
    reasoning: _Rate | None = None

    def cost(self, usage: Usage) -> float:
        cached = max(usage.cached_input_tokens, 0)
        written = max(usage.cache_write_tokens, 0)
        # An adapter that reports cached tokens beside, not inside, input must not
        # produce a negative plain-input count.
        prompt = max(usage.input_tokens, cached + written)
        output = max(usage.output_tokens, 0)
        plain_in = prompt
        total = 0.0
        if self.cache_read is not None:
            plain_in -= cached
            total += cached * self.cache_read.at(prompt)
        if self.cache_write is not None:
            plain_in -= written
            total += written * self.cache_write.at(prompt)
        total += plain_in * self.input.at(prompt)
        plain_out = output
        if self.reasoning is not None:
            thought = min(max(usage.reasoning_tokens, 0), output)
            plain_out -= thought
            total += thought * self.reasoning.at(prompt)
        return total + plain_out * self.output.at(prompt)

    @classmethod
    def from_prices(cls, prices: Prices) -> RateCard:
        def rate(v: float | None) -> _Rate | None:
            return None if v is None else _Rate(v / _MTOK)

        return cls(
            input=_Rate(prices.input / _MTOK),
            output=_Rate(prices.output / _MTOK),
            cache_read=rate(prices.cached_input),
            cache_write=rate(prices.cache_write),
        )

    @classmethod
    def from_genai(cls, mp: gp.ModelPrice) -> RateCard | None:
        """A card for `mp`, or None when it prices something the fast path does not model."""
        for key, value in vars(mp).items():
            if value is None or key.startswith("_") or key in _TEXT_KEYS:
                continue
            if not key.startswith(_IGNORED_PREFIXES):
                return None
        inp = _Rate.of(mp.input_mtok)
        out = _Rate.of(mp.output_mtok)
        if inp is None or out is None:
            return None
        return cls(
            input=inp,
            output=out,
            cache_read=_Rate.of(mp.cache_read_mtok),
            cache_write=_Rate.of(mp.cache_write_mtok),
            reasoning=_Rate.of(mp.output_reasoning_mtok),
        )


def to_genai_usage(usage: Usage) -> genai_prices.Usage:
    """Our usage in genai-prices' terms (input includes cache reads and writes, as ours does)."""
    cached = max(usage.cached_input_tokens, 0)
    written = max(usage.cache_write_tokens, 0)
    return genai_prices.Usage(
        input_tokens=max(usage.input_tokens, cached + written),
        cache_read_tokens=cached,
        cache_write_tokens=written,
        output_tokens=max(usage.output_tokens, 0),
        output_reasoning_tokens=min(max(usage.reasoning_tokens, 0), max(usage.output_tokens, 0)),
    )


class CostCalculator:
    """`cost_usd` with per-model caches; one per process is plenty (see `cost_usd`)."""

    def __init__(self) -> None:
        self._models: dict[str, tuple[gp.Provider, gp.ModelInfo] | None] = {}
        # id(ModelPrice) -> (the ModelPrice kept alive so the id stays unique, its card)
        self._cards: dict[int, tuple[gp.ModelPrice, RateCard | None]] = {}
        self._registry_cards: dict[str, tuple[Prices, RateCard]] = {}

    def clear(self) -> None:
        """Forget cached lookups, e.g. after genai-prices data was updated."""
        self._models.clear()
        self._cards.clear()
        self._registry_cards.clear()

    def cost(self, model: ModelSpec, usage: Usage, *, at: datetime | None = None) -> float:
        if model.is_local:
            return 0.0
        if model.price_ref:
            found = self._lookup(model.price_ref)
            if found is not None:
                return self._genai_cost(found, usage, at or datetime.now(UTC))
        return self._registry_card(model).cost(usage)

    def _lookup(self, price_ref: str) -> tuple[gp.Provider, gp.ModelInfo] | None:
        try:
            return self._models[price_ref]
        except KeyError:
            pass
        try:
            found: tuple[gp.Provider, gp.ModelInfo] | None = lookup(price_ref)
        except UnknownPriceRef as exc:
            log.warning("%s; costing from the registry's prices instead", exc)
            found = None
        self._models[price_ref] = found
        return found

    def _genai_cost(
        self, found: tuple[gp.Provider, gp.ModelInfo], usage: Usage, at: datetime
    ) -> float:
        provider, info = found
        mp = info.get_prices(at)
        entry = self._cards.get(id(mp))
        if entry is None or entry[0] is not mp:
            entry = (mp, RateCard.from_genai(mp))
            self._cards[id(mp)] = entry
        card = entry[1]
        if card is not None:
            return card.cost(usage)
        calc = info.calc_price(to_genai_usage(usage), provider, genai_request_timestamp=at)
        return float(calc.total_price)

    def _registry_card(self, model: ModelSpec) -> RateCard:
        entry = self._registry_cards.get(model.id)
        if entry is None or entry[0] != model.prices:
            entry = (model.prices, RateCard.from_prices(model.prices))
            self._registry_cards[model.id] = entry
        return entry[1]


_default_calculator = CostCalculator()


def cost_usd(model: ModelSpec, usage: Usage, *, at: datetime | None = None) -> float:
    """USD cost of `usage` on `model` at time `at` (default: now). Zero for local models."""
    return _default_calculator.cost(model, usage, at=at)


def clear_cost_cache() -> None:
    _default_calculator.clear()


# --- baseline --------------------------------------------------------------------------


def _mean_capability(model: ModelSpec) -> float:
    return sum(model.capabilities.values()) / len(model.capabilities)


def most_capable(models: Sequence[ModelSpec]) -> ModelSpec | None:
    """Highest mean capability; ties go to the pricier model (the one you would pay for)."""
    if not models:
        return None
    return max(models, key=lambda m: (_mean_capability(m), m.prices.input + m.prices.output))


def baseline_model(registry: Registry, settings: Settings) -> ModelSpec:
    """The model savings are measured against: the configured one, else the most capable enabled."""
    wanted = settings.routing.baseline_model.strip()
    if wanted:
        found = registry.resolve(wanted)
        if found is not None:
            return found
        log.warning("baseline model %r is not in the registry; using the most capable", wanted)
    best = most_capable(registry.enabled())
    if best is None:
        raise NoUsableModel(
            "The registry has no enabled model; enable at least one in registry.toml."
        )
    return best


# --- refresh -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PriceChange:
    model_id: str
    field: str  # input, output, cached_input, cache_write
    old: float | None
    new: float | None


def refresh_prices(registry: Registry, day: date) -> tuple[Registry, list[PriceChange], list[str]]:
    """Registry prices re-read from genai-prices for `day`: (new registry, changes, problems).

    Models without a price_ref keep their prices; a price_ref genai-prices no
    longer knows is reported in `problems` and the model keeps its prices.
    """
    models: list[ModelSpec] = []
    changes: list[PriceChange] = []
    problems: list[str] = []
    for model in registry:
        if not model.price_ref:
            models.append(model)
            continue
        try:
            fresh = list_prices(model.price_ref, day)
        except UnknownPriceRef as exc:
            problems.append(f"{model.id}: {exc}")
            models.append(model)
            continue
        for name in ("input", "output", "cached_input", "cache_write"):
            old, new = getattr(model.prices, name), getattr(fresh, name)
            if old != new:
                changes.append(PriceChange(model.id, name, old, new))
        models.append(
            model if fresh == model.prices else model.model_copy(update={"prices": fresh})
        )
    return Registry(models), changes, problems
