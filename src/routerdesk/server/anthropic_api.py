"""The Anthropic Messages wire format: request parsing and message / stream-event rendering.

Lets Claude Code (``ANTHROPIC_BASE_URL=http://127.0.0.1:8787``) and the
anthropic SDK talk to routerdesk. `parse_messages_request` maps ``system`` (and
``role: "system"`` turns inside ``messages``, which Claude Code sends),
text/image/tool_use/tool_result/thinking blocks and tools onto a `ChatRequest`;
a user turn's ``tool_result`` blocks become ``tool`` messages placed before the
rest of that turn. Anthropic-only fields stay out of `ChatRequest.extra` (see
below), because every OpenAI-compatible upstream would receive them.

`EventRenderer` turns `StreamEvent`s into the SSE sequence the SDK expects:
message_start, ping, content_block_start / _delta (text_delta, thinking_delta,
signature_delta, input_json_delta) / _stop, message_delta (stop_reason, usage),
message_stop; and ``event: error`` for a failure mid-stream.
"""

from __future__ import annotations

import json
from typing import Any

from routerdesk.core.errors import InvalidRequest
from routerdesk.core.types import (
    ChatRequest,
    ChatResponse,
    ContentPart,
    FinishEvent,
    ImagePart,
    Message,
    ReasoningDelta,
    ResponseFormat,
    StreamEvent,
    TextDelta,
    TextPart,
    Tool,
    ToolCall,
    ToolCallDelta,
    ToolChoice,
    Usage,
    UsageEvent,
)
from routerdesk.server import validate as v

_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "error": "end_turn",
}
# Anthropic-only body fields (thinking, top_k, metadata, service_tier, output_config,
# context_management, ...) are NOT put in `ChatRequest.extra`: the OpenAI-compatible
# adapters copy `extra` into their upstream body, and OpenAI answers 400 ("Unrecognized
# request argument") to a `thinking` (Claude Code sends one on every request), while the
# Anthropic adapter builds its body from the mapped fields only. What maps is mapped:
# thinking.budget_tokens -> reasoning_effort, metadata.user_id -> user,
# output_config.format -> response_format. (output_config.effort is not mapped: Claude
# Code sends "high" on every request, which would make every routed model reason hard.)


