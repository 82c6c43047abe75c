"""Adapter lookup and base URLs per provider id."""

from __future__ import annotations

import httpx
import pytest

from routerdesk.core.registry import PROVIDERS
from routerdesk.core.settings import ProviderSettings, Settings
from routerdesk.providers.anthropic import AnthropicAdapter
from routerdesk.providers.catalog import adapter_for, all_adapters, base_url, default_base_url
from routerdesk.providers.gemini import GeminiAdapter
from routerdesk.providers.openai_compat import OpenAICompatAdapter


def test_every_provider_has_an_adapter_and_url(client: httpx.AsyncClient) -> None:
    for provider in PROVIDERS:
        assert default_base_url(provider).startswith("http")
        assert adapter_for(provider, client).client is client
    assert isinstance(adapter_for("anthropic", client), AnthropicAdapter)
    assert isinstance(adapter_for("google", client), GeminiAdapter)
    assert isinstance(adapter_for("groq", client), OpenAICompatAdapter)
    adapters = all_adapters(client)
    assert adapters["openai"] is adapters["deepseek"]


@pytest.mark.parametrize(
    ("provider", "url"),
    [
        ("openai", "https://api.openai.com/v1"),
        ("deepseek", "https://api.deepseek.com"),
        ("moonshot", "https://api.moonshot.ai/v1"),
        ("mistral", "https://api.mistral.ai/v1"),
        ("xai", "https://api.x.ai/v1"),
        ("groq", "https://api.groq.com/openai/v1"),
        ("openrouter", "https://openrouter.ai/api/v1"),
        ("ollama", "http://localhost:11434/v1"),
        ("anthropic", "https://api.anthropic.com"),
        ("google", "https://generativelanguage.googleapis.com/v1beta"),
    ],
)
def test_default_base_urls(provider: str, url: str) -> None:
    assert default_base_url(provider) == url


def test_settings_override_and_unknown_provider() -> None:
    settings = Settings(providers={"ollama": ProviderSettings(base_url="http://127.0.0.1:1234/v1")})
    assert base_url("ollama", settings) == "http://127.0.0.1:1234/v1"
    assert base_url("openai", settings) == "https://api.openai.com/v1"
    with pytest.raises(KeyError, match="unknown provider"):
        default_base_url("bard")
