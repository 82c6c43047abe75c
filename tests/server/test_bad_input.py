"""The bad-input matrix: each case gets its exact status and an error body in the client's format; none is a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fakes import Fault

from .conftest import Served

OK_MSG = [{"role": "user", "content": "hi"}]


def openai_error(body: Any) -> dict[str, Any]:
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == {"message", "type", "param", "code"}, err
    assert err["message"] and "Traceback" not in err["message"]
    return err  # type: ignore[no-any-return]


def anthropic_error(body: Any) -> dict[str, Any]:
    assert body["type"] == "error" and set(body["error"]) == {"type", "message"}, body
    return body["error"]  # type: ignore[no-any-return]


OPENAI_CASES: list[tuple[str, Any, int, str | None, str]] = [
    # (id, raw body or object, status, param, text in the message)
    ("invalid json", b'{"model": "auto", "messages": [', 400, None, "not valid JSON"),
    ("empty body", b"", 400, None, "empty"),
    ("not an object", [1, 2], 400, None, "JSON object"),
    ("missing messages", {"model": "auto"}, 400, "messages", "required"),
    ("messages not array", {"messages": "hi"}, 400, "messages", "array"),
    ("empty messages", {"messages": []}, 400, "messages", "at least one"),
    (
        "bad role",
        {"messages": [{"role": "wizard", "content": "x"}]},
        400,
        "messages[0].role",
        "wizard",
    ),
    (
        "content wrong type",
        {"messages": [{"role": "user", "content": 5}]},
        400,
        "messages[0].content",
        "string",
    ),
    (
        "bad part",
        {"messages": [{"role": "user", "content": [{"type": "audio"}]}]},
        400,
        "messages[0].content[0].type",
        "audio",
    ),
    ("model wrong type", {"model": 3, "messages": OK_MSG}, 400, "model", "string"),
    ("n=2", {"messages": OK_MSG, "n": 2}, 400, "n", "must be 1"),
    ("temperature type", {"messages": OK_MSG, "temperature": "hot"}, 400, "temperature", "number"),
    ("temperature range", {"messages": OK_MSG, "temperature": 7}, 400, "temperature", "between"),
    ("max_tokens zero", {"messages": OK_MSG, "max_tokens": 0}, 400, "max_tokens", "at least 1"),
    ("stream type", {"messages": OK_MSG, "stream": "yes"}, 400, "stream", "true or false"),
    ("tools type", {"messages": OK_MSG, "tools": {}}, 400, "tools", "array"),
    (
        "tool_choice unknown fn",
        {
            "messages": OK_MSG,
            "tools": [{"type": "function", "function": {"name": "a"}}],
            "tool_choice": {"type": "function", "function": {"name": "b"}},
        },
        400,
        "tool_choice",
        "not among",
    ),
    (
        "response_format type",
        {"messages": OK_MSG, "response_format": {"type": "xml"}},
        400,
        "response_format.type",
        "xml",
    ),
    ("unknown model", {"model": "oa-mni", "messages": OK_MSG}, 404, "model", "oa-mini"),
    (
        "unknown strategy",
        {"model": "auto:fastest", "messages": OK_MSG},
        404,
        "model",
        "auto:cheapest",
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "status", "param", "text"), OPENAI_CASES, ids=[c[0] for c in OPENAI_CASES]
)
async def test_openai_bad_input(
    served: Served, case: str, body: Any, status: int, param: str | None, text: str
) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with served.http() as http:
        r = await http.post(
            "/v1/chat/completions", content=raw, headers={"content-type": "application/json"}
        )
    assert r.status_code == status, r.text
    err = openai_error(r.json())
    assert err["param"] == param
    assert text in err["message"]
    # Refused or not, the request is in the usage log, so a failing tool is visible.
    row = served.row(r.headers["x-routerdesk-request-id"])
    assert (row["status"], row["status_code"]) == ("error", status)
    assert text in row["error"] and row["inbound"] == "openai"


ANTHROPIC_CASES: list[tuple[str, Any, int, str]] = [
    ("invalid json", b"{", 400, "not valid JSON"),
    ("missing model", {"max_tokens": 5, "messages": OK_MSG}, 400, "'model' is required"),
    ("missing max_tokens", {"model": "auto", "messages": OK_MSG}, 400, "'max_tokens' is required"),
    (
        "bad role",
        # "system" turns are valid (Claude Code's mid-conversation system beta)
        {"model": "auto", "max_tokens": 5, "messages": [{"role": "wizard", "content": "x"}]},
        400,
        "messages[0].role",
    ),
    (
        "bad block",
        {
            "model": "auto",
            "max_tokens": 5,
            "messages": [{"role": "user", "content": [{"type": "document"}]}],
        },
        400,
        "document",
    ),
    (
        "tool_use from user",
        {
            "model": "auto",
            "max_tokens": 5,
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "tool_use", "id": "a", "name": "b", "input": {}}],
                }
            ],
        },
        400,
        "tool_use",
    ),
    (
        "server tool",
        {
            "model": "auto",
            "max_tokens": 5,
            "messages": OK_MSG,
            "tools": [{"type": "web_search_20250305", "name": "web_search"}],
        },
        400,
        "server tool",
    ),
    (
        "thinking type",
        {"model": "auto", "max_tokens": 5, "messages": OK_MSG, "thinking": {"type": "on"}},
        400,
        "thinking.type",
    ),
    (
        "unknown model",
        {"model": "claude-nope", "max_tokens": 5, "messages": OK_MSG},
        404,
        "Unknown model",
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "status", "text"), ANTHROPIC_CASES, ids=[c[0] for c in ANTHROPIC_CASES]
)
async def test_anthropic_bad_input(
    served: Served, case: str, body: Any, status: int, text: str
) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with served.http() as http:
        r = await http.post("/v1/messages", content=raw)
    assert r.status_code == status, r.text
    err = anthropic_error(r.json())
    assert text in err["message"]
    assert err["type"] == ("not_found_error" if status == 404 else "invalid_request_error")
    row = served.row(r.headers["x-routerdesk-request-id"])
    assert (row["status_code"], row["inbound"]) == (status, "anthropic")


async def test_json_too_deep(served: Served) -> None:
    deep = b'{"messages": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    async with served.http() as http:
        r = await http.post("/v1/chat/completions", content=deep)
        r2 = await http.post(
            "/v1/chat/completions", content=b'{"messages": ' + b"[" * 150 + b"]" * 150 + b"}"
        )
    assert r.status_code == 400 and "nested too deeply" in openai_error(r.json())["message"]
    assert r2.status_code == 400 and "nested too deeply" in openai_error(r2.json())["message"]


async def test_too_many_messages(served: Served) -> None:
    body = {"messages": [{"role": "user", "content": ""}] * 10_001}
    async with served.http() as http:
        r = await http.post("/v1/chat/completions", json=body)
    assert r.status_code == 400
    assert "limit is 10000" in openai_error(r.json())["message"]


async def test_body_too_large(served: Served) -> None:
    body = json.dumps({"messages": [{"role": "user", "content": "x" * (2 * 1024 * 1024)}]})
    async with served.http() as http:
        r = await http.post("/v1/chat/completions", content=body)
        ra = await http.post("/v1/messages", content=body)
    assert r.status_code == 413 and "max_body_mb" in openai_error(r.json())["message"]
    assert ra.status_code == 413 and anthropic_error(ra.json())["type"] == "request_too_large"
    row = served.row(ra.headers["x-routerdesk-request-id"])
    assert (row["status_code"], row["inbound"]) == (413, "anthropic")
    assert row["client"].startswith("python-httpx")


async def test_no_usable_provider_says_which_keys_to_add(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    async with served.http() as http:
        r = await http.post("/v1/chat/completions", json={"messages": OK_MSG})
    assert r.status_code == 503
    err = openai_error(r.json())
    assert "routerdesk keys set openai" in err["message"] and "Providers page" in err["message"]


async def test_budget_exceeded(served: Served) -> None:
    engine = served.runtime.engine
    settings = engine.settings.model_copy(deep=True)
    settings.budgets.daily_usd = 1.0
    engine.set_settings(settings)
    engine.spend.seed(2.0, 2.0)
    async with served.http() as http:
        r = await http.post("/v1/chat/completions", json={"messages": OK_MSG})
        ra = await http.post(
            "/v1/messages", json={"model": "auto", "max_tokens": 5, "messages": OK_MSG}
        )
    assert r.status_code == 429
    err = openai_error(r.json())
    assert err["code"] == "budget_exceeded" and "Daily budget reached" in err["message"]
    assert ra.status_code == 429 and anthropic_error(ra.json())["type"] == "rate_limit_error"


async def test_upstream_bad_request_passes_through(served: Served) -> None:
    served.openai.push(Fault(status=400, message="Invalid value for 'logit_bias': must be a map"))
    async with served.http() as http:
        r = await http.post(
            "/v1/chat/completions", json={"model": "oa-mini", "messages": OK_MSG, "logit_bias": 3}
        )
    assert r.status_code == 400
    err = openai_error(r.json())
    assert "logit_bias" in err["message"] and "openai" in err["message"]


async def test_all_upstreams_down(served: Served) -> None:
    served.openai.push(*[Fault(status=500)] * 5)
    served.anthropic.push(*[Fault(status=529, message="Overloaded")] * 5)
    async with served.http() as http:
        r = await http.post("/v1/chat/completions", json={"model": "auto", "messages": OK_MSG})
    assert r.status_code in (502, 503)
    err = openai_error(r.json())
    assert "attempts failed" in err["message"]
    row = served.row(r.headers["x-routerdesk-request-id"])
    assert row["status"] == "error" and len(row["hops"]) >= 2


async def test_unknown_route_and_method(served: Served) -> None:
    async with served.http() as http:
        r = await http.post("/v1/embeddings", json={})
        r2 = await http.get("/v1/chat/completions")
    assert r.status_code == 404 and "chat/completions" in openai_error(r.json())["message"]
    assert r2.status_code == 405
    # not chat requests: nothing to log
    assert (
        "x-routerdesk-request-id" not in r.headers and "x-routerdesk-request-id" not in r2.headers
    )
    openai_error(r2.json())


async def test_unexpected_exception_is_a_clean_500(
    served: Served, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(*a: object, **k: object) -> None:
        raise RuntimeError("internal detail sk-live-DONOTLEAK123456")

    monkeypatch.setattr(served.runtime.engine, "complete", boom)
    async with served.http() as http:
        r = await http.post("/v1/chat/completions", json={"messages": OK_MSG})
        ra = await http.post(
            "/v1/messages", json={"model": "auto", "max_tokens": 5, "messages": OK_MSG}
        )
    assert r.status_code == 500
    err = openai_error(r.json())
    assert (
        "DONOTLEAK" not in r.text and "Traceback" not in r.text and err["code"] == "internal_error"
    )
    assert ra.status_code == 500 and anthropic_error(ra.json())["type"] == "api_error"
    assert "Traceback" in caplog.text or any(rec.exc_info for rec in caplog.records)
