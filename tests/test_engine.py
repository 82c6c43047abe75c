"""The engine without HTTP: decisions, events, registry/settings swaps, pause, health, stream endings, demo,
and the free connection test (against a fake upstream)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from routerdesk.core import events as ev
from routerdesk.core.classify import L1Classifier
from routerdesk.core.errors import UpstreamServerError
from routerdesk.core.events import EventBus
from routerdesk.core.registry import ModelSpec, Prices, Registry
from routerdesk.core.settings import Settings
from routerdesk.core.types import (
    TASKS,
    ChatRequest,
    ChatResponse,
    FinishEvent,
    Message,
    StreamEvent,
    TextDelta,
    TextPart,
    Tool,
    Usage,
    UsageEvent,
    UsageRecord,
)
from routerdesk.engine import Engine
from routerdesk.providers.base import CallContext, ProviderAdapter
from routerdesk.providers.demo import DemoAdapter


def spec(model_id: str, provider: str, price: float, score: int) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        provider=provider,
        name=model_id + "-api",
        prices=Prices(input=price, output=price * 4),
        context_window=100_000,
        max_output_tokens=8_000,
        features=frozenset({"streaming", "tools", "json", "vision"}),
        capabilities={t: score for t in TASKS},
    )


REGISTRY = Registry(
    [
        spec("cheap", "openai", 0.1, 3),
        spec("mid", "anthropic", 1.0, 4),
        spec("top", "google", 10.0, 5),
    ]
)


class Keys:
    def __init__(self, *providers: str) -> None:
        self.have = set(providers)

    def key(self, provider: str) -> str | None:
        return f"key-{provider}" if provider in self.have else None

    def secrets(self) -> list[str]:
        return [f"key-{p}" for p in self.have]


class Sink:
    def __init__(self) -> None:
        self.records: list[UsageRecord] = []

    def submit(self, record: UsageRecord) -> None:
        self.records.append(record)


class Scripted(ProviderAdapter):
    """Fails for providers in `failing`, answers otherwise; streams `words` then can fail mid-way."""

    def __init__(self, failing: set[str] | None = None, fail_mid_stream: bool = False) -> None:
        self.failing = failing or set()
        self.fail_mid_stream = fail_mid_stream
        self.calls: list[str] = []
        self.closed = 0

    async def complete(self, req: ChatRequest, model: ModelSpec, ctx: CallContext) -> ChatResponse:
        self.calls.append(model.id)
        if model.provider in self.failing:
            raise UpstreamServerError("down", provider=model.provider, status=503)
        return ChatResponse(id="x", model=model.name, content="ok", usage=Usage(1000, 100))

    async def stream(
        self, req: ChatRequest, model: ModelSpec, ctx: CallContext
    ) -> AsyncIterator[StreamEvent]:
        self.calls.append(model.id)
        if model.provider in self.failing:
            raise UpstreamServerError("down", provider=model.provider, status=503)
        try:
            yield TextDelta("a")
            yield TextDelta("b")
            if self.fail_mid_stream:
                raise UpstreamServerError("cut", provider=model.provider)
            yield FinishEvent("stop")
            yield UsageEvent(Usage(10, 2))
        finally:
            self.closed += 1


def make(
    adapter: ProviderAdapter | None = None, keys: Keys | None = None, **kw: Any
) -> tuple[Engine, EventBus, Sink]:
    events, sink = EventBus(), Sink()
    settings = Settings()
    settings.routing.strategy = "cheapest"
    adapter = adapter or Scripted()
    engine = Engine(
        settings,
        REGISTRY,
        adapters={p: adapter for p in ("openai", "anthropic", "google")},
        keys=keys or Keys("openai", "anthropic", "google"),
        events=events,
        classifier=L1Classifier(),
        usage_sink=sink,
        **kw,
    )
    return engine, events, sink


def req(text: str = "What is 2+2?", **kw: Any) -> ChatRequest:
    return ChatRequest(messages=[Message("user", [TextPart(text)])], **kw)


def collect(events: EventBus, *names: str) -> list[tuple[str, tuple[Any, ...]]]:
    seen: list[tuple[str, tuple[Any, ...]]] = []
    for name in names:
        events.subscribe(name, lambda *a, n=name: seen.append((n, a)))
    return seen


def test_decide_spends_nothing() -> None:
    adapter = Scripted()
    engine, events, sink = make(adapter)
    seen = collect(events, ev.REQUEST_STARTED, ev.REQUEST_FINISHED)
    classification, decision = engine.decide(req())
    assert decision.primary == "cheap" and decision.fallbacks[0] == "mid"
    assert classification.task in TASKS
    assert adapter.calls == [] and sink.records == [] and seen == []


async def test_complete_records_and_publishes() -> None:
    engine, events, sink = make()
    seen = collect(events, ev.REQUEST_STARTED, ev.REQUEST_FINISHED)
    resp, rec = await engine.complete(req())
    assert resp.content == "ok" and rec.model_id == "cheap" and rec.status == "ok"
    assert rec.cost == pytest.approx(1000 * 0.1e-6 + 100 * 0.4e-6)
    assert rec.baseline_cost == pytest.approx(
        1000 * 10e-6 + 100 * 40e-6
    )  # "top" is the most capable
    assert rec.overhead_ms > 0 and rec.latency_ms >= rec.overhead_ms
    assert [n for n, _ in seen] == [ev.REQUEST_STARTED, ev.REQUEST_FINISHED]
    assert seen[0][1] == (rec.request_id, "auto") and seen[1][1][0] is rec
    assert sink.records == []  # queued for the usage log only after the caller got its answer
    await asyncio.sleep(0)
    assert sink.records == [rec]


async def test_fallback_and_health_events() -> None:
    adapter = Scripted(failing={"openai"})
    engine, events, _ = make(adapter)
    health = collect(events, ev.PROVIDER_HEALTH_CHANGED)
    _, rec = await engine.complete(req())
    assert rec.model_id == "mid" and [h.model_id for h in rec.hops] == ["cheap"]
    assert health and health[0][1][0] == "openai"
    assert engine.health["openai"].last_error == "down"


async def test_set_registry_takes_effect_at_once() -> None:
    engine, events, _ = make()
    seen = collect(events, ev.REGISTRY_CHANGED, ev.SETTINGS_CHANGED)
    smaller = Registry([m for m in REGISTRY if m.id != "cheap"])
    engine.set_registry(smaller)
    assert engine.decide(req())[1].primary == "mid"
    settings = engine.settings.model_copy(deep=True)
    settings.routing.strategy = "best"
    engine.set_settings(settings)
    assert engine.decide(req())[1].primary == "top"
    assert [n for n, _ in seen] == [ev.REGISTRY_CHANGED, ev.SETTINGS_CHANGED]


async def test_paused_routes_auto_to_baseline() -> None:
    engine, _, _ = make()
    engine.set_paused(True)
    _, decision = engine.decide(req())
    assert decision.primary == "top" and any("paused" in n for n in decision.notes)
    assert engine.decide(req(model="cheap"))[1].primary == "cheap"  # named models pass through


def test_usable_providers() -> None:
    engine, _, _ = make(keys=Keys("openai"))
    assert engine.usable_providers() == ["openai"]
    settings = engine.settings.model_copy(deep=True)
    settings.providers["openai"] = settings.provider("openai").model_copy(update={"enabled": False})
    engine.set_settings(settings)
    assert engine.usable_providers() == []


async def test_stream_ok_cancel_and_mid_failure() -> None:
    adapter = Scripted()
    engine, _, sink = make(adapter)
    handle = await engine.stream(req(stream=True))
    assert handle.info.model_id == "cheap" and handle.info.decision.strategy == "cheapest"
    got = [e async for e in handle]
    await asyncio.sleep(0)
    assert [type(e).__name__ for e in got] == [
        "TextDelta",
        "TextDelta",
        "FinishEvent",
        "UsageEvent",
    ]
    assert sink.records[-1].status == "ok" and sink.records[-1].usage.output_tokens == 2

    handle = await engine.stream(req(stream=True))
    await handle.aclose(cancelled=True)
    await asyncio.sleep(0)
    assert sink.records[-1].status == "cancelled" and adapter.closed == 2

    failing, _, sink2 = make(Scripted(fail_mid_stream=True))
    handle = await failing.stream(req(stream=True))
    with pytest.raises(UpstreamServerError):
        async for _ in handle:
            pass
    await asyncio.sleep(0)
    assert sink2.records[-1].status == "error" and sink2.records[-1].error == "cut"


async def test_demo_answers_offline_with_tool_calls() -> None:
    engine, _, sink = make(keys=Keys(), demo=True, demo_adapter=DemoAdapter(latency_scale=0))
    tool = Tool(
        "get_weather", "weather", {"type": "object", "properties": {"city": {"type": "string"}}}
    )
    resp, rec = await engine.complete(req("Use the tool to get the weather in Paris", tools=[tool]))
    assert resp.tool_calls and resp.tool_calls[0].name == "get_weather"
    assert json.loads(resp.tool_calls[0].arguments) == {"city": "Paris"}
    # simulated cost at the model's list price; budgets don't count it
    assert rec.demo and 0 < rec.cost <= rec.baseline_cost
    assert engine.spend.totals().today == 0.0
    resp2, _ = await engine.complete(req("Use the tool to get the weather in Paris", tools=[tool]))
    assert resp2.tool_calls[0].arguments == resp.tool_calls[0].arguments  # deterministic
    plain, _ = await engine.complete(req("Tell me about rivers"))
    await asyncio.sleep(0)
    assert plain.content and plain.content.startswith("[demo]") and plain.model.endswith("-demo")
    assert all(r.demo for r in sink.records)


class L2Spy:
    """An L2 stand-in that always wants to look and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def wants(self, l1: Any) -> bool:
        return True

    async def classify(self, req: ChatRequest, l1: Any, **kw: Any) -> Any:
        self.calls += 1
        return l1


