"""What the routing CLI commands share: the registry and settings they run with, and which providers have keys."""

from __future__ import annotations

import contextlib
from pathlib import Path

from routerdesk.core.registry import LOCAL_PROVIDERS, PROVIDERS
from routerdesk.core.registry_file import RegistryDocument, ensure_registry, load_registry
from routerdesk.core.settings import Settings
from routerdesk.core.settings_file import load_settings
from routerdesk.storage import paths


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
    from routerdesk.storage.secrets import KeyStore  # keyring import is slow: only when asked

    remote = [p for p in PROVIDERS if p not in LOCAL_PROVIDERS]
    store = KeyStore()
    # A broken keyring must not stop offline routing; environment keys still count.
    with contextlib.suppress(Exception):
        store.load()
    return {p for p in remote if store.key(p)}
