"""Translation cost of the provider adapters, in microseconds (medians), without any network.

Per request: ChatRequest -> wire body (JSON bytes) for each adapter, and wire
JSON bytes -> ChatResponse. Per stream chunk: SSE bytes -> internal events.

    .venv/bin/python benchmarks/bench_adapters.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakes import Answer, FakeAnthropic, FakeGemini, FakeOpenAI, FakeToolCall, RecordedRequest
from routerdesk.core.registry import ModelSpec, Prices
from routerdesk.core.types import TASKS, ChatRequest, ImagePart, Message, TextPart, Tool, ToolCall
from routerdesk.providers import anthropic, gemini, openai_compat
from routerdesk.providers.base import CallContext
from routerdesk.providers.wire import dump_json


def model(provider: str, name: str) -> ModelSpec:
    return ModelSpec(
        id=name,
        provider=provider,
        name=name,
        prices=Prices(input=1, output=2),
        context_window=200_000,
        max_output_tokens=16_384,
        capabilities=dict.fromkeys(TASKS, 3),
        features=frozenset({"streaming", "tools", "vision", "json", "reasoning"}),
    )


SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "$defs": {
        "Range": {
            "type": "object",
            "properties": {"start": {"type": "integer"}, "end": {"type": ["integer", "null"]}},
        }
    },
    "properties": {
        "path": {"type": "string", "description": "File path"},
        "range": {"$ref": "#/$defs/Range"},
        "mode": {"enum": ["read", "write"], "default": "read"},
    },
    "required": ["path"],
}


def coding_request() -> ChatRequest:
    """A typical agent turn: system prompt, 12 turns of history with tool calls, 8 tools, one image."""
    msgs = [
        Message(
            "system",
            [
                TextPart(
                    "You are a careful coding agent. " * 40, cache_control={"type": "ephemeral"}
                )
            ],
        )
    ]
    for i in range(6):
        msgs.append(
            Message(
                "user", [TextPart(f"Step {i}: please look at module {i} and fix the bug. " * 5)]
            )
        )
        msgs.append(
            Message(
                "assistant",
                [TextPart("Reading it.")],
                tool_calls=[
                    ToolCall(f"call_{i}", "read_file", json.dumps({"path": f"src/m{i}.py"}))
                ],
            )
        )
        msgs.append(
            Message("tool", [TextPart("def f():\n    return 1\n" * 30)], tool_call_id=f"call_{i}")
        )
    msgs.append(
        Message(
            "user",
            [
                TextPart("And this screenshot?"),
                ImagePart(data="iVBORw0KGgo" * 200, media_type="image/png"),
            ],
        )
    )
    tools = [Tool(f"tool_{i}" if i else "read_file", "Does a thing " * 5, SCHEMA) for i in range(8)]
    return ChatRequest(messages=msgs, tools=tools, max_tokens=4096, temperature=0.2)


def median_us(fn: Callable[[], object], *, rounds: int = 7, min_time: float = 0.05) -> float:
    n = 1
    while True:  # calibrate so one round takes >= min_time
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t0 >= min_time:
            break
        n *= 2
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(samples)


DECODERS: dict[str, Any] = {
    "openai": openai_compat.ChatCompletionsDecoder,
    "anthropic": anthropic.MessagesStreamDecoder,
    "gemini": gemini.GenerateContentDecoder,
}


def bench_wire(name: str, module: Any, spec: ModelSpec, fake: Any, path: str) -> str:
    req = coding_request()
    answer = Answer(
        text="Here is the fix. " * 20,
        tool_calls=[FakeToolCall("read_file", '{"path": "src/m1.py"}')],
        pieces=40,
    )
    encode_us = median_us(
        lambda: dump_json(
            module.build_body(req, spec, CallContext("http://bench", "k"), stream=True)
        )
    )
    body_kb = (
        len(dump_json(module.build_body(req, spec, CallContext("b", "k"), stream=True))) / 1024
    )
    rec = RecordedRequest(
        "POST", path, {"alt": "sse"}, {},
        {"model": spec.name, "stream": True, "stream_options": {"include_usage": True}},
    )  # fmt: skip
    raw_json = json.dumps(fake.render_json(answer, rec)).encode()
    decode_us = median_us(lambda: module.parse_response(json.loads(raw_json), spec.provider))
    events = fake.render_events(answer, rec)
    decoder_cls = DECODERS[name]

    def run_stream() -> None:
        dec = decoder_cls(spec.provider)
        for chunk in events:
            dec.feed(chunk)
        dec.close()

    per_chunk_us = median_us(run_stream) / len(events)
    return (
        f"{name:<10} {encode_us:>14.1f} {decode_us:>15.1f} {per_chunk_us:>18.2f}"
        f"   (body {body_kb:.0f} KiB, {len(events)} chunks)"
    )


def main() -> None:
    wires = [
        ("openai", openai_compat, model("openai", "gpt-x"), FakeOpenAI(), "/v1/chat/completions"),
        ("anthropic", anthropic, model("anthropic", "claude-x"), FakeAnthropic(), "/v1/messages"),
        ("gemini", gemini, model("google", "gemini-x"), FakeGemini(),
         "/v1beta/models/gemini-x:streamGenerateContent"),
    ]  # fmt: skip
    print(
        f"{'adapter':<10} {'request->body':>14} {'json->response':>15} {'sse chunk->events':>18}   (µs, median)"
    )
    for wire in wires:
        print(bench_wire(*wire))


if __name__ == "__main__":
    main()
