"""A fast, deliberately rough token count of a `ChatRequest`, for the context-window filter.

No tokenizer: they are per-provider, slow to load and the filter only needs to
know whether a prompt fits with room to spare. English and code average about
four characters per token; text outside ASCII (CJK, Cyrillic, emoji) packs
fewer characters into a token, so for it we count UTF-8 bytes / 3, which is
about one token per CJK character. Every operation is a C-level `len`,
`isascii` or `encode`, so the cost is O(total length) with a tiny constant.
Over-estimating is the safe side: a model that is dropped as too small costs a
little money, a prompt that overflows a context window fails the request.
"""

from __future__ import annotations

from routerdesk.core.types import ChatRequest, ImagePart, TextPart

# Per-message framing (role markers, separators) in chat templates.
MESSAGE_OVERHEAD = 4
# An image in a prompt: ~765 tokens for a 1024x1024 tile on OpenAI "high" detail,
# ~1,600 on Anthropic for a full-size image; we take a middle that errs high.
IMAGE_TOKENS = 1_200
IMAGE_TOKENS_LOW_DETAIL = 85
# Tool definitions are wrapped in provider-specific instructions.
TOOL_OVERHEAD = 10


def text_tokens(text: str) -> int:
    n = len(text)
    if n == 0:
        return 0
    if text.isascii():
        return (n + 3) // 4
    return max((n + 3) // 4, (len(text.encode("utf-8")) + 2) // 3)


def estimate_prompt_tokens(req: ChatRequest) -> int:
    """Estimated prompt tokens: messages (text, images, tool calls and results) plus tool schemas."""
    total = 0
    count = text_tokens  # local name: this loop runs over every message of long agent threads
    for msg in req.messages:
        total += MESSAGE_OVERHEAD
        for part in msg.content:
            if type(part) is TextPart:
                total += count(part.text)
            elif type(part) is ImagePart:
                total += IMAGE_TOKENS_LOW_DETAIL if part.detail == "low" else IMAGE_TOKENS
        if msg.tool_calls:
            for call in msg.tool_calls:
                total += MESSAGE_OVERHEAD + count(call.name) + count(call.arguments)
        if msg.reasoning:
            total += count(msg.reasoning)
    for tool in req.tools:
        # repr() of the schema is about its JSON size, is done in C and cannot fail.
        total += TOOL_OVERHEAD + count(tool.name) + count(tool.description)
        total += count(repr(tool.parameters))
    if req.response_format is not None and req.response_format.schema is not None:
        total += count(repr(req.response_format.schema))
    return total
