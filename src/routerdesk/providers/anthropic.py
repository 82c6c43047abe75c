"""The Anthropic Messages API (`POST {base}/v1/messages`, anthropic-version 2023-06-01).

Translation notes:
- system messages become the top-level `system` blocks (cache_control kept);
- consecutive turns of the same role are merged, tool results become
  `tool_result` blocks in a user turn (tool results first, as required);
- assistant turns replay thinking (with its signature) before text and
  `tool_use` blocks;
- `max_tokens` is required: the client's, else the model's limit capped at
  `DEFAULT_MAX_TOKENS`;
- usage: internal `input_tokens` counts every prompt token, so it is
  `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, cast

from routerdesk.core.errors import (
    UpstreamError,
    UpstreamProtocolError,
)
from routerdesk.core.registry import ModelSpec
from routerdesk.core.types import (
    ChatRequest,
    ChatResponse,
    FinishEvent,
    FinishReason,
    ImagePart,
    Message,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    Usage,
    UsageEvent,
)
from routerdesk.providers.base import CallContext
from routerdesk.providers.http import error_for_status
from routerdesk.providers.sse import SSEParser
from routerdesk.providers.wire import (
    StreamDecoder,
    WireAdapter,
    not_an_event_stream,
    protocol_error,
)

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = (
    8192  # when the client sets none: long enough for code, short of surprise bills
)
THINKING_BUDGETS = {"low": 1024, "medium": 4096, "high": 16384}

STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
# The error "type" of an in-stream error event, as the HTTP status it stands for.
ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}


def stop_reason(value: Any) -> FinishReason:
    return STOP_REASONS.get(value, "stop") if isinstance(value, str) else "stop"


def parse_usage(u: dict[str, Any]) -> Usage:
    cache_read = int(u.get("cache_read_input_tokens") or 0)
    cache_write = int(u.get("cache_creation_input_tokens") or 0)
    return Usage(
        input_tokens=int(u.get("input_tokens") or 0) + cache_read + cache_write,
        output_tokens=int(u.get("output_tokens") or 0),
        cached_input_tokens=cache_read,
        cache_write_tokens=cache_write,
    )


def _text_block(p: TextPart) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text", "text": p.text}
    if p.cache_control:
        block["cache_control"] = p.cache_control
    return block


def _image_block(p: ImagePart) -> dict[str, Any]:
    if p.url:
        return {"type": "image", "source": {"type": "url", "url": p.url}}
    return {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": p.media_type or "image/png",
            "data": p.data or "",
        },
    }


def _blocks(parts: list[TextPart | ImagePart]) -> list[dict[str, Any]]:
    # Anthropic rejects empty text blocks.
    return [
        _text_block(p) if isinstance(p, TextPart) else _image_block(p)
        for p in parts
        if not (isinstance(p, TextPart) and not p.text)
    ]


def _tool_input(arguments: str) -> Any:
    try:
        value = json.loads(arguments) if arguments else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _turn(m: Message) -> tuple[str, list[dict[str, Any]]]:
    if m.role == "tool":
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": m.tool_call_id or ""}
        if m.has_image():
            result["content"] = _blocks(m.content)
        else:
            result["content"] = m.text()
        if m.is_error:
            result["is_error"] = True
        return "user", [result]
    if m.role == "assistant":
        blocks: list[dict[str, Any]] = []
        if m.reasoning is not None and m.reasoning_signature:
            blocks.append(
                {"type": "thinking", "thinking": m.reasoning, "signature": m.reasoning_signature}
            )
        blocks += _blocks(m.content)
        blocks += [
            {"type": "tool_use", "id": tc.id, "name": tc.name, "input": _tool_input(tc.arguments)}
            for tc in m.tool_calls
        ]
        return "assistant", blocks
    return "user", _blocks(m.content)


def encode_messages(
    messages: list[Message],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system blocks, messages) with same-role turns merged."""
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            system += [_text_block(p) for p in m.content if isinstance(p, TextPart) and p.text]
            continue
        role, blocks = _turn(m)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return system, turns


