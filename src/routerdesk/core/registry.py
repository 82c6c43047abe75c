"""The model registry: which models exist, what they cost, what they can do.

`ModelSpec` is one model; `Registry` is an immutable, indexed set of them.
Loading, validation and atomic saving live in `core/registry_file.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from difflib import get_close_matches
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from routerdesk.core.types import TASKS

PROVIDERS: tuple[str, ...] = (
    "openai",
    "anthropic",
    "google",
    "deepseek",
    "moonshot",
    "mistral",
    "xai",
    "groq",
    "openrouter",
    "ollama",
)
# Providers that need no API key (local servers).
LOCAL_PROVIDERS: frozenset[str] = frozenset({"ollama"})

Feature = Literal["tools", "vision", "json", "streaming", "reasoning"]


class Prices(BaseModel):
    """USD per 1M tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)
    cache_write: float | None = Field(default=None, ge=0)


class ModelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, description="registry id, unique, e.g. 'gpt-5-mini'")
    provider: str = Field(description="provider id, one of PROVIDERS")
    name: str = Field(min_length=1, description="the provider's model name sent upstream")
    prices: Prices
    # genai-prices reference used by `prices refresh` and cost calculation:
    # (provider id in genai-prices, model ref). Empty for local models.
    price_ref: str = ""
    context_window: int = Field(gt=0)
    max_output_tokens: int = Field(gt=0)
    features: frozenset[Feature] = frozenset({"streaming"})
    capabilities: dict[str, int] = Field(description="task -> score 1..5")
    complexity_min: float = Field(default=0.0, ge=0, le=1)
    complexity_max: float = Field(default=1.0, ge=0, le=1)
    enabled: bool = True
    # OpenAI-compatible quirks: send max_completion_tokens instead of max_tokens;
    # parameters the upstream rejects (dropped, and the decision log says so).
    uses_max_completion_tokens: bool = False
    drop_params: frozenset[str] = frozenset()

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, v: str) -> str:
        if v not in PROVIDERS:
            raise ValueError(f"unknown provider {v!r}; expected one of {', '.join(PROVIDERS)}")
        return v

    @field_validator("capabilities")
    @classmethod
    def _caps(cls, v: dict[str, int]) -> dict[str, int]:
        unknown = set(v) - set(TASKS)
        if unknown:
            raise ValueError(f"unknown task(s) {sorted(unknown)}; tasks are {', '.join(TASKS)}")
        missing = set(TASKS) - set(v)
        if missing:
            raise ValueError(f"missing score for task(s) {sorted(missing)}")
        for task, score in v.items():
            if not 1 <= score <= 5:
                raise ValueError(f"score for {task} must be 1..5, got {score}")
        return v

    @model_validator(mode="after")
    def _range(self) -> ModelSpec:
        if self.complexity_min > self.complexity_max:
            raise ValueError("complexity_min must not exceed complexity_max")
        return self

    @property
    def is_local(self) -> bool:
        return self.provider in LOCAL_PROVIDERS

    def supports(self, feature: Feature) -> bool:
        return feature in self.features

    def best_score(self) -> int:
        return max(self.capabilities.values())


class Registry:
    """An immutable set of models indexed by id and by provider/name."""

    __slots__ = ("_by_id", "_by_qualified", "models")

    def __init__(self, models: Iterable[ModelSpec]) -> None:
        self.models: tuple[ModelSpec, ...] = tuple(models)
        self._by_id: dict[str, ModelSpec] = {}
        self._by_qualified: dict[str, ModelSpec] = {}
        for m in self.models:
            if m.id in self._by_id:
                raise ValueError(f"duplicate model id {m.id!r}")
            self._by_id[m.id] = m
            self._by_qualified.setdefault(f"{m.provider}/{m.name}", m)
            self._by_qualified.setdefault(f"{m.provider}/{m.id}", m)

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self.models)

    def __len__(self) -> int:
        return len(self.models)

    def get(self, model_id: str) -> ModelSpec | None:
        return self._by_id.get(model_id)

    def __getitem__(self, model_id: str) -> ModelSpec:
        return self._by_id[model_id]

    def resolve(self, name: str) -> ModelSpec | None:
        """An exact registry id, or `provider/model` (provider's name or our id)."""
        return self._by_id.get(name) or self._by_qualified.get(name)

    def close_matches(self, name: str, n: int = 5) -> list[str]:
        pool = list(self._by_id) + list(self._by_qualified)
        return get_close_matches(name, pool, n=n, cutoff=0.5)

    def enabled(self) -> list[ModelSpec]:
        return [m for m in self.models if m.enabled]

    def replace(self, models: Iterable[ModelSpec]) -> Registry:
        return Registry(models)
