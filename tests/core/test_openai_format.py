"""OpenAI message parsing: every supported shape, and errors that name the exact field."""

from __future__ import annotations

from typing import Any

import pytest

from routerdesk.core.errors import InvalidRequest
from routerdesk.core.openai_format import parse_messages, parse_response_format, parse_tools
from routerdesk.core.types import ImagePart, TextPart


def test_string_and_array_content() -> None:
    msgs = parse_messages(
        [
            {"role": "developer", "content": "be brief"},
            {
                "role": "user",
                "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
            },
        ]
    )
    assert msgs[0].role == "system" and msgs[0].text() == "be brief"
    assert msgs[1].text() == "a\nb"


def test_images_by_url_and_data() -> None:
    [msg] = parse_messages(
        [
            {
                "role": "user",
                "content": [
                    {
                        "type": "image_url",
                        "image_url": {"url": "https://x.test/a.png", "detail": "low"},
                    },
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                ],
            }
        ]
    )
    url, data = msg.content
    assert isinstance(url, ImagePart) and url.url == "https://x.test/a.png" and url.detail == "low"
    assert isinstance(data, ImagePart) and data.data == "AAAA" and data.media_type == "image/png"


def test_tool_calls_and_results() -> None:
    msgs = parse_messages(
        [
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "wx", "arguments": '{"c":"Oslo"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "rain"},
        ]
    )
    assert msgs[1].tool_calls[0].name == "wx" and msgs[1].tool_calls[0].arguments == '{"c":"Oslo"}'
    assert msgs[2].role == "tool" and msgs[2].tool_call_id == "c1"
    assert msgs[2].content == [TextPart("rain")]


@pytest.mark.parametrize(
    ("messages", "field"),
    [
        ("hi", "messages"),
        ([], "messages"),
        ([{"role": "robot", "content": "x"}], "messages[0].role"),
        ([{"role": "user"}], "messages[0].content"),
        ([{"role": "user", "content": 5}], "messages[0].content"),
        (
            [{"role": "user", "content": "a"}, {"role": "user", "content": [{"type": "audio"}]}],
            "messages[1].content[0].type",
        ),
        ([{"role": "user", "content": [{"type": "text"}]}], "messages[0].content[0].text"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": 3}}]}],
            "messages[0].content[0].image_url.url",
        ),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}]}],
            "messages[0].content[0].image_url.url",
        ),
        (
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": "data:text/plain;base64,AA"}}
                    ],
                }
            ],
            "messages[0].content[0].image_url.url",
        ),
        ([{"role": "tool", "content": "x"}], "messages[0].tool_call_id"),
        ([{"role": "user", "content": "x", "tool_calls": []}], "messages[0].tool_calls"),
        (
            [
                {
                    "role": "assistant",
                    "content": "x",
                    "tool_calls": [{"id": "1", "function": {"arguments": "{}"}}],
                }
            ],
            "messages[0].tool_calls[0].function.name",
        ),
    ],
)
def test_errors_name_the_field(messages: Any, field: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        parse_messages(messages)
    assert err.value.param == field
    assert err.value.message.startswith(field + ": ")


def test_tools_and_response_format() -> None:
    [tool] = parse_tools(
        [
            {
                "type": "function",
                "function": {"name": "f", "parameters": {"type": "object"}, "strict": True},
            }
        ]
    )
    assert tool.name == "f" and tool.strict is True
    fmt = parse_response_format(
        {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object"}}}
    )
    assert fmt is not None and fmt.type == "json_schema" and fmt.schema == {"type": "object"}
    assert parse_response_format(None) is None
    with pytest.raises(InvalidRequest) as err:
        parse_response_format({"type": "yaml"})
    assert err.value.param == "response_format.type"
    with pytest.raises(InvalidRequest) as err:
        parse_tools([{"type": "function", "function": {"name": "f", "parameters": []}}])
    assert err.value.param == "tools[0].function.parameters"
