"""The aiohttp-backed httpx transport passes the providers' whole fault matrix, unchanged.

The matrix (tests/providers/test_fault_matrix.py) is imported and re-run here with
the shared client built on `AiohttpTransport`: every HTTP fault, stream fault,
timeout and refused connection must surface as the same `UpstreamError` as with
httpx's own transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from fakes import Answer, FakeOpenAI
from providers.test_fault_matrix import *  # noqa: F403  (re-collected with the fixture below)
from routerdesk.providers.http import build_client
from routerdesk.server.upstream_transport import AiohttpTransport


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with build_client(transport=AiohttpTransport()) as c:
        yield c


async def test_connection_reused_and_closed_on_early_close() -> None:
    async with FakeOpenAI() as fake, build_client(transport=AiohttpTransport()) as c:
        url = fake.base_url + "/chat/completions"
        for _ in range(3):
            r = await c.post(url, json={"model": "m", "messages": []})
            assert r.status_code == 200 and r.json()["object"] == "chat.completion"
        fake.push(Answer(text="x " * 50, pieces=50, chunk_delay=0.05))
        async with c.stream("POST", url, json={"model": "m", "stream": True}) as r:
            async for _ in r.aiter_bytes():
                break
        await fake.disconnected.wait()
        assert fake.disconnects == 1


async def test_whole_body_handed_over_decoded_and_connection_pooled() -> None:
    """A body that arrived with the head skips the chunk iterators; httpx still decodes it."""
    import gzip
    import json

    from aiohttp import web

    payload = {"object": "chat.completion", "text": "x" * 200}

    async def handler(request: web.Request) -> web.Response:
        return web.Response(
            body=gzip.compress(json.dumps(payload).encode()),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )

    app = web.Application()
    app.router.add_post("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with build_client(transport=AiohttpTransport()) as c:
            for _ in range(2):
                r = await c.post(f"http://127.0.0.1:{port}/", content=b"{}")
                assert r.status_code == 200 and r.json() == payload
            assert r.extensions["http_version"] == b"HTTP/1.1"
    finally:
        await runner.cleanup()
