"""OpenAI-compatible adapter: wire body quirks, round trips (text, tools, images, reasoning), SDK-shaped fakes."""

from __future__ import annotations

import json

import httpx
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from fakes import Answer, FakeOpenAI, FakeToolCall, FakeUsage
from routerdesk.core.types import (
    ChatRequest,
    ImagePart,
    Message,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
    ToolChoice,
)
from routerdesk.providers.base import CallContext
from routerdesk.providers.openai_compat import (
    ChatCompletionsDecoder,
    OpenAICompatAdapter,
    build_body,
)
from routerdesk.providers.sse import SSEParser

from .wiring import KEY, ask, assemble, collect, ctx, make_model

WEATHER = Tool(
    "get_weather",
    "Weather for a city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
ARGS = '{"city": "Paris", "unit": "celsius"}'


def tool_history() -> list[Message]:
    return [
        Message("system", [TextPart("Be brief.")]),
        Message(
            "user",
            [
                TextPart("Weather?"),
                ImagePart(data="aGk=", media_type="image/png"),
                ImagePart(url="https://x.test/a.jpg", detail="low"),
            ],
        ),
        Message(
            "assistant",
            [],
            tool_calls=[ToolCall("call_1", "get_weather", ARGS)],
            reasoning="I should look it up.",
        ),
        Message("tool", [TextPart("18C, sunny")], tool_call_id="call_1"),
    ]


async def test_wire_body_and_headers(fake_openai: FakeOpenAI, client: httpx.AsyncClient) -> None:
    req = ChatRequest(
        messages=tool_history(),
        tools=[WEATHER],
        tool_choice=ToolChoice("tool", "get_weather"),
        max_tokens=100,
        temperature=0.2,
        stop=["END"],
        extra={"seed": 7, "logit_bias": {"50256": -100}},
        response_format=ResponseFormat(
            "json_schema", name="w", schema={"type": "object"}, strict=True
        ),
    )
    await OpenAICompatAdapter(client).complete(
        req, make_model("openai", "o4-test", uses_max_completion_tokens=True), ctx(fake_openai)
    )
    sent = fake_openai.last
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    body = sent.json
    assert body["max_completion_tokens"] == 100 and "max_tokens" not in body
    assert body["seed"] == 7 and body["logit_bias"] == {"50256": -100}, "extra params pass through"
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert body["tools"][0]["function"]["parameters"] == WEATHER.parameters
    assert body["response_format"]["json_schema"] == {
        "name": "w",
        "schema": {"type": "object"},
        "strict": True,
    }
    user = body["messages"][1]["content"]
    assert user[1] == {"type": "image_url", "image_url": {"url": "data:image/png;base64,aGk="}}
    assert user[2] == {
        "type": "image_url",
        "image_url": {"url": "https://x.test/a.jpg", "detail": "low"},
    }
    assistant = body["messages"][2]
    assert assistant["content"] is None and "reasoning_content" not in assistant, (
        "only DeepSeek gets reasoning back"
    )
    assert assistant["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": ARGS}
    assert body["messages"][3] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "18C, sunny",
    }


def test_max_tokens_for_ordinary_models() -> None:
    body = build_body(
        ask(max_tokens=5), make_model("groq", "llama"), CallContext("http://x", None), stream=True
    )
    assert body["max_tokens"] == 5 and body["stream_options"] == {"include_usage": True}


def test_deepseek_keeps_reasoning_on_tool_call_turns() -> None:
    req = ChatRequest(
        messages=[
            *tool_history(),
            Message("assistant", [TextPart("Sunny.")], reasoning="done thinking"),
        ]
    )
    body = build_body(
        req, make_model("deepseek", "deepseek-chat"), CallContext("http://x", None), stream=False
    )
    assert body["messages"][2]["reasoning_content"] == "I should look it up."
    assert "reasoning_content" not in body["messages"][4]


def test_mistral_drops_what_it_rejects_and_says_so() -> None:
    context = CallContext("http://x", None)
    req = ask(user="u1", extra={"seed": 3})
    body = build_body(req, make_model("mistral", "mistral-small"), context, stream=True)
    assert "stream_options" not in body and "user" not in body
    assert body["random_seed"] == 3 and "seed" not in body
    assert any("stream_options" in n for n in context.notes) and any(
        "'user'" in n for n in context.notes
    )


def test_registry_drop_params_are_dropped_and_noted() -> None:
    context = CallContext("http://x", None)
    body = build_body(
        ask(temperature=0.5),
        make_model("xai", "grok-r", drop_params=frozenset({"temperature"})),
        context,
        stream=False,
    )
    assert "temperature" not in body
    assert context.notes == ["xai does not accept 'temperature'; dropped it for xai-grok-r"]


