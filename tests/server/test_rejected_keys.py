"""A rejected key is reported as rejected, recovers when the key changes or after a back-off,
and a 403 for one model does not bench its provider."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest

from fakes import FakeAnthropic, FakeOpenAI, Fault
from routerdesk.runtime import Runtime
from storage.memory_keyring import MemoryKeyring, memory_keyring  # noqa: F401

from . import conftest
from .conftest import ANTHROPIC_KEY, TOKEN, Served, make_settings

ASK = {"messages": [{"role": "user", "content": "hello"}]}


async def test_a_rejected_key_is_reported_as_rejected_not_missing(served: Served) -> None:
    served.openai.push(Fault(status=401, message="Incorrect API key provided"))
    async with served.http() as http:
        first = await http.post("/v1/chat/completions", json={**ASK, "model": "auto"})
        assert first.status_code == 200  # fell over to anthropic
        r = await http.post("/v1/chat/completions", json={**ASK, "model": "oa-big"})
    assert r.status_code == 503
    message = r.json()["error"]["message"]
    assert re.search(
        r"[Tt]he openai key was rejected \(HTTP 401\) at \d\d:\d\d; replace it with "
        r"`routerdesk keys set openai` or on the Providers page",
        message,
    ), message
    assert "no API key" not in message


async def test_every_key_rejected_says_so_for_auto(served: Served) -> None:
    served.openai.push(Fault(status=401))
    served.anthropic.push(Fault(status=401))
    async with served.http() as http:
        await http.post("/v1/chat/completions", json={**ASK, "model": "auto"})
        r = await http.post("/v1/chat/completions", json={**ASK, "model": "auto"})
    message = r.json()["error"]["message"]
    assert r.status_code == 503
    assert "openai key was rejected" in message and "anthropic key was rejected" in message
    assert "No provider has an API key yet" not in message


async def test_a_403_for_one_model_does_not_bench_the_provider(served: Served) -> None:
    served.openai.push(Fault(status=403, message="You do not have access to gpt-big"))
    async with served.http() as http:
        denied = await http.post("/v1/chat/completions", json={**ASK, "model": "oa-big"})
        assert denied.status_code == 502
        assert "HTTP 403" in denied.json()["error"]["message"]
        r = await http.post("/v1/chat/completions", json={**ASK, "model": "oa-mini"})
    assert r.status_code == 200, r.text
    assert r.headers["x-routerdesk-provider"] == "openai"
    health = served.runtime.engine.health["openai"]
    assert not health.key_rejected
    assert "openai" in served.runtime.engine.usable_providers()


@pytest.fixture
async def keyring_served(
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> AsyncIterator[tuple[Served, MemoryKeyring]]:
    """Like `served`, but the openai key lives in the keyring and is re-read every 50 ms."""
    monkeypatch.setenv("ROUTERDESK_TOKEN", TOKEN)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    memory_keyring.set_password("routerdesk", "openai", "sk-old-key-that-was-revoked-000")
    async with FakeOpenAI() as oa, FakeAnthropic() as an:
        settings = make_settings(oa.base_url, an.base_url)
        rt = Runtime(settings=settings, registry=conftest.test_registry(), key_refresh_s=0.05)
        url = await rt.start("127.0.0.1", 0)
        try:
            yield Served(rt, url, oa, an), memory_keyring
        finally:
            await rt.stop()


async def test_a_key_replaced_in_another_process_is_picked_up(
    keyring_served: tuple[Served, MemoryKeyring],
) -> None:
    served, ring = keyring_served
    served.openai.push(Fault(status=401))
    async with served.http() as http:
        await http.post("/v1/chat/completions", json={**ASK, "model": "oa-big"})
        assert "openai" not in served.runtime.engine.usable_providers()
        # `routerdesk keys set openai` in another shell writes the keyring, nothing else
        ring.set_password("routerdesk", "openai", "sk-new-key-just-issued-111")
        async with asyncio.timeout(5):
            while "openai" not in served.runtime.engine.usable_providers():
                await asyncio.sleep(0.02)
        r = await http.post("/v1/chat/completions", json={**ASK, "model": "oa-big"})
    assert r.status_code == 200, r.text
    assert served.openai.last.headers["authorization"] == "Bearer sk-new-key-just-issued-111"
    assert not served.runtime.engine.health["openai"].key_rejected


async def test_a_rejected_key_is_tried_again_after_its_back_off(served: Served) -> None:
    engine = served.runtime.engine
    served.openai.push(Fault(status=401))
    async with served.http() as http:
        await http.post("/v1/chat/completions", json={**ASK, "model": "oa-big"})
        health = engine.health["openai"]
        assert health.key_rejected and health.retry_at is not None
        r = await http.post("/v1/chat/completions", json={**ASK, "model": "oa-big"})
        assert r.status_code == 503  # benched: not even tried
        requests = len(served.openai.requests)
        # the back-off runs out (the breaker's clock moves on): one probe goes through
        breaker = engine._health.breaker("openai")
        later = health.retry_at + 1
        breaker._clock = lambda: later
        engine._health.clock = lambda: later
        r = await http.post("/v1/chat/completions", json={**ASK, "model": "oa-big"})
    assert r.status_code == 200, r.text
    assert len(served.openai.requests) == requests + 1
    assert not engine.health["openai"].key_rejected


def test_rejections_in_a_row_wait_longer() -> None:
    from routerdesk.core.errors import UpstreamAuthError
    from routerdesk.providers.health import KEY_RETRY_S, CircuitBreaker

    now = [100.0]
    b = CircuitBreaker("openai", clock=lambda: now[0])
    waits = []
    for _ in range(3):
        b.record_failure(UpstreamAuthError("rejected", provider="openai", status=401))
        assert b.health.retry_at is not None
        waits.append(b.health.retry_at - now[0])
        now[0] = b.health.retry_at
        assert b.allow()  # the probe
    assert waits == [KEY_RETRY_S, 2 * KEY_RETRY_S, 4 * KEY_RETRY_S]
    assert b.health.rejections == 3


async def test_refresh_reports_changed_keys(
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    from routerdesk.storage.secrets import KeyStore

    env: dict[str, str] = {"GROQ_API_KEY": "gsk_first_key_000"}
    keys = KeyStore(env=env)
    keys.load()
    assert keys.refresh() == []
    memory_keyring.set_password("routerdesk", "mistral", "m" * 32)
    env["GROQ_API_KEY"] = "gsk_second_key_111"
    assert sorted(keys.refresh()) == ["groq", "mistral"]
    assert keys.key("mistral") == "m" * 32
