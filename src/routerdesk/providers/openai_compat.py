"""The OpenAI chat-completions wire format and the providers that speak it, quirks included.

Served here: openai, deepseek, moonshot, mistral, xai, groq, openrouter and
ollama (also any LM Studio / llama.cpp server behind an `ollama` base URL).
Quirks handled:
- `max_completion_tokens` instead of `max_tokens` for OpenAI reasoning models
  (`ModelSpec.uses_max_completion_tokens`);
- DeepSeek `reasoning_content` (also OpenRouter/Groq `reasoning`) becomes
  `ReasoningDelta` / `ChatResponse.reasoning`; it is sent back only on
  assistant tool-call turns, where DeepSeek requires it;
- parameters a provider rejects (`ModelSpec.drop_params` plus `KNOWN_DROPS`,
  e.g. Mistral answers 422 to `stream_options`) are removed and noted;
- usage always requested in streams and read from wherever a provider puts
  it (`usage`, `choices[0].usage` on Moonshot, `x_groq.usage` on Groq).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, cast

from routerdesk.core.errors import UpstreamError, UpstreamProtocolError
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

DEFAULT_BASE_URLS: dict[str, str] = {
    "openai": "https://api.openai.com/v1",
    "deepseek": "https://api.deepseek.com",
    "moonshot": "https://api.moonshot.ai/v1",
    "mistral": "https://api.mistral.ai/v1",
    "xai": "https://api.x.ai/v1",
    "groq": "https://api.groq.com/openai/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    "ollama": "http://localhost:11434/v1",
}

# Parameters a provider answers with an error instead of ignoring. Mistral
# validates bodies strictly (422 "extra_forbidden") and has no stream_options,
# user, seed (it calls it random_seed), logit_bias or reasoning_effort.
KNOWN_DROPS: dict[str, frozenset[str]] = {
    "mistral": frozenset(
        {
            "stream_options",
            "user",
            "logit_bias",
            "logprobs",
            "top_logprobs",
            "reasoning_effort",
            "service_tier",
            "store",
            "metadata",
            "max_completion_tokens",
        }
    ),
}
# Parameters renamed for a provider instead of dropped.
RENAMES: dict[str, dict[str, str]] = {"mistral": {"seed": "random_seed"}}

FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "model_length": "length",  # Mistral
    "error": "error",
}


def finish_reason(value: Any) -> FinishReason:
    return FINISH_REASONS.get(value, "stop") if isinstance(value, str) else "stop"


def parse_usage(u: dict[str, Any]) -> Usage:
    prompt_details = u.get("prompt_tokens_details") or {}
    completion_details = u.get("completion_tokens_details") or {}
    cached = (
        prompt_details.get("cached_tokens")
        or u.get("prompt_cache_hit_tokens")  # DeepSeek
        or u.get("cached_tokens")  # Moonshot
        or 0
    )
    return Usage(
        input_tokens=int(u.get("prompt_tokens") or 0),
        output_tokens=int(u.get("completion_tokens") or 0),
        cached_input_tokens=int(cached),
        reasoning_tokens=int(completion_details.get("reasoning_tokens") or 0),
    )


def _image_url(part: ImagePart) -> dict[str, Any]:
    url = part.url if part.url else f"data:{part.media_type or 'image/png'};base64,{part.data}"
    image: dict[str, Any] = {"url": url}
    if part.detail:
        image["detail"] = part.detail
    return {"type": "image_url", "image_url": image}


def _content(parts: list[TextPart | ImagePart]) -> str | list[dict[str, Any]]:
    if all(isinstance(p, TextPart) for p in parts) and len(parts) <= 1:
        return parts[0].text if parts else ""  # type: ignore[union-attr]
    out: list[dict[str, Any]] = []
    for p in parts:
        if isinstance(p, TextPart):
            out.append({"type": "text", "text": p.text})
        else:
            out.append(_image_url(p))
    return out


def encode_message(m: Message, provider: str) -> dict[str, Any]:
    if m.role == "tool":
        return {"role": "tool", "tool_call_id": m.tool_call_id or "", "content": m.text()}
    wire: dict[str, Any] = {"role": m.role}
    if m.role == "assistant":
        text = m.text()
        wire["content"] = text if text or not m.tool_calls else None
        if m.tool_calls:
            wire["tool_calls"] = [
                {
                    "id": tc.id,
                    "type": "function",
                    "function": {"name": tc.name, "arguments": tc.arguments or "{}"},
                }
                for tc in m.tool_calls
            ]
            if provider == "deepseek" and m.reasoning:
                wire["reasoning_content"] = m.reasoning
    else:
        wire["content"] = _content(m.content) if m.role == "user" else m.text()
    if m.name and m.role in ("user", "system"):
        wire["name"] = m.name
    return wire


def build_body(
    req: ChatRequest, model: ModelSpec, ctx: CallContext, *, stream: bool
) -> dict[str, Any]:
    """The chat-completions body for `model`, with the provider's quirks applied."""
    provider = model.provider
    body: dict[str, Any] = {
        "model": model.name,
        "messages": [encode_message(m, provider) for m in req.messages],
    }
    if req.max_tokens is not None:
        key = "max_completion_tokens" if model.uses_max_completion_tokens else "max_tokens"
        body[key] = req.max_tokens
    if req.temperature is not None:
        body["temperature"] = req.temperature
    if req.top_p is not None:
        body["top_p"] = req.top_p
    if req.stop:
        body["stop"] = req.stop
    if req.tools:
        tools = []
        for t in req.tools:
            fn: dict[str, Any] = {"name": t.name, "parameters": t.parameters}
            if t.description:
                fn["description"] = t.description
            if t.strict is not None:
                fn["strict"] = t.strict
            tools.append({"type": "function", "function": fn})
        body["tools"] = tools
        if req.tool_choice is not None:
            tc = req.tool_choice
            body["tool_choice"] = (
                {"type": "function", "function": {"name": tc.name}}
                if tc.mode == "tool"
                else tc.mode
            )
        if req.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = req.parallel_tool_calls
    rf = req.response_format
    if rf is not None and rf.type != "text":
        if rf.type == "json_schema":
            schema: dict[str, Any] = {"name": rf.name or "response", "schema": rf.schema or {}}
            if rf.strict is not None:
                schema["strict"] = rf.strict
            body["response_format"] = {"type": "json_schema", "json_schema": schema}
        else:
            body["response_format"] = {"type": "json_object"}
    if req.reasoning_effort:
        body["reasoning_effort"] = req.reasoning_effort
    if req.user:
        body["user"] = req.user
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    for k, v in req.extra.items():
        body.setdefault(k, v)
    for old, new in RENAMES.get(provider, {}).items():
        if old in body:
            body.setdefault(new, body.pop(old))
    drops = (model.drop_params | KNOWN_DROPS.get(provider, frozenset())) & body.keys()
    for name in sorted(drops):
        del body[name]
        ctx.notes.append(f"{provider} does not accept '{name}'; dropped it for {model.id}")
    return body


