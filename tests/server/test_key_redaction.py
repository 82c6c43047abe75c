"""Keys echoed by upstreams, in every provider's format, through every failure path: found nowhere.

Each fake upstream quotes the key it was sent in its error text: HTTP errors
(401, 403, 400, 500), in-stream error events before and after the first
event, through both APIs, streamed and not, with and without fallback. Then
the client bodies, the SQLite files, the export (`routerdesk export`), the log
and the health snapshot are searched for every key and the access token.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakes import Answer, FakeAnthropic, FakeGemini, FakeOpenAI, FakeUpstream, Fault
from routerdesk import cli
from routerdesk.core.registry import Registry
from routerdesk.core.settings import ProviderSettings, Settings
from routerdesk.runtime import Runtime
from storage.memory_keyring import MemoryKeyring, memory_keyring  # noqa: F401

from .conftest import FAST, TOKEN, model

# One key per provider, in that provider's own format; Mistral's has no prefix at all.
KEYS = {
    "openai": "sk-proj-Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8L9",
    "anthropic": "sk-ant-api03-Zx9Cv8Bn7Mm6Ll5Kk4Jj3Hh2Gg1Ff0Dd9Ss8Aa7",
    "mistral": "b7Kq2Xw9Lm4Np8Rt3Vy6Zc1Hd5Fg0Js2",
    "groq": "gsk_T4b8Nc2Mx6Lz0Qw3Er7Ty1Ui5Op9As3Df7Gh1Jk5Lz9Xc3Vb7Nm1Qw",
    "google": "AIzaSyD4-k9Lm2Nb7Vc1Xz5Qw8Er3Ty6Ui0Op4",
    "xai": "xai-Hj7Kl2Mn5Bv8Cx1Za4Sd9Fg3Hj6Kl0Qw2Er5Ty8Ui1Op4",
}
ENV = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "groq": "GROQ_API_KEY",
    "google": "GEMINI_API_KEY",
    "xai": "XAI_API_KEY",
}


@dataclass
class Setup:
    runtime: Runtime
    url: str
    fakes: dict[str, FakeUpstream]

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10.0
        )


def registry() -> Registry:
    # Prices 10x apart: no model is an "equivalent" fallback of another, so an explicit
    # model's failure reaches the client; `auto` tries them all, cheapest first.
    providers = list(KEYS)
    return Registry(
        [
            model(f"{p}-m", p, f"{p}-model", 0.1 * 10**i, 0.4 * 10**i, 3)
            for i, p in enumerate(providers)
        ]
    )


@pytest.fixture
async def setup(
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> AsyncIterator[Setup]:
    monkeypatch.setenv("ROUTERDESK_TOKEN", TOKEN)
    for provider, key in KEYS.items():
        monkeypatch.setenv(ENV[provider], key)
    fakes: dict[str, FakeUpstream] = {
        "openai": FakeOpenAI(),
        "anthropic": FakeAnthropic(),
        "mistral": FakeOpenAI(),
        "groq": FakeOpenAI(),
        "google": FakeGemini(),
        "xai": FakeOpenAI(),
    }
    for fake in fakes.values():
        await fake.start()
    settings = Settings()
    settings.routing.strategy = "cheapest"
    settings.routing.l2.enabled = False
    settings.routing.pinning = False
    settings.providers = {
        p: ProviderSettings(base_url=f.base_url, timeouts=FAST) for p, f in fakes.items()
    }
    rt = Runtime(settings=settings, registry=registry())
    url = await rt.start("127.0.0.1", 0)
    try:
        yield Setup(rt, url, fakes)
    finally:
        await rt.stop()
        for fake in fakes.values():
            await fake.close()


def echo(provider: str) -> str:
    return f"Incorrect API key provided: {KEYS[provider]}. You can find your key at ..."


def faults(provider: str) -> list[Fault | Answer]:
    """Every way this upstream fails, each quoting the key."""
    said = echo(provider)
    return [
        Fault(status=401, message=said),
        Fault(status=403, message=said),
        Fault(status=400, message=said),
        Fault(status=500, message=said),
        Answer(error_after=0, error_message=said),  # before the first event: fallback
        Answer(pieces=4, error_after=2, error_message=said),  # mid-stream: an error event
    ]


async def ask(http: httpx.AsyncClient, api: str, model_id: str, stream: bool) -> str:
    msgs: list[dict[str, Any]] = [{"role": "user", "content": "hello"}]
    if api == "openai":
        body = {"model": model_id, "messages": msgs, "stream": stream}
        r = await http.post("/v1/chat/completions", json=body)
    else:
        body = {"model": model_id, "messages": msgs, "stream": stream, "max_tokens": 20}
        r = await http.post("/v1/messages", json=body)
    return r.text


async def test_keys_of_every_format_appear_nowhere(
    setup: Setup, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []
    async with setup.http() as http:
        for provider, fake in setup.fakes.items():
            for item in faults(provider):
                for api in ("openai", "anthropic"):
                    for stream in (False, True):
                        fake.push(item)
                        bodies.append(await ask(http, api, f"{provider}-m", stream))
                        fake.script.clear()
                        # a 401 benches the provider; the next fault must reach it again
                        setup.runtime.engine.provider_key_changed(provider)
        # `auto` with every provider failing: the "All N attempts failed ... Last: ..." message
        for api in ("openai", "anthropic"):
            for provider, fake in setup.fakes.items():
                fake.push(Fault(status=500, message=echo(provider)))
            bodies.append(await ask(http, api, "auto", False))
            for fake in setup.fakes.values():
                fake.script.clear()
    text = "\n".join(bodies)
    for provider in KEYS:  # the keys were really used and really echoed
        assert setup.fakes[provider].requests, provider
    assert "attempts failed" in text
    assert "[redacted]" in text
    assert "error" in text

    usage = setup.runtime.usage
    assert usage is not None
    usage.flush()
    health = repr(setup.runtime.engine.health)
    db = Path(usage.path)
    await setup.runtime.stop()
    export = tmp_path / "export.csv"
    assert cli.main(["export", "--csv", str(export)]) == 0
    files = [db, db.with_name(db.name + "-wal")]
    blobs = {
        "client bodies": text.encode(),
        "database": b"".join(f.read_bytes() for f in files if f.exists()),
        "export": export.read_bytes(),
        "log": caplog.text.encode(),
        "health": health.encode(),
    }
    assert b"[redacted]" in blobs["database"]
    for secret in (*KEYS.values(), TOKEN):
        for where, blob in blobs.items():
            assert secret.encode() not in blob, f"{secret[:6]}... leaked into the {where}"
