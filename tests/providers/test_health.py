"""Circuit breaker state machine with an injected clock."""

from __future__ import annotations

from routerdesk.core.errors import (
    UpstreamAuthError,
    UpstreamBadRequest,
    UpstreamServerError,
    UpstreamTimeout,
)
from routerdesk.providers.health import BreakerState, CircuitBreaker, HealthBoard, ProviderHealth


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def server_error() -> UpstreamServerError:
    return UpstreamServerError(
        "openai had a server error (HTTP 503)", provider="openai", status=503
    )


def test_opens_after_n_failures_then_half_open_probe_then_closes() -> None:
    clock = Clock()
    changes: list[tuple[str, ProviderHealth]] = []
    b = CircuitBreaker(
        "openai",
        failure_threshold=3,
        cooldown_s=30,
        clock=clock,
        on_change=lambda p, h: changes.append((p, h)),
    )
    for _ in range(2):
        b.record_failure(server_error())
        assert b.allow() and b.state is BreakerState.CLOSED
    b.record_failure(UpstreamTimeout("openai went silent", provider="openai"))
    assert b.state is BreakerState.OPEN and not b.allow()
    assert b.health.last_error == "openai went silent" and b.health.retry_at == 130.0
    clock.now = 129.9
    assert not b.allow()
    clock.now = 130.0
    assert b.allow() and b.state is BreakerState.HALF_OPEN
    assert not b.allow(), "one probe at a time"
    b.record_success()
    assert b.state is BreakerState.CLOSED and b.health.consecutive_failures == 0 and b.allow()
    states = [h.state for _, h in changes]
    assert states == ["closed", "closed", "open", "half_open", "closed"]
    assert all(p == "openai" for p, _ in changes)


def test_failed_probe_reopens_for_another_cooldown() -> None:
    clock = Clock()
    b = CircuitBreaker("groq", failure_threshold=1, cooldown_s=10, clock=clock)
    b.record_failure(server_error())
    clock.now += 10
    assert b.allow()
    b.record_failure(server_error())
    assert b.state is BreakerState.OPEN and not b.allow()
    clock.now += 10
    assert b.allow()


def test_abandoned_probe_allows_another_after_cooldown() -> None:
    clock = Clock()
    b = CircuitBreaker("xai", failure_threshold=1, cooldown_s=5, clock=clock)
    b.record_failure(server_error())
    clock.now += 5
    assert b.allow()  # the probe's client disconnects: neither success nor failure is recorded
    clock.now += 4
    assert not b.allow()
    clock.now += 1
    assert b.allow()


def test_auth_failure_counts_and_flags_key() -> None:
    b = CircuitBreaker("anthropic", failure_threshold=1, clock=Clock())
    b.record_failure(
        UpstreamAuthError(
            "anthropic rejected the API key (HTTP 401)", provider="anthropic", status=401
        )
    )
    assert b.health.key_rejected and b.health.last_status == 401 and b.state is BreakerState.OPEN
    b.reset()
    assert not b.health.key_rejected and b.state is BreakerState.CLOSED


def test_bad_requests_do_not_count() -> None:
    b = CircuitBreaker("google", failure_threshold=1, clock=Clock())
    b.record_failure(
        UpstreamBadRequest("google refused the request (HTTP 400)", provider="google", status=400)
    )
    assert b.state is BreakerState.CLOSED and b.health.consecutive_failures == 0


def test_success_resets_the_count() -> None:
    b = CircuitBreaker("openai", failure_threshold=2, clock=Clock())
    b.record_failure(server_error())
    b.record_success()
    b.record_failure(server_error())
    assert b.state is BreakerState.CLOSED


def test_board_creates_breakers_and_forwards_changes() -> None:
    seen: list[str] = []
    board = HealthBoard(
        failure_threshold=1, clock=Clock(), on_change=lambda p, h: seen.append(f"{p}:{h.state}")
    )
    assert board.breaker("openai") is board.breaker("openai")
    board.breaker("openai").record_failure(server_error())
    assert seen == ["openai:open"]
    assert board.snapshot()["openai"].state is BreakerState.OPEN
