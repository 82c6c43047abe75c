"""A fake Gemini upstream: generateContent (JSON), streamGenerateContent as a JSON array or `alt=sse`."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .upstream import Answer, FakeUpstream, Fault, RecordedRequest, split_text, sse

_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
           429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}  # fmt: skip


class FakeGemini(FakeUpstream):
    provider = "google"
    base_path = "/v1beta"

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1beta/models/{call:.+}", self.handle),
            web.get("/v1beta/models", self.handle_models),
        ]

    def models_json(self) -> dict[str, Any]:
        return {
            "models": [
                {"name": f"models/{m}", "supportedGenerationMethods": ["generateContent"]}
                for m in self.model_ids
            ]
        }

    def is_stream(self, req: RecordedRequest) -> bool:
        return ":streamGenerateContent" in req.path

    def stream_content_type(self, req: RecordedRequest) -> str:
        return (
            "text/event-stream"
            if req.query.get("alt") == "sse"
            else "application/json; charset=UTF-8"
        )

    def _model(self, answer: Answer, req: RecordedRequest) -> str:
        return answer.model or req.path.rsplit("/", 1)[-1].split(":")[0]

    def _usage(self, answer: Answer) -> dict[str, Any]:
        u = answer.usage
        usage = {
            "promptTokenCount": u.input,
            "candidatesTokenCount": u.output - u.reasoning,
            "totalTokenCount": u.input + u.output,
        }
        if u.cached:
            usage["cachedContentTokenCount"] = u.cached
        if u.reasoning:
            usage["thoughtsTokenCount"] = u.reasoning
        return usage

    def _finish(self, answer: Answer) -> str:
        return answer.finish or "STOP"

    def _chunk(
        self, answer: Answer, req: RecordedRequest, parts: list[dict[str, Any]], *, last: bool
    ) -> dict[str, Any]:
        cand: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        out: dict[str, Any] = {
            "candidates": [cand],
            "modelVersion": self._model(answer, req),
            "responseId": "resp-fake",
        }
        if last:
            cand["finishReason"] = self._finish(answer)
            out["usageMetadata"] = self._usage(answer)
        else:
            out["usageMetadata"] = {
                "promptTokenCount": answer.usage.input,
                "totalTokenCount": answer.usage.input,
            }
        return out

    def _parts(self, answer: Answer) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        if answer.reasoning:
            parts.append({"text": answer.reasoning, "thought": True})
        if answer.text:
            parts.append({"text": answer.text})
        for i, tc in enumerate(answer.tool_calls):
            part: dict[str, Any] = {
                "functionCall": {"name": tc.name, "args": json.loads(tc.arguments or "{}")}
            }
            if i == 0 and answer.reasoning_signature:
                part["thoughtSignature"] = answer.reasoning_signature
            parts.append(part)
        return parts

    def render_json(self, answer: Answer, req: RecordedRequest) -> dict[str, Any]:
        return self._chunk(answer, req, self._parts(answer), last=True)

    def _chunks(self, answer: Answer, req: RecordedRequest) -> list[dict[str, Any]]:
        bodies: list[list[dict[str, Any]]] = []
        if answer.reasoning:
            bodies.append([{"text": answer.reasoning, "thought": True}])
        bodies += [[{"text": p}] for p in split_text(answer.text, answer.pieces)]
        calls = [p for p in self._parts(answer) if "functionCall" in p]
        if calls:
            bodies.append(calls)
        if not bodies:
            bodies = [[{"text": ""}]]
        return [
            self._chunk(answer, req, parts, last=i == len(bodies) - 1)
            for i, parts in enumerate(bodies)
        ]

    def render_events(self, answer: Answer, req: RecordedRequest) -> list[bytes]:
        chunks = self._chunks(answer, req)
        if req.query.get("alt") == "sse":
            return [
                sse(c).replace(b"\n\n", b"\r\n\r\n") for c in chunks
            ]  # Google ends SSE lines in CRLF
        out = [b"[" + json.dumps(chunks[0], indent=2).encode()]
        out += [b",\r\n" + json.dumps(c, indent=2).encode() for c in chunks[1:]]
        out.append(b"]")
        return out

    def error_json(self, fault: Fault) -> dict[str, Any]:
        return {
            "error": {
                "code": fault.status,
                "message": fault.message,
                "status": _STATUS.get(fault.status, "UNKNOWN"),
            }
        }

    def broken_event(self) -> bytes:
        return b'data: {"candidates": [{"content": \r\n\r\n'

    def error_event(self, message: str | None = None) -> bytes:
        return sse(
            {
                "error": {
                    "code": 503,
                    "message": message or "The model is overloaded. Please try again later.",
                    "status": "UNAVAILABLE",
                }
            }
        )
