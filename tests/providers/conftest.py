"""Fixtures for adapter tests: fake upstreams, one shared httpx client, model specs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from fakes.fixtures import fake_anthropic, fake_gemini, fake_openai  # noqa: F401
from routerdesk.core.registry import ModelSpec, Prices
from routerdesk.core.settings import Timeouts
from routerdesk.core.types import TASKS
from routerdesk.providers.http import build_client

FAST = Timeouts(connect=2.0, first_byte=2.0, idle=2.0, total=10.0)


def make_model(provider: str, name: str, model_id: str | None = None, **kw: Any) -> ModelSpec:
    return ModelSpec(
        id=model_id or f"{provider}-{name}",
        provider=provider,
        name=name,
        prices=Prices(input=1.0, output=2.0),
        context_window=128_000,
        max_output_tokens=kw.pop("max_output_tokens", 16_384),
        features=kw.pop("features", frozenset({"streaming", "tools", "vision", "json"})),
        capabilities={t: 3 for t in TASKS},
        **kw,
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with build_client() as c:
        yield c
