"""Small strict readers for JSON fields: each failure is an `InvalidRequest` naming the field.

Shared by the OpenAI and Anthropic request parsers; also the body limits
(size, nesting depth, message count) every inbound request is held to.
"""

from __future__ import annotations

import json
from typing import Any

from routerdesk.core.errors import InvalidRequest

MAX_DEPTH = 100
MAX_MESSAGES = 10_000


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def load_json(raw: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Parse a request body; invalid or too deeply nested JSON is an InvalidRequest."""
    if not raw.strip():
        raise InvalidRequest("The request body is empty; send a JSON object.")
    try:
        value = json.loads(raw)
    except RecursionError:
        raise InvalidRequest(
            f"The JSON body is nested too deeply (limit {max_depth} levels)."
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest(f"The request body is not valid JSON: {exc}.") from None
    # Only bodies with enough brackets can be too deep: skip the walk for the rest.
    if raw.count(b"[") + raw.count(b"{") > max_depth:
        check_depth(value, max_depth)
    return value


def check_depth(value: Any, max_depth: int) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise InvalidRequest(f"The JSON body is nested too deeply (limit {max_depth} levels).")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, dict | list))


def obj(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest(f"'{field}' must be an object, got {_kind(value)}.", field)
    return value


def arr(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidRequest(f"'{field}' must be an array, got {_kind(value)}.", field)
    return value


def string(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"'{field}' must be a string, got {_kind(value)}.", field)
    return value


def opt_string(value: Any, field: str) -> str | None:
    return None if value is None else string(value, field)


def boolean(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidRequest(f"'{field}' must be true or false, got {_kind(value)}.", field)
    return value


def opt_bool(value: Any, field: str) -> bool | None:
    return None if value is None else boolean(value, field)


def number(value: Any, field: str, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(f"'{field}' must be a number, got {_kind(value)}.", field)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise InvalidRequest(f"'{field}' must be between {lo} and {hi}, got {value}.", field)
    return float(value)


def opt_number(
    value: Any, field: str, lo: float | None = None, hi: float | None = None
) -> float | None:
    return None if value is None else number(value, field, lo, hi)


def positive_int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"'{field}' must be an integer, got {_kind(value)}.", field)
    if value < 1:
        raise InvalidRequest(f"'{field}' must be at least 1, got {value}.", field)
    return value


def opt_positive_int(value: Any, field: str) -> int | None:
    return None if value is None else positive_int(value, field)


def stop_list(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    items = arr(value, field)
    return [string(s, f"{field}[{i}]") for i, s in enumerate(items)]


def messages_list(value: Any, field: str, max_messages: int) -> list[Any]:
    if value is None:
        raise InvalidRequest(f"'{field}' is required: an array of messages.", field)
    items = arr(value, field)
    if not items:
        raise InvalidRequest(f"'{field}' must contain at least one message.", field)
    if len(items) > max_messages:
        raise InvalidRequest(
            f"'{field}' has {len(items)} messages; the limit is {max_messages}.", field
        )
    return items


def parse_data_url(url: str, field: str) -> tuple[str, str]:
    """(media_type, base64 data) of a ``data:image/png;base64,...`` URL."""
    head, sep, data = url.partition(",")
    if not sep or not head.startswith("data:") or not head.endswith(";base64"):
        raise InvalidRequest(
            f"'{field}' must be an http(s) URL or a data:<media type>;base64,<data> URL.", field
        )
    return head[5:-7] or "application/octet-stream", data
