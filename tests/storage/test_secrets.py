"""Provider keys and the access token: in-memory keyring, env overrides, no-backend errors, real Secret Service."""

from __future__ import annotations

import os
import uuid

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest

from routerdesk.core.errors import SecretStoreError
from routerdesk.storage.secrets import (
    ACCESS_TOKEN_ENTRY,
    SERVICE,
    KeyStore,
    access_token,
    backend_problem,
    regenerate_access_token,
)

from .memory_keyring import MemoryKeyring


def test_set_read_delete(memory_keyring: MemoryKeyring) -> None:
    store = KeyStore(env={})
    store.set("openai", "  sk-abc123456789  ")
    assert memory_keyring.entries[(SERVICE, "openai")] == "sk-abc123456789"
    assert store.key("openai") == "sk-abc123456789"
    assert store.info("openai").source == "keyring"
    fresh = KeyStore(env={})
    fresh.load()
    assert fresh.key("openai") == "sk-abc123456789"
    assert fresh.delete("openai") is True
    assert fresh.key("openai") is None
    assert fresh.delete("openai") is False


def test_reads_are_cached(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password(SERVICE, "groq", "gsk_cached")
    store = KeyStore(env={})
    store.load()
    memory_keyring.entries.clear()  # the request path must not go back to the keyring
    assert store.key("groq") == "gsk_cached"


def test_env_overrides_keyring(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password(SERVICE, "google", "from-keyring")
    store = KeyStore(env={"GOOGLE_API_KEY": "from-env"})
    store.load()
    assert store.key("google") == "from-env"
    assert store.info("google").source == "env:GOOGLE_API_KEY"
    sources = {i.provider: i.source for i in store.all()}
    assert sources["ollama"] == "not needed" and sources["openai"] == "none"
    assert "from-env" not in repr(store.all())


def test_unknown_provider(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(SecretStoreError, match="unknown provider"):
        KeyStore(env={}).set("nope", "x")


@pytest.mark.parametrize("backend", [keyring.backends.fail.Keyring, keyring.backends.null.Keyring])
def test_no_backend_is_an_error_not_plaintext(backend: type, tmp_path: object) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend())
    try:
        assert backend_problem() is not None
        store = KeyStore(env={})
        store.load()
        assert store.keyring_error and "gnome-keyring" in store.keyring_error
        with pytest.raises(SecretStoreError, match="No usable OS keyring backend"):
            store.set("openai", "sk-x")
        with pytest.raises(SecretStoreError, match="ROUTERDESK_TOKEN"):
            access_token(env={})
        assert access_token(env={"ROUTERDESK_TOKEN": "t"}).source == "env:ROUTERDESK_TOKEN"
    finally:
        keyring.set_keyring(previous)


def test_access_token_generated_once(memory_keyring: MemoryKeyring) -> None:
    first = access_token(env={})
    assert first.source == "generated" and len(first.value) > 30
    again = access_token(env={})
    assert again.value == first.value and again.source == "keyring"
    new = regenerate_access_token(env={})
    assert new.value != first.value
    assert memory_keyring.entries[(SERVICE, ACCESS_TOKEN_ENTRY)] == new.value
    with pytest.raises(SecretStoreError):
        regenerate_access_token(env={"ROUTERDESK_TOKEN": "x"})


@pytest.mark.keyring
@pytest.mark.skipif(
    not os.environ.get("ROUTERDESK_KEYRING_READY"),
    reason="needs a real Secret Service: run under `make pytest` (dbus-run-session + gnome-keyring)",
)
def test_real_secret_service_round_trip() -> None:
    ring = keyring.get_keyring()
    assert backend_problem() is None, f"keyring backend {ring!r} is not usable"
    secret = "sk-real-" + uuid.uuid4().hex
    store = KeyStore(env={})
    store.set("mistral", secret)
    try:
        assert keyring.get_password(SERVICE, "mistral") == secret
        fresh = KeyStore(env={})
        fresh.load()
        assert fresh.key("mistral") == secret and fresh.info("mistral").source == "keyring"
    finally:
        assert store.delete("mistral") is True
    assert keyring.get_password(SERVICE, "mistral") is None
    token = access_token(env={})
    assert access_token(env={}).value == token.value
