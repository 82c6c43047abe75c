"""The official openai SDK (sync and async) against the real server, with fake upstreams behind it."""

from __future__ import annotations

import asyncio
import json

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from fakes import Answer, FakeToolCall, FakeUsage, Fault

from .conftest import TOKEN, Served

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def client(s: Served) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=s.v1, api_key=TOKEN, max_retries=0)


async def test_completion_async(served: Served) -> None:
    served.openai.push(Answer(text="Paris.", usage=FakeUsage(input=20, output=3)))
    raw = await client(served).chat.completions.with_raw_response.create(
        model="auto",
        messages=MESSAGES,  # type: ignore[arg-type]
    )
    resp = raw.parse()
    assert isinstance(resp, ChatCompletion)
    assert resp.choices[0].message.content == "Paris."
    assert resp.model == "gpt-mini"  # the model that actually answered
    assert resp.usage is not None and resp.usage.prompt_tokens == 20
    h = raw.headers
    assert h["x-routerdesk-model"] == "oa-mini"
    assert h["x-routerdesk-provider"] == "openai"
    assert h["x-routerdesk-strategy"] == "cheapest"
    assert h["x-routerdesk-task"]
    assert float(h["x-routerdesk-complexity"]) >= 0
    assert float(h["x-routerdesk-cost"]) > 0
    assert float(h["x-routerdesk-overhead-ms"]) >= 0
    row = served.row(h["x-routerdesk-request-id"])
    assert row["status"] == "ok" and row["model_id"] == "oa-mini" and row["input_tokens"] == 20
    assert row["cost"] == pytest.approx(float(h["x-routerdesk-cost"]), rel=1e-6)
    assert row["baseline_cost"] > row["cost"]  # oa-big is the baseline
    # the upstream got our key, not the client's token
    assert served.openai.last.headers["authorization"].endswith("SECRETKEY-0123456789")


async def test_completion_sync_client(served: Served) -> None:
    sync = openai.OpenAI(base_url=served.v1, api_key=TOKEN, max_retries=0)

    def call() -> ChatCompletion:
        return sync.chat.completions.create(model="oa-big", messages=MESSAGES)  # type: ignore[arg-type]

    resp = await asyncio.to_thread(call)
    assert isinstance(resp, ChatCompletion)
    assert resp.model == "gpt-big"
    assert served.openai.last.json["model"] == "gpt-big"


async def test_stream_with_usage(served: Served) -> None:
    served.openai.push(
        Answer(text="Paris is the capital.", pieces=4, usage=FakeUsage(input=9, output=5))
    )
    stream = await client(served).chat.completions.create(
        model="auto",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},  # type: ignore[arg-type]
    )
    chunks = [c async for c in stream]
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Paris is the capital."
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 5
    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes == ["stop"]
    assert chunks[0].model == "gpt-mini"


async def test_stream_without_usage_has_no_usage_chunk(served: Served) -> None:
    async with client(served).chat.completions.with_streaming_response.create(
        model="auto",
        messages=MESSAGES,
        stream=True,  # type: ignore[arg-type]
    ) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        assert resp.headers["x-routerdesk-model"] == "oa-mini"
        rid = resp.headers["x-routerdesk-request-id"]
        lines = [line async for line in resp.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    assert not any('"usage": {' in line for line in lines)
    row = served.row(rid)
    assert row["stream"] and row["status"] == "ok" and row["output_tokens"] == 7
    assert row["ttft_ms"] is not None


async def test_tool_calls(served: Served) -> None:
    served.openai.push(
        Answer(text="", tool_calls=[FakeToolCall("get_weather", '{"city": "Paris"}', id="call_1")])
    )
    resp = await client(served).chat.completions.create(
        model="auto",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
    )
    call = resp.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]
    assert resp.choices[0].finish_reason == "tool_calls"
    sent = served.openai.last.json
    assert sent["tools"][0]["function"]["name"] == "get_weather"

    # the tool result goes back through as a tool message
    await client(served).chat.completions.create(
        model="auto",
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "18C, sunny"},
        ],  # type: ignore[list-item]
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
    )
    assert served.openai.last.json["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "18C, sunny",
    }


async def test_streamed_tool_calls(served: Served) -> None:
    served.openai.push(
        Answer(text="", tool_calls=[FakeToolCall("get_weather", '{"city": "Oslo"}')])
    )
    stream = await client(served).chat.completions.create(
        model="auto",
        messages=[{"role": "user", "content": "Weather in Oslo?"}],
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        stream=True,
    )
    name, args = "", ""
    async for chunk in stream:
        for tc in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            name += tc.function.name or "" if tc.function else ""
            args += tc.function.arguments or "" if tc.function else ""
    assert name == "get_weather" and json.loads(args) == {"city": "Oslo"}


async def test_image_and_response_format_reach_upstream(served: Served) -> None:
    await client(served).chat.completions.create(
        model="auto",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Describe as JSON"},
                    {
                        "type": "image_url",
                        "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="},
                    },
                ],
            }
        ],  # type: ignore[list-item]
        response_format={"type": "json_object"},
    )
    sent = served.openai.last.json
    assert sent["response_format"] == {"type": "json_object"}
    assert sent["messages"][0]["content"][1]["image_url"]["url"].startswith(
        "data:image/png;base64,"
    )


