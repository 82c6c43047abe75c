"""Claude Code 2.1.197's own requests (captured from `claude -p` against routerdesk) replayed.

`data/claude_code_2_1_197.json` holds the two bodies of a Read-tool round trip
(first turn; then tool_use + tool_result) and the headers it sent: streaming,
``?beta=true``, ``anthropic-beta``, system blocks with ``cache_control``, a
``role: "system"`` turn inside ``messages`` (beta mid-conversation-system),
``thinking: {"type": "adaptive"}``, ``output_config``, ``context_management`` and a
JSON-string ``metadata.user_id``. Before the fix the system turn was a 400, and the
Anthropic-only fields were copied into OpenAI upstream bodies.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fakes import Answer
from routerdesk.core.registry import ModelSpec, Prices
from routerdesk.core.types import TASKS
from routerdesk.providers.base import CallContext
from routerdesk.providers.demo import DemoAdapter
from routerdesk.server.anthropic_api import parse_messages_request

from .conftest import TOKEN, Served

CAPTURED = json.loads((Path(__file__).parent / "data" / "claude_code_2_1_197.json").read_text())
FIRST, TOOL_TURN = CAPTURED["requests"]
ANTHROPIC_ONLY = ("thinking", "output_config", "context_management", "top_k", "metadata")


def body(which: dict[str, Any], model: str) -> dict[str, Any]:
    b = copy.deepcopy(which)
    b["model"] = model
    return b


async def post(served: Served, path: str, payload: dict[str, Any]) -> Any:
    headers = {**CAPTURED["headers"], "Authorization": f"Bearer {TOKEN}"}
    async with served.http(headers=headers) as http:
        return await http.post(path, content=json.dumps(payload).encode())


def sse_events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


def test_captured_shape() -> None:
    assert [m["role"] for m in TOOL_TURN["messages"]] == ["user", "system", "assistant", "user"]
    assert FIRST["stream"] is True and FIRST["thinking"] == {"type": "adaptive"}


@pytest.mark.parametrize("captured", [FIRST, TOOL_TURN], ids=["first-turn", "tool-result-turn"])
async def test_stream_to_an_openai_upstream(served: Served, captured: dict[str, Any]) -> None:
    served.openai.push(Answer(text="4"))
    r = await post(served, "/v1/messages?beta=true", body(captured, "auto"))
    assert r.status_code == 200, r.text
    events = sse_events(r.text)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert any(e.get("delta", {}).get("text") == "4" for e in events)
    sent = served.openai.last.json
    for field in ANTHROPIC_ONLY:
        assert field not in sent, f"{field} leaked into the OpenAI body"
    roles = [m["role"] for m in sent["messages"]]
    assert roles[:3] == ["system", "user", "system"], roles
    assert sent["messages"][2]["content"].startswith("Available agent types")
    if captured is TOOL_TURN:
        assert roles[3:] == ["assistant", "tool"]
        assert sent["messages"][4]["tool_call_id"] == TOOL_TURN["messages"][2]["content"][0]["id"]


async def test_stream_to_an_anthropic_upstream(served: Served) -> None:
    served.anthropic.push(Answer(text="done"))
    r = await post(served, "/v1/messages?beta=true", body(TOOL_TURN, "an-mini"))
    assert r.status_code == 200, r.text
    sent = served.anthropic.last.json
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    system_text = " ".join(b["text"] for b in sent["system"])
    assert "Available agent types" in system_text  # the mid-conversation turn is kept


async def test_count_tokens_with_a_system_turn(served: Served) -> None:
    payload = body(TOOL_TURN, "auto")
    for k in ("stream", "max_tokens"):
        payload.pop(k)
    r = await post(served, "/v1/messages/count_tokens?beta=true", payload)
    assert r.status_code == 200, r.text
    assert r.json()["input_tokens"] > 100


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ([{"type": "image", "source": {}}], "messages[1].content[0].type"),
        (7, "messages[1].content"),
    ],
)
def test_a_bad_system_turn_names_the_field(content: Any, field: str) -> None:
    from routerdesk.core.errors import InvalidRequest

    b = body(FIRST, "auto")
    b["messages"][1]["content"] = content
    with pytest.raises(InvalidRequest) as info:
        parse_messages_request(b)
    assert info.value.param == field


def demo_model() -> ModelSpec:
    return ModelSpec(
        id="demo-model",
        provider="openai",
        name="demo-model",
        prices=Prices(input=0.1, output=0.4),
        context_window=400_000,
        max_output_tokens=16_000,
        features=frozenset({"streaming", "tools"}),
        capabilities={t: 3 for t in TASKS},
    )


async def test_demo_runs_claude_codes_read_round_trip() -> None:
    """`serve --demo` answers the prompt itself (not the system turn or the reminders)."""
    demo, ctx = DemoAdapter(latency_scale=0), CallContext("demo:", None)
    first = await demo.complete(parse_messages_request(FIRST), demo_model(), ctx)
    assert [c.name for c in first.tool_calls] == ["Read"]
    # only the required argument, taken from the prompt's path
    assert json.loads(first.tool_calls[0].arguments) == {"file_path": "/tmp/cc-work/calc.py"}
    second = await demo.complete(parse_messages_request(TOOL_TURN), demo_model(), ctx)
    assert not second.tool_calls and second.content is not None
    assert "The tool returned:" in second.content and "def add" in second.content


async def test_demo_topic_skips_system_reminders() -> None:
    b = body(FIRST, "auto")
    b["tools"] = []
    resp = await DemoAdapter(latency_scale=0).complete(
        parse_messages_request(b), demo_model(), CallContext("demo:", None)
    )
    assert resp.content is not None
    assert "You asked about: Read the file /tmp/cc-work/calc.py" in resp.content
    assert "system-reminder" not in resp.content


TITLE = CAPTURED["title_request"]  # interactive claude: the session title, as structured output


async def test_title_request_asks_the_upstream_for_json_schema_output(served: Served) -> None:
    served.openai.push(Answer(text='{"title": "Explain calc.py"}'))
    r = await post(served, "/v1/messages?beta=true", body(TITLE, "auto"))
    assert r.status_code == 200, r.text
    sent = served.openai.last.json
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"]["required"] == ["title"]
    assert "output_config" not in sent


def test_output_format_forms() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    for key, value in (
        ("output_config", {"format": {"type": "json_schema", "schema": schema}}),
        ("output_format", {"type": "json_schema", "schema": schema}),
    ):
        req = parse_messages_request({**body(FIRST, "auto"), key: value})
        assert req.response_format is not None and req.response_format.schema == schema
    assert (
        parse_messages_request({**body(FIRST, "auto"), "output_config": {}}).response_format is None
    )


def test_a_bad_output_format_names_the_field() -> None:
    from routerdesk.core.errors import InvalidRequest

    with pytest.raises(InvalidRequest) as info:
        parse_messages_request(
            {**body(FIRST, "auto"), "output_config": {"format": {"type": "xml"}}}
        )
    assert info.value.param == "output_config.format.type"


async def test_demo_title_fits_the_schema() -> None:
    resp = await DemoAdapter(latency_scale=0).complete(
        parse_messages_request(body(TITLE, "auto")), demo_model(), CallContext("demo:", None)
    )
    assert resp.content is not None
    title = json.loads(resp.content)
    assert list(title) == ["title"] and isinstance(title["title"], str)


async def test_demo_reports_the_prompt_size_routing_estimated() -> None:
    """A stream's message_start carries the router's estimate; the demo's final usage
    must agree with it, or the two counts Claude Code shows would differ."""
    from routerdesk.core.tokens import estimate_prompt_tokens

    req = parse_messages_request(TOOL_TURN)
    resp = await DemoAdapter(latency_scale=0).complete(
        req, demo_model(), CallContext("demo:", None)
    )
    assert resp.usage.input_tokens == estimate_prompt_tokens(req) > 100
