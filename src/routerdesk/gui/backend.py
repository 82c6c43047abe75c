"""What the GUI needs from the running router, as one typed interface.

Pages talk only to a `Backend`: they never touch providers, the usage
database or the keyring themselves. `gui/runtime_backend.py` implements it
over the runtime (engine, server, stores, files); tests may pass a fake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from routerdesk.core.audit import AuditResult
from routerdesk.core.budget import BudgetStatus, SpendTotals
from routerdesk.core.errors import ConfigError
from routerdesk.core.events import EventBus
from routerdesk.core.l2 import Agreement, L2Status
from routerdesk.core.quality import QualitySummary, Suggestion
from routerdesk.core.registry import PROVIDERS, Registry
from routerdesk.core.replay import Projection
from routerdesk.core.settings import Settings
from routerdesk.core.types import ChatRequest, Classification, Decision, UsageRecord
from routerdesk.samples import SampleRun


@dataclass(slots=True, frozen=True)
class HealthView:
    """A provider's health as the Providers page shows it."""

    state: str = "closed"  # circuit: closed (healthy) | open (skipped) | half_open (probing)
    last_error: str = ""
    key_rejected: bool = False
    failures: int = 0  # consecutive failed calls (0: the last call succeeded)
    rejected: str = ""  # "the openai key was rejected (HTTP 401) at 10:42; replace it ..."


@dataclass(slots=True, frozen=True)
class KeyView:
    """Whether a provider has a key and where it comes from; never the key itself."""

    present: bool
    source: str = ""  # "keyring", "env", "" (none) or "local" (needs none)


@dataclass(slots=True, frozen=True)
class WhatIf:
    """A projection over recent usage, with what it was computed from."""

    projection: Projection
    days: int
    simulated: bool  # over demo rows (simulated list-price costs), not real spend
    agreement: Agreement  # L1/L2 agreement over the same rows


@dataclass(slots=True, frozen=True)
class QualityView:
    """Quality audits over a time range: the dashboard tile and chart, the registry suggestions."""

    summary: QualitySummary
    suggestions: list[Suggestion]
    simulated: bool  # demo audits (demo provider, demo judge, simulated costs)
    enabled: bool  # audits run now (turned on, or demo mode)
    spent_today: float = 0.0  # real audit spend today, USD
    cap_usd: float = 0.0
    last_skip: str = ""  # why the last request picked for an audit was not audited


@dataclass(slots=True, frozen=True)
class PersonTotals:
    """One sender's line of the dashboard's spend by person (`routerdesk stats`'s per-person
    query); `name` "" is the server's own access token."""

    name: str
    requests: int
    errors: int
    cost: float  # USD
    baseline_cost: float

    @property
    def savings(self) -> float:
        return self.baseline_cost - self.cost