def build_body(
    req: ChatRequest, model: ModelSpec, ctx: CallContext, *, stream: bool
) -> dict[str, Any]:
    system, messages = encode_messages(req.messages)
    max_tokens = req.max_tokens or min(model.max_output_tokens, DEFAULT_MAX_TOKENS)
    if max_tokens > model.max_output_tokens:
        ctx.notes.append(
            f"max_tokens {max_tokens} is above {model.id}'s limit; sent {model.max_output_tokens}"
        )
        max_tokens = model.max_output_tokens
    body: dict[str, Any] = {"model": model.name, "max_tokens": max_tokens, "messages": messages}
    rf = req.response_format
    if rf is not None and rf.type != "text":
        # No JSON mode on the Messages API: ask for it in the system prompt.
        hint = "Respond with a single JSON object and nothing else."
        if rf.schema:
            hint += " It must match this JSON schema: " + json.dumps(rf.schema)
        system.append({"type": "text", "text": hint})
        ctx.notes.append("anthropic has no JSON mode; asked for JSON in the system prompt")
    if system:
        body["system"] = system
    thinking = THINKING_BUDGETS.get(req.reasoning_effort or "")
    if thinking and model.supports("reasoning") and max_tokens > 1024:
        body["thinking"] = {"type": "enabled", "budget_tokens": min(thinking, max_tokens - 1)}
        if req.temperature is not None or req.top_p is not None:
            ctx.notes.append("anthropic: temperature/top_p dropped, not allowed with thinking")
    else:
        if req.temperature is not None:
            body["temperature"] = min(req.temperature, 1.0)  # Anthropic's range is 0..1
        if req.top_p is not None:
            body["top_p"] = req.top_p
    if req.stop:
        body["stop_sequences"] = req.stop
    if req.tools:
        body["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters}
            if t.description
            else {"name": t.name, "input_schema": t.parameters}
            for t in req.tools
        ]
        choice: dict[str, Any] | None = None
        tc = req.tool_choice
        if tc is not None:
            mode = {"auto": "auto", "required": "any", "tool": "tool", "none": "none"}[tc.mode]
            choice = {"type": mode}
            if tc.mode == "tool":
                choice["name"] = tc.name
        if req.parallel_tool_calls is False:
            choice = choice or {"type": "auto"}
            if choice["type"] != "none":
                choice["disable_parallel_tool_use"] = True
        if choice is not None:
            body["tool_choice"] = choice
    if req.user:
        body["metadata"] = {"user_id": req.user}
    if req.extra:
        ctx.notes.append(f"anthropic ignores {', '.join(sorted(req.extra))}")
    if stream:
        body["stream"] = True
    return body


