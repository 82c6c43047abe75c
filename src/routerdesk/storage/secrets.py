"""Provider API keys and the local access token, kept in the OS keyring (never on disk in plaintext).

Keys live in the keyring under service ``routerdesk``, one entry per provider id;
the standard environment variables (``OPENAI_API_KEY``...) override them. The
local access token clients present to the server lives in the same service
under ``ACCESS_TOKEN_ENTRY``, or comes from ``ROUTERDESK_TOKEN``.

Keyring calls may cross D-Bus and block, so `KeyStore.load()` reads every entry
(call it off the event loop) and `key()` answers from that cache; the request
path never touches the keyring. `refresh()` re-reads the keyring and the
environment and says which providers' keys changed: the runtime calls it on a
timer, so a key set with `routerdesk keys set` in another shell is picked up
without a restart. Every key seen is handed to `core.redact.remember`, so it
is scrubbed by value from whatever leaves the process. When no usable backend exists
(``keyring.backends.fail``/``null``, or a chainer with nothing in it) every
write raises `SecretStoreError` saying so and what to install; there is no
plaintext fallback.
"""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass
from typing import Any

import keyring
import keyring.errors

from routerdesk.core.errors import SecretStoreError
from routerdesk.core.redact import remember
from routerdesk.core.registry import LOCAL_PROVIDERS, PROVIDERS

SERVICE = "routerdesk"
ACCESS_TOKEN_ENTRY = "__access_token__"
TOKEN_ENV = "ROUTERDESK_TOKEN"

