"""A real routerdesk server on 127.0.0.1 (random port) in front of fake OpenAI and Anthropic upstreams."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from fakes import FakeAnthropic, FakeOpenAI
from routerdesk.core.registry import ModelSpec, Prices, Registry
from routerdesk.core.settings import ProviderSettings, Settings, Timeouts
from routerdesk.core.types import TASKS
from routerdesk.runtime import Runtime
from storage.memory_keyring import MemoryKeyring, memory_keyring  # noqa: F401

TOKEN = "rd-test-token-0123456789"
OPENAI_KEY = "sk-test-openai-SECRETKEY-0123456789"
ANTHROPIC_KEY = "sk-ant-test-SECRETKEY-9876543210"
FAST = Timeouts(connect=2.0, first_byte=3.0, idle=3.0, total=10.0)


def model(
    model_id: str, provider: str, name: str, inp: float, out: float, score: int, *extra: str
) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        provider=provider,
        name=name,
        prices=Prices(input=inp, output=out),
        context_window=128_000,
        max_output_tokens=16_000,
        features=frozenset({"streaming", "tools", "vision", "json", *extra}),
        capabilities={t: score for t in TASKS},
    )


def test_registry() -> Registry:
    # auto:cheapest -> oa-mini, fallbacks an-mini (other provider first), then oa-big
    return Registry(
        [
            model("oa-mini", "openai", "gpt-mini", 0.1, 0.4, 3),
            model("an-mini", "anthropic", "claude-mini", 0.2, 0.8, 3, "reasoning"),
            model("oa-big", "openai", "gpt-big", 5.0, 20.0, 5),
        ]
    )


@dataclass
class Served:
    runtime: Runtime
    url: str
    openai: FakeOpenAI
    anthropic: FakeAnthropic

    @property
    def v1(self) -> str:
        return self.url + "/v1"

    def http(self, **kw: Any) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {TOKEN}", **kw.pop("headers", {})}
        kw.setdefault("timeout", 10.0)
        return httpx.AsyncClient(base_url=self.url, headers=headers, **kw)

    def row(self, request_id: str) -> dict[str, Any]:
        usage = self.runtime.usage
        assert usage is not None
        usage.flush()
        found = usage.get(request_id)
        assert found is not None, f"no usage row for {request_id}"
        return found


def make_settings(openai_url: str, anthropic_url: str, **server: Any) -> Settings:
    s = Settings()
    s.routing.strategy = "cheapest"
    s.routing.l2.enabled = False
    s.routing.pinning = False
    s.providers = {
        "openai": ProviderSettings(base_url=openai_url, timeouts=FAST),
        "anthropic": ProviderSettings(base_url=anthropic_url, timeouts=FAST),
    }
    for k, v in server.items():
        setattr(s.server, k, v)
    return s


@pytest.fixture
async def served(
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> AsyncIterator[Served]:
    monkeypatch.setenv("ROUTERDESK_TOKEN", TOKEN)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    async with FakeOpenAI() as oa, FakeAnthropic() as an:
        settings = make_settings(oa.base_url, an.base_url, max_body_mb=1.0)
        rt = Runtime(settings=settings, registry=test_registry())
        url = await rt.start("127.0.0.1", 0)
        try:
            yield Served(rt, url, oa, an)
        finally:
            await rt.stop()
