"""The official anthropic SDK against the real server (Claude Code's ANTHROPIC_BASE_URL path)."""

from __future__ import annotations

import anthropic
import pytest
from anthropic.types import Message, RawMessageStreamEvent

from fakes import Answer, FakeToolCall, FakeUsage, Fault

from .conftest import TOKEN, Served

TOOL = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def client(s: Served) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=s.url, api_key=TOKEN, max_retries=0)


async def test_message(served: Served) -> None:
    served.openai.push(Answer(text="Bonjour!", usage=FakeUsage(input=30, output=4, cached=10)))
    raw = await client(served).messages.with_raw_response.create(
        model="auto",
        max_tokens=100,
        system="Answer in French.",
        messages=[{"role": "user", "content": "Say hello"}],
    )
    msg = await raw.parse()
    assert isinstance(msg, Message)
    assert msg.content[0].type == "text" and msg.content[0].text == "Bonjour!"
    assert msg.stop_reason == "end_turn"
    assert msg.model == "gpt-mini"
    assert msg.usage.input_tokens == 20 and msg.usage.cache_read_input_tokens == 10
    assert raw.headers["x-routerdesk-model"] == "oa-mini"
    sent = served.openai.last.json
    assert sent["messages"][0] == {"role": "system", "content": "Answer in French."}


async def test_answered_by_anthropic_upstream(served: Served) -> None:
    msg = await client(served).messages.create(
        model="an-mini", max_tokens=50, messages=[{"role": "user", "content": "hi"}]
    )
    assert msg.model == "claude-mini"
    assert served.anthropic.last.headers["x-api-key"] == "sk-ant-test-SECRETKEY-9876543210"


async def test_stream_events(served: Served) -> None:
    served.openai.push(Answer(text="one two three", pieces=3, usage=FakeUsage(input=11, output=3)))
    events: list[RawMessageStreamEvent] = []
    async with client(served).messages.stream(
        model="auto", max_tokens=100, messages=[{"role": "user", "content": "count"}]
    ) as stream:
        async for event in stream:
            events.append(event)  # type: ignore[arg-type]
        final = await stream.get_final_message()
    types = [e.type for e in events]
    assert types[0] == "message_start"
    assert "content_block_start" in types and "content_block_stop" in types
    assert types[-1] == "message_stop"
    assert final.content[0].text == "one two three"  # type: ignore[union-attr]
    assert final.usage.output_tokens == 3
    assert final.stop_reason == "end_turn"


async def test_tool_use_round_trip(served: Served) -> None:
    served.openai.push(
        Answer(text="", tool_calls=[FakeToolCall("get_weather", '{"city": "Rome"}', id="call_9")])
    )
    msg = await client(served).messages.create(
        model="auto",
        max_tokens=100,
        tools=[TOOL],  # type: ignore[list-item]
        messages=[{"role": "user", "content": "Weather in Rome?"}],
    )
    block = msg.content[-1]
    assert (
        block.type == "tool_use" and block.name == "get_weather" and block.input == {"city": "Rome"}
    )
    assert msg.stop_reason == "tool_use"
    await client(served).messages.create(
        model="auto",
        max_tokens=100,
        tools=[TOOL],  # type: ignore[list-item]
        messages=[
            {"role": "user", "content": "Weather in Rome?"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "call_9",
                        "name": "get_weather",
                        "input": {"city": "Rome"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "call_9", "content": "20C"}],
            },
        ],
    )
    sent = served.openai.last.json["messages"]
    assert sent[1]["tool_calls"][0]["id"] == "call_9"
    assert sent[2] == {"role": "tool", "tool_call_id": "call_9", "content": "20C"}


async def test_streamed_tool_use(served: Served) -> None:
    served.openai.push(
        Answer(text="", tool_calls=[FakeToolCall("get_weather", '{"city": "Lima"}')])
    )
    async with client(served).messages.stream(
        model="auto",
        max_tokens=100,
        tools=[TOOL],  # type: ignore[list-item]
        messages=[{"role": "user", "content": "Weather in Lima?"}],
    ) as stream:
        final = await stream.get_final_message()
    block = final.content[-1]
    assert block.type == "tool_use" and block.input == {"city": "Lima"}
    assert final.stop_reason == "tool_use"


async def test_thinking_and_images_parse(served: Served) -> None:
    await client(served).messages.create(
        model="an-mini",
        max_tokens=2000,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in the picture?"},
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": "image/png",
                            "data": "iVBORw0KGgo=",
                        },
                    },
                ],
            },
        ],
    )
    sent = served.anthropic.last.json
    assert sent["thinking"]["type"] == "enabled"
    assert sent["messages"][0]["content"][1]["source"]["media_type"] == "image/png"


async def test_count_tokens(served: Served) -> None:
    count = await client(served).messages.count_tokens(
        model="auto", messages=[{"role": "user", "content": "hello " * 100}]
    )
    assert 50 < count.input_tokens < 400


async def test_errors_in_anthropic_format(served: Served) -> None:
    with pytest.raises(anthropic.AuthenticationError) as auth:
        await anthropic.AsyncAnthropic(
            base_url=served.url, api_key="wrong", max_retries=0
        ).messages.create(model="auto", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert auth.value.body["type"] == "error"  # type: ignore[index]
    with pytest.raises(anthropic.NotFoundError, match="Unknown model"):
        await client(served).messages.create(
            model="claude-nope", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )


async def test_mid_stream_error_is_an_error_event(served: Served) -> None:
    served.openai.push(Answer(text="a b c d", pieces=4, cut_after=2))
    with pytest.raises(anthropic.APIStatusError):
        async with client(served).messages.stream(
            model="auto", max_tokens=100, messages=[{"role": "user", "content": "go"}]
        ) as stream:
            async for _ in stream:
                pass


async def test_fallback(served: Served) -> None:
    served.openai.push(Fault(status=503))
    raw = await client(served).messages.with_raw_response.create(
        model="auto", max_tokens=10, messages=[{"role": "user", "content": "x"}]
    )
    assert (await raw.parse()).model == "claude-mini"
    assert raw.headers["x-routerdesk-fallbacks"] == "1"


async def test_thinking_streams_back_as_thinking_blocks(served: Served) -> None:
    served.anthropic.push(Answer(text="42", reasoning="Let me think.", reasoning_signature="sig-1"))
    async with client(served).messages.stream(
        model="an-mini",
        max_tokens=4000,
        thinking={"type": "enabled", "budget_tokens": 2048},
        messages=[{"role": "user", "content": "6 x 7?"}],
    ) as stream:
        kinds = [e.type async for e in stream]
        final = await stream.get_final_message()
    assert "content_block_delta" in kinds
    assert final.content[0].type == "thinking" and final.content[0].thinking == "Let me think."
    assert final.content[0].signature == "sig-1"
    assert final.content[-1].type == "text" and final.content[-1].text == "42"


async def test_models_list_in_anthropic_format(served: Served) -> None:
    page = await client(served).models.list()
    ids = [m.id for m in page.data]
    assert ids[0] == "auto" and "an-mini" in ids
