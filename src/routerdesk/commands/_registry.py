"""What the routing CLI commands share: the registry and settings they run with, and which providers have keys."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from routerdesk.core.registry import LOCAL_PROVIDERS, PROVIDERS
from routerdesk.core.registry_file import RegistryDocument, ensure_registry, load_registry
from routerdesk.core.settings import Settings
from routerdesk.core.settings_file import load_settings
from routerdesk.storage import paths

# Used only when storage.secrets cannot be imported; it owns the real table.
_FALLBACK_ENV_VARS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "google": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "moonshot": ("MOONSHOT_API_KEY",),
    "mistral": ("MISTRAL_API_KEY",),
    "xai": ("XAI_API_KEY",),
    "groq": ("GROQ_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY",),
}


def registry_document(path: str | None) -> tuple[RegistryDocument, Path]:
    """`--registry FILE` as given, else the user's registry (created from the shipped one)."""
    if path:
        file = Path(path)
        return load_registry(file), file
    file = paths.registry_path()
    return ensure_registry(file), file


def settings() -> Settings:
    return load_settings(paths.settings_path())


def providers_with_keys() -> set[str]:
    """Remote providers that have a key (environment or OS keyring); local ones need none."""
    remote = [p for p in PROVIDERS if p not in LOCAL_PROVIDERS]
    try:
        from routerdesk.storage.secrets import KeyStore
    except ImportError:
        return {p for p in remote if any(os.environ.get(v) for v in _FALLBACK_ENV_VARS.get(p, ()))}
    store = KeyStore()
    # A broken keyring must not stop offline routing; environment keys still count.
    with contextlib.suppress(Exception):
        store.load()
    return {p for p in remote if store.key(p)}
