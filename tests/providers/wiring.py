"""Test wiring shared by the provider tests: one entry per wire format (fake, adapter, model)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fakes import FakeAnthropic, FakeGemini, FakeOpenAI, FakeUpstream
from routerdesk.core.registry import ModelSpec, Prices
from routerdesk.core.settings import Timeouts
from routerdesk.core.types import (
    TASKS,
    ChatRequest,
    ChatResponse,
    FinishEvent,
    Message,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    UsageEvent,
)
from routerdesk.providers.anthropic import AnthropicAdapter
from routerdesk.providers.base import CallContext, ProviderAdapter
from routerdesk.providers.gemini import GeminiAdapter
from routerdesk.providers.openai_compat import OpenAICompatAdapter

FAST = Timeouts(connect=2.0, first_byte=2.0, idle=2.0, total=10.0)
KEY = "sk-test-SECRET-0123456789abcdef"


def make_model(provider: str, name: str, model_id: str | None = None, **kw: Any) -> ModelSpec:
    return ModelSpec(
        id=model_id or f"{provider}-{name}",
        provider=provider,
        name=name,
        prices=Prices(input=1.0, output=2.0),
        context_window=128_000,
        max_output_tokens=kw.pop("max_output_tokens", 16_384),
        features=kw.pop("features", frozenset({"streaming", "tools", "vision", "json"})),
        capabilities=dict.fromkeys(TASKS, 3),
        **kw,
    )


@dataclass(frozen=True)
class Wire:
    name: str
    fake: type[FakeUpstream]
    adapter: type[ProviderAdapter]
    provider: str
    model_name: str

    def model(self, **kw: Any) -> ModelSpec:
        return make_model(self.provider, self.model_name, **kw)


WIRES = [
    Wire("openai", FakeOpenAI, OpenAICompatAdapter, "openai", "gpt-test"),
    Wire("anthropic", FakeAnthropic, AnthropicAdapter, "anthropic", "claude-test"),
    Wire("gemini", FakeGemini, GeminiAdapter, "google", "gemini-test"),
]
WIRE_IDS = [w.name for w in WIRES]


def ctx(fake: FakeUpstream, timeouts: Timeouts = FAST, key: str | None = KEY) -> CallContext:
    return CallContext(base_url=fake.base_url, key=key, timeouts=timeouts)


def ask(text: str = "Say hello.", **kw: Any) -> ChatRequest:
    return ChatRequest(messages=[Message("user", [TextPart(text)])], **kw)


async def collect(events: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [e async for e in events]


def assemble(events: list[StreamEvent]) -> ChatResponse:
    """Fold a stream into a ChatResponse, the way a client would."""
    resp = ChatResponse(id="", model="")
    calls: dict[int, ToolCall] = {}
    text: list[str] = []
    reasoning: list[str] = []
    for ev in events:
        if isinstance(ev, TextDelta):
            text.append(ev.text)
        elif isinstance(ev, ReasoningDelta):
            reasoning.append(ev.text)
            resp.reasoning_signature = ev.signature or resp.reasoning_signature
        elif isinstance(ev, ToolCallDelta):
            if ev.index not in calls:
                assert ev.id and ev.name, "the first delta of a call carries id and name"
                calls[ev.index] = ToolCall(ev.id, ev.name, "")
            else:
                assert ev.id is None and ev.name is None
            calls[ev.index].arguments += ev.arguments
        elif isinstance(ev, FinishEvent):
            resp.finish_reason = ev.reason
        elif isinstance(ev, UsageEvent):
            resp.usage = ev.usage
    assert isinstance(events[-1], FinishEvent | UsageEvent) and isinstance(
        events[-2], FinishEvent | UsageEvent
    )
    resp.content = "".join(text) or None
    resp.reasoning = "".join(reasoning) or None
    resp.tool_calls = list(calls.values())
    return resp