async def test_set_demo_makes_the_adapter_refreshes_usable_and_skips_l2() -> None:
    spy = L2Spy()
    engine, _, _sink = make(keys=Keys(), l2=spy)
    assert engine.usable_providers() == [] and engine.demo_adapter is None
    engine.set_demo(True, latency_scale=0)
    assert isinstance(engine.demo_adapter, DemoAdapter) and engine.demo
    assert engine.usable_providers() == ["openai", "anthropic", "google"]
    resp, rec = await engine.complete(req())
    assert resp.model.endswith("-demo") and rec.demo and rec.cost > 0
    assert spy.calls == 0  # the demo provider never classifies
    adapter = engine.demo_adapter
    engine.set_demo(False)
    assert engine.usable_providers() == [] and engine.demo_adapter is adapter
    engine.set_demo(True)
    assert engine.demo_adapter is adapter  # made once


async def test_l2_runs_again_once_demo_is_off() -> None:
    spy = L2Spy()
    engine, _, _ = make(l2=spy, demo=True, demo_adapter=DemoAdapter(latency_scale=0))
    await engine.complete(req())
    assert spy.calls == 0
    engine.set_demo(False)
    await engine.complete(req())
    assert spy.calls == 1


async def test_connection_test_lists_models_and_updates_health() -> None:
    from fakes import FakeOpenAI, Fault
    from routerdesk.core.errors import UpstreamAuthError
    from routerdesk.providers.http import build_client
    from routerdesk.providers.openai_compat import OpenAICompatAdapter

    async with FakeOpenAI() as fake_openai, build_client() as client:
        settings = Settings()
        settings.providers["openai"] = settings.provider("openai").model_copy(
            update={"base_url": fake_openai.base_url}
        )
        events = EventBus()
        engine = Engine(
            settings,
            REGISTRY,
            adapters={"openai": OpenAICompatAdapter(client)},
            keys=Keys("openai"),
            events=events,
            classifier=L1Classifier(),
        )
        seen = collect(events, ev.PROVIDER_HEALTH_CHANGED)
        fake_openai.push(Fault(status=401, message="bad key"))
        with pytest.raises(UpstreamAuthError):
            await engine.test_connection("openai")
        assert engine.health["openai"].key_rejected
        assert "openai" not in engine.usable_providers()
        assert seen and seen[-1][1][0] == "openai" and seen[-1][1][1].key_rejected
        summary = await engine.test_connection("openai")
        assert "accepted the key" in summary and "2 models" in summary
        assert not engine.health["openai"].key_rejected
        assert "openai" in engine.usable_providers()
        assert not seen[-1][1][1].key_rejected
        n = len(seen)
        await engine.test_connection("openai")  # nothing changed: still published once
        assert len(seen) == n + 1
        assert all(r.method == "GET" and r.path == "/v1/models" for r in fake_openai.requests)
        assert fake_openai.requests[0].headers["authorization"] == "Bearer key-openai"
