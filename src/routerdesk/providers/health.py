"""Per-provider circuit breakers: stop sending requests to a provider that keeps failing.

    closed --N consecutive failures--> open --cool-down passed--> half-open
      ^                                  ^                           |
      |                                  +------ probe fails --------+
      +------------------------ probe succeeds ----------------------+

Failures that count: every retryable `UpstreamError` and auth errors. Bad
requests (400/404/422) and a 403 for one model say nothing about the
provider's health and are ignored.

A rejected key (401) sets `key_rejected` and `rejected_at` and opens the
breaker for a back-off that doubles with each rejection in a row
(`KEY_RETRY_S` up to `KEY_RETRY_MAX_S`): then one probe tries the key again,
in case it was fixed where we cannot see (a new key behind the same variable,
a billing problem solved). A new key (`reset`) or a success clears it. In half-open one probe
is let through at a time; if a probe is abandoned (client went away), another
is allowed after a further cool-down. Time comes from an injectable monotonic
clock so tests can move it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from routerdesk.core.errors import UpstreamAuthError, UpstreamError, UpstreamForbidden
from routerdesk.core.redact import scrub

Clock = Callable[[], float]

KEY_RETRY_S = 60.0  # first wait before a rejected key is tried again
KEY_RETRY_MAX_S = 900.0


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(slots=True, frozen=True)
class ProviderHealth:
    """A snapshot of one provider's breaker, as published with `provider_health_changed`."""

    provider: str
    state: BreakerState = BreakerState.CLOSED
    consecutive_failures: int = 0
    last_error: str = ""
    last_status: int | None = None
    key_rejected: bool = False
    retry_at: float | None = None  # monotonic time the next probe is allowed (when open)
    rejected_at: float | None = None  # wall-clock time of the last rejection (for messages)
    rejections: int = 0  # rejections in a row; each doubles the wait before the next probe

    def rejected_message(self) -> str:
        """What the user should read about a rejected key: when, and how to fix it."""
        when = time.strftime("%H:%M", time.localtime(self.rejected_at or time.time()))
        status = f"HTTP {self.last_status}" if self.last_status else "rejected"
        return (
            f"the {self.provider} key was rejected ({status}) at {when}; replace it with "
            f"`routerdesk keys set {self.provider}` or on the Providers page"
        )

    def benched(self, now: float) -> bool:
        """A rejected key whose back-off has not run out: routing leaves the provider out."""
        return self.key_rejected and self.retry_at is not None and now < self.retry_at


HealthListener = Callable[[str, ProviderHealth], None]


class CircuitBreaker:
    def __init__(
        self,
        provider: str,
        *,
        failure_threshold: int = 3,
        cooldown_s: float = 30.0,
        clock: Clock = time.monotonic,
        on_change: HealthListener | None = None,
    ) -> None:
        self.provider = provider
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._on_change = on_change
        self._health = ProviderHealth(provider)
        self._probe_started: float | None = None

    @property
    def health(self) -> ProviderHealth:
        return self._health

    @property
    def state(self) -> BreakerState:
        return self._health.state

    def _set(self, health: ProviderHealth) -> None:
        changed = health != self._health
        self._health = health
        if changed and self._on_change is not None:
            self._on_change(self.provider, health)

    def allow(self) -> bool:
        """May a request go to this provider now? In half-open, the caller becomes the probe."""
        h = self._health
        if h.state is BreakerState.CLOSED:
            return True
        now = self._clock()
        if h.state is BreakerState.OPEN:
            if h.retry_at is not None and now < h.retry_at:
                return False
            self._probe_started = now
            self._set(replace(h, state=BreakerState.HALF_OPEN, retry_at=None))
            return True
        # half-open: one probe at a time, unless the last one was abandoned long ago
        if self._probe_started is not None and now - self._probe_started < self.cooldown_s:
            return False
        self._probe_started = now
        return True

    def record_success(self) -> None:
        self._probe_started = None
        h = self._health
        if h.state is BreakerState.CLOSED and not h.consecutive_failures and not h.key_rejected:
            return
        self._set(ProviderHealth(self.provider, last_error=h.last_error, last_status=h.last_status))

    def record_failure(self, error: UpstreamError) -> None:
        if isinstance(error, UpstreamForbidden) or (
            not error.retryable and not isinstance(error, UpstreamAuthError)
        ):
            return  # the request (or this one model) was wrong, not the provider
        self._probe_started = None
        h = self._health
        failures = h.consecutive_failures + 1
        now = self._clock()
        if isinstance(error, UpstreamAuthError):
            rejections = h.rejections + 1
            wait = min(KEY_RETRY_S * 2 ** (rejections - 1), KEY_RETRY_MAX_S)
            self._set(
                ProviderHealth(
                    self.provider,
                    state=BreakerState.OPEN,
                    consecutive_failures=failures,
                    last_error=scrub(error.message),
                    last_status=error.upstream_status,
                    key_rejected=True,
                    retry_at=now + wait,
                    rejected_at=time.time(),
                    rejections=rejections,
                )
            )
            return
        opens = h.state is BreakerState.HALF_OPEN or failures >= self.failure_threshold
        self._set(
            ProviderHealth(
                self.provider,
                state=BreakerState.OPEN if opens else BreakerState.CLOSED,
                consecutive_failures=failures,
                last_error=scrub(error.message),
                last_status=error.upstream_status,
                key_rejected=h.key_rejected,
                retry_at=now + self.cooldown_s if opens else None,
                rejected_at=h.rejected_at,
                rejections=h.rejections,
            )
        )

    def reset(self) -> None:
        """Forget failures, e.g. after the user entered a new key."""
        self._probe_started = None
        self._set(ProviderHealth(self.provider))


class HealthBoard:
    """The breakers of all providers, created on first use, with one change listener."""

    def __init__(
        self,
        *,
        failure_threshold: int = 3,
        cooldown_s: float = 30.0,
        clock: Clock = time.monotonic,
        on_change: HealthListener | None = None,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self.clock = clock
        self.on_change = on_change
        self._breakers: dict[str, CircuitBreaker] = {}

    def _changed(self, provider: str, health: ProviderHealth) -> None:
        if self.on_change is not None:
            self.on_change(provider, health)

    def breaker(self, provider: str) -> CircuitBreaker:
        b = self._breakers.get(provider)
        if b is None:
            b = self._breakers[provider] = CircuitBreaker(
                provider,
                failure_threshold=self.failure_threshold,
                cooldown_s=self.cooldown_s,
                clock=self.clock,
                on_change=self._changed,
            )
        return b

    def snapshot(self) -> dict[str, ProviderHealth]:
        return {p: b.health for p, b in self._breakers.items()}
