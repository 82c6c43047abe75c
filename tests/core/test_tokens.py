"""Token estimate: rough but monotonic, counts images, tools and non-ASCII text, linear in length."""

from __future__ import annotations

import time

from routerdesk.core.tokens import IMAGE_TOKENS, estimate_prompt_tokens, text_tokens
from routerdesk.core.types import (
    ChatRequest,
    ImagePart,
    Message,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
)


def req(*texts: str, **kw: object) -> ChatRequest:
    return ChatRequest(messages=[Message("user", [TextPart(t)]) for t in texts], **kw)  # type: ignore[arg-type]


def test_english_is_about_four_chars_per_token() -> None:
    assert text_tokens("x" * 4000) == 1000
    assert text_tokens("") == 0


def test_cjk_counts_about_one_token_per_character() -> None:
    assert text_tokens("漢" * 1000) >= 1000


def test_more_text_more_tokens() -> None:
    assert estimate_prompt_tokens(req("a" * 100)) < estimate_prompt_tokens(req("a" * 1000))
    assert estimate_prompt_tokens(req("hi")) < estimate_prompt_tokens(req("hi", "there"))


def test_images_count_a_fixed_amount() -> None:
    base = estimate_prompt_tokens(req("look"))
    with_image = req("look")
    with_image.messages[0].content.append(ImagePart(url="https://example.com/a.png"))
    assert estimate_prompt_tokens(with_image) == base + IMAGE_TOKENS
    low = req("look")
    low.messages[0].content.append(ImagePart(url="https://example.com/a.png", detail="low"))
    assert base < estimate_prompt_tokens(low) < base + IMAGE_TOKENS


def test_tool_schemas_calls_and_response_schema_are_counted() -> None:
    base = estimate_prompt_tokens(req("hi"))
    schema = {"type": "object", "properties": {f"field_{i}": {"type": "string"} for i in range(50)}}
    assert estimate_prompt_tokens(req("hi", tools=[Tool("lookup", "find", schema)])) > base + 200
    r = req("hi")
    r.messages.append(
        Message("assistant", tool_calls=[ToolCall("1", "lookup", '{"q": "' + "z" * 400 + '"}')])
    )
    assert estimate_prompt_tokens(r) > base + 100
    fmt = req("hi", response_format=ResponseFormat("json_schema", schema=schema))
    assert estimate_prompt_tokens(fmt) > base + 200


def test_cost_is_linear_in_length() -> None:
    small = req("word " * 20_000)
    large = req("word " * 200_000)

    def timed(r: ChatRequest) -> float:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            estimate_prompt_tokens(r)
            best = min(best, time.perf_counter() - start)
        return best

    assert estimate_prompt_tokens(large) == 10 * estimate_prompt_tokens(small) - 9 * 4
    assert timed(large) < 0.01  # 1 MB of text in well under 10 ms
