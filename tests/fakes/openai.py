"""A fake OpenAI chat-completions upstream (also stands in for DeepSeek, Groq, Mistral, Ollama...)."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from .upstream import Answer, FakeUpstream, Fault, RecordedRequest, split_text, sse

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
}


def _usage(answer: Answer) -> dict[str, Any]:
    u = answer.usage
    return {
        "prompt_tokens": u.input,
        "completion_tokens": u.output,
        "total_tokens": u.input + u.output,
        "prompt_tokens_details": {"cached_tokens": u.cached, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": u.reasoning, "audio_tokens": 0},
    }


def _finish(answer: Answer) -> str:
    return answer.finish or ("tool_calls" if answer.tool_calls else "stop")


def _call_id(answer: Answer, i: int) -> str:
    return answer.tool_calls[i].id or f"call_fake{i}"


class FakeOpenAI(FakeUpstream):
    provider = "openai"
    base_path = "/v1"

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1/chat/completions", self.handle),
            web.get("/v1/models", self.handle_models),
        ]

    def models_json(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                for m in self.model_ids
            ],
        }

    def _model(self, answer: Answer, req: RecordedRequest) -> str:
        return answer.model or str((req.json or {}).get("model", "gpt-fake"))

    def render_json(self, answer: Answer, req: RecordedRequest) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": answer.text or None,
            "refusal": None,
        }
        if answer.reasoning:
            message["reasoning_content"] = answer.reasoning
        if answer.tool_calls:
            message["tool_calls"] = [
                {
                    "id": _call_id(answer, i),
                    "type": "function",
                    "function": {"name": tc.name, "arguments": tc.arguments},
                }
                for i, tc in enumerate(answer.tool_calls)
            ]
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self._model(answer, req),
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": _finish(answer)}
            ],
            "usage": _usage(answer),
        }

    def render_events(self, answer: Answer, req: RecordedRequest) -> list[bytes]:
        base = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self._model(answer, req),
        }

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            return sse(
                {
                    **base,
                    "choices": [
                        {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                    ],
                }
            )

        events = [chunk({"role": "assistant", "content": ""})]
        if answer.reasoning:
            events += [
                chunk({"reasoning_content": p}) for p in split_text(answer.reasoning, answer.pieces)
            ]
        events += [chunk({"content": p}) for p in split_text(answer.text, answer.pieces)]
        for i, tc in enumerate(answer.tool_calls):
            args = split_text(tc.arguments, answer.pieces) or [""]
            first = {
                "index": i,
                "id": _call_id(answer, i),
                "type": "function",
                "function": {"name": tc.name, "arguments": ""},
            }
            events.append(chunk({"tool_calls": [first]}))
            events += [
                chunk({"tool_calls": [{"index": i, "function": {"arguments": a}}]})
                for a in args
                if a
            ]
        events.append(chunk({}, _finish(answer)))
        if (req.json or {}).get("stream_options", {}).get("include_usage"):
            events.append(sse({**base, "choices": [], "usage": _usage(answer)}))
        events.append(sse("[DONE]"))
        return events

    def error_json(self, fault: Fault) -> dict[str, Any]:
        kind = _ERROR_TYPES.get(fault.status, "server_error")
        return {"error": {"message": fault.message, "type": kind, "param": None, "code": None}}

    def error_event(self, message: str | None = None) -> bytes:
        return sse(
            {
                "error": {
                    "message": message or "The server had an error while processing your request.",
                    "type": "server_error",
                    "code": 502,
                }
            }
        )
