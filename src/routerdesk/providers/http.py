"""The one shared httpx client, per-call deadlines, and the mapping of HTTP failures to `UpstreamError`s.

httpx knows connect/read/write/pool timeouts. A provider call needs four
other bounds (`core.settings.Timeouts`): connect, time to the response head
("first byte"), the gap between two body chunks ("idle") and a total deadline.
`UpstreamCall` enforces the last three with asyncio timeouts around each
await and leaves connect to httpx.

Every failure leaves this module as one `UpstreamError` subclass whose message
names the provider, says what happened and what to do, and never contains
the API key (provider text goes through `core.redact.scrub`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
import time
from collections.abc import AsyncIterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from routerdesk import __version__
from routerdesk.core.errors import (
    UpstreamAuthError,
    UpstreamBadRequest,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamForbidden,
    UpstreamProtocolError,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamTimeout,
)
from routerdesk.core.redact import scrub
from routerdesk.core.settings import Timeouts

# Many concurrent streams to a handful of hosts: keep enough idle connections
# per host to skip TLS handshakes, and let idle ones go before providers' load
# balancers drop them (most close after 60-120 s).
DEFAULT_LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=32, keepalive_expiry=45.0
)
# Per-call deadlines come from `Timeouts`; these only bound what UpstreamCall does not.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=None, write=30.0, pool=10.0)
MAX_ERROR_BODY = 64 * 1024  # bytes of an error body worth reading
MAX_DETAIL_CHARS = 600


class _NoCookies(httpx.Cookies):
    """Cookies that are never taken from responses (and so never sent)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class UpstreamClient(httpx.AsyncClient):
    """The shared client for provider calls; it keeps no cookies.

    Provider APIs are stateless, and a cookie set in answer to one API key must not
    ride along with another key's requests. Skipping the cookie jar also skips
    httpx's per-response cookie handling, about a tenth of a call's CPU.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._no_cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        """Ignored: this client keeps no cookies (see the class docstring)."""

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        """`httpx.AsyncClient.send` without the layers this client never uses.

        No auth flow, redirects, cookies or event hooks are configured here, so a call
        goes straight to the transport (about a tenth of the client's cost per call,
        bench_server.py); a caller that asks for any of them gets httpx's full send.
        """
        if (
            auth is not httpx.USE_CLIENT_DEFAULT
            or follow_redirects not in (httpx.USE_CLIENT_DEFAULT, False)
            or self.auth is not None
            or any(self.event_hooks.values())
            or self.is_closed
        ):
            return await super().send(
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
        request.extensions.setdefault("timeout", self.timeout.as_dict())
        response = await self._transport_for_url(request.url).handle_async_request(request)
        response.request = request
        if not stream:
            try:
                await response.aread()
            except BaseException:
                await response.aclose()
                raise
        return response


def build_client(
    *,
    limits: httpx.Limits = DEFAULT_LIMITS,
    transport: httpx.AsyncBaseTransport | None = None,
    verify: ssl.SSLContext | bool = True,
) -> httpx.AsyncClient:
    """The process-wide client: HTTP/1.1 with keep-alive pooling; adapters get it injected."""
    return UpstreamClient(
        verify=verify,
        http1=True,
        http2=False,
        limits=limits,
        timeout=DEFAULT_TIMEOUT,
        follow_redirects=False,
        headers={"user-agent": f"routerdesk/{__version__}"},
        transport=transport,
    )


@functools.lru_cache(maxsize=64)
def _request_head(
    url: str, defaults: tuple[tuple[bytes, bytes], ...], headers: tuple[tuple[str, str], ...]
) -> tuple[httpx.URL, httpx.Headers]:
    """The parsed URL and the client's default headers merged with the call's (as
    client.build_request would), made once per provider, key and kind of call."""
    merged = httpx.Headers(list(defaults))
    merged.update(dict(headers))
    return httpx.URL(url), merged


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (delta seconds or an HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def provider_message(body: bytes) -> str:
    """The human part of a provider's error body (OpenAI, Anthropic, Gemini, Mistral shapes)."""
    text = body[:MAX_ERROR_BODY].decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:MAX_DETAIL_CHARS]
    if isinstance(data, list) and data:  # Gemini's array stream wraps errors in a list
        data = data[0]
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, str):
            return err[:MAX_DETAIL_CHARS]
        if isinstance(err, dict):
            for key in ("message", "detail", "msg"):
                msg = err.get(key)
                if isinstance(msg, str) and msg:
                    return msg[:MAX_DETAIL_CHARS]
                if msg:
                    return json.dumps(msg)[:MAX_DETAIL_CHARS]
    return text[:MAX_DETAIL_CHARS]