class Backend(Protocol):
    @property
    def events(self) -> EventBus: ...

    # --- registry ----------------------------------------------------------------
    @property
    def registry(self) -> Registry: ...
    def apply_registry(self, registry: Registry) -> None:
        """Use `registry` for the next decision (not saved)."""

    def save_registry(self, registry: Registry) -> None:
        """Write registry.toml atomically. Raises ConfigError or OSError."""

    def load_registry(self) -> Registry:
        """Read registry.toml again and apply it. Raises ConfigError."""

    def refresh_prices(self, registry: Registry) -> tuple[Registry, list[str]]:
        """Current list prices from genai-prices; returns the new registry and what changed."""

    @property
    def registry_error(self) -> ConfigError | None: ...

    # --- settings ----------------------------------------------------------------
    @property
    def settings(self) -> Settings: ...
    def save_settings(self, settings: Settings) -> None:
        """Apply and write settings.toml atomically. Raises ConfigError or OSError."""

    @property
    def settings_error(self) -> ConfigError | None:
        """Why settings.toml could not be loaded (defaults are in use and the file is kept)."""

    # --- routing -----------------------------------------------------------------
    def decide(
        self, req: ChatRequest, *, all_providers: bool = False
    ) -> tuple[Classification, Decision]:
        """Classify and route without calling anyone. Raises RouterError.

        `all_providers`: as if every provider had a key (a preview before any key is set).
        """

    def parse_openai(self, body: object) -> ChatRequest:
        """An OpenAI chat-completions body (or a bare messages list) as a ChatRequest."""

    @property
    def paused(self) -> bool: ...
    def set_paused(self, paused: bool) -> None: ...
    def set_demo(self, on: bool) -> None:
        """Switch the offline demo provider on or off, and remember it in settings.toml."""

    @property
    def demo(self) -> bool:
        """Whether the demo provider answers now (settings, or forced by `--demo`)."""

    def l2_status(self) -> L2Status | None:
        """The L2 classifier's state and the reason line to show; None without a classifier."""

    async def what_if(
        self,
        strategy: str,
        registry: Registry | None = None,
        *,
        current: Registry | None = None,
        days: int = 7,
    ) -> WhatIf:
        """The last `days` of usage routed now and with `strategy` as the default (and `registry`).

        `current` is the registry to compare with (default: the one in use); off the loop.
        """

    # --- providers ---------------------------------------------------------------
    def key(self, provider: str) -> KeyView: ...
    async def set_key(self, provider: str, key: str) -> None:
        """Store a key in the OS keyring (off the event loop). Raises SecretStoreError."""

    async def clear_key(self, provider: str) -> None: ...
    def health(self, provider: str) -> HealthView: ...
    def usable_providers(self) -> list[str]: ...
    async def test_connection(self, provider: str) -> tuple[bool, str]:
        """List the provider's models with its key (free); (ok, human-readable result)."""

    # --- server and usage --------------------------------------------------------
    def spend(self) -> SpendTotals:
        """Real money spent today and this month (demo rows never count)."""

    def budget_status(self) -> BudgetStatus:
        """Today's and this month's spend against `settings.budgets`."""

    @property
    def config_dir(self) -> Path:
        """The folder holding settings.toml, registry.toml and the usage log."""

    @property
    def server_url(self) -> str: ...
    @property
    def access_token(self) -> str: ...
    async def regenerate_token(self) -> str: ...
    async def send_samples(
        self, on_progress: Callable[[SampleRun], None] | None = None
    ) -> SampleRun:
        """Send `routerdesk.samples.SAMPLES` through this app's own server (demo mode only)."""

    async def recent_records(self, limit: int) -> list[UsageRecord]:
        """Newest first, from the usage log (read off the event loop)."""

    async def log_entry(self, request_id: str) -> dict[str, Any] | None:
        """One request's row as the usage log on show stores it (the team database's when one
        is set; read off the event loop)."""

    async def people_totals(self, since: float | None, *, demo: bool) -> list[PersonTotals]:
        """Spend per person token since `since` in the usage log on show, biggest first (key ""
        is the server's own access token): `routerdesk stats`'s per-person query."""

    # --- a team's usage, shown read-only ---------------------------------------------
    @property
    def team_database(self) -> str:
        """The team database the Dashboard and Requests page show instead of this app's log
        (``[storage] team_url``), described without any password; "" for this app's log."""

    async def team_records(self, since: float | None, limit: int) -> list[UsageRecord]:
        """The team database's rows, newest first: the newest `limit` of them, or (with
        `since`) the newest `limit` started at or after `since`. Read-only, off the event
        loop; raises `TeamDatabaseError` (unreachable, refused, not a routerdesk log)."""

    # --- quality audits ------------------------------------------------------------
    async def quality(self, since: float | None) -> QualityView:
        """Audits since `since` (demo ones while demo mode is on), read off the event loop."""

    async def audit(self, request_id: str) -> AuditResult | None:
        """The audit of one request, with both answers; None if it was not audited."""

    async def dismiss_suggestion(self, key: str) -> None:
        """Never show this registry suggestion again (until the score it is about changes)."""


def can_route(backend: Backend) -> bool:
    """Whether an enabled model has a usable provider (a key, or a local server)."""
    usable = set(backend.usable_providers())
    return any(m.enabled and m.provider in usable for m in backend.registry)


def rejected_keys(backend: Backend) -> list[str]:
    """Providers with a key that the provider rejected: routing leaves them out for now."""
    return [p for p in PROVIDERS if backend.health(p).key_rejected and backend.key(p).present]
