"""`FallbackChain`: try the routed models in order until one answers, recording each failed hop.

What a failure means for the chain (classes from `core.errors`):

    UpstreamError
    ├── retryable: try the next model
    │   ├── UpstreamTimeout          connect / first byte / idle / total deadline
    │   ├── UpstreamConnectionError  refused, reset, DNS, bad base URL
    │   ├── UpstreamRateLimited      429; Retry-After honoured (capped) only when the
    │   │                            next model is on the same provider
    │   ├── UpstreamServerError      5xx, 408, 409 (and 402 out-of-credit)
    │   ├── UpstreamProtocolError    malformed JSON, wrong content type, cut stream
    │   ├── UpstreamAuthError        401: key marked rejected; every other model
    │   │                            of that provider is skipped
    │   └── UpstreamForbidden        403: only this model fails; the provider stays in use
    └── not retryable: raised at once
        └── UpstreamBadRequest       400/404/413/422: the request itself is wrong

Providers whose circuit breaker is open are skipped (recorded as a hop with
status None). Streams fail over only until the first event: the chain
pre-fetches it, so a failure before it is invisible to the client. The first
event must arrive within the provider's `Timeouts.first_event` (connect, head
and first event together): a hung provider costs seconds, not minutes. After
that a failure is raised from the iterator (the server renders an error
event); a stream is never silently truncated. Closing the `ChainStream`
(or cancelling its consumer) closes the upstream connection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from routerdesk.core.errors import (
    NoUsableModel,
    UpstreamAuthError,
    UpstreamBadRequest,
    UpstreamError,
    UpstreamProtocolError,
    UpstreamRateLimited,
    UpstreamTimeout,
)
from routerdesk.core.redact import scrub
from routerdesk.core.registry import ModelSpec
from routerdesk.core.types import ChatRequest, ChatResponse, Hop, StreamEvent
from routerdesk.providers.base import CallContext, ProviderAdapter
from routerdesk.providers.health import CircuitBreaker, HealthBoard

ContextFactory = Callable[[ModelSpec], CallContext]
AdapterLookup = Callable[[str], ProviderAdapter]
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_RETRY_AFTER_CAP = 5.0  # seconds we will wait on a 429 before retrying the same provider


@dataclass(slots=True)
class ChainResult:
    response: ChatResponse
    model: ModelSpec
    hops: list[Hop] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the adapter's notes (dropped params...)


class ChainStream:
    """The answer stream of the model that produced a first event. Iterate once; always close.

    `model`, `hops` and `notes` are known as soon as the chain returns it.
    """

    def __init__(
        self,
        events: AsyncIterator[StreamEvent],
        first: StreamEvent,
        model: ModelSpec,
        hops: list[Hop],
        notes: list[str],
        breaker: CircuitBreaker,
    ) -> None:
        self._events = events
        self._first: StreamEvent | None = first
        self.model = model
        self.hops = hops
        self.notes = notes
        self._breaker = breaker
        self._closed = False

    def __aiter__(self) -> ChainStream:
        return self

    async def __anext__(self) -> StreamEvent:
        if self._first is not None:
            event, self._first = self._first, None
            return event
        if self._closed:
            raise StopAsyncIteration
        try:
            return await anext(self._events)
        except StopAsyncIteration:
            self._closed = True
            raise
        except UpstreamError as exc:
            self._breaker.record_failure(exc)
            await self.aclose()
            raise

    async def aclose(self) -> None:
        """Stop reading; an unfinished upstream response is closed (the provider stops generating)."""
        self._closed = True
        self._first = None
        if isinstance(self._events, AsyncGenerator):
            await self._events.aclose()

    async def __aenter__(self) -> ChainStream:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _hop(model: ModelSpec, exc: UpstreamError, started: float) -> Hop:
    return Hop(
        model_id=model.id,
        provider=model.provider,
        status=exc.upstream_status,
        error=scrub(exc.message),
        ms=(time.perf_counter() - started) * 1000.0,
    )


class FallbackChain:
    """Runs one request against an ordered list of models with failover and circuit breaking."""

    def __init__(
        self,
        adapters: AdapterLookup,
        health: HealthBoard,
        *,
        retry_after_cap: float = DEFAULT_RETRY_AFTER_CAP,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._adapter = adapters
        self.health = health
        self.retry_after_cap = retry_after_cap
        self._sleep = sleep

    async def complete(
        self,
        req: ChatRequest,
        models: Sequence[ModelSpec],
        context_for: ContextFactory,
        *,
        hops: list[Hop] | None = None,
    ) -> ChainResult:
        """The first model's answer that succeeds; raises the deciding error if none does.

        Failed attempts are appended to `hops` (pass a list to see them when this raises).
        """
        hops = [] if hops is None else hops
        last: UpstreamError | None = None
        rejected: set[str] = set()
        for i, model in enumerate(models):
            breaker = self._admit(model, rejected, hops)
            if breaker is None:
                continue
            ctx = context_for(model)
            started = time.perf_counter()
            try:
                response = await self._adapter(model.provider).complete(req, model, ctx)
            except UpstreamError as exc:
                last = exc
                await self._after_failure(
                    exc, model, models[i + 1 :], breaker, hops, rejected, started
                )
                continue
            breaker.record_success()
            return ChainResult(response, model, hops, ctx.notes)
        raise self._exhausted(last, hops)

    async def stream(
        self,
        req: ChatRequest,
        models: Sequence[ModelSpec],
        context_for: ContextFactory,
        *,
        hops: list[Hop] | None = None,
    ) -> ChainStream:
        """A stream whose first event is already in hand; fails over until then (hops as above)."""
        hops = [] if hops is None else hops
        last: UpstreamError | None = None
        rejected: set[str] = set()
        for i, model in enumerate(models):
            breaker = self._admit(model, rejected, hops)
            if breaker is None:
                continue
            ctx = context_for(model)
            started = time.perf_counter()
            events = self._adapter(model.provider).stream(req, model, ctx)
            exc: UpstreamError
            try:
                async with asyncio.timeout(ctx.timeouts.first_event):
                    first = await anext(events)
            except TimeoutError:
                exc = UpstreamTimeout(
                    f"{model.provider} sent no first event within {ctx.timeouts.first_event:g} s "
                    "(a stream normally starts in under a second); it may be down or overloaded.",
                    provider=model.provider,
                )
            except StopAsyncIteration:
                exc = UpstreamProtocolError(
                    f"{model.provider} ended the stream without sending anything.",
                    provider=model.provider,
                )
            except UpstreamError as e:
                exc = e
            except BaseException:
                await _close(events)
                raise
            else:
                breaker.record_success()
                return ChainStream(events, first, model, hops, ctx.notes, breaker)
            await _close(events)
            last = exc
            await self._after_failure(exc, model, models[i + 1 :], breaker, hops, rejected, started)
        raise self._exhausted(last, hops)

    def _admit(
        self, model: ModelSpec, rejected: set[str], hops: list[Hop]
    ) -> CircuitBreaker | None:
        if model.provider in rejected:
            return None
        breaker = self.health.breaker(model.provider)
        if breaker.allow():
            return breaker
        h = breaker.health
        n = h.consecutive_failures
        hops.append(
            Hop(
                model.id,
                model.provider,
                None,
                f"skipped: {model.provider} is paused after {n} failure{'' if n == 1 else 's'} "
                f"in a row (last: {h.last_error or 'unknown'})",
            )
        )
        return None

    async def _after_failure(
        self,
        exc: UpstreamError,
        model: ModelSpec,
        rest: Sequence[ModelSpec],
        breaker: CircuitBreaker,
        hops: list[Hop],
        rejected: set[str],
        started: float,
    ) -> None:
        hops.append(_hop(model, exc, started))
        breaker.record_failure(exc)
        if isinstance(exc, UpstreamBadRequest) or not exc.retryable:
            raise exc
        if isinstance(exc, UpstreamAuthError):
            rejected.add(model.provider)
            return
        if isinstance(exc, UpstreamRateLimited) and exc.retry_after:
            upcoming = next((m for m in rest if m.provider not in rejected), None)
            if upcoming is not None and upcoming.provider == model.provider:
                await self._sleep(min(exc.retry_after, self.retry_after_cap))

    def _exhausted(self, last: UpstreamError | None, hops: list[Hop]) -> Exception:
        """The error for a chain that ran out: what was tried, counted, and each skip reason once."""
        skipped = _skip_reasons(hops)
        if last is None:
            return NoUsableModel(
                f"No provider is available right now: {skipped or 'no models to try'}"
            )
        tried = [h for h in hops if not _is_skip(h)]
        parts = []
        if len(tried) > 1:
            summary = ", ".join(f"{h.model_id} ({h.status or 'no answer'})" for h in tried)
            parts.append(f"All {len(tried)} attempts failed [{summary}]")
        if skipped:
            parts.append(f"skipped {skipped}")
        if parts:
            last.message = f"{'; '.join(parts)}. Last: {last.message}"
            last.args = (last.message,)
        return last


def _is_skip(h: Hop) -> bool:
    return h.status is None and h.error.startswith("skipped")


def _skip_reasons(hops: Sequence[Hop]) -> str:
    """Skipped models grouped by reason, each reason once: "openai is paused ... (a, b)"."""
    models: dict[str, list[str]] = {}
    for h in hops:
        if _is_skip(h):
            models.setdefault(h.error.removeprefix("skipped: "), []).append(h.model_id)
    return "; ".join(f"{reason} ({', '.join(ids)})" for reason, ids in models.items())


async def _close(events: AsyncIterator[StreamEvent]) -> None:
    if isinstance(events, AsyncGenerator):
        await events.aclose()