def error_for_status(
    provider: str, status: int, headers: Mapping[str, str], body: bytes, key: str | None
) -> UpstreamError:
    """Map a provider's HTTP error status to the right `UpstreamError` subclass."""
    detail = scrub(provider_message(body), key or "").rstrip(". ") or "no details given"
    if status == 429:
        retry_after = parse_retry_after(headers)
        wait = f"; it asks us to retry after {retry_after:.0f} s" if retry_after is not None else ""
        return UpstreamRateLimited(
            f"{provider} is rate limiting requests (HTTP 429){wait}: {detail}",
            provider=provider,
            status=status,
            retry_after=retry_after,
        )
    if status == 401:
        return UpstreamAuthError(
            f"{provider} rejected the API key (HTTP {status}): {detail}. Replace it with "
            f"`routerdesk keys set {provider}` or on the Providers page.",
            provider=provider,
            status=status,
        )
    if status == 403:
        return UpstreamForbidden(
            f"{provider} refused access (HTTP 403): {detail}. The key works but may not be "
            "allowed to use this model (plan, organisation or region).",
            provider=provider,
            status=status,
        )
    if status in (400, 404, 413, 422):
        return UpstreamBadRequest(
            f"{provider} refused the request (HTTP {status}): {detail}",
            provider=provider,
            status=status,
        )
    if status == 408 or status == 409 or status >= 500:
        what = {408: "timed out on its side", 409: "reported a conflict"}.get(
            status, "had a server error"
        )
        return UpstreamServerError(
            f"{provider} {what} (HTTP {status}): {detail}",
            provider=provider,
            status=status,
        )
    if 300 <= status < 400:
        return UpstreamProtocolError(
            f"{provider} redirected the request (HTTP {status}) to "
            f"{headers.get('location', 'an unknown place')}; check its base URL.",
            provider=provider,
            status=status,
        )
    # 402 (out of credit) and other unusual 4xx: this provider can't serve us now; others may.
    return UpstreamServerError(
        f"{provider} answered HTTP {status}: {detail}", provider=provider, status=status
    )


