"""The offline demo provider: answers for every registry model without network or keys.

Answers are deterministic functions of the prompt, so the same question gets
the same answer; when tools are offered and the prompt asks for one (or
`tool_choice` demands it) the answer is a tool call with arguments built from
the tool's JSON schema, so tool flows can be tried end to end. Latency scales
with the model's price (a stand-in for size), 50–400 ms at `latency_scale=1`;
tests and benchmarks pass 0. Every answer is marked: the model name carries
`DEMO_SUFFIX` and the text starts with ``[demo]``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from routerdesk.core.classify import strip_plumbing
from routerdesk.core.registry import ModelSpec
from routerdesk.core.tokens import estimate_prompt_tokens
from routerdesk.core.types import (
    ChatRequest,
    ChatResponse,
    FinishEvent,
    FinishReason,
    Message,
    StreamEvent,
    TextDelta,
    Tool,
    ToolCall,
    ToolCallDelta,
    Usage,
    UsageEvent,
)
from routerdesk.providers.base import CallContext, ProviderAdapter

DEMO_SUFFIX = "-demo"
# Claude Code puts several <system-reminder> blocks before the prompt; remove them all.
_PLUMBING_LIMIT = 64
_TOOL_WORDS = ("call", "use the", "tool", "look up", "lookup", "fetch", "search", "weather", "run ")
_FILLER = (
    "Routing picked this model because it is the cheapest one rated capable for the task.",
    "In a real setup the provider would answer here; the demo keeps everything offline.",
    "Try a harder prompt, a code question or an image to see routing change models.",
    "Savings are computed against the baseline model with the same token counts.",
)


def demo_latency_s(model: ModelSpec, scale: float) -> float:
    """50–400 ms at scale 1, growing with the model's output price."""
    if scale <= 0:
        return 0.0
    ms = 50.0 + min(350.0, model.prices.output * 6.0)
    return ms * scale / 1000.0


def _tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4)


def _wants_tool(req: ChatRequest, last: Message | None) -> Tool | None:
    if not req.tools or last is None or last.role != "user":
        return None
    choice = req.tool_choice
    if choice is not None:
        if choice.mode == "none":
            return None
        if choice.mode == "tool":
            return next((t for t in req.tools if t.name == choice.name), req.tools[0])
        if choice.mode == "required":
            return req.tools[0]
    text = strip_plumbing(last.text(), _PLUMBING_LIMIT).lower()
    for t in req.tools:
        if t.name.lower() in text:
            return t
    if any(w in text for w in _TOOL_WORDS):
        return req.tools[0]
    return None


def _example(schema: dict[str, Any], name: str, prompt_words: list[str]) -> Any:
    kind = schema.get("type")
    if schema.get("enum"):
        return schema["enum"][0]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if kind == "array":
        return [_example(schema.get("items") or {"type": "string"}, name, prompt_words)]
    if kind == "object":
        props = schema.get("properties") or {}
        required = schema.get("required")
        if isinstance(required, list) and required:
            # Like a real model: the required arguments only (agent tools such as Claude
            # Code's Read reject made-up values for their optional ones).
            props = {k: v for k, v in props.items() if k in required}
        return {
            k: _example(v if isinstance(v, dict) else {}, k, prompt_words) for k, v in props.items()
        }
    # strings: a path from the prompt for a path-like argument, else the last long word
    candidates = [w.strip(".,!?:;'\"") for w in prompt_words if len(w) > 3]
    if "path" in name.lower() or "file" in name.lower():
        paths = [w for w in candidates if "/" in w]
        if paths:
            return paths[-1]
    return candidates[-1] if candidates else name


class DemoAdapter(ProviderAdapter):
    """Serves any `ModelSpec` offline. The httpx client is accepted for symmetry and never used."""

    def __init__(
        self, client: httpx.AsyncClient | None = None, *, latency_scale: float = 1.0
    ) -> None:
        self.client = client  # type: ignore[assignment]
        self.latency_scale = latency_scale

    def _answer(self, req: ChatRequest, model: ModelSpec) -> ChatResponse:
        # Claude Code ends a conversation with a system turn (its agent list) and wraps
        # context in <system-reminder> blocks: answer the last user/tool turn, its own words.
        last = next((m for m in reversed(req.messages) if m.role != "system"), None)
        prompt = strip_plumbing(req.last_user_text(), _PLUMBING_LIMIT).strip()
        digest = hashlib.sha256(f"{model.id}\n{prompt}".encode()).digest()
        rid = "chatcmpl-demo" + digest[:8].hex()
        tool = _wants_tool(req, last)
        if tool is not None:
            args = _example(tool.parameters, tool.name, prompt.split())
            call = ToolCall(
                id="call_demo" + digest[8:14].hex(), name=tool.name, arguments=json.dumps(args)
            )
            text = None
            finish: FinishReason = "tool_calls"
            out = _tokens(call.arguments) + 8
            calls = [call]
        else:
            if last is not None and last.role == "tool":
                body = f"The tool returned: {last.text()[:200]}"
            else:
                topic = " ".join(prompt.split()[:12]) or "your request"
                body = f"You asked about: {topic}. {_FILLER[digest[0] % len(_FILLER)]}"
            text = f"[demo] {model.id} answering. {body}"
            rf = req.response_format
            if rf is not None and rf.schema:
                # an object that fits the schema (Claude Code parses its session title so)
                text = json.dumps(_example(rf.schema, rf.name or "answer", prompt.split()))
            elif req.needs_json():
                text = json.dumps({"demo": True, "model": model.id, "answer": body})
            if req.max_tokens is not None and _tokens(text) > req.max_tokens:
                text = text[: max(1, req.max_tokens * 4)]
                finish = "length"
            else:
                finish = "stop"
            out = _tokens(text)
            calls = []
        return ChatResponse(
            id=rid,
            model=model.name + DEMO_SUFFIX,
            content=text,
            tool_calls=calls,
            finish_reason=finish,
            usage=Usage(input_tokens=estimate_prompt_tokens(req), output_tokens=out),
            created=int(time.time()),
        )

    async def check(self, provider: str, ctx: CallContext) -> str:
        return "the offline demo provider answers (no network, nothing spent)"

    async def complete(self, req: ChatRequest, model: ModelSpec, ctx: CallContext) -> ChatResponse:
        delay = demo_latency_s(model, self.latency_scale)
        if delay:
            await asyncio.sleep(delay)
        return self._answer(req, model)

    async def stream(
        self, req: ChatRequest, model: ModelSpec, ctx: CallContext
    ) -> AsyncIterator[StreamEvent]:
        delay = demo_latency_s(model, self.latency_scale)
        resp = self._answer(req, model)
        if delay:
            await asyncio.sleep(delay * 0.6)  # time to first token
        if resp.tool_calls:
            for i, call in enumerate(resp.tool_calls):
                yield ToolCallDelta(index=i, id=call.id, name=call.name)
                args = call.arguments
                for j in range(0, len(args), 16):
                    yield ToolCallDelta(index=i, arguments=args[j : j + 16])
        else:
            words = (resp.content or "").split(" ")
            step = delay * 0.4 / max(1, len(words) // 4)
            for j in range(0, len(words), 4):
                chunk = " ".join(words[j : j + 4])
                yield TextDelta(chunk if j == 0 else " " + chunk)
                if step:
                    await asyncio.sleep(step)
        yield FinishEvent(resp.finish_reason)
        yield UsageEvent(resp.usage)
