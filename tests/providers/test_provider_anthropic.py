"""Anthropic Messages adapter: system extraction, turn merging, tools, images, thinking, streams, SDK-shaped fakes."""

from __future__ import annotations

import json

import httpx
import pytest
from anthropic.types import Message as SDKMessage
from anthropic.types import RawMessageStreamEvent
from pydantic import TypeAdapter

from fakes import Answer, FakeAnthropic, FakeToolCall, FakeUsage, RecordedRequest
from routerdesk.core.types import (
    ChatRequest,
    ImagePart,
    Message,
    TextPart,
    Tool,
    ToolCall,
    ToolChoice,
)
from routerdesk.providers.anthropic import AnthropicAdapter, MessagesStreamDecoder, build_body
from routerdesk.providers.base import CallContext
from routerdesk.providers.sse import SSEParser

from .wiring import KEY, ask, assemble, collect, ctx, make_model

ARGS = '{"path": "src/app.py", "lines": [1, 20]}'
READ = Tool(
    "read_file", "Read a file", {"type": "object", "properties": {"path": {"type": "string"}}}
)


def history() -> list[Message]:
    return [
        Message("system", [TextPart("You are a coder.", cache_control={"type": "ephemeral"})]),
        Message("system", [TextPart("Be terse.")]),
        Message(
            "user", [TextPart("Look at this"), ImagePart(data="aGk=", media_type="image/jpeg")]
        ),
        Message("user", [ImagePart(url="https://x.test/shot.png")]),
        Message(
            "assistant",
            [TextPart("Reading.")],
            tool_calls=[
                ToolCall("toolu_1", "read_file", ARGS),
                ToolCall("toolu_2", "read_file", "{}"),
            ],
            reasoning="Need the file.",
            reasoning_signature="sig-abc",
        ),
        Message("tool", [TextPart("print('hi')")], tool_call_id="toolu_1"),
        Message("tool", [TextPart("not found")], tool_call_id="toolu_2", is_error=True),
        Message("user", [TextPart("Now fix it.")]),
    ]


async def test_wire_body_and_headers(
    fake_anthropic: FakeAnthropic, client: httpx.AsyncClient
) -> None:
    req = ChatRequest(
        messages=history(),
        tools=[READ],
        tool_choice=ToolChoice("required"),
        parallel_tool_calls=False,
        stop=["###"],
        temperature=0.3,
    )
    await AnthropicAdapter(client).complete(
        req, make_model("anthropic", "claude-test", max_output_tokens=64_000), ctx(fake_anthropic)
    )
    sent = fake_anthropic.last
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == KEY and sent.headers["anthropic-version"] == "2023-06-01"
    body = sent.json
    assert body["max_tokens"] == 8192, "default capped below the model's 64k"
    assert body["system"] == [
        {"type": "text", "text": "You are a coder.", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "Be terse."},
    ]
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["user", "assistant", "user"], (
        "same-role turns merged, tool results in a user turn"
    )
    user0 = body["messages"][0]["content"]
    assert user0[1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/jpeg", "data": "aGk="},
    }
    assert user0[2] == {
        "type": "image",
        "source": {"type": "url", "url": "https://x.test/shot.png"},
    }
    assistant = body["messages"][1]["content"]
    assert assistant[0] == {
        "type": "thinking",
        "thinking": "Need the file.",
        "signature": "sig-abc",
    }
    assert assistant[2] == {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "read_file",
        "input": json.loads(ARGS),
    }
    results = body["messages"][2]["content"]
    assert results[0] == {"type": "tool_result", "tool_use_id": "toolu_1", "content": "print('hi')"}
    assert results[1] == {
        "type": "tool_result",
        "tool_use_id": "toolu_2",
        "content": "not found",
        "is_error": True,
    }
    assert results[2] == {"type": "text", "text": "Now fix it."}
    assert body["tools"] == [
        {"name": "read_file", "description": "Read a file", "input_schema": READ.parameters}
    ]
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert body["stop_sequences"] == ["###"] and body["temperature"] == 0.3


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        (ToolChoice("auto"), {"type": "auto"}),
        (ToolChoice("none"), {"type": "none"}),
        (ToolChoice("required"), {"type": "any"}),
        (ToolChoice("tool", "read_file"), {"type": "tool", "name": "read_file"}),
    ],
)
def test_tool_choice(choice: ToolChoice, wire: dict) -> None:
    body = build_body(
        ask(tools=[READ], tool_choice=choice),
        make_model("anthropic", "c"),
        CallContext("http://x", None),
        stream=False,
    )
    assert body["tool_choice"] == wire


