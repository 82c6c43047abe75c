"""A hung provider is found within the stream's first-event bound; slow non-streamed answers are not cut."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from fakes import Answer, FakeAnthropic, FakeOpenAI, Fault
from routerdesk.core.settings import ProviderSettings, Timeouts
from routerdesk.runtime import Runtime
from storage.memory_keyring import MemoryKeyring, memory_keyring  # noqa: F401

from . import conftest
from .conftest import ANTHROPIC_KEY, OPENAI_KEY, TOKEN, Served, make_settings

# Scaled down 20x from the defaults (10 s first event, 600 s for a whole answer).
QUICK = Timeouts(connect=2.0, first_event=0.5, first_byte=20.0, idle=5.0, total=30.0)
ASK = {"messages": [{"role": "user", "content": "hello"}]}


def test_default_timeouts_find_a_hung_stream_within_ten_seconds() -> None:
    t = Timeouts()
    assert t.first_event <= 10.0  # streams: head and first event
    assert t.first_byte >= 300.0  # a non-streamed reasoning answer may take minutes
    assert t.total >= t.first_byte


@pytest.fixture
async def served(
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> AsyncIterator[Served]:
    monkeypatch.setenv("ROUTERDESK_TOKEN", TOKEN)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    async with FakeOpenAI() as oa, FakeAnthropic() as an:
        settings = make_settings(oa.base_url, an.base_url)
        settings.providers = {
            "openai": ProviderSettings(base_url=oa.base_url, timeouts=QUICK),
            "anthropic": ProviderSettings(base_url=an.base_url, timeouts=QUICK),
        }
        rt = Runtime(settings=settings, registry=conftest.test_registry())
        url = await rt.start("127.0.0.1", 0)
        try:
            yield Served(rt, url, oa, an)
        finally:
            await rt.stop()


@pytest.mark.parametrize(
    "hang",
    [Fault.hang(), Answer(hang_after=0)],
    ids=["no response head", "head but no event"],
)
async def test_a_hung_stream_fails_over_within_the_first_event_bound(
    served: Served, hang: Fault | Answer
) -> None:
    served.openai.push(hang)
    t0 = time.perf_counter()
    async with served.http() as http:
        r = await http.post("/v1/chat/completions", json={**ASK, "model": "auto", "stream": True})
    elapsed = time.perf_counter() - t0
    assert r.status_code == 200 and "data: [DONE]" in r.text
    assert r.headers["x-routerdesk-provider"] == "anthropic"
    assert elapsed < QUICK.first_event + 1.0, elapsed
    hop = served.row(r.headers["x-routerdesk-request-id"])["hops"][0]
    assert "no first event within 0.5 s" in hop["error"]


async def test_a_slow_non_streamed_answer_is_not_cut(served: Served) -> None:
    # "thinks" three times longer than a stream may wait for its first event
    served.openai.push(Answer(text="considered answer", head_delay=3 * QUICK.first_event))
    async with served.http() as http:
        r = await http.post("/v1/chat/completions", json={**ASK, "model": "oa-mini"})
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"] == "considered answer"


def test_upstream_sockets_have_tcp_keepalive() -> None:
    import socket

    from routerdesk.server.upstream_transport import KEEPALIVE_IDLE_S, keepalive_socket

    sock = keepalive_socket((socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ()))
    with sock:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        if hasattr(socket, "TCP_KEEPIDLE"):
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == KEEPALIVE_IDLE_S