@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
async def test_round_trip_tools_reasoning_usage(
    streaming: bool, fake_openai: FakeOpenAI, client: httpx.AsyncClient
) -> None:
    fake_openai.push(
        Answer(
            text="Let me check.",
            reasoning="User wants weather.",
            pieces=4,
            split_bytes=9,
            keepalive=True,
            tool_calls=[
                FakeToolCall("get_weather", ARGS),
                FakeToolCall("get_time", '{"tz": "CET"}'),
            ],
            usage=FakeUsage(input=120, output=40, cached=100, reasoning=25),
        )
    )
    adapter = OpenAICompatAdapter(client)
    model = make_model("deepseek", "deepseek-reasoner")
    req = ChatRequest(messages=tool_history(), tools=[WEATHER], stream=streaming)
    if streaming:
        resp = assemble(await collect(adapter.stream(req, model, ctx(fake_openai))))
    else:
        resp = await adapter.complete(req, model, ctx(fake_openai))
    assert resp.content == "Let me check."
    assert resp.reasoning == "User wants weather."
    assert [(c.name, json.loads(c.arguments)) for c in resp.tool_calls] == [
        ("get_weather", json.loads(ARGS)),
        ("get_time", {"tz": "CET"}),
    ]
    assert resp.finish_reason == "tool_calls"
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (120, 40)
    assert (resp.usage.cached_input_tokens, resp.usage.reasoning_tokens) == (100, 25)


@pytest.mark.parametrize(
    ("native", "mapped"),
    [
        ("stop", "stop"),
        ("length", "length"),
        ("content_filter", "content_filter"),
        ("tool_calls", "tool_calls"),
    ],
)
@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
async def test_finish_reasons_map(
    native: str, mapped: str, streaming: bool, fake_openai: FakeOpenAI, client: httpx.AsyncClient
) -> None:
    fake_openai.push(Answer(finish=native))
    adapter = OpenAICompatAdapter(client)
    model = make_model("openai", "gpt-test")
    if streaming:
        resp = assemble(await collect(adapter.stream(ask(), model, ctx(fake_openai))))
    else:
        resp = await adapter.complete(ask(), model, ctx(fake_openai))
    assert resp.finish_reason == mapped


async def test_usage_arrives_last_in_stream(
    fake_openai: FakeOpenAI, client: httpx.AsyncClient
) -> None:
    events = await collect(
        OpenAICompatAdapter(client).stream(
            ask(), make_model("openai", "gpt-test"), ctx(fake_openai)
        )
    )
    assert type(events[-2]).__name__ == "FinishEvent" and type(events[-1]).__name__ == "UsageEvent"
    assert events[-1].usage.input_tokens == 12  # type: ignore[union-attr]
    assert fake_openai.last.json["stream_options"] == {"include_usage": True}


async def test_local_provider_sends_no_key(
    fake_openai: FakeOpenAI, client: httpx.AsyncClient
) -> None:
    await OpenAICompatAdapter(client).complete(
        ask(), make_model("ollama", "llama3"), ctx(fake_openai, key=None)
    )
    assert "authorization" not in fake_openai.last.headers


def test_moonshot_and_groq_usage_locations() -> None:
    dec = ChatCompletionsDecoder("moonshot")
    dec.feed(
        b'data: {"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop","usage":{"prompt_tokens":3,"completion_tokens":1,"cached_tokens":2}}]}\n\n'
    )
    usage = dec.close()[1].usage  # type: ignore[union-attr]
    assert (usage.input_tokens, usage.cached_input_tokens) == (3, 2)
    dec = ChatCompletionsDecoder("groq")
    dec.feed(
        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"x_groq":{"usage":{"prompt_tokens":9,"completion_tokens":4}}}\n\ndata: [DONE]\n\n'
    )
    assert dec.close()[1].usage.output_tokens == 4  # type: ignore[union-attr]


def test_fake_speaks_the_sdk_types() -> None:
    fake = FakeOpenAI()
    from fakes import RecordedRequest

    req = RecordedRequest(
        "POST",
        "/v1/chat/completions",
        {},
        {},
        {"model": "gpt-x", "stream": True, "stream_options": {"include_usage": True}},
    )
    answer = Answer(reasoning="hm", tool_calls=[FakeToolCall("f", '{"a": 1}')])
    ChatCompletion.model_validate(fake.render_json(answer, req), strict=False)
    parser = SSEParser()
    events = [e for chunk in fake.render_events(answer, req) for e in parser.feed(chunk)]
    assert events[-1].data == "[DONE]"
    for ev in events[:-1]:
        chunk = ChatCompletionChunk.model_validate(json.loads(ev.data))
        assert chunk.object == "chat.completion.chunk"
