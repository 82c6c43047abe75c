"""The Gemini API (`models/{name}:generateContent`, `:streamGenerateContent?alt=sse`).

Translation notes:
- roles: assistant -> `model`; system messages -> `systemInstruction`; tool
  results -> `functionResponse` parts in a user turn, matched to their call by
  function name (Gemini has no call ids, so we synthesize them and look the
  name up in the history);
- tool schemas go through `clean_schema`: Gemini accepts a subset of OpenAPI
  3.0 (type, format, title, description, nullable, enum, items, properties,
  required, min/maxItems, min/maxLength, pattern, minimum, maximum,
  min/maxProperties, anyOf, propertyOrdering, example) and answers 400 to the
  rest of JSON Schema;
- a thought signature (Gemini 2.5+/3) rides on the first functionCall part; it
  is kept as `reasoning_signature` and replayed on that part;
- streams come as SSE (`alt=sse`) or, without it, as one JSON array written
  incrementally; both are decoded.
"""

from __future__ import annotations

import json
import mimetypes
import uuid
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

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"
THINKING_BUDGETS = {"low": 1024, "medium": 8192, "high": 24576}

FINISH_REASONS: dict[str, FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "LANGUAGE": "error",
    "MALFORMED_FUNCTION_CALL": "error",
    "UNEXPECTED_TOOL_CALL": "error",
    "OTHER": "error",
}
# The Schema fields Gemini accepts (v1beta `Schema`); everything else is dropped.
# `default` is documented as accepted-and-ignored; older models reject it, so it goes too.
_KEEP = frozenset(
    {
        "type", "format", "title", "description", "nullable", "enum", "items", "properties",
        "required", "minItems", "maxItems", "minLength", "maxLength", "pattern", "minimum",
        "maximum", "minProperties", "maxProperties", "anyOf", "propertyOrdering", "example",
    }
)  # fmt: skip
_FORMATS = {
    "string": {"enum", "date-time"},
    "integer": {"int32", "int64"},
    "number": {"float", "double"},
}
_TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}
_MAX_REF_DEPTH = 8