async def test_fallback_after_503(served: Served) -> None:
    served.openai.push(Fault(status=503, message="overloaded"))
    raw = await client(served).chat.completions.with_raw_response.create(
        model="auto",
        messages=MESSAGES,  # type: ignore[arg-type]
    )
    resp = raw.parse()
    assert resp.model == "claude-mini"
    assert raw.headers["x-routerdesk-model"] == "an-mini"
    assert raw.headers["x-routerdesk-fallbacks"] == "1"
    assert "oa-mini:503" in raw.headers["x-routerdesk-hops"]
    row = served.row(raw.headers["x-routerdesk-request-id"])
    assert row["model_id"] == "an-mini" and row["provider"] == "anthropic"
    assert [h["status"] for h in row["hops"]] == [503]
    assert row["hops"][0]["model_id"] == "oa-mini"


async def test_stream_fallback_before_first_event(served: Served) -> None:
    served.openai.push(Fault(status=503))
    async with client(served).chat.completions.with_streaming_response.create(
        model="auto",
        messages=MESSAGES,
        stream=True,  # type: ignore[arg-type]
    ) as resp:
        assert resp.headers["x-routerdesk-model"] == "an-mini"
        body = "".join([line async for line in resp.iter_lines()])
    assert "Hello from the fake upstream." in "".join(
        json.loads(part)["choices"][0]["delta"].get("content", "")
        for part in body.split("data: ")[1:]
        if part.startswith("{") and json.loads(part)["choices"]
    )


async def test_mid_stream_failure_raises_api_error(served: Served) -> None:
    served.openai.push(Answer(text="one two three four", pieces=4, cut_after=2))
    stream = await client(served).chat.completions.create(
        model="auto",
        messages=MESSAGES,
        stream=True,  # type: ignore[arg-type]
    )
    got: list[str] = []
    with pytest.raises(openai.APIError) as info:
        async for chunk in stream:
            if chunk.choices:
                got.append(chunk.choices[0].delta.content or "")
    assert got  # something arrived before the failure
    assert "openai" in info.value.message
    served.runtime.usage.flush()  # type: ignore[union-attr]
    rows = served.runtime.usage.recent(1)  # type: ignore[union-attr]
    assert rows[0]["status"] == "error"


async def test_models_list(served: Served) -> None:
    models = await client(served).models.list()
    ids = [m.id for m in models.data]
    assert ids[:4] == ["auto", "auto:cheapest", "auto:balanced", "auto:best"]
    assert {"oa-mini", "an-mini", "oa-big"} <= set(ids)


async def test_client_disconnect_cancels_upstream(served: Served) -> None:
    served.openai.push(Answer(text="a b c d e f g h", pieces=8, chunk_delay=0.3))
    async with (
        served.http() as http,
        http.stream(
            "POST",
            "/v1/chat/completions",
            json={"model": "auto", "messages": MESSAGES, "stream": True},
        ) as resp,
    ):
        rid = resp.headers["x-routerdesk-request-id"]
        async for _ in resp.aiter_bytes():
            break  # read the first bytes, then hang up
    await asyncio.wait_for(served.openai.disconnected.wait(), 5)
    for _ in range(50):
        served.runtime.usage.flush()  # type: ignore[union-attr]
        row = served.runtime.usage.get(rid)  # type: ignore[union-attr]
        if row is not None:
            break
        await asyncio.sleep(0.05)
    assert row is not None and row["status"] == "cancelled"
    assert served.openai.completed == 0


async def test_previews_only_when_enabled(served: Served) -> None:
    c = client(served)
    raw = await c.chat.completions.with_raw_response.create(model="auto", messages=MESSAGES)  # type: ignore[arg-type]
    assert served.row(raw.headers["x-routerdesk-request-id"])["preview"] == ""
    engine = served.runtime.engine
    settings = engine.settings.model_copy(deep=True)
    settings.privacy.previews = True
    settings.privacy.preview_chars = 10
    engine.set_settings(settings)
    raw = await c.chat.completions.with_raw_response.create(model="auto", messages=MESSAGES)  # type: ignore[arg-type]
    assert served.row(raw.headers["x-routerdesk-request-id"])["preview"] == "What is th"


async def test_l2_classifier_call_is_logged_and_request_still_answered(served: Served) -> None:
    from routerdesk.core.l2 import L2Classifier

    engine = served.runtime.engine
    settings = engine.settings.model_copy(deep=True)
    settings.routing.l2.enabled = True
    settings.routing.l2.threshold = 1.0  # L1 is always "unsure"
    engine.l2 = L2Classifier(
        engine.ask, settings.routing.l2, on_call_finished=served.runtime._l2_finished
    )
    engine.set_settings(settings)
    served.openai.push(
        Answer(text="not json"), Answer(text="Paris.")
    )  # the classifier's call, then the answer
    resp = await client(served).chat.completions.create(model="auto", messages=MESSAGES)  # type: ignore[arg-type]
    assert resp.choices[0].message.content == "Paris."
    served.runtime.usage.flush()  # type: ignore[union-attr]
    rows = served.runtime.usage.recent(5)  # type: ignore[union-attr]
    assert len(rows) == 2  # the request and the classifier call, each with its own row


async def test_client_disconnect_during_non_streamed_call(served: Served) -> None:
    served.openai.push(Fault(status=200, head_delay=5.0))  # the upstream takes its time
    async with served.http(timeout=0.5) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.post("/v1/chat/completions", json={"model": "auto", "messages": MESSAGES})
    await asyncio.wait_for(served.openai.disconnected.wait(), 5)  # upstream call cancelled too
    for _ in range(50):
        served.runtime.usage.flush()  # type: ignore[union-attr]
        rows = served.runtime.usage.recent(1)  # type: ignore[union-attr]
        if rows:
            break
        await asyncio.sleep(0.05)
    assert rows[0]["status"] == "cancelled"
