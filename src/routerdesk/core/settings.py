"""User settings (`settings.toml`): one validated object, with titles and bounds per field.

Loading and atomic saving live in `core/settings_file.py`; a file that fails
validation raises `ConfigError` naming file, field and reason and is never
overwritten.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_PORT = 8787


class Timeouts(BaseModel):
    """Seconds; several bounds, not one number, so a hung provider is found fast without
    cutting off a slow answer.

    A streamed answer sends its head and a first event within a second even from
    reasoning models, so `first_event` (10 s) finds a dead or hung provider fast.
    A non-streamed answer arrives whole, head and all, only when it is done (minutes
    for a reasoning model), so it is bounded by `first_byte` and `total`; TCP
    keep-alive probes (server/upstream_transport.py) notice a connection that died
    meanwhile. `idle` bounds the gap between two chunks of a stream (providers send
    keep-alives while they think).
    """

    model_config = ConfigDict(extra="forbid")

    connect: float = Field(default=5.0, gt=0, title="Connect (s)")
    first_event: float = Field(
        default=10.0, gt=0, title="Streams: response head and first event (s)"
    )
    first_byte: float = Field(default=600.0, gt=0, title="Non-streamed: the whole answer (s)")
    idle: float = Field(default=60.0, gt=0, title="Streams: gap between chunks (s)")
    total: float = Field(default=600.0, gt=0, title="Total time (s)")


class ProviderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(default=None, title="Base URL override")
    timeouts: Timeouts = Field(default_factory=Timeouts)
    enabled: bool = Field(default=True, title="Use this provider")


class ServerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", title="Listen address")
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535, title="Port")
    allow_remote: bool = Field(
        default=False, title="Allow binding to a non-loopback address (always requires the token)"
    )
    allowed_origins: list[str] = Field(default_factory=list, title="Browser origins allowed")
    max_body_mb: float = Field(default=32.0, gt=0, le=512, title="Largest request body (MiB)")


class L2Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, title="Ask a cheap model when L1 is unsure")
    threshold: float = Field(default=0.7, ge=0, le=1, title="L1 confidence below which L2 runs")
    mode: Literal["inline", "shadow"] = Field(
        default="inline", title="Inline waits; shadow only records"
    )
    deadline_s: float = Field(default=1.0, gt=0, le=30, title="L2 deadline (s)")
    model: str = Field(default="", title="Classifier model (empty: cheapest with JSON output)")


class RoutingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strategy: Literal["cheapest", "balanced", "best"] = Field(
        default="balanced", title="Default strategy"
    )
    quality_tier: Literal["standard", "enhanced"] = Field(default="standard", title="Quality tier")
    baseline_model: str = Field(
        default="", title="Baseline model for savings (empty: most capable)"
    )
    pinning: bool = Field(default=True, title="Keep a conversation on its first model")
    pin_window_s: float = Field(default=3600.0, gt=0, title="Pinning window (s)")
    l2: L2Settings = Field(default_factory=L2Settings)


class BudgetSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    daily_usd: float | None = Field(default=None, ge=0, title="Daily limit (USD)")
    monthly_usd: float | None = Field(default=None, ge=0, title="Monthly limit (USD)")
    step_down_at: float = Field(default=0.8, gt=0, le=1, title="Step down strategy at this share")
    at_limit: Literal["error", "local_only"] = Field(default="error", title="At the limit")


class PrivacySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    previews: bool = Field(default=False, title="Store prompt previews")
    preview_chars: int = Field(default=200, ge=0, le=4000, title="Preview length")
    retention_days: int = Field(default=90, ge=1, title="Keep usage rows for (days)")


class StorageSettings(BaseModel):
    """Where the usage log lives: SQLite in the data folder (default) or a team's PostgreSQL."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        default="",
        title="Usage log database (empty: SQLite; postgresql://user@host/db for a team)",
    )
    # The desktop app only reads it (a read-only session): its own requests still go to `url`.
    team_url: str = Field(
        default="",
        title="Team usage database shown on the Dashboard and Requests page, read-only "
        "(empty: this app's own log)",
    )

    @field_validator("url", "team_url")
    @classmethod
    def _postgres_without_password(cls, url: str) -> str:
        if not url:
            return url
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError("must be empty (SQLite) or a postgresql:// URL")
        if parts.password is not None or "password=" in parts.query:
            raise ValueError(
                "holds a password; keep it out of settings.toml and use PGPASSWORD or ~/.pgpass"
            )
        return url


class AuditSettings(BaseModel):
    """Quality audits (core/audit.py): sampled shadow comparisons against the baseline model."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        default=False, title="Audit a sample of routed answers against the baseline model"
    )
    sample_rate: float = Field(default=0.02, ge=0, le=1, title="Share of eligible requests audited")
    daily_cap_usd: float = Field(default=0.5, ge=0, title="Daily spend cap for audits (USD)")
    judge_model: str = Field(
        default="", title="Judge model (empty: strongest usable model that did not answer)"
    )
    include_tool_requests: bool = Field(
        default=False, title="Also audit requests with tool results or forced tool calls"
    )
    delay_s: float = Field(
        default=1.0, ge=0, le=600, title="Wait this long after the answer before auditing (s)"
    )


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    server: ServerSettings = Field(default_factory=ServerSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    budgets: BudgetSettings = Field(default_factory=BudgetSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    demo: bool = Field(default=False, title="Serve every model from the offline demo provider")

    def provider(self, provider_id: str) -> ProviderSettings:
        return self.providers.get(provider_id) or ProviderSettings()
