"""Token estimate: rough but monotonic, counts images, tools and non-ASCII text, linear in length."""

from __future__ import annotations

from routerdesk.core.tokens import (
    IMAGE_TOKENS,
    MESSAGE_OVERHEAD,
    RECENT_MESSAGES,
    estimate_prompt_tokens,
    measure,
    recent_structure,
    text_tokens,
)
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


def test_estimate_is_linear_in_length() -> None:
    small = req("word " * 20_000)
    large = req("word " * 200_000)
    assert estimate_prompt_tokens(large) == 10 * estimate_prompt_tokens(small) - 9 * 4


def test_ascii_texts_summed_never_undercount_each_text() -> None:
    texts = ["a", "bb", "ccc", "dddd", "eeeee", ""]
    per_text = sum(text_tokens(t) for t in texts) + MESSAGE_OVERHEAD * len(texts)
    assert estimate_prompt_tokens(req(*texts)) >= per_text
    assert estimate_prompt_tokens(req(*texts)) <= per_text + len(texts)


def test_non_ascii_text_is_counted_by_bytes() -> None:
    assert estimate_prompt_tokens(req("漢" * 300)) >= 300 > estimate_prompt_tokens(req("a" * 300))


def conversation(n: int, *, image_at: int | None = None) -> ChatRequest:
    msgs = [Message("system", [TextPart("You are a coding agent.")])]
    for i in range(n):
        msgs.append(Message("assistant", tool_calls=[ToolCall(f"c{i}", "read_file", "{}")]))
        msgs.append(Message("tool", [TextPart("file body " * 10)], tool_call_id=f"c{i}"))
    msgs.append(Message("user", [TextPart("now fix the bug")]))
    if image_at is not None:
        msgs[image_at].content.append(ImagePart(url="https://example.com/a.png"))
        msgs[image_at].content.append(ImagePart(url="https://example.com/b.png"))
    return ChatRequest(messages=msgs)


def test_measure_counts_structure_in_the_recent_window_only() -> None:
    short = measure(conversation(10))
    assert short.recent_tool_turns == 20 and short.recent_image_messages == 0
    assert not short.vision
    assert short.tokens == estimate_prompt_tokens(conversation(10))
    long = conversation(300)  # 602 messages: the window is the last 256
    shape = measure(long)
    assert shape.recent_tool_turns == RECENT_MESSAGES - 1  # all but the final user turn
    assert recent_structure(long.messages) == (shape.recent_tool_turns, 0)


def test_an_old_image_needs_vision_but_is_not_a_recent_image_message() -> None:
    old = measure(conversation(300, image_at=2))
    assert old.vision and old.recent_image_messages == 0
    recent = measure(conversation(300, image_at=-1))
    assert recent.vision and recent.recent_image_messages == 1  # two images, one message
    assert recent.tokens == old.tokens


def test_head_and_tail_sum_to_the_whole() -> None:
    long = conversation(300)
    shape = measure(long)
    halves = [
        ChatRequest(messages=long.messages[:-RECENT_MESSAGES]),
        ChatRequest(messages=long.messages[-RECENT_MESSAGES:]),
    ]
    assert shape.tokens == sum(measure(h).tokens for h in halves)
