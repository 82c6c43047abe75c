"""Strict parsing of OpenAI chat-completions fragments (messages, tools, response_format) into core types.

Used by the batch CLI and available to the server. Anything malformed raises
`InvalidRequest` whose message and `param` name the exact field, e.g.
``messages[2].content[0].image_url.url: expected a string``, so a client can
fix its request without guessing.
"""

from __future__ import annotations

from typing import Any

from routerdesk.core.errors import InvalidRequest
from routerdesk.core.types import (
    ContentPart,
    ImagePart,
    Message,
    ResponseFormat,
    Role,
    TextPart,
    Tool,
    ToolCall,
)

# OpenAI's newer "developer" role is the system prompt by another name.
_ROLES: dict[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
}


def _fail(where: str, reason: str) -> InvalidRequest:
    return InvalidRequest(f"{where}: {reason}", param=where)


def _str(obj: dict[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _fail(f"{where}.{key}", "is required")
        return None
    if not isinstance(value, str):
        raise _fail(f"{where}.{key}", f"expected a string, got {type(value).__name__}")
    return value


def _image(part: dict[str, Any], where: str) -> ImagePart:
    spec = part.get("image_url")
    if isinstance(spec, str):  # some clients send the URL directly
        spec = {"url": spec}
    if not isinstance(spec, dict):
        raise _fail(f"{where}.image_url", "expected an object with a url")
    url = _str(spec, "url", f"{where}.image_url")
    assert url is not None
    detail = _str(spec, "detail", f"{where}.image_url", required=False)
    if url.startswith("data:"):
        header, sep, data = url.partition(",")
        if not sep or ";base64" not in header:
            raise _fail(
                f"{where}.image_url.url", "data URLs must be base64 (data:<type>;base64,...)"
            )
        media_type = header[5:].split(";", 1)[0]
        if not media_type.startswith("image/"):
            raise _fail(f"{where}.image_url.url", f"not an image media type: {media_type!r}")
        return ImagePart(data=data, media_type=media_type, detail=detail)
    if not url.startswith(("http://", "https://")):
        raise _fail(f"{where}.image_url.url", "expected an http(s) or data: URL")
    return ImagePart(url=url, detail=detail)


def parse_content(content: Any, where: str) -> list[ContentPart]:
    """A message's `content`: a string, null, or an array of text/image_url parts."""
    if content is None:
        return []
    if isinstance(content, str):
        return [TextPart(content)]
    if not isinstance(content, list):
        raise _fail(where, f"expected a string or an array of parts, got {type(content).__name__}")
    parts: list[ContentPart] = []
    for i, part in enumerate(content):
        at = f"{where}[{i}]"
        if not isinstance(part, dict):
            raise _fail(at, "expected an object with a type")
        kind = part.get("type")
        if kind == "text":
            text = _str(part, "text", at)
            assert text is not None
            parts.append(TextPart(text))
        elif kind == "image_url":
            parts.append(_image(part, at))
        elif kind == "refusal":  # assistant history may carry a refusal; it is text to us
            text = _str(part, "refusal", at)
            assert text is not None
            parts.append(TextPart(text))
        else:
            raise _fail(f"{at}.type", f"unsupported content part type {kind!r} (text, image_url)")
    return parts


def _tool_calls(raw: Any, where: str) -> list[ToolCall]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _fail(where, "expected an array")
    calls: list[ToolCall] = []
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise _fail(at, "expected an object")
        call_id = _str(item, "id", at)
        fn = item.get("function")
        if not isinstance(fn, dict):
            raise _fail(f"{at}.function", "expected an object with name and arguments")
        name = _str(fn, "name", f"{at}.function")
        args = fn.get("arguments", "")
        if isinstance(args, dict):  # tolerated: some clients send parsed JSON
            import json

            args = json.dumps(args)
        if not isinstance(args, str):
            raise _fail(f"{at}.function.arguments", "expected a JSON string")
        assert call_id is not None and name is not None
        calls.append(ToolCall(id=call_id, name=name, arguments=args))
    return calls


def parse_message(raw: Any, where: str) -> Message:
    if not isinstance(raw, dict):
        raise _fail(where, "expected an object with role and content")
    role_name = raw.get("role")
    role = _ROLES.get(role_name) if isinstance(role_name, str) else None
    if role is None:
        raise _fail(f"{where}.role", f"expected one of {', '.join(_ROLES)}, got {role_name!r}")
    msg = Message(role=role, content=parse_content(raw.get("content"), f"{where}.content"))
    msg.name = _str(raw, "name", where, required=False)
    if role == "assistant":
        msg.tool_calls = _tool_calls(raw.get("tool_calls"), f"{where}.tool_calls")
        msg.reasoning = _str(raw, "reasoning_content", where, required=False)
    elif "tool_calls" in raw:
        raise _fail(f"{where}.tool_calls", "only assistant messages carry tool calls")
    if role == "tool":
        msg.tool_call_id = _str(raw, "tool_call_id", where)
        if any(isinstance(p, ImagePart) for p in msg.content):
            raise _fail(f"{where}.content", "tool results must be text")
    elif role in ("system", "user") and not msg.content:
        raise _fail(f"{where}.content", "is required")
    return msg


def parse_messages(raw: Any, where: str = "messages") -> list[Message]:
    """OpenAI-format messages as core `Message`s; raises `InvalidRequest` naming the field."""
    if not isinstance(raw, list):
        raise _fail(where, "expected an array of messages")
    if not raw:
        raise _fail(where, "must contain at least one message")
    return [parse_message(item, f"{where}[{i}]") for i, item in enumerate(raw)]


def parse_tools(raw: Any, where: str = "tools") -> list[Tool]:
    """`tools`: an array of {"type": "function", "function": {name, description, parameters}}."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _fail(where, "expected an array")
    tools: list[Tool] = []
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(item, dict) or item.get("type", "function") != "function":
            raise _fail(at, 'expected {"type": "function", "function": {...}}')
        fn = item.get("function")
        if not isinstance(fn, dict):
            raise _fail(f"{at}.function", "expected an object")
        name = _str(fn, "name", f"{at}.function")
        assert name is not None
        params = fn.get("parameters", {"type": "object", "properties": {}})
        if not isinstance(params, dict):
            raise _fail(f"{at}.function.parameters", "expected a JSON schema object")
        strict = fn.get("strict")
        tools.append(
            Tool(
                name=name,
                description=_str(fn, "description", f"{at}.function", required=False) or "",
                parameters=params,
                strict=strict if isinstance(strict, bool) else None,
            )
        )
    return tools


def parse_response_format(raw: Any, where: str = "response_format") -> ResponseFormat | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _fail(where, "expected an object with a type")
    kind = raw.get("type")
    if kind in ("text", "json_object"):
        return ResponseFormat(type=kind)
    if kind == "json_schema":
        spec = raw.get("json_schema")
        if not isinstance(spec, dict):
            raise _fail(f"{where}.json_schema", "expected an object with name and schema")
        schema = spec.get("schema")
        if schema is not None and not isinstance(schema, dict):
            raise _fail(f"{where}.json_schema.schema", "expected a JSON schema object")
        strict = spec.get("strict")
        return ResponseFormat(
            type="json_schema",
            name=_str(spec, "name", f"{where}.json_schema", required=False),
            schema=schema,
            strict=strict if isinstance(strict, bool) else None,
        )
    raise _fail(f"{where}.type", f"expected text, json_object or json_schema, got {kind!r}")