# Provider id -> environment variables that override the keyring, first found wins.
ENV_VARS: dict[str, tuple[str, ...]] = {
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

NO_BACKEND_HELP = (
    "No usable OS keyring backend was found, so routerdesk cannot store secrets. "
    "Install and start a Secret Service (gnome-keyring or KWallet on Linux; macOS and "
    "Windows have one built in), or set the key in an environment variable instead "
    "(e.g. OPENAI_API_KEY, ROUTERDESK_TOKEN). routerdesk never stores keys in plaintext."
)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """Where a provider's key comes from; never the key itself."""

    provider: str
    source: str  # "env:OPENAI_API_KEY", "keyring", "none", "not needed"

    @property
    def present(self) -> bool:
        return self.source not in ("none",)


def backend_problem() -> str | None:
    """Why the active keyring backend cannot hold secrets, or None if it can."""
    try:
        ring: Any = keyring.get_keyring()
    except Exception as exc:  # a broken keyring config file
        return f"{NO_BACKEND_HELP} ({type(exc).__name__}: {exc})"
    mod = type(ring).__module__
    if mod in ("keyring.backends.fail", "keyring.backends.null"):
        return NO_BACKEND_HELP
    if mod == "keyring.backends.chainer" and not getattr(ring, "backends", None):
        return NO_BACKEND_HELP
    return None


def check_provider(provider: str) -> None:
    if provider not in PROVIDERS:
        raise SecretStoreError(
            f"unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}"
        )


class KeyStore:
    """Cached view of provider keys (env over keyring) plus the local access token."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self._env = env  # None: os.environ, read at load time
        self._lock = threading.Lock()
        self._keyring: dict[str, str] = {}
        self._keyring_error: str | None = None
        self._loaded = False
        self._seen: dict[str, str | None] = {}  # each provider's key at the last refresh

    # --- reading -----------------------------------------------------------------

    def load(self) -> None:
        """Read every provider entry from the keyring. Blocking: run it off the event loop."""
        self.refresh()

    def refresh(self) -> list[str]:
        """Re-read the keyring (blocking) and the environment; the providers whose key changed."""
        found: dict[str, str] = {}
        problem = backend_problem()
        if problem is None:
            for provider in PROVIDERS:
                try:
                    value = keyring.get_password(SERVICE, provider)
                except keyring.errors.KeyringError as exc:
                    problem = f"the keyring could not be read: {type(exc).__name__}: {exc}"
                    break
                if value:
                    found[provider] = value
        if problem is not None and self._loaded:
            found = dict(self._keyring)  # a keyring that failed this time keeps what we had
        with self._lock:
            self._keyring = found
            self._keyring_error = problem
            was_loaded, self._loaded = self._loaded, True
        now = {p: self.key(p) for p in PROVIDERS}
        remember(*now.values())
        before, self._seen = self._seen, now
        if not was_loaded:
            return []
        return [p for p in PROVIDERS if now[p] != before.get(p)]

    @property
    def keyring_error(self) -> str | None:
        """Why the keyring is unusable (keys then come only from the environment), else None."""
        return self._keyring_error

    def _environ(self) -> dict[str, str] | os._Environ[str]:
        return self._env if self._env is not None else os.environ

    def key(self, provider: str) -> str | None:
        """The key to use for `provider`: env var first, then the cached keyring entry."""
        env = self._environ()
        for var in ENV_VARS.get(provider, ()):
            value = env.get(var)
            if value:
                return value
        return self._keyring.get(provider)

    def info(self, provider: str) -> KeyInfo:
        env = self._environ()
        for var in ENV_VARS.get(provider, ()):
            if env.get(var):
                return KeyInfo(provider, f"env:{var}")
        if provider in self._keyring:
            return KeyInfo(provider, "keyring")
        if provider in LOCAL_PROVIDERS:
            return KeyInfo(provider, "not needed")
        return KeyInfo(provider, "none")

    def all(self) -> list[KeyInfo]:
        return [self.info(p) for p in PROVIDERS]

    def has_key(self, provider: str) -> bool:
        return provider in LOCAL_PROVIDERS or self.key(provider) is not None

    def secrets(self) -> list[str]:
        """Every key currently known, for scrubbing text before it is logged or returned."""
        values = {self.key(p) for p in PROVIDERS}
        return [v for v in values if v]

    # --- writing -----------------------------------------------------------------

    def set(self, provider: str, key: str) -> None:
        check_provider(provider)
        key = key.strip()
        if not key:
            raise SecretStoreError(f"empty key for {provider}; nothing stored")
        _require_backend()
        try:
            keyring.set_password(SERVICE, provider, key)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(
                f"could not store the {provider} key in the keyring: {exc}"
            ) from exc
        remember(key)
        with self._lock:
            self._keyring[provider] = key
            self._seen[provider] = self.key(provider)  # the caller handles this change

    def delete(self, provider: str) -> bool:
        """Remove the keyring entry; False if there was none."""
        check_provider(provider)
        _require_backend()
        try:
            keyring.delete_password(SERVICE, provider)
        except keyring.errors.PasswordDeleteError:
            existed = False
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"could not delete the {provider} key: {exc}") from exc
        else:
            existed = True
        with self._lock:
            self._keyring.pop(provider, None)
            self._seen[provider] = self.key(provider)
        return existed


def _require_backend() -> None:
    problem = backend_problem()
    if problem:
        raise SecretStoreError(problem)


@dataclass(frozen=True, slots=True)
class AccessToken:
    value: str
    source: str  # "env:ROUTERDESK_TOKEN", "keyring", "generated"


def access_token(env: dict[str, str] | None = None) -> AccessToken:
    """The token clients must send; from ``ROUTERDESK_TOKEN``, else the keyring (created on first run).

    Blocking (keyring). Raises `SecretStoreError` when there is neither an env
    token nor a usable keyring, telling the user to set ``ROUTERDESK_TOKEN``.
    """
    environ = env if env is not None else os.environ
    value = environ.get(TOKEN_ENV, "").strip()
    if value:
        remember(value)
        return AccessToken(value, f"env:{TOKEN_ENV}")
    problem = backend_problem()
    if problem:
        raise SecretStoreError(
            f"{problem} The server's access token cannot be kept; set {TOKEN_ENV} "
            "to a long random string and give the same value to your tools as their API key."
        )
    try:
        stored = keyring.get_password(SERVICE, ACCESS_TOKEN_ENTRY)
        if stored:
            remember(stored)
            return AccessToken(stored, "keyring")
        fresh = "rd-" + secrets.token_urlsafe(32)
        remember(fresh)
        keyring.set_password(SERVICE, ACCESS_TOKEN_ENTRY, fresh)
    except keyring.errors.KeyringError as exc:
        raise SecretStoreError(
            f"the keyring failed ({exc}); set {TOKEN_ENV} to use routerdesk without it"
        ) from exc
    return AccessToken(fresh, "generated")


def regenerate_access_token(env: dict[str, str] | None = None) -> AccessToken:
    """Replace the keyring's access token with a fresh one (not possible when it comes from env)."""
    environ = env if env is not None else os.environ
    if environ.get(TOKEN_ENV, "").strip():
        raise SecretStoreError(
            f"the access token comes from {TOKEN_ENV}; change that variable instead"
        )
    _require_backend()
    fresh = "rd-" + secrets.token_urlsafe(32)
    remember(fresh)
    try:
        keyring.set_password(SERVICE, ACCESS_TOKEN_ENTRY, fresh)
    except keyring.errors.KeyringError as exc:
        raise SecretStoreError(
            f"could not store the new access token in the keyring: {exc}"
        ) from exc
    return AccessToken(fresh, "keyring")
