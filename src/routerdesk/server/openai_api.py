"""The OpenAI chat-completions wire format: request parsing and response / SSE rendering.

`parse_chat_request` is strict: a wrong type or a missing field is an
`InvalidRequest` naming the field (``messages[2].content[0].image_url``).
Parameters we do not model (seed, logit_bias, ...) travel in `ChatRequest.extra`.

`render_completion` builds a ``chat.completion`` object; `ChunkRenderer` turns
`StreamEvent`s into ``chat.completion.chunk`` SSE lines (``data: ...\\n\\n``, a
usage chunk only when the client asked for ``stream_options.include_usage``, then
``data: [DONE]``; after an error event the stream ends without ``[DONE]``, as OpenAI's
does, so a client that waits for ``[DONE]`` sees the failure). Chunk JSON shares a prebuilt prefix so each event costs one
small `json.dumps`.
"""

from __future__ import annotations

import json
from typing import Any

from routerdesk.core.errors import InvalidRequest
from routerdesk.core.openai_format import parse_messages, parse_response_format, parse_tools
from routerdesk.core.types import (
    ChatRequest,
    ChatResponse,
    FinishEvent,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    Tool,
    ToolCallDelta,
    ToolChoice,
    Usage,
    UsageEvent,
)
from routerdesk.server import validate as v

_MODELED = frozenset(
    {
        "model", "messages", "tools", "functions", "tool_choice", "function_call",
        "parallel_tool_calls", "response_format", "max_tokens", "max_completion_tokens",
        "temperature", "top_p", "stop", "stream", "stream_options", "n", "reasoning_effort", "user",
    }
)  # fmt: skip
FINGERPRINT = "routerdesk"
DEMO_FINGERPRINT = "routerdesk-demo"


