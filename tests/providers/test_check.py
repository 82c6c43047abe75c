"""The free connection check: each adapter lists its provider's models with the right auth."""

from __future__ import annotations

import httpx
import pytest

from fakes import FakeAnthropic, FakeGemini, FakeOpenAI, Fault, free_port
from routerdesk.core.errors import (
    UpstreamAuthError,
    UpstreamConnectionError,
    UpstreamForbidden,
    UpstreamProtocolError,
)
from routerdesk.providers.anthropic import API_VERSION, AnthropicAdapter
from routerdesk.providers.base import CallContext
from routerdesk.providers.check import count_models
from routerdesk.providers.demo import DemoAdapter
from routerdesk.providers.gemini import GeminiAdapter
from routerdesk.providers.openai_compat import OpenAICompatAdapter


async def test_openai_compatible_lists_models_with_bearer_key(
    client: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    ctx = CallContext(base_url=fake_openai.base_url, key="sk-test-123")
    summary = await OpenAICompatAdapter(client).check("deepseek", ctx)
    assert summary.startswith("deepseek accepted the key") and "2 models" in summary
    req = fake_openai.last
    assert (req.method, req.path) == ("GET", "/v1/models")
    assert req.headers["authorization"] == "Bearer sk-test-123"
    assert "content-type" not in req.headers


async def test_anthropic_lists_models_with_api_key_and_version(
    client: httpx.AsyncClient, fake_anthropic: FakeAnthropic
) -> None:
    for base in (fake_anthropic.base_url, fake_anthropic.base_url + "/v1"):
        ctx = CallContext(base_url=base, key="sk-ant-test")
        assert "2 models" in await AnthropicAdapter(client).check("anthropic", ctx)
        req = fake_anthropic.last
        assert (req.method, req.path) == ("GET", "/v1/models")
        assert req.headers["x-api-key"] == "sk-ant-test"
        assert req.headers["anthropic-version"] == API_VERSION


async def test_gemini_lists_models_with_goog_key(
    client: httpx.AsyncClient, fake_gemini: FakeGemini
) -> None:
    ctx = CallContext(base_url=fake_gemini.base_url, key="AIza-test")
    assert "2 models" in await GeminiAdapter(client).check("google", ctx)
    req = fake_gemini.last
    assert (req.method, req.path) == ("GET", "/v1beta/models")
    assert req.headers["x-goog-api-key"] == "AIza-test"


async def test_rejected_key_maps_to_auth_error_without_the_key(
    client: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.push(Fault(status=401, message="Incorrect API key provided: sk-bad-999"))
    ctx = CallContext(base_url=fake_openai.base_url, key="sk-bad-999")
    with pytest.raises(UpstreamAuthError) as info:
        await OpenAICompatAdapter(client).check("openai", ctx)
    assert "HTTP 401" in info.value.message and "rejected the API key" in info.value.message
    assert "sk-bad-999" not in info.value.message


async def test_forbidden_is_not_a_rejected_key(
    client: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.push(Fault(status=403, message="Project sk-bad-999 may not list models"))
    ctx = CallContext(base_url=fake_openai.base_url, key="sk-bad-999")
    with pytest.raises(UpstreamForbidden) as info:
        await OpenAICompatAdapter(client).check("openai", ctx)
    assert "HTTP 403" in info.value.message and "sk-bad-999" not in info.value.message


async def test_unreachable_and_wrong_endpoints(
    client: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    ctx = CallContext(base_url=f"http://127.0.0.1:{free_port()}/v1", key="k")
    with pytest.raises(UpstreamConnectionError):
        await OpenAICompatAdapter(client).check("ollama", ctx)
    fake_openai.push(Fault.wrong_content_type())
    with pytest.raises(UpstreamProtocolError):
        await OpenAICompatAdapter(client).check("openai", CallContext(fake_openai.base_url, "k"))


async def test_demo_check_is_offline() -> None:
    assert "demo" in await DemoAdapter().check("openai", CallContext("demo:", None))


def test_count_models_shapes() -> None:
    assert count_models({"data": [1, 2, 3]}) == 3
    assert count_models({"models": []}) == 0
    assert count_models(["x"]) is None