def parse_response(data: Any, provider: str) -> ChatResponse:
    try:
        text: list[str] = []
        reasoning: list[str] = []
        signature: str | None = None
        calls: list[ToolCall] = []
        for block in data["content"]:
            kind = block["type"]
            if kind == "text":
                text.append(block["text"])
            elif kind == "thinking":
                reasoning.append(block.get("thinking", ""))
                signature = block.get("signature") or signature
            elif kind == "tool_use":
                calls.append(
                    ToolCall(block["id"], block["name"], json.dumps(block.get("input", {})))
                )
        return ChatResponse(
            id=str(data.get("id", "")),
            model=str(data.get("model", "")),
            content="".join(text) if text else None,
            reasoning="".join(reasoning) if reasoning else None,
            reasoning_signature=signature,
            tool_calls=calls,
            finish_reason=stop_reason(data.get("stop_reason")),
            usage=parse_usage(data.get("usage") or {}),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise protocol_error(provider, f"unexpected message shape ({exc!r})") from None


def stream_error(provider: str, err: Any) -> UpstreamError:
    kind = err.get("type", "") if isinstance(err, dict) else ""
    status = ERROR_STATUS.get(kind, 500)
    return error_for_status(provider, status, {}, json.dumps({"error": err}).encode(), None)


class MessagesStreamDecoder:
    """Messages API SSE events -> StreamEvents. The end is `message_stop`."""

    __slots__ = ("_done", "_finish", "_parser", "_provider", "_tools", "_usage")

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._parser = SSEParser()
        self._done = False
        self._finish: FinishReason | None = None
        self._usage = Usage()
        # content block index -> [tool call index, got arguments]
        self._tools: dict[int, list[Any]] = {}

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        for ev in self._parser.feed(chunk):
            try:
                obj = json.loads(ev.data)
                self._event(obj.get("type") or ev.event, obj, out)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise protocol_error(self._provider, f"bad stream event ({exc!r})") from None
        return out

    def _event(self, kind: str, obj: dict[str, Any], out: list[StreamEvent]) -> None:
        if kind == "content_block_delta":
            delta = obj["delta"]
            dtype = delta["type"]
            if dtype == "text_delta":
                if delta["text"]:
                    out.append(TextDelta(delta["text"]))
            elif dtype == "input_json_delta":
                tool = self._tools[obj["index"]]
                if delta["partial_json"]:
                    tool[1] = True
                    out.append(ToolCallDelta(tool[0], arguments=delta["partial_json"]))
            elif dtype == "thinking_delta":
                out.append(ReasoningDelta(delta["thinking"]))
            elif dtype == "signature_delta":
                out.append(ReasoningDelta("", signature=delta["signature"]))
        elif kind == "content_block_start":
            block = obj["content_block"]
            if block["type"] == "tool_use":
                index = len(self._tools)
                self._tools[obj["index"]] = [index, False]
                out.append(ToolCallDelta(index, block["id"], block["name"], ""))
            elif block["type"] == "text" and block.get("text"):
                out.append(TextDelta(block["text"]))
            elif block["type"] == "thinking" and block.get("thinking"):
                out.append(ReasoningDelta(block["thinking"]))
        elif kind == "content_block_stop":
            pending = self._tools.get(obj.get("index", -1))
            if pending is not None and not pending[1]:  # a tool without arguments: say so
                pending[1] = True
                out.append(ToolCallDelta(pending[0], arguments="{}"))
        elif kind == "message_start":
            self._usage = parse_usage(obj["message"].get("usage") or {})
        elif kind == "message_delta":
            reason = (obj.get("delta") or {}).get("stop_reason")
            if reason:
                self._finish = stop_reason(reason)
            self._merge_usage(obj.get("usage") or {})
        elif kind == "message_stop":
            self._done = True
        elif kind == "error":
            raise stream_error(self._provider, obj.get("error"))
        # "ping" and unknown future events are ignored, as Anthropic asks clients to.

    def _merge_usage(self, u: dict[str, Any]) -> None:
        # message_delta usage is cumulative; newer API versions repeat the input counts there.
        if "input_tokens" in u or "cache_read_input_tokens" in u:
            merged = parse_usage(u)
            if merged.input_tokens:
                self._usage.input_tokens = merged.input_tokens
                self._usage.cached_input_tokens = merged.cached_input_tokens
                self._usage.cache_write_tokens = merged.cache_write_tokens
        if u.get("output_tokens") is not None:
            self._usage.output_tokens = int(u["output_tokens"])

    def close(self) -> list[StreamEvent]:
        if not self._done:
            raise UpstreamProtocolError(
                f"The stream from {self._provider} ended before message_stop; the answer is incomplete.",
                provider=self._provider,
            )
        return [FinishEvent(self._finish or "stop"), UsageEvent(self._usage)]


class AnthropicAdapter(WireAdapter):
    default_base_urls: ClassVar[dict[str, str]] = {"anthropic": DEFAULT_BASE_URL}

    def url(self, model: ModelSpec, ctx: CallContext, *, stream: bool) -> str:
        base = ctx.base_url.rstrip("/")
        # Accept a base URL given with or without the /v1 suffix.
        return base + ("/messages" if base.endswith("/v1") else "/v1/messages")

    def models_url(self, ctx: CallContext) -> str:
        base = ctx.base_url.rstrip("/")
        return base + ("/models" if base.endswith("/v1") else "/v1/models")

    def headers(self, ctx: CallContext, *, stream: bool) -> dict[str, str]:
        h = {
            "content-type": "application/json",
            "anthropic-version": API_VERSION,
            "accept": "text/event-stream" if stream else "application/json",
        }
        if ctx.key:
            h["x-api-key"] = ctx.key
        return h

    def build_body(
        self, req: ChatRequest, model: ModelSpec, ctx: CallContext, *, stream: bool
    ) -> dict[str, Any]:
        return build_body(req, model, ctx, stream=stream)

    def parse_response(self, data: Any, provider: str) -> ChatResponse:
        return parse_response(data, provider)

    def stream_decoder(self, provider: str, content_type: str) -> StreamDecoder:
        if "event-stream" not in content_type:
            raise not_an_event_stream(provider, content_type)
        return cast(StreamDecoder, MessagesStreamDecoder(provider))