def parse_chat_request(
    body: Any, *, client: str = "", max_messages: int = v.MAX_MESSAGES
) -> ChatRequest:
    """An OpenAI ``/v1/chat/completions`` body as a `ChatRequest`."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = body.get("model", "auto")
    model = v.string(model, "model").strip() or "auto"
    n = body.get("n")
    if n is not None and n != 1:
        raise InvalidRequest(
            f"'n' must be 1: routerdesk returns one choice per request (got {n!r}). "
            "Send several requests for several answers.",
            "n",
        )
    stream = bool(v.opt_bool(body.get("stream"), "stream"))
    include_usage = False
    opts = body.get("stream_options")
    if opts is not None:
        include_usage = bool(
            v.opt_bool(
                v.obj(opts, "stream_options").get("include_usage"), "stream_options.include_usage"
            )
        )
    max_tokens = v.opt_positive_int(body.get("max_completion_tokens"), "max_completion_tokens")
    if max_tokens is None:
        max_tokens = v.opt_positive_int(body.get("max_tokens"), "max_tokens")
    tools = _tools(body)
    effort = v.opt_string(body.get("reasoning_effort"), "reasoning_effort")
    return ChatRequest(
        messages=parse_messages(v.messages_list(body.get("messages"), "messages", max_messages)),
        model=model,
        tools=tools,
        tool_choice=_tool_choice(body, tools),
        parallel_tool_calls=v.opt_bool(body.get("parallel_tool_calls"), "parallel_tool_calls"),
        response_format=parse_response_format(body.get("response_format")),
        max_tokens=max_tokens,
        temperature=v.opt_number(body.get("temperature"), "temperature", 0, 2),
        top_p=v.opt_number(body.get("top_p"), "top_p", 0, 1),
        stop=v.stop_list(body.get("stop"), "stop"),
        stream=stream,
        include_usage=include_usage and stream,
        reasoning_effort=effort,
        user=v.opt_string(body.get("user"), "user"),
        client=client,
        inbound="openai",
        extra={k: val for k, val in body.items() if k not in _MODELED},
    )


def _tools(body: dict[str, Any]) -> list[Tool]:
    tools = parse_tools(body.get("tools"))
    legacy = body.get("functions")  # the pre-tools API; Aider's older versions still send it
    if legacy is not None:
        wrapped = [{"type": "function", "function": f} for f in v.arr(legacy, "functions")]
        tools += parse_tools(wrapped, "functions")
    return tools


def _tool_choice(body: dict[str, Any], tools: list[Tool]) -> ToolChoice | None:
    field = "tool_choice" if "tool_choice" in body else "function_call"
    raw = body.get(field)
    if raw is None:
        return None
    if isinstance(raw, str):
        if raw in ("auto", "none", "required"):
            return ToolChoice(raw)  # type: ignore[arg-type]
        raise InvalidRequest(
            f"'{field}' must be 'auto', 'none', 'required' or an object naming a function.", field
        )
    choice = v.obj(raw, field)
    fn = choice.get("function") if field == "tool_choice" else choice
    name = v.string(v.obj(fn, f"{field}.function").get("name"), f"{field}.function.name")
    if not any(t.name == name for t in tools):
        raise InvalidRequest(
            f"'{field}' names function {name!r}, which is not among the tools.", field
        )
    return ToolChoice("tool", name)


# --- rendering ---------------------------------------------------------------------


def _finish(reason: str) -> str:
    return "stop" if reason == "error" else reason


def usage_dict(u: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": u.input_tokens,
        "completion_tokens": u.output_tokens,
        "total_tokens": u.input_tokens + u.output_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cached_input_tokens},
        "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
    }


def render_completion(resp: ChatResponse, *, demo: bool = False) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": resp.content, "refusal": None}
    if resp.reasoning:
        message["reasoning_content"] = resp.reasoning
    if resp.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in resp.tool_calls
        ]
    return {
        "id": resp.id,
        "object": "chat.completion",
        "created": resp.created,
        "model": resp.model,
        "system_fingerprint": DEMO_FINGERPRINT if demo else FINGERPRINT,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": _finish(resp.finish_reason),
            }
        ],
        "usage": usage_dict(resp.usage),
    }


class ChunkRenderer:
    """Renders one stream's events as ``chat.completion.chunk`` SSE bytes."""

    __slots__ = ("_finish", "_include_usage", "_prefix", "_suffix", "_usage")

    def __init__(
        self, *, id: str, model: str, created: int, include_usage: bool, demo: bool = False
    ) -> None:
        head = json.dumps(
            {
                "id": id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": DEMO_FINGERPRINT if demo else FINGERPRINT,
            }
        )
        self._prefix = b"data: " + head[:-1].encode() + b', "choices": ['
        self._suffix = b'], "usage": null}\n\n' if include_usage else b"]}\n\n"
        self._include_usage = include_usage
        self._usage: Usage | None = None
        self._finish: str | None = None

    def _choice(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return self._prefix + json.dumps(choice).encode() + self._suffix

    def start(self) -> bytes:
        return self._choice({"role": "assistant", "content": ""})

    def event(self, ev: StreamEvent) -> bytes:
        if type(ev) is TextDelta:
            return self._choice({"content": ev.text})
        if type(ev) is ToolCallDelta:
            call: dict[str, Any] = {"index": ev.index}
            if ev.id is not None:
                call["id"] = ev.id
                call["type"] = "function"
            fn: dict[str, Any] = {"arguments": ev.arguments}
            if ev.name is not None:
                fn["name"] = ev.name
            call["function"] = fn
            return self._choice({"tool_calls": [call]})
        if type(ev) is ReasoningDelta:
            return self._choice({"reasoning_content": ev.text}) if ev.text else b""
        if type(ev) is FinishEvent:
            self._finish = _finish(ev.reason)
            return self._choice({}, self._finish)
        if type(ev) is UsageEvent:
            self._usage = ev.usage
            return b""
        return b""

    def end(self) -> bytes:
        """The usage chunk (if asked for) and ``[DONE]``."""
        out = b""
        if self._finish is None:
            out += self._choice({}, "stop")
        if self._include_usage:
            usage = json.dumps(usage_dict(self._usage or Usage())).encode()
            out += self._prefix + b'], "usage": ' + usage + b"}\n\n"
        return out + b"data: [DONE]\n\n"

    @staticmethod
    def error(body: dict[str, Any]) -> bytes:
        """A mid-stream failure: the openai SDK raises APIError on a ``data: {"error": ...}`` event.

        No ``[DONE]`` follows: it would tell a hand-written client the answer ended normally."""
        return b"data: " + json.dumps(body).encode() + b"\n\n"


def render_models(model_ids: list[str], created: int) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"id": m, "object": "model", "created": created, "owned_by": "routerdesk"}
            for m in model_ids
        ],
    }
