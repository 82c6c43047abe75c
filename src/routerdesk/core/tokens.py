"""A fast, deliberately rough token count of a `ChatRequest`, for the context-window filter.

No tokenizer: they are per-provider, slow to load and the filter only needs to
know whether a prompt fits with room to spare. English and code average about
four characters per token; text outside ASCII (CJK, Cyrillic, emoji) packs
fewer characters into a token, so for it we count UTF-8 bytes / 3, which is
about one token per CJK character. `str.isascii` and `len` are O(1) on CPython
strings, so only non-ASCII text is ever read (by `encode`); the cost is one
short step per message. Over-estimating is the safe side: a model that is
dropped as too small costs a little money, a prompt that overflows a context
window fails the request.

`measure(req)` is the one pass over a conversation that routing makes: besides
the estimate it counts what the classifier reads from the conversation's
structure (tool turns and image messages among the last `RECENT_MESSAGES`) and
whether any image needs a vision model. The engine measures a request once
and hands the `PromptShape` to both the classifier and the router; agents send
hundreds of messages, and walking them once instead of four times is most of
the routing time on such requests.
"""

from __future__ import annotations

from typing import NamedTuple

from routerdesk.core.types import ChatRequest, ImagePart, Message, TextPart

# Per-message framing (role markers, separators) in chat templates.
MESSAGE_OVERHEAD = 4
# An image in a prompt: ~765 tokens for a 1024x1024 tile on OpenAI "high" detail,
# ~1,600 on Anthropic for a full-size image; we take a middle that errs high.
IMAGE_TOKENS = 1_200
IMAGE_TOKENS_LOW_DETAIL = 85
# Tool definitions are wrapped in provider-specific instructions.
TOOL_OVERHEAD = 10
# The classifier reads the structure of this many messages from the end.
RECENT_MESSAGES = 256


class PromptShape(NamedTuple):
    """What routing needs to know about a request's size and structure, from one pass."""

    tokens: int  # estimated prompt tokens: messages, tool calls, tool schemas, response schema
    vision: bool  # an image anywhere in the conversation
    recent_tool_turns: int  # tool results and assistant tool calls among the recent messages
    recent_image_messages: int  # recent messages holding at least one image


def text_tokens(text: str) -> int:
    n = len(text)
    if n == 0:
        return 0
    if text.isascii():
        return (n + 3) // 4
    return max((n + 3) // 4, (len(text.encode("utf-8")) + 2) // 3)


def _walk(msgs: list[Message]) -> tuple[int, int, int]:
    """(estimated tokens, tool turns, image messages) of `msgs`.

    ASCII texts are summed as characters and divided once: ceil(n/4) per text is
    at most (n + 3)/4, so (chars + 3 * texts) // 4 never counts fewer tokens.
    """
    chars = texts = other = turns = images = 0
    last_image: Message | None = None
    for msg in msgs:
        for part in msg.content:
            if type(part) is TextPart:
                text = part.text
                if text.isascii():
                    chars += len(text)
                    texts += 1
                else:
                    other += text_tokens(text)
            elif type(part) is ImagePart:
                other += IMAGE_TOKENS_LOW_DETAIL if part.detail == "low" else IMAGE_TOKENS
                if msg is not last_image:
                    images += 1
                    last_image = msg
        calls = msg.tool_calls
        if calls:
            turns += 1
            for call in calls:
                args, name = call.arguments, call.name
                if args.isascii() and name.isascii():
                    chars += len(args) + len(name)
                    texts += 2
                else:
                    other += text_tokens(args) + text_tokens(name)
                other += MESSAGE_OVERHEAD
        elif msg.role == "tool":
            turns += 1
        if msg.reasoning:
            other += text_tokens(msg.reasoning)
    return MESSAGE_OVERHEAD * len(msgs) + (chars + 3 * texts) // 4 + other, turns, images


def recent_structure(msgs: list[Message]) -> tuple[int, int]:
    """(tool turns, image messages) among the last `RECENT_MESSAGES` of `msgs`: bounded cost."""
    _, turns, images = _walk(msgs[-RECENT_MESSAGES:])
    return turns, images


def measure(req: ChatRequest) -> PromptShape:
    """Estimated prompt tokens and the conversation's structure, in one pass over the messages."""
    msgs = req.messages
    cut = len(msgs) - RECENT_MESSAGES
    head_tokens = head_images = 0
    if cut > 0:
        head_tokens, _, head_images = _walk(msgs[:cut])
        msgs = msgs[cut:]
    tokens, turns, images = _walk(msgs)
    tokens += head_tokens
    for tool in req.tools:
        # repr() of the schema is about its JSON size, is done in C and cannot fail.
        tokens += TOOL_OVERHEAD + text_tokens(tool.name) + text_tokens(tool.description)
        tokens += text_tokens(repr(tool.parameters))
    if req.response_format is not None and req.response_format.schema is not None:
        tokens += text_tokens(repr(req.response_format.schema))
    return PromptShape(tokens, images + head_images > 0, turns, images)


def estimate_prompt_tokens(req: ChatRequest) -> int:
    """Estimated prompt tokens: messages (text, images, tool calls and results) plus tool schemas."""
    return measure(req).tokens
