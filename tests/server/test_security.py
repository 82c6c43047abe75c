"""Who may call the server: token, Host, Origin, body size, and binding beyond loopback."""

from __future__ import annotations

import pytest

from routerdesk.core.errors import ConfigError
from routerdesk.runtime import Runtime

from .conftest import TOKEN, Served

BODY = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": f"Basic {TOKEN}"},
        {"x-api-key": TOKEN + "x"},
    ],
    ids=["missing", "wrong bearer", "wrong scheme", "wrong x-api-key"],
)
async def test_token_required(served: Served, headers: dict[str, str]) -> None:
    async with served.http() as http:
        http.headers.pop("Authorization")
        r = await http.post("/v1/chat/completions", json=BODY, headers=headers)
        ra = await http.post("/v1/messages", json={**BODY, "max_tokens": 5}, headers=headers)
        rm = await http.get("/v1/models", headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    assert ra.status_code == 401 and ra.json()["error"]["type"] == "authentication_error"
    assert rm.status_code == 401
    assert served.openai.requests == []  # nothing reached an upstream


async def test_x_api_key_accepted(served: Served) -> None:
    async with served.http() as http:
        http.headers.pop("Authorization")
        r = await http.post(
            "/v1/messages", json={**BODY, "max_tokens": 5}, headers={"x-api-key": TOKEN}
        )
    assert r.status_code == 200


async def test_health_needs_no_token(served: Served) -> None:
    async with served.http() as http:
        http.headers.pop("Authorization")
        r = await http.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


async def test_reachability_probe_needs_no_token_and_says_nothing(served: Served) -> None:
    async with served.http() as http:
        http.headers.pop("Authorization")
        probe = await http.head("/")  # Claude Code's connection check
        get = await http.get("/")
        foreign = await http.head("/", headers={"Host": "evil.example"})
    assert probe.status_code == 200 and probe.content == b""
    assert get.status_code == 401  # only the HEAD probe is open
    assert foreign.status_code == 403


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example:80", "192.168.1.5:8787"])
async def test_foreign_host_refused(served: Served, host: str) -> None:
    async with served.http() as http:
        r = await http.post("/v1/chat/completions", json=BODY, headers={"Host": host})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_host"


@pytest.mark.parametrize("host", ["localhost:8787", "127.0.0.1", "[::1]:8787", "LOCALHOST"])
async def test_loopback_hosts_accepted(served: Served, host: str) -> None:
    async with served.http() as http:
        r = await http.get("/v1/models", headers={"Host": host})
    assert r.status_code == 200


async def test_browser_origin_refused_unless_allowed(served: Served) -> None:
    async with served.http() as http:
        r = await http.post(
            "/v1/chat/completions", json=BODY, headers={"Origin": "https://evil.example"}
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_origin"
        from routerdesk.server.app import CONFIG_KEY
        from routerdesk.server.guard import Guard

        config = served.runtime._runner.app[CONFIG_KEY]  # type: ignore[union-attr]
        config.guard = Guard(TOKEN, "127.0.0.1", frozenset({"https://ok.example"}))
        r2 = await http.post(
            "/v1/chat/completions", json=BODY, headers={"Origin": "https://ok.example"}
        )
    assert r2.status_code == 200
    assert r2.headers["access-control-allow-origin"] == "https://ok.example"


async def test_oversized_body(served: Served) -> None:
    async with served.http() as http:
        r = await http.post("/v1/chat/completions", content=b"{" + b" " * (1024 * 1024 + 10) + b"}")
    assert r.status_code == 413


async def test_non_loopback_bind_needs_opt_in(served: Served) -> None:
    rt = Runtime(settings=served.runtime.engine.settings, registry=served.runtime.engine.registry)
    try:
        with pytest.raises(ConfigError, match="allow-remote"):
            await rt.start("0.0.0.0", 0)
        url = await rt.start("0.0.0.0", 0, allow_remote=True)
        assert url.startswith("http://0.0.0.0:")
    finally:
        await rt.stop()


async def test_regenerated_token_replaces_the_old(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROUTERDESK_TOKEN")
    served.runtime.token = None
    new = served.runtime.regenerate_token()
    async with served.http() as http:
        old = await http.get("/v1/models")
        fresh = await http.get("/v1/models", headers={"Authorization": f"Bearer {new}"})
    assert old.status_code == 401 and fresh.status_code == 200


async def test_slow_body_cannot_pin_a_handler(served: Served) -> None:
    import asyncio

    from routerdesk.server.app import CONFIG_KEY

    served.runtime._runner.app[CONFIG_KEY].body_timeout_s = 0.3  # type: ignore[union-attr]
    host, port = served.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"Authorization: Bearer {TOKEN}\r\n".encode()
        + b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"mess'
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.read(4096), 5)  # answered without the rest of the body
    writer.close()
    assert head.startswith(b"HTTP/1.1 400")
    assert b"did not arrive within 0.3 s" in head