def parse_messages_request(
    body: Any,
    *,
    client: str = "",
    max_messages: int = v.MAX_MESSAGES,
    require_max_tokens: bool = True,
) -> ChatRequest:
    """An Anthropic ``/v1/messages`` body as a `ChatRequest`."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    if "model" not in body:
        raise InvalidRequest("'model' is required (use 'auto' to let routerdesk choose).", "model")
    model = v.string(body["model"], "model").strip() or "auto"
    if "max_tokens" not in body and require_max_tokens:
        raise InvalidRequest("'max_tokens' is required.", "max_tokens")
    max_tokens = v.opt_positive_int(body.get("max_tokens"), "max_tokens")
    messages: list[Message] = []
    system = body.get("system")
    if system is not None:
        messages.append(Message(role="system", content=_system(system)))
    for i, raw in enumerate(v.messages_list(body.get("messages"), "messages", max_messages)):
        messages.extend(_message(raw, f"messages[{i}]"))
    tools = _tools(body.get("tools"))
    thinking = body.get("thinking")
    effort: str | None = None
    if thinking is not None:
        t = v.obj(thinking, "thinking")
        kind = v.string(t.get("type"), "thinking.type")
        if kind == "enabled":
            budget = v.positive_int(t.get("budget_tokens"), "thinking.budget_tokens")
            effort = "low" if budget < 4096 else "medium" if budget < 16384 else "high"
        elif kind not in ("disabled", "adaptive"):
            raise InvalidRequest(
                "'thinking.type' must be 'enabled', 'adaptive' or 'disabled'.", "thinking.type"
            )
    metadata = body.get("metadata")
    user = None
    if metadata is not None:
        user = v.opt_string(v.obj(metadata, "metadata").get("user_id"), "metadata.user_id")
    choice, parallel = _tool_choice(body.get("tool_choice"), tools)
    return ChatRequest(
        messages=messages,
        model=model,
        tools=tools,
        tool_choice=choice,
        parallel_tool_calls=parallel,
        response_format=_output_format(body),
        max_tokens=max_tokens,
        temperature=v.opt_number(body.get("temperature"), "temperature", 0, 1),
        top_p=v.opt_number(body.get("top_p"), "top_p", 0, 1),
        stop=v.stop_list(body.get("stop_sequences"), "stop_sequences"),
        stream=bool(v.opt_bool(body.get("stream"), "stream")),
        reasoning_effort=effort,
        user=user,
        client=client,
        inbound="anthropic",
    )


def _output_format(body: dict[str, Any]) -> ResponseFormat | None:
    """Structured outputs: ``output_config.format`` (or the older beta ``output_format``).

    Claude Code asks for its session titles this way
    (``{"type": "json_schema", "schema": {...}}``); routed as JSON-schema output.
    """
    raw: Any = None
    where = "output_config.format"
    config = body.get("output_config")
    if config is not None:
        raw = v.obj(config, "output_config").get("format")
    if raw is None and body.get("output_format") is not None:
        raw, where = body["output_format"], "output_format"
    if raw is None:
        return None
    fmt = v.obj(raw, where)
    kind = v.string(fmt.get("type"), f"{where}.type")
    if kind != "json_schema":
        raise InvalidRequest(
            f"'{where}.type' must be 'json_schema', got {kind!r}.", f"{where}.type"
        )
    return ResponseFormat(type="json_schema", schema=v.obj(fmt.get("schema"), f"{where}.schema"))


def _system(raw: Any, where: str = "system") -> list[ContentPart]:
    if isinstance(raw, str):
        return [TextPart(raw)]
    parts: list[ContentPart] = []
    for i, b in enumerate(v.arr(raw, where)):
        block = v.obj(b, f"{where}[{i}]")
        if block.get("type") != "text":
            raise InvalidRequest(f"'{where}[{i}].type' must be 'text'.", f"{where}[{i}].type")
        parts.append(
            TextPart(v.string(block.get("text"), f"{where}[{i}].text"), block.get("cache_control"))
        )
    return parts


def _image(block: dict[str, Any], where: str) -> ImagePart:
    src = v.obj(block.get("source"), f"{where}.source")
    kind = v.string(src.get("type"), f"{where}.source.type")
    if kind == "base64":
        return ImagePart(
            data=v.string(src.get("data"), f"{where}.source.data"),
            media_type=v.string(src.get("media_type"), f"{where}.source.media_type"),
        )
    if kind == "url":
        return ImagePart(url=v.string(src.get("url"), f"{where}.source.url"))
    raise InvalidRequest(
        f"'{where}.source.type' must be 'base64' or 'url', got {kind!r}.", f"{where}.source.type"
    )


def _tool_result_content(raw: Any, where: str) -> list[ContentPart]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [TextPart(raw)]
    parts: list[ContentPart] = []
    for i, b in enumerate(v.arr(raw, where)):
        block = v.obj(b, f"{where}[{i}]")
        kind = block.get("type")
        if kind == "text":
            parts.append(TextPart(v.string(block.get("text"), f"{where}[{i}].text")))
        elif kind == "image":
            parts.append(_image(block, f"{where}[{i}]"))
        else:
            raise InvalidRequest(
                f"'{where}[{i}].type' must be 'text' or 'image'.", f"{where}[{i}].type"
            )
    return parts


def _message(raw: Any, where: str) -> list[Message]:
    m = v.obj(raw, where)
    role = v.string(m.get("role"), f"{where}.role")
    if role not in ("user", "assistant", "system"):
        raise InvalidRequest(
            f"'{where}.role' must be 'user', 'assistant' or 'system', got {role!r}.",
            f"{where}.role",
        )
    content = m.get("content")
    if content is None:
        raise InvalidRequest(f"'{where}.content' is required.", f"{where}.content")
    if role == "system":
        # Mid-conversation system turns (Claude Code 2.1+, beta
        # "mid-conversation-system-2026-04-07"): a string or text blocks, like ``system``.
        return [Message(role="system", content=_system(content, f"{where}.content"))]
    msg = Message(role=role)  # type: ignore[arg-type]
    if isinstance(content, str):
        msg.content = [TextPart(content)]
        return [msg]
    results: list[Message] = []
    for i, b in enumerate(v.arr(content, f"{where}.content")):
        here = f"{where}.content[{i}]"
        block = v.obj(b, here)
        kind = v.string(block.get("type"), f"{here}.type")
        if kind == "text":
            msg.content.append(
                TextPart(v.string(block.get("text"), f"{here}.text"), block.get("cache_control"))
            )
        elif kind == "image":
            msg.content.append(_image(block, here))
        elif kind == "tool_use" and role == "assistant":
            args = block.get("input", {})
            msg.tool_calls.append(
                ToolCall(
                    id=v.string(block.get("id"), f"{here}.id"),
                    name=v.string(block.get("name"), f"{here}.name"),
                    arguments=json.dumps(v.obj(args, f"{here}.input")),
                )
            )
        elif kind == "tool_result" and role == "user":
            results.append(
                Message(
                    role="tool",
                    content=_tool_result_content(block.get("content"), f"{here}.content"),
                    tool_call_id=v.string(block.get("tool_use_id"), f"{here}.tool_use_id"),
                    is_error=bool(v.opt_bool(block.get("is_error"), f"{here}.is_error")),
                )
            )
        elif kind == "thinking" and role == "assistant":
            msg.reasoning = (msg.reasoning or "") + v.string(
                block.get("thinking"), f"{here}.thinking"
            )
            msg.reasoning_signature = v.opt_string(block.get("signature"), f"{here}.signature")
        elif kind == "redacted_thinking":
            continue  # opaque to us and to any other provider
        else:
            raise InvalidRequest(
                f"'{here}.type' {kind!r} is not supported in a {role} message "
                "(supported: text, image, tool_use from assistant, tool_result from user, thinking).",
                f"{here}.type",
            )
    if msg.content or msg.tool_calls or msg.reasoning or not results:
        results.append(msg)
    return results


def _tools(raw: Any) -> list[Tool]:
    if raw is None:
        return []
    out: list[Tool] = []
    for i, t in enumerate(v.arr(raw, "tools")):
        tool = v.obj(t, f"tools[{i}]")
        kind = tool.get("type", "custom")
        if kind not in ("custom", None):
            raise InvalidRequest(
                f"'tools[{i}].type' {kind!r} is a server tool routerdesk cannot run; only client tools "
                "(name, description, input_schema) are supported.",
                f"tools[{i}].type",
            )
        schema = tool.get("input_schema")
        out.append(
            Tool(
                name=v.string(tool.get("name"), f"tools[{i}].name"),
                description=v.opt_string(tool.get("description"), f"tools[{i}].description") or "",
                parameters=v.obj(schema, f"tools[{i}].input_schema"),
            )
        )
    return out


def _tool_choice(raw: Any, tools: list[Tool]) -> tuple[ToolChoice | None, bool | None]:
    if raw is None:
        return None, None
    c = v.obj(raw, "tool_choice")
    kind = v.string(c.get("type"), "tool_choice.type")
    parallel = v.opt_bool(
        c.get("disable_parallel_tool_use"), "tool_choice.disable_parallel_tool_use"
    )
    parallel = None if parallel is None else not parallel
    if kind == "auto":
        return ToolChoice("auto"), parallel
    if kind == "any":
        return ToolChoice("required"), parallel
    if kind == "none":
        return ToolChoice("none"), parallel
    if kind == "tool":
        name = v.string(c.get("name"), "tool_choice.name")
        if not any(t.name == name for t in tools):
            raise InvalidRequest(
                f"'tool_choice.name' {name!r} is not among the tools.", "tool_choice.name"
            )
        return ToolChoice("tool", name), parallel
    raise InvalidRequest(
        "'tool_choice.type' must be 'auto', 'any', 'tool' or 'none'.", "tool_choice.type"
    )


# --- rendering ---------------------------------------------------------------------


def usage_dict(u: Usage) -> dict[str, int]:
    """Anthropic counts cache reads and writes beside, not inside, input_tokens."""
    return {
        "input_tokens": max(0, u.input_tokens - u.cached_input_tokens - u.cache_write_tokens),
        "output_tokens": u.output_tokens,
        "cache_creation_input_tokens": u.cache_write_tokens,
        "cache_read_input_tokens": u.cached_input_tokens,
    }


def _tool_input(arguments: str) -> Any:
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return {"_raw_arguments": arguments}
    return value if isinstance(value, dict) else {"value": value}


def message_id(rid: str) -> str:
    return rid if rid.startswith("msg_") else "msg_" + rid


def render_message(resp: ChatResponse) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if resp.reasoning:
        content.append(
            {
                "type": "thinking",
                "thinking": resp.reasoning,
                "signature": resp.reasoning_signature or "",
            }
        )
    if resp.content:
        content.append({"type": "text", "text": resp.content})
    for c in resp.tool_calls:
        content.append(
            {"type": "tool_use", "id": c.id, "name": c.name, "input": _tool_input(c.arguments)}
        )
    return {
        "id": message_id(resp.id),
        "type": "message",
        "role": "assistant",
        "model": resp.model,
        "content": content,
        "stop_reason": _STOP.get(resp.finish_reason, "end_turn"),
        "stop_sequence": None,
        "usage": usage_dict(resp.usage),
    }


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + json.dumps(data).encode() + b"\n\n"


class EventRenderer:
    """Renders one stream's events as Anthropic SSE bytes, opening and closing content blocks."""

    __slots__ = (
        "_block",
        "_id",
        "_index",
        "_input_estimate",
        "_model",
        "_stop",
        "_tool_index",
        "_usage",
    )

    def __init__(self, *, id: str, model: str, input_estimate: int) -> None:
        self._id = message_id(id)
        self._model = model
        self._input_estimate = input_estimate
        self._index = -1
        self._block: str | None = None  # "text" | "thinking" | "tool"
        self._tool_index: int | None = None
        self._stop = "end_turn"
        self._usage: Usage | None = None

    def start(self) -> bytes:
        message: dict[str, Any] = {
            "id": self._id,
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": self._input_estimate, "output_tokens": 1},
        }
        return _sse("message_start", {"type": "message_start", "message": message}) + _sse(
            "ping", {"type": "ping"}
        )

    def _open(self, kind: str, block: dict[str, Any]) -> bytes:
        out = self._close()
        self._index += 1
        self._block = kind
        return out + _sse(
            "content_block_start",
            {"type": "content_block_start", "index": self._index, "content_block": block},
        )

    def _close(self) -> bytes:
        if self._block is None:
            return b""
        self._block = None
        self._tool_index = None
        return _sse("content_block_stop", {"type": "content_block_stop", "index": self._index})

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return _sse(
            "content_block_delta",
            {"type": "content_block_delta", "index": self._index, "delta": delta},
        )

    def event(self, ev: StreamEvent) -> bytes:
        if type(ev) is TextDelta:
            out = b"" if self._block == "text" else self._open("text", {"type": "text", "text": ""})
            return out + self._delta({"type": "text_delta", "text": ev.text})
        if type(ev) is ReasoningDelta:
            out = (
                b""
                if self._block == "thinking"
                else self._open("thinking", {"type": "thinking", "thinking": "", "signature": ""})
            )
            if ev.text:
                out += self._delta({"type": "thinking_delta", "thinking": ev.text})
            if ev.signature:
                out += self._delta({"type": "signature_delta", "signature": ev.signature})
            return out
        if type(ev) is ToolCallDelta:
            out = b""
            if (
                self._block != "tool"
                or (ev.id is not None and ev.index != self._tool_index)
                or ev.index != self._tool_index
            ):
                out = self._open(
                    "tool",
                    {
                        "type": "tool_use",
                        "id": ev.id or f"toolu_{ev.index}",
                        "name": ev.name or "",
                        "input": {},
                    },
                )
                self._tool_index = ev.index
            if ev.arguments:
                out += self._delta({"type": "input_json_delta", "partial_json": ev.arguments})
            return out
        if type(ev) is FinishEvent:
            self._stop = _STOP.get(ev.reason, "end_turn")
            return b""
        if type(ev) is UsageEvent:
            self._usage = ev.usage
            return b""
        return b""

    def end(self) -> bytes:
        out = self._close()
        usage = usage_dict(self._usage or Usage())
        out += _sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": self._stop, "stop_sequence": None},
                "usage": usage,
            },
        )
        return out + _sse("message_stop", {"type": "message_stop"})

    @staticmethod
    def error(body: dict[str, Any]) -> bytes:
        return _sse("error", body)


def render_models(model_ids: list[str]) -> dict[str, Any]:
    """``GET /v1/models`` in Anthropic's list format."""
    data = [
        {"type": "model", "id": m, "display_name": m, "created_at": "2024-01-01T00:00:00Z"}
        for m in model_ids
    ]
    return {
        "data": data,
        "has_more": False,
        "first_id": model_ids[0] if model_ids else None,
        "last_id": model_ids[-1] if model_ids else None,
    }
