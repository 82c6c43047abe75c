"""A fake Anthropic Messages upstream: JSON and SSE (`event:` lines, ping events, in-stream errors)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .upstream import Answer, FakeUpstream, Fault, RecordedRequest, split_text, sse

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def _stop(answer: Answer) -> str:
    return answer.finish or ("tool_use" if answer.tool_calls else "end_turn")


def _call_id(answer: Answer, i: int) -> str:
    return answer.tool_calls[i].id or f"toolu_fake{i}"


class FakeAnthropic(FakeUpstream):
    provider = "anthropic"
    base_path = ""

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/messages", self.handle), web.get("/v1/models", self.handle_models)]

    def models_json(self) -> dict[str, Any]:
        data = [
            {"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"}
            for m in self.model_ids
        ]
        return {
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"],
            "last_id": data[-1]["id"],
        }

    def _model(self, answer: Answer, req: RecordedRequest) -> str:
        return answer.model or str((req.json or {}).get("model", "claude-fake"))

    def _usage(self, answer: Answer, *, output: int | None = None) -> dict[str, Any]:
        u = answer.usage
        return {
            "input_tokens": u.input - u.cached - u.cache_write,
            "output_tokens": u.output if output is None else output,
            "cache_read_input_tokens": u.cached,
            "cache_creation_input_tokens": u.cache_write,
        }

    def render_json(self, answer: Answer, req: RecordedRequest) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if answer.reasoning is not None:
            content.append(
                {
                    "type": "thinking",
                    "thinking": answer.reasoning,
                    "signature": answer.reasoning_signature or "sig-fake",
                }
            )
        if answer.text:
            content.append({"type": "text", "text": answer.text})
        for i, tc in enumerate(answer.tool_calls):
            content.append(
                {
                    "type": "tool_use",
                    "id": _call_id(answer, i),
                    "name": tc.name,
                    "input": json.loads(tc.arguments or "{}"),
                }
            )
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": self._model(answer, req),
            "content": content,
            "stop_reason": _stop(answer),
            "stop_sequence": None,
            "usage": self._usage(answer),
        }

    def render_events(self, answer: Answer, req: RecordedRequest) -> list[bytes]:
        message = self.render_json(answer, req)
        message = {
            **message,
            "content": [],
            "stop_reason": None,
            "usage": self._usage(answer, output=1),
        }
        events = [
            sse({"type": "message_start", "message": message}, "message_start"),
            sse({"type": "ping"}, "ping"),
        ]
        index = 0

        def block(start: dict[str, Any], deltas: list[dict[str, Any]]) -> None:
            nonlocal index
            events.append(
                sse(
                    {"type": "content_block_start", "index": index, "content_block": start},
                    "content_block_start",
                )
            )
            for d in deltas:
                events.append(
                    sse(
                        {"type": "content_block_delta", "index": index, "delta": d},
                        "content_block_delta",
                    )
                )
            events.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
            index += 1

        if answer.reasoning is not None:
            block(
                {"type": "thinking", "thinking": "", "signature": ""},
                [
                    {"type": "thinking_delta", "thinking": p}
                    for p in split_text(answer.reasoning, answer.pieces)
                ]
                + [
                    {
                        "type": "signature_delta",
                        "signature": answer.reasoning_signature or "sig-fake",
                    }
                ],
            )
        if answer.text:
            block(
                {"type": "text", "text": ""},
                [{"type": "text_delta", "text": p} for p in split_text(answer.text, answer.pieces)],
            )
        for i, tc in enumerate(answer.tool_calls):
            block(
                {"type": "tool_use", "id": _call_id(answer, i), "name": tc.name, "input": {}},
                [
                    {"type": "input_json_delta", "partial_json": p}
                    for p in split_text(tc.arguments, answer.pieces)
                ],
            )
        events.append(
            sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": _stop(answer), "stop_sequence": None},
                    "usage": {"output_tokens": answer.usage.output},
                },
                "message_delta",
            )
        )
        events.append(sse({"type": "message_stop"}, "message_stop"))
        return events

    def error_json(self, fault: Fault) -> dict[str, Any]:
        return {
            "type": "error",
            "error": {
                "type": _ERROR_TYPES.get(fault.status, "api_error"),
                "message": fault.message,
            },
        }

    def broken_event(self) -> bytes:
        return b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {\n\n'

    def error_event(self, message: str | None = None) -> bytes:
        return sse(
            {
                "type": "error",
                "error": {"type": "overloaded_error", "message": message or "Overloaded"},
            },
            "error",
        )
