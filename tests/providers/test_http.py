"""The shared client and UpstreamCall: deadlines, Retry-After, error mapping, key scrubbing, pooling."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from fakes import Answer, FakeOpenAI, Fault
from routerdesk.core.errors import UpstreamProtocolError, UpstreamServerError, UpstreamTimeout
from routerdesk.core.settings import Timeouts
from routerdesk.providers.http import (
    build_client,
    error_for_status,
    parse_retry_after,
    provider_message,
)
from routerdesk.providers.openai_compat import OpenAICompatAdapter

from .wiring import KEY, ask, collect, ctx, make_model


def test_retry_after_seconds_date_and_ms() -> None:
    assert parse_retry_after({"retry-after": "12"}) == 12.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    date = email.utils.formatdate(1_000_030.0, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=1_000_000.0) == pytest.approx(30.0)
    assert (
        parse_retry_after({"retry-after": email.utils.formatdate(10.0, usegmt=True)}, now=100.0)
        == 0.0
    )
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_provider_message_shapes() -> None:
    assert provider_message(b'{"error": {"message": "bad key"}}') == "bad key"
    assert (
        provider_message(b'{"type": "error", "error": {"type": "x", "message": "overloaded"}}')
        == "overloaded"
    )
    assert (
        provider_message(b'[{"error": {"code": 400, "message": "gemini says no"}}]')
        == "gemini says no"
    )
    assert "extra_forbidden" in provider_message(
        b'{"object": "error", "message": {"detail": [{"type": "extra_forbidden"}]}}'
    )
    assert provider_message(b"<html>502 Bad Gateway</html>") == "<html>502 Bad Gateway</html>"


def test_error_messages_never_contain_the_key() -> None:
    err = error_for_status(
        "openai",
        401,
        {},
        f'{{"error": {{"message": "Incorrect API key provided: {KEY}"}}}}'.encode(),
        KEY,
    )
    assert (
        KEY not in err.message and "[redacted]" in err.message and "Providers page" in err.message
    )
    other = error_for_status(
        "groq", 400, {}, b'{"error": {"message": "key gsk_abcdefghijklmnop is bad"}}', None
    )
    assert "gsk_abc" not in other.message


def test_unusual_statuses() -> None:
    assert isinstance(
        error_for_status(
            "deepseek", 402, {}, b'{"error":{"message":"Insufficient Balance"}}', None
        ),
        UpstreamServerError,
    )
    assert isinstance(
        error_for_status("openai", 307, {"location": "https://elsewhere"}, b"", None),
        UpstreamProtocolError,
    )


async def test_idle_gap_and_total_deadline(
    fake_openai: FakeOpenAI, client: httpx.AsyncClient
) -> None:
    adapter = OpenAICompatAdapter(client)
    model = make_model("openai", "gpt-test")
    fake_openai.push(Answer(pieces=5, hang_after=3))
    with pytest.raises(UpstreamTimeout, match=r"went silent for 0\.2 s"):
        await collect(
            adapter.stream(
                ask(), model, ctx(fake_openai, Timeouts(first_byte=1, idle=0.2, total=5))
            )
        )
    fake_openai.push(Answer(pieces=20, chunk_delay=0.05))
    with pytest.raises(UpstreamTimeout, match="total deadline"):
        await collect(
            adapter.stream(
                ask(), model, ctx(fake_openai, Timeouts(first_byte=1, idle=1, total=0.4))
            )
        )
    fake_openai.push(Fault(status=200, head_delay=0.6))
    with pytest.raises(UpstreamTimeout, match=r"within 0\.3 s"):
        await adapter.complete(
            ask(), model, ctx(fake_openai, Timeouts(first_byte=5, idle=5, total=0.3))
        )


async def test_keepalive_reuses_one_connection(fake_openai: FakeOpenAI) -> None:
    ports: set[int] = set()

    async def remember(response: httpx.Response) -> None:
        stream = response.extensions.get("network_stream")
        if stream is not None:
            ports.add(stream.get_extra_info("client_addr")[1])

    async with build_client(verify=False) as client:
        client.event_hooks["response"].append(remember)
        adapter = OpenAICompatAdapter(client)
        for _ in range(3):
            await adapter.complete(ask(), make_model("openai", "gpt-test"), ctx(fake_openai))
            await collect(adapter.stream(ask(), make_model("openai", "gpt-test"), ctx(fake_openai)))
    assert len(ports) == 1, "six requests, one pooled connection"
    assert all(r.headers["user-agent"].startswith("routerdesk/") for r in fake_openai.requests)


async def test_client_send_skips_unused_layers_but_honours_configured_ones(
    fake_openai: FakeOpenAI,
) -> None:
    url = fake_openai.base_url + "/chat/completions"
    body = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"authorization": f"Bearer {KEY}"}
    async with build_client(verify=False) as client:
        plain = await client.post(url, json=body, headers=headers)  # the short path
        assert plain.status_code == 200 and plain.json()["object"] == "chat.completion"
        assert plain.request.url == url and plain.is_closed
        seen: list[httpx.Request] = []

        async def hook(request: httpx.Request) -> None:
            seen.append(request)

        client.event_hooks["request"].append(hook)  # now httpx's full send must run
        hooked = await client.post(url, json=body, headers=headers)
        assert seen == [hooked.request] and hooked.json() == plain.json() | {
            "id": hooked.json()["id"],
            "created": hooked.json()["created"],
        }