def parse_response(data: Any, provider: str) -> ChatResponse:
    """A chat.completion object -> ChatResponse."""
    try:
        choice = data["choices"][0]
        msg = choice["message"]
        tool_calls = [
            ToolCall(tc["id"], tc["function"]["name"], tc["function"].get("arguments") or "{}")
            for tc in msg.get("tool_calls") or ()
        ]
        usage = parse_usage(data.get("usage") or choice.get("usage") or {})
        reason = finish_reason(choice.get("finish_reason"))
        if tool_calls and reason == "stop":
            reason = "tool_calls"
        return ChatResponse(
            id=str(data.get("id") or ""),
            model=str(data.get("model") or ""),
            content=msg.get("content"),
            reasoning=msg.get("reasoning_content") or msg.get("reasoning"),
            tool_calls=tool_calls,
            finish_reason=reason,
            usage=usage,
            created=int(data.get("created") or 0),
        )
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise protocol_error(provider, f"unexpected chat.completion shape ({exc!r})") from None


def stream_error(provider: str, err: Any) -> UpstreamError:
    """An `{"error": ...}` object sent inside a stream (OpenRouter, vLLM) as an UpstreamError."""
    code = err.get("code") if isinstance(err, dict) else None
    status = code if isinstance(code, int) and 400 <= code < 600 else 500
    return error_for_status(provider, status, {}, json.dumps({"error": err}).encode(), None)