def test_max_tokens_clamped_to_model_limit_with_a_note() -> None:
    context = CallContext("http://x", None)
    body = build_body(
        ask(max_tokens=100_000),
        make_model("anthropic", "c", max_output_tokens=8192),
        context,
        stream=True,
    )
    assert body["max_tokens"] == 8192 and body["stream"] is True and context.notes


@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
async def test_round_trip(
    streaming: bool, fake_anthropic: FakeAnthropic, client: httpx.AsyncClient
) -> None:
    fake_anthropic.push(
        Answer(
            text="I'll read both.",
            reasoning="Two files.",
            reasoning_signature="sig-xyz",
            pieces=4,
            split_bytes=11,
            keepalive=True,
            tool_calls=[FakeToolCall("read_file", ARGS), FakeToolCall("list_dir", "{}")],
            usage=FakeUsage(input=1000, output=50, cached=800, cache_write=150),
        )
    )
    adapter = AnthropicAdapter(client)
    req = ChatRequest(messages=history(), tools=[READ], stream=streaming)
    model = make_model("anthropic", "claude-test")
    if streaming:
        resp = assemble(await collect(adapter.stream(req, model, ctx(fake_anthropic))))
    else:
        resp = await adapter.complete(req, model, ctx(fake_anthropic))
    assert resp.content == "I'll read both."
    assert (resp.reasoning, resp.reasoning_signature) == ("Two files.", "sig-xyz")
    assert [(c.name, json.loads(c.arguments)) for c in resp.tool_calls] == [
        ("read_file", json.loads(ARGS)),
        ("list_dir", {}),
    ]
    assert resp.finish_reason == "tool_calls"
    u = resp.usage
    assert (u.input_tokens, u.cached_input_tokens, u.cache_write_tokens, u.output_tokens) == (
        1000,
        800,
        150,
        50,
    )


@pytest.mark.parametrize(
    ("native", "mapped"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
    ],
)
@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
async def test_stop_reasons_map(
    native: str,
    mapped: str,
    streaming: bool,
    fake_anthropic: FakeAnthropic,
    client: httpx.AsyncClient,
) -> None:
    fake_anthropic.push(Answer(finish=native))
    adapter = AnthropicAdapter(client)
    model = make_model("anthropic", "claude-test")
    if streaming:
        resp = assemble(await collect(adapter.stream(ask(), model, ctx(fake_anthropic))))
    else:
        resp = await adapter.complete(ask(), model, ctx(fake_anthropic))
    assert resp.finish_reason == mapped


def test_tool_name_arrives_on_first_delta_and_no_arg_tools_get_braces() -> None:
    dec = MessagesStreamDecoder("anthropic")
    events = dec.feed(
        b'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":5,"output_tokens":1}}}\n\n'
        b'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t1","name":"now","input":{}}}\n\n'
        b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
        b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}\n\n'
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )
    events += dec.close()
    resp = assemble(events)
    assert resp.tool_calls == [ToolCall("t1", "now", "{}")]
    assert resp.usage.output_tokens == 9 and resp.usage.input_tokens == 5


def test_fake_speaks_the_sdk_types() -> None:
    fake = FakeAnthropic()
    req = RecordedRequest("POST", "/v1/messages", {}, {}, {"model": "claude-x", "stream": True})
    answer = Answer(
        reasoning="hm",
        reasoning_signature="s",
        tool_calls=[FakeToolCall("f", '{"a": 1}')],
        keepalive=True,
    )
    SDKMessage.model_validate(fake.render_json(answer, req))
    adapter = TypeAdapter(RawMessageStreamEvent)
    parser = SSEParser()
    kinds = []
    for chunk in fake.render_events(answer, req):
        for ev in parser.feed(chunk):
            if ev.event == "ping":
                continue
            parsed = adapter.validate_python(json.loads(ev.data))
            assert parsed.type == ev.event
            kinds.append(parsed.type)
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
