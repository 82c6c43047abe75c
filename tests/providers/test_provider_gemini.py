"""Gemini adapter: schema cleaning, roles, function calls by name, images, both stream encodings, usage."""

from __future__ import annotations

import json

import httpx
import pytest

from fakes import Answer, FakeGemini, FakeToolCall, FakeUsage
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
from routerdesk.providers.gemini import (
    GeminiAdapter,
    GenerateContentDecoder,
    JSONArraySplitter,
    build_body,
    clean_schema,
)

from .wiring import KEY, ask, assemble, collect, ctx, make_model

ARGS = '{"query": "cheap flights", "limit": 3}'

PYDANTIC_STYLE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Search",
    "type": "object",
    "additionalProperties": False,
    "$defs": {
        "Filter": {
            "type": "object",
            "properties": {"field": {"type": "string", "format": "uri"}, "op": {"const": "eq"}},
            "required": ["field", "missing"],
        },
        "Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}},
    },
    "properties": {
        "query": {"type": "string", "default": "", "examples": ["x"], "minLength": 1},
        "limit": {
            "type": ["integer", "null"],
            "exclusiveMinimum": 0,
            "maximum": 50,
            "format": "int32",
        },
        "when": {"type": "string", "format": "date-time"},
        "filter": {"anyOf": [{"$ref": "#/$defs/Filter"}, {"type": "null"}]},
        "tags": {
            "type": "array",
            "items": {"type": "string", "enum": ["a", "b"]},
            "uniqueItems": True,
        },
        "meta": {
            "type": "object",
            "patternProperties": {"^x-": {"type": "string"}},
            "properties": {"k": {"type": "number"}},
        },
        "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "level": {"enum": [1, 2, 3]},
        "tree": {"$ref": "#/$defs/Node"},
    },
    "required": ["query"],
}


def test_clean_schema_keeps_only_what_gemini_accepts() -> None:
    out = clean_schema(PYDANTIC_STYLE)
    text = json.dumps(out)
    for banned in (
        "$schema",
        "$defs",
        "$ref",
        "additionalProperties",
        "default",
        "examples",
        "exclusiveMinimum",
        "patternProperties",
        "uniqueItems",
        "const",
        "oneOf",
        '"uri"',
    ):
        assert banned not in text, banned
    props = out["properties"]
    assert out["type"] == "OBJECT" and out["required"] == ["query"] and out["title"] == "Search"
    assert props["query"] == {"type": "STRING", "minLength": 1}
    assert props["limit"] == {"type": "INTEGER", "maximum": 50, "format": "int32", "nullable": True}
    assert props["when"] == {"type": "STRING", "format": "date-time"}
    assert props["filter"] == {
        "type": "OBJECT",
        "properties": {"field": {"type": "STRING"}, "op": {"enum": ["eq"], "type": "STRING"}},
        "required": ["field"],
        "nullable": True,
    }
    assert props["tags"] == {"type": "ARRAY", "items": {"type": "STRING", "enum": ["a", "b"]}}
    assert props["meta"] == {"type": "OBJECT", "properties": {"k": {"type": "NUMBER"}}}
    assert props["either"] == {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]}
    assert "enum" not in props["level"] and "[1, 2, 3]" in props["level"]["description"]
    depth, node = 0, props["tree"]
    while "properties" in node:
        node, depth = node["properties"]["child"], depth + 1
    assert 0 < depth <= 9, "recursive refs are unrolled a bounded number of times"


def test_body_roles_system_tools_images_and_generation_config() -> None:
    req = ChatRequest(
        messages=[
            Message("system", [TextPart("Be helpful.")]),
            Message(
                "user",
                [
                    TextPart("Find flights"),
                    ImagePart(data="aGk=", media_type="image/png"),
                    ImagePart(url="https://x.test/map.png?s=1"),
                ],
            ),
            Message(
                "assistant",
                [],
                tool_calls=[ToolCall("call_a", "search", ARGS), ToolCall("call_b", "now", "{}")],
                reasoning_signature="sig-g",
            ),
            Message("tool", [TextPart('{"results": 2}')], tool_call_id="call_a"),
            Message("tool", [TextPart("clock broken")], tool_call_id="call_b", is_error=True),
        ],
        tools=[Tool("search", "Search", PYDANTIC_STYLE), Tool("now", "Time")],
        tool_choice=ToolChoice("tool", "search"),
        max_tokens=256,
        temperature=0.1,
        top_p=0.9,
        stop=["END"],
        response_format=ResponseFormat(
            "json_schema",
            schema={
                "type": "object",
                "properties": {"a": {"type": "string"}},
                "additionalProperties": False,
            },
        ),
    )
    body = build_body(
        req, make_model("google", "gemini-test"), CallContext("http://x", None), stream=False
    )
    assert body["systemInstruction"] == {"parts": [{"text": "Be helpful."}]}
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    user_parts = body["contents"][0]["parts"]
    assert user_parts[1] == {"inlineData": {"mimeType": "image/png", "data": "aGk="}}
    assert user_parts[2] == {
        "fileData": {"mimeType": "image/png", "fileUri": "https://x.test/map.png?s=1"}
    }
    model_parts = body["contents"][1]["parts"]
    assert model_parts[0] == {
        "functionCall": {"name": "search", "args": json.loads(ARGS)},
        "thoughtSignature": "sig-g",
    }
    assert model_parts[1] == {"functionCall": {"name": "now", "args": {}}}
    responses = body["contents"][2]["parts"]
    assert responses == [
        {"functionResponse": {"name": "search", "response": {"results": 2}}},
        {"functionResponse": {"name": "now", "response": {"error": "clock broken"}}},
    ], "tool results are matched back to their function by name"
    decls = body["tools"][0]["functionDeclarations"]
    assert decls[1] == {"name": "now", "description": "Time"}, (
        "no-argument functions carry no parameters"
    )
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["search"]}
    }
    gen = body["generationConfig"]
    assert (
        gen["maxOutputTokens"] == 256
        and gen["temperature"] == 0.1
        and gen["topP"] == 0.9
        and gen["stopSequences"] == ["END"]
    )
    assert gen["responseMimeType"] == "application/json"
    assert gen["responseSchema"] == {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}}


