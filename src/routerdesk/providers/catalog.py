"""Which adapter serves which provider id, and where each provider lives by default."""

from __future__ import annotations

import httpx

from routerdesk.core.registry import PROVIDERS
from routerdesk.core.settings import Settings
from routerdesk.providers.anthropic import AnthropicAdapter
from routerdesk.providers.base import ProviderAdapter
from routerdesk.providers.gemini import GeminiAdapter
from routerdesk.providers.openai_compat import OpenAICompatAdapter

ADAPTER_CLASSES: dict[str, type[ProviderAdapter]] = {
    provider: cls
    for cls in (OpenAICompatAdapter, AnthropicAdapter, GeminiAdapter)
    for provider in cls.default_base_urls
}
assert set(ADAPTER_CLASSES) == set(PROVIDERS), "every provider id needs exactly one adapter"


def _known(provider_id: str) -> None:
    if provider_id not in ADAPTER_CLASSES:
        raise KeyError(f"unknown provider {provider_id!r}; expected one of {', '.join(PROVIDERS)}")


def default_base_url(provider_id: str) -> str:
    _known(provider_id)
    return ADAPTER_CLASSES[provider_id].default_base_urls[provider_id]


def base_url(provider_id: str, settings: Settings | None = None) -> str:
    """The user's `[providers.<id>] base_url` override if set, else the default."""
    if settings is not None:
        override = settings.provider(provider_id).base_url
        if override:
            return override
    return default_base_url(provider_id)


def adapter_for(provider_id: str, client: httpx.AsyncClient) -> ProviderAdapter:
    _known(provider_id)
    return ADAPTER_CLASSES[provider_id](client)


def all_adapters(client: httpx.AsyncClient) -> dict[str, ProviderAdapter]:
    """One adapter per provider id; the OpenAI-compatible ones share an instance."""
    instances: dict[type[ProviderAdapter], ProviderAdapter] = {}
    return {
        provider: instances.setdefault(cls, cls(client))
        for provider, cls in ADAPTER_CLASSES.items()
    }