class ChatCompletionsDecoder:
    """chat.completion.chunk SSE events -> StreamEvents; the end needs `[DONE]` or a finish_reason."""

    __slots__ = ("_done", "_finish", "_ids", "_parser", "_provider", "_usage")

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._parser = SSEParser()
        self._done = False
        self._finish: FinishReason | None = None
        self._usage: Usage | None = None
        self._ids: dict[int, str] = {}  # tool call index -> id, so id and name go out once

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        for ev in self._parser.feed(chunk):
            data = ev.data
            if data == "[DONE]":
                self._done = True
                continue
            try:
                obj = json.loads(data)
                self._chunk(obj, out)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise protocol_error(self._provider, f"bad stream chunk ({exc!r})") from None
        return out

    def _chunk(self, obj: dict[str, Any], out: list[StreamEvent]) -> None:
        if "error" in obj and not obj.get("choices"):
            raise stream_error(self._provider, obj["error"])
        for choice in obj.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if reasoning:
                out.append(ReasoningDelta(reasoning))
            text = delta.get("content")
            if text:
                out.append(TextDelta(text))
            for tc in delta.get("tool_calls") or ():
                self._tool_delta(tc, out)
            reason = choice.get("finish_reason")
            if reason:
                self._finish = finish_reason(reason)
            if choice.get("usage"):
                self._usage = parse_usage(choice["usage"])
        usage = obj.get("usage") or (obj.get("x_groq") or {}).get("usage")
        if usage:
            self._usage = parse_usage(usage)

    def _tool_delta(self, tc: dict[str, Any], out: list[StreamEvent]) -> None:
        index = tc.get("index")
        if index is None:  # some servers omit the index: one call per id
            call_id = tc.get("id")
            index = next((i for i, v in self._ids.items() if v == call_id), len(self._ids))
        fn = tc.get("function") or {}
        args = fn.get("arguments") or ""
        if not isinstance(args, str):  # a few local servers send an object
            args = json.dumps(args)
        if index in self._ids:
            if args:
                out.append(ToolCallDelta(index, arguments=args))
            return
        call_id = tc.get("id") or f"call_{index}"
        self._ids[index] = call_id
        out.append(ToolCallDelta(index, call_id, fn.get("name") or "", args))

    def close(self) -> list[StreamEvent]:
        if self._finish is None and not self._done:
            raise UpstreamProtocolError(
                f"The stream from {self._provider} ended before the answer was complete.",
                provider=self._provider,
            )
        reason = self._finish or ("tool_calls" if self._ids else "stop")
        if reason == "stop" and self._ids:
            reason = "tool_calls"
        return [FinishEvent(reason), UsageEvent(self._usage or Usage())]


class OpenAICompatAdapter(WireAdapter):
    """POST {base}/chat/completions for every OpenAI-compatible provider."""

    default_base_urls: ClassVar[dict[str, str]] = DEFAULT_BASE_URLS

    def url(self, model: ModelSpec, ctx: CallContext, *, stream: bool) -> str:
        return ctx.base_url.rstrip("/") + "/chat/completions"

    def models_url(self, ctx: CallContext) -> str:
        return ctx.base_url.rstrip("/") + "/models"

    def headers(self, ctx: CallContext, *, stream: bool) -> dict[str, str]:
        h = {
            "content-type": "application/json",
            "accept": "text/event-stream" if stream else "application/json",
        }
        if ctx.key:
            h["authorization"] = f"Bearer {ctx.key}"
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
        return cast(StreamDecoder, ChatCompletionsDecoder(provider))