@pytest.mark.parametrize("mode", ["json", "sse", "array"])
async def test_round_trip(mode: str, fake_gemini: FakeGemini, client: httpx.AsyncClient) -> None:
    fake_gemini.push(
        Answer(
            text="Searching now.",
            reasoning="Use the tool.",
            reasoning_signature="sig-1",
            pieces=3,
            split_bytes=13,
            tool_calls=[FakeToolCall("search", ARGS), FakeToolCall("now", "{}")],
            usage=FakeUsage(input=300, output=90, cached=200, reasoning=60),
        )
    )
    adapter = GeminiAdapter(client)
    model = make_model("google", "gemini-test")
    req = ask(tools=[Tool("search", "", PYDANTIC_STYLE)])
    if mode == "json":
        resp = await adapter.complete(req, model, ctx(fake_gemini))
        assert fake_gemini.last.path == "/v1beta/models/gemini-test:generateContent"
    elif mode == "sse":
        resp = assemble(await collect(adapter.stream(req, model, ctx(fake_gemini))))
        assert fake_gemini.last.path == "/v1beta/models/gemini-test:streamGenerateContent"
        assert fake_gemini.last.query == {"alt": "sse"}
    else:  # a JSON array stream, as without alt=sse
        decoder = GenerateContentDecoder("google", sse=False)
        from fakes import RecordedRequest

        rec = RecordedRequest(
            "POST", "/v1beta/models/gemini-test:streamGenerateContent", {}, {}, {}
        )
        raw = b"".join(fake_gemini.render_events(fake_gemini.script.popleft(), rec))  # type: ignore[arg-type]
        events = [e for i in range(0, len(raw), 7) for e in decoder.feed(raw[i : i + 7])]
        resp = assemble(events + decoder.close())
    assert fake_gemini.requests == [] or fake_gemini.last.headers["x-goog-api-key"] == KEY
    assert resp.content == "Searching now."
    assert resp.reasoning == "Use the tool." and resp.reasoning_signature == "sig-1"
    assert [(c.name, json.loads(c.arguments)) for c in resp.tool_calls] == [
        ("search", json.loads(ARGS)),
        ("now", {}),
    ]
    assert (
        all(c.id.startswith("call_") for c in resp.tool_calls)
        and len({c.id for c in resp.tool_calls}) == 2
    )
    assert resp.finish_reason == "tool_calls"
    u = resp.usage
    assert (u.input_tokens, u.output_tokens, u.cached_input_tokens, u.reasoning_tokens) == (
        300,
        90,
        200,
        60,
    )


@pytest.mark.parametrize(
    ("native", "mapped"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "error"),
    ],
)
@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
async def test_finish_reasons_map(
    native: str, mapped: str, streaming: bool, fake_gemini: FakeGemini, client: httpx.AsyncClient
) -> None:
    fake_gemini.push(Answer(finish=native))
    adapter = GeminiAdapter(client)
    model = make_model("google", "gemini-test")
    if streaming:
        resp = assemble(await collect(adapter.stream(ask(), model, ctx(fake_gemini))))
    else:
        resp = await adapter.complete(ask(), model, ctx(fake_gemini))
    assert resp.finish_reason == mapped


def test_json_array_splitter_handles_strings_with_brackets() -> None:
    splitter = JSONArraySplitter()
    raw = b'[{"a": "x]}{\\"", "b": [1, {"c": 2}]}\r\n,\r\n{"d": "}"}]'
    out = [piece for byte in range(len(raw)) for piece in splitter.feed(raw[byte : byte + 1])]
    assert [json.loads(p) for p in out] == [{"a": 'x]}{"', "b": [1, {"c": 2}]}, {"d": "}"}]
    assert splitter.finished


def test_blocked_prompt_is_content_filter() -> None:
    dec = GenerateContentDecoder("google")
    dec.feed(
        b'data: {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 4}}\r\n\r\n'
    )
    finish, usage = dec.close()
    assert finish.reason == "content_filter" and usage.usage.input_tokens == 4  # type: ignore[union-attr]