def _resolve_ref(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    if not ref.startswith("#/"):
        return {}
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return {}
    return node if isinstance(node, dict) else {}


def clean_schema(
    schema: dict[str, Any], _root: dict[str, Any] | None = None, _depth: int = 0
) -> dict[str, Any]:
    """A JSON Schema reduced to what Gemini's function declarations accept, with refs inlined."""
    root = schema if _root is None else _root
    if "$ref" in schema:
        if _depth >= _MAX_REF_DEPTH:  # recursive type: stop unrolling
            return {"type": "OBJECT"}
        target = _resolve_ref(str(schema["$ref"]), root)
        merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return clean_schema(merged, root, _depth + 1)
    s = dict(schema)
    if "allOf" in s:  # merge the parts: good enough for the common "allOf: [$ref]" wrapper
        for part in s.pop("allOf") or ():
            if isinstance(part, dict):
                part = clean_schema(part, root, _depth) if "$ref" in part else part
                for k, v in part.items():
                    if k == "properties" and isinstance(s.get(k), dict):
                        s[k] = {**s[k], **v}
                    elif k == "required" and isinstance(s.get(k), list):
                        s[k] = [*s[k], *v]
                    else:
                        s.setdefault(k, v)
    if "oneOf" in s and "anyOf" not in s:
        s["anyOf"] = s.pop("oneOf")
    if "const" in s:
        s.setdefault("enum", [s["const"]])
    out: dict[str, Any] = {}
    nullable = bool(s.get("nullable"))
    types = s.get("type")
    if isinstance(types, list):
        non_null = [t for t in types if t != "null"]
        nullable = nullable or len(non_null) < len(types)
        if len(non_null) == 1:
            types = non_null[0]
        elif non_null:
            s.setdefault("anyOf", [{"type": t} for t in non_null])
            types = None
        else:
            types = "null"
    variants = s.get("anyOf")
    if isinstance(variants, list):
        kept = [v for v in variants if not (isinstance(v, dict) and v.get("type") == "null")]
        nullable = nullable or len(kept) < len(variants)
        cleaned = [clean_schema(v, root, _depth) for v in kept if isinstance(v, dict)]
        if len(cleaned) == 1 and types is None:  # Optional[X]: just X, nullable
            out.update(cleaned[0])
        elif cleaned:
            out["anyOf"] = cleaned
    if isinstance(types, str) and types.lower() in _TYPES:
        types = types.lower()
        out["type"] = types.upper()
    for key, value in s.items():
        if key not in _KEEP or key in ("type", "anyOf", "nullable"):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {
                name: clean_schema(sub, root, _depth)
                for name, sub in value.items()
                if isinstance(sub, dict)
            }
        elif key == "items":
            item = value[0] if isinstance(value, list) and value else value
            if isinstance(item, dict):
                out[key] = clean_schema(item, root, _depth)
        elif key == "format":
            if value in _FORMATS.get(str(types), ()):
                out[key] = value
        elif key == "enum":
            if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                out[key] = value
                out.setdefault("type", "STRING")
            elif isinstance(
                value, list
            ):  # Gemini enums are strings only: describe the values instead
                desc = s.get("description", "")
                out["description"] = (desc + " " if desc else "") + f"One of: {json.dumps(value)}."
        elif key == "description" and "description" in out:
            continue
        else:
            out[key] = value
    if "required" in out:
        props = out.get("properties", {})
        out["required"] = [r for r in out["required"] if r in props]
        if not out["required"]:
            del out["required"]
    if nullable:
        out["nullable"] = True
    return out


def _function_parameters(schema: dict[str, Any]) -> dict[str, Any] | None:
    cleaned = clean_schema(schema)
    if cleaned.get("type") == "OBJECT" and not cleaned.get("properties"):
        return None  # Gemini rejects an OBJECT without properties; a function may take none
    return cleaned


def _image(p: ImagePart) -> dict[str, Any]:
    if p.url and p.url.startswith("data:"):
        head, _, data = p.url.partition(",")
        return {"inlineData": {"mimeType": head[5:].split(";")[0] or "image/png", "data": data}}
    if p.url:
        mime = p.media_type or mimetypes.guess_type(p.url.split("?")[0])[0] or "image/jpeg"
        return {"fileData": {"mimeType": mime, "fileUri": p.url}}
    return {"inlineData": {"mimeType": p.media_type or "image/png", "data": p.data or ""}}


def _parts(content: list[TextPart | ImagePart]) -> list[dict[str, Any]]:
    return [
        {"text": p.text} if isinstance(p, TextPart) else _image(p)
        for p in content
        if not (isinstance(p, TextPart) and not p.text)
    ]


def _args(arguments: str) -> dict[str, Any]:
    try:
        value = json.loads(arguments) if arguments else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _response(m: Message) -> dict[str, Any]:
    text = m.text()
    if m.is_error:
        return {"error": text}
    try:
        value = json.loads(text)
    except ValueError:
        return {"result": text}
    return value if isinstance(value, dict) else {"result": value}


def encode_contents(messages: list[Message]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(systemInstruction parts, contents) with same-role turns merged."""
    system: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # tool call id -> function name
    for m in messages:
        if m.role == "system":
            system += [{"text": p.text} for p in m.content if isinstance(p, TextPart) and p.text]
            continue
        if m.role == "assistant":
            role = "model"
            parts = _parts(m.content)
            for i, tc in enumerate(m.tool_calls):
                names[tc.id] = tc.name
                part: dict[str, Any] = {
                    "functionCall": {"name": tc.name, "args": _args(tc.arguments)}
                }
                if i == 0 and m.reasoning_signature:
                    part["thoughtSignature"] = m.reasoning_signature
                parts.append(part)
        elif m.role == "tool":
            role = "user"
            name = m.name or names.get(m.tool_call_id or "", "") or "tool"
            parts = [{"functionResponse": {"name": name, "response": _response(m)}}]
        else:
            role = "user"
            parts = _parts(m.content)
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    return system, contents


def build_body(
    req: ChatRequest, model: ModelSpec, ctx: CallContext, *, stream: bool
) -> dict[str, Any]:
    system, contents = encode_contents(req.messages)
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": system}
    if req.tools:
        declarations = []
        for t in req.tools:
            decl: dict[str, Any] = {"name": t.name}
            if t.description:
                decl["description"] = t.description
            params = _function_parameters(t.parameters)
            if params is not None:
                decl["parameters"] = params
            declarations.append(decl)
        body["tools"] = [{"functionDeclarations": declarations}]
        if req.tool_choice is not None:
            tc = req.tool_choice
            mode = {"auto": "AUTO", "none": "NONE", "required": "ANY", "tool": "ANY"}[tc.mode]
            config: dict[str, Any] = {"mode": mode}
            if tc.mode == "tool" and tc.name:
                config["allowedFunctionNames"] = [tc.name]
            body["toolConfig"] = {"functionCallingConfig": config}
    gen: dict[str, Any] = {}
    if req.max_tokens is not None:
        gen["maxOutputTokens"] = req.max_tokens
    if req.temperature is not None:
        gen["temperature"] = req.temperature
    if req.top_p is not None:
        gen["topP"] = req.top_p
    if req.stop:
        gen["stopSequences"] = req.stop[:5]  # Gemini allows at most 5
    rf = req.response_format
    if rf is not None and rf.type != "text":
        gen["responseMimeType"] = "application/json"
        if rf.type == "json_schema" and rf.schema:
            gen["responseSchema"] = clean_schema(rf.schema)
    budget = THINKING_BUDGETS.get(req.reasoning_effort or "")
    if budget and model.supports("reasoning"):
        gen["thinkingConfig"] = {"thinkingBudget": budget, "includeThoughts": True}
    if gen:
        body["generationConfig"] = gen
    if req.extra:
        ctx.notes.append(f"gemini ignores {', '.join(sorted(req.extra))}")
    return body


def parse_usage(u: dict[str, Any]) -> Usage:
    thoughts = int(u.get("thoughtsTokenCount") or 0)
    return Usage(
        input_tokens=int(u.get("promptTokenCount") or 0),
        output_tokens=int(u.get("candidatesTokenCount") or 0) + thoughts,
        cached_input_tokens=int(u.get("cachedContentTokenCount") or 0),
        reasoning_tokens=thoughts,
    )


def _new_call_id() -> str:
    return "call_" + uuid.uuid4().hex[:24]


def parse_response(data: Any, provider: str) -> ChatResponse:
    try:
        if isinstance(data, list):  # an array-stream body read whole
            return _merge_array(data, provider)
        text: list[str] = []
        thoughts: list[str] = []
        signature: str | None = None
        calls: list[ToolCall] = []
        candidates = data.get("candidates") or []
        cand = candidates[0] if candidates else {}
        for part in (cand.get("content") or {}).get("parts") or ():
            if "functionCall" in part:
                fc = part["functionCall"]
                calls.append(
                    ToolCall(
                        fc.get("id") or _new_call_id(), fc["name"], json.dumps(fc.get("args") or {})
                    )
                )
            elif "text" in part:
                (thoughts if part.get("thought") else text).append(part["text"])
            signature = signature or part.get("thoughtSignature")
        raw = cand.get("finishReason")
        if not candidates and (data.get("promptFeedback") or {}).get("blockReason"):
            reason: FinishReason = "content_filter"
        else:
            reason = FINISH_REASONS.get(raw, "stop") if raw else "stop"
        if calls and reason == "stop":
            reason = "tool_calls"
        return ChatResponse(
            id=str(data.get("responseId") or ""),
            model=str(data.get("modelVersion") or ""),
            content="".join(text) if text else None,
            reasoning="".join(thoughts) if thoughts else None,
            reasoning_signature=signature,
            tool_calls=calls,
            finish_reason=reason,
            usage=parse_usage(data.get("usageMetadata") or {}),
        )
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise protocol_error(provider, f"unexpected generateContent shape ({exc!r})") from None


def _merge_array(chunks: list[Any], provider: str) -> ChatResponse:
    decoder = GenerateContentDecoder(provider, sse=False)
    events: list[StreamEvent] = []
    for chunk in chunks:
        decoder.chunk(chunk, events)
    events += decoder.close()
    resp = ChatResponse(id="", model="")
    calls: dict[int, ToolCall] = {}
    for ev in events:
        if isinstance(ev, TextDelta):
            resp.content = (resp.content or "") + ev.text
        elif isinstance(ev, ReasoningDelta):
            resp.reasoning = (resp.reasoning or "") + ev.text
            resp.reasoning_signature = ev.signature or resp.reasoning_signature
        elif isinstance(ev, ToolCallDelta):
            calls[ev.index] = ToolCall(ev.id or "", ev.name or "", ev.arguments)
        elif isinstance(ev, FinishEvent):
            resp.finish_reason = ev.reason
        elif isinstance(ev, UsageEvent):
            resp.usage = ev.usage
    resp.tool_calls = list(calls.values())
    return resp


def stream_error(provider: str, err: Any) -> UpstreamError:
    code = err.get("code") if isinstance(err, dict) else None
    status = code if isinstance(code, int) and 400 <= code < 600 else 500
    return error_for_status(provider, status, {}, json.dumps({"error": err}).encode(), None)


class JSONArraySplitter:
    """Splits an incrementally written JSON array (`[{...},\\r\\n{...}]`) into element texts."""

    __slots__ = ("_buf", "_depth", "_escape", "_in_string", "_start")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._depth = 0
        self._in_string = False
        self._escape = False
        self._start = -1

    def feed(self, chunk: bytes) -> list[bytes]:
        out: list[bytes] = []
        base = len(self._buf)
        self._buf += chunk
        buf = self._buf
        for i in range(base, len(buf)):
            c = buf[i]
            if self._in_string:
                if self._escape:
                    self._escape = False
                elif c == 0x5C:  # backslash
                    self._escape = True
                elif c == 0x22:
                    self._in_string = False
            elif c == 0x22:
                self._in_string = True
            elif c in (0x7B, 0x5B):  # { [
                self._depth += 1
                if self._depth == 2:
                    self._start = i
            elif c in (0x7D, 0x5D):  # } ]
                if self._depth == 2:
                    out.append(bytes(buf[self._start : i + 1]))
                    self._start = -1
                self._depth -= 1
        if self._start < 0:  # nothing pending: drop what was consumed
            self._buf.clear()
        elif self._start > 0:
            del self._buf[: self._start]
            self._start = 0
        return out

    @property
    def finished(self) -> bool:
        return self._depth == 0 and not self._in_string


class GenerateContentDecoder:
    """GenerateContentResponse chunks (SSE or JSON array) -> StreamEvents. The end is a finishReason."""

    __slots__ = ("_array", "_calls", "_finish", "_parser", "_provider", "_usage")

    def __init__(self, provider: str, *, sse: bool = True) -> None:
        self._provider = provider
        self._parser = SSEParser() if sse else None
        self._array = None if sse else JSONArraySplitter()
        self._finish: FinishReason | None = None
        self._usage = Usage()
        self._calls = 0

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        if self._parser is not None:
            texts: list[str | bytes] = [ev.data for ev in self._parser.feed(chunk)]
        else:
            assert self._array is not None
            texts = list(self._array.feed(chunk))
        for text in texts:
            try:
                self.chunk(json.loads(text), out)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise protocol_error(self._provider, f"bad stream chunk ({exc!r})") from None
        return out

    def chunk(self, obj: dict[str, Any], out: list[StreamEvent]) -> None:
        if "error" in obj:
            raise stream_error(self._provider, obj["error"])
        candidates = obj.get("candidates") or []
        cand = candidates[0] if candidates else {}
        for part in (cand.get("content") or {}).get("parts") or ():
            if "functionCall" in part:
                fc = part["functionCall"]
                out.append(
                    ToolCallDelta(
                        self._calls,
                        fc.get("id") or _new_call_id(),
                        fc["name"],
                        json.dumps(fc.get("args") or {}),
                    )
                )
                self._calls += 1
            elif part.get("text"):
                out.append(
                    ReasoningDelta(part["text"]) if part.get("thought") else TextDelta(part["text"])
                )
            if part.get("thoughtSignature"):
                out.append(ReasoningDelta("", signature=part["thoughtSignature"]))
        raw = cand.get("finishReason")
        if raw:
            self._finish = FINISH_REASONS.get(raw, "stop")
        elif not candidates and (obj.get("promptFeedback") or {}).get("blockReason"):
            self._finish = "content_filter"
        if obj.get("usageMetadata"):
            self._usage = parse_usage(obj["usageMetadata"])

    def close(self) -> list[StreamEvent]:
        if self._finish is None or (self._array is not None and not self._array.finished):
            raise UpstreamProtocolError(
                f"The stream from {self._provider} ended before the answer was complete.",
                provider=self._provider,
            )
        reason = self._finish
        if reason == "stop" and self._calls:
            reason = "tool_calls"
        return [FinishEvent(reason), UsageEvent(self._usage)]


def model_path(name: str) -> str:
    return name if name.startswith(("models/", "tunedModels/")) else f"models/{name}"


class GeminiAdapter(WireAdapter):
    default_base_urls: ClassVar[dict[str, str]] = {"google": DEFAULT_BASE_URL}

    def url(self, model: ModelSpec, ctx: CallContext, *, stream: bool) -> str:
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        return f"{ctx.base_url.rstrip('/')}/{model_path(model.name)}:{method}"

    def models_url(self, ctx: CallContext) -> str:
        return ctx.base_url.rstrip("/") + "/models"

    def headers(self, ctx: CallContext, *, stream: bool) -> dict[str, str]:
        h = {"content-type": "application/json"}
        if ctx.key:
            h["x-goog-api-key"] = ctx.key
        return h

    def build_body(
        self, req: ChatRequest, model: ModelSpec, ctx: CallContext, *, stream: bool
    ) -> dict[str, Any]:
        return build_body(req, model, ctx, stream=stream)

    def parse_response(self, data: Any, provider: str) -> ChatResponse:
        return parse_response(data, provider)

    def stream_decoder(self, provider: str, content_type: str) -> StreamDecoder:
        if "event-stream" in content_type:
            return cast(StreamDecoder, GenerateContentDecoder(provider, sse=True))
        if "json" in content_type:
            return cast(StreamDecoder, GenerateContentDecoder(provider, sse=False))
        raise not_an_event_stream(provider, content_type)