def error_for_transport(
    exc: httpx.HTTPError, provider: str, url: str, t: Timeouts
) -> UpstreamError:
    """Map an httpx exception raised before the response head arrived."""
    host = urlsplit(url).netloc or url
    reason = scrub(str(exc)) or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return UpstreamTimeout(
            f"Could not connect to {provider} at {host} within {t.connect:g} s; "
            "check your network or the provider's status.",
            provider=provider,
        )
    if isinstance(exc, httpx.PoolTimeout):
        return UpstreamTimeout(
            f"Too many requests to {provider} in flight: no free connection within {t.connect:g} s.",
            provider=provider,
        )
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeout(f"{provider} at {host} timed out: {reason}", provider=provider)
    if isinstance(exc, httpx.ConnectError):
        return UpstreamConnectionError(
            f"Could not connect to {provider} at {host} ({reason}). Check the base URL, "
            "that the server is running, and your network.",
            provider=provider,
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return UpstreamConnectionError(
            f"The base URL for {provider} is not usable ({reason}); fix it in Settings.",
            provider=provider,
        )
    return UpstreamConnectionError(
        f"The connection to {provider} at {host} failed: {reason}", provider=provider
    )


class UpstreamCall:
    """One HTTP exchange with a provider, bounded by first-byte, idle and total deadlines."""

    __slots__ = ("_deadline", "_idle", "_timeouts", "key", "provider", "response")

    def __init__(
        self,
        provider: str,
        response: httpx.Response,
        timeouts: Timeouts,
        deadline: float,
        key: str | None,
    ) -> None:
        self.provider = provider
        self.response = response
        self.key = key
        self._timeouts = timeouts
        self._idle = timeouts.idle
        self._deadline = deadline

    @classmethod
    async def open(
        cls,
        client: httpx.AsyncClient,
        *,
        provider: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        timeouts: Timeouts,
        key: str | None,
    ) -> UpstreamCall:
        """POST `body`; return once a 2xx head arrived, else raise the mapped error."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        deadline = start + timeouts.total
        # client.build_request's work for an absolute URL, with the URL and headers
        # prepared once; client.send still applies event hooks, mounts and the transport.
        parsed_url, merged = _request_head(url, tuple(client.headers.raw), tuple(headers.items()))
        request = httpx.Request(
            "POST",
            parsed_url,
            headers=merged,
            content=body,
            extensions={
                "timeout": {
                    "connect": timeouts.connect,
                    "read": None,
                    "write": timeouts.idle,
                    "pool": timeouts.connect,
                }
            },
        )
        head_by = min(deadline, start + timeouts.first_byte)
        try:
            async with asyncio.timeout_at(head_by):
                response = await client.send(request, stream=True)
        except TimeoutError:
            raise UpstreamTimeout(
                f"{provider} sent no answer within {head_by - start:g} s "
                "(time to first byte); it may be overloaded.",
                provider=provider,
            ) from None
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, provider, url, timeouts) from None
        call = cls(provider, response, timeouts, deadline, key)
        if response.status_code >= 300:
            try:
                body_bytes = await call._read_error_body()
            finally:
                await call.aclose()
            raise error_for_status(
                provider, response.status_code, response.headers, body_bytes, key
            )
        return call

    @property
    def content_type(self) -> str:
        return str(self.response.headers.get("content-type", "")).lower()

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """Body chunks as they arrive; an idle gap or the total deadline raises UpstreamTimeout."""
        loop = asyncio.get_running_loop()
        chunks = self.response.aiter_bytes().__aiter__()
        idle = self._idle
        deadline = self._deadline
        while True:
            now = loop.time()
            until = now + idle
            total_bound = until >= deadline
            try:
                async with asyncio.timeout_at(deadline if total_bound else until):
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                return
            except TimeoutError:
                if total_bound:
                    msg = f"{self.provider} did not finish within {self._timeouts.total:g} s (total deadline)."
                else:
                    msg = f"{self.provider} went silent for {idle:g} s in the middle of the answer."
                raise UpstreamTimeout(msg, provider=self.provider) from None
            except httpx.HTTPError as exc:
                raise UpstreamProtocolError(
                    f"The connection to {self.provider} broke in the middle of the answer "
                    f"({scrub(str(exc), self.key or '') or type(exc).__name__}).",
                    provider=self.provider,
                ) from None
            yield chunk

    async def read_body(self) -> bytes:
        if self.response.is_stream_consumed:  # the transport handed over the whole body
            return self.response.content
        parts = [chunk async for chunk in self.iter_bytes()]
        return b"".join(parts)

    async def read_json(self) -> Any:
        """The whole body parsed as JSON; wrong content type or bad JSON raise UpstreamProtocolError."""
        body = await self.read_body()
        content_type = self.content_type
        if "json" not in content_type:
            raise UpstreamProtocolError(
                f"{self.provider} answered with content type {content_type or 'none'!r} instead of "
                "JSON; is the base URL pointing at the right API?",
                provider=self.provider,
            )
        try:
            return json.loads(body)
        except ValueError:
            raise UpstreamProtocolError(
                f"{self.provider} sent malformed JSON ({len(body)} bytes).", provider=self.provider
            ) from None

    async def _read_error_body(self) -> bytes:
        parts: list[bytes] = []
        size = 0
        try:
            async for chunk in self.iter_bytes():
                parts.append(chunk)
                size += len(chunk)
                if size >= MAX_ERROR_BODY:
                    break
        except UpstreamError:
            pass  # the status alone says enough; a half-read error body is no worse than none
        return b"".join(parts)

    async def aclose(self) -> None:
        """Release the connection; for an unfinished stream this closes it, so the provider stops."""
        await self.response.aclose()
