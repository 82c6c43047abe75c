"""An httpx transport that sends over aiohttp's client: same `httpx.AsyncClient` API, a third of the cost.

Adapters keep talking to the one shared `httpx.AsyncClient` (providers/http.py);
the runtime plugs this transport into it. Why: profiling the server under load
(benchmarks/bench_server.py) showed httpcore's connection pool dominating the
router's CPU — on every request it checks every pooled connection for expiry
through anyio's socket attributes (a syscall each), so the cost grows with
concurrency: ~1.3 ms per call sequentially and ~2 ms at 16 in flight, against
~0.75 ms for both with this transport. aiohttp is already a dependency (it
serves the API), so nothing new is installed.

Semantics kept from httpx's own transport:
- the request's ``connect`` timeout bounds connecting; read deadlines stay with
  `providers.http.UpstreamCall`, which wraps every read in asyncio timeouts;
- failures surface as httpx exceptions (ConnectError, ConnectTimeout,
  ReadError, RemoteProtocolError...), so `providers.http` maps them unchanged;
- the body is streamed chunk by chunk and never decompressed here (httpx
  decodes per Content-Encoding, as it advertised it could);
- closing a response that was not read to the end closes its connection, so
  the provider sees the disconnect and stops generating.

Every upstream socket has TCP keep-alive on (probes after `KEEPALIVE_IDLE_S` of
silence): a non-streamed answer may take minutes with nothing on the wire, and
the probes tell a provider that is thinking from a connection that died.

This module lives under server/ because it is the package allowed to import
aiohttp; it knows nothing about routing.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator

import aiohttp
import httpx

KEEPALIVE_S = (
    45.0  # like providers.http.DEFAULT_LIMITS: before providers' balancers drop idle sockets
)
MAX_CONNECTIONS = 100
KEEPALIVE_IDLE_S = 15  # then a probe every KEEPALIVE_INTERVAL_S; dead after KEEPALIVE_PROBES
KEEPALIVE_INTERVAL_S = 5
KEEPALIVE_PROBES = 3


def keepalive_socket(addr_info: tuple[int, int, int, str, tuple[object, ...]]) -> socket.socket:
    """A TCP socket with keep-alive probes: a dead connection fails in ~30 s, not at the deadline."""
    family, kind, proto = addr_info[0], addr_info[1], addr_info[2]
    sock = socket.socket(family=family, type=kind, proto=proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (
        ("TCP_KEEPIDLE", KEEPALIVE_IDLE_S),
        ("TCP_KEEPINTVL", KEEPALIVE_INTERVAL_S),
        ("TCP_KEEPCNT", KEEPALIVE_PROBES),
    ):
        option = getattr(socket, name, None)  # Linux names; macOS and Windows lack some
        if option is not None:
            sock.setsockopt(socket.IPPROTO_TCP, option, value)
    return sock


def _ssl_context() -> ssl.SSLContext:
    try:
        import certifi  # httpx's own CA bundle, so both transports trust the same roots

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # pragma: no cover - certifi comes with httpx
        return ssl.create_default_context()


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            # chunk by chunk as received (iter_any would merge everything buffered,
            # and a decoder failing on a merged chunk loses the good events before it)
            async for chunk, _ in self._response.content.iter_chunks():
                if chunk:
                    yield chunk
        except aiohttp.ClientPayloadError as exc:
            raise httpx.RemoteProtocolError(
                str(exc) or "incomplete body", request=self._request
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=self._request) from exc

    async def aclose(self) -> None:
        response = self._response
        if response.content.is_eof():
            response.release()  # the connection goes back to the pool
        else:
            response.close()  # unread body: drop the connection so the provider stops


class AiohttpTransport(httpx.AsyncBaseTransport):
    """`httpx.AsyncBaseTransport` over one `aiohttp.ClientSession` (created on first use, in the loop)."""

    def __init__(
        self, *, max_connections: int = MAX_CONNECTIONS, keepalive_s: float = KEEPALIVE_S
    ) -> None:
        self._max_connections = max_connections
        self._keepalive_s = keepalive_s
        self._session: aiohttp.ClientSession | None = None
        self._ssl = _ssl_context()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                keepalive_timeout=self._keepalive_s,
                ssl=self._ssl,
                socket_factory=keepalive_socket,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
                timeout=aiohttp.ClientTimeout(total=None),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._get_session()
        timeouts = request.extensions.get("timeout", {})
        connect = timeouts.get("connect")
        pool = timeouts.get("pool")
        body = await request.aread()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        try:
            response = await session.request(
                request.method,
                str(request.url),
                data=body or None,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=None, connect=pool, sock_connect=connect),
            )
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc.os_error or exc), request=request) from exc
        except aiohttp.InvalidURL as exc:
            raise httpx.UnsupportedProtocol(str(exc), request=request) from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as exc:
            raise httpx.RemoteProtocolError(
                str(exc) or type(exc).__name__, request=request
            ) from exc
        except TimeoutError as exc:
            raise httpx.ConnectTimeout("connect timed out", request=request) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        raw_headers = [(k, v) for k, v in response.raw_headers]
        content = response.content
        if (
            content.is_eof()
            and content.exception() is None
            and "event-stream" not in response.headers.get("Content-Type", "")
        ):
            # The whole body came with the head (most non-streamed answers): hand it over as
            # bytes and pool the connection now, instead of through five async iterators.
            # Never for event streams: their decoders get the chunks as they were received.
            body = content.read_nowait()
            response.release()
            return httpx.Response(
                response.status,
                headers=raw_headers,
                content=body,
                extensions={"http_version": b"HTTP/1.1"},
                request=request,
            )
        return httpx.Response(
            response.status,
            headers=raw_headers,
            stream=_Body(response, request),
            extensions={"http_version": b"HTTP/1.1"},
            request=request,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            # let the connector's transports finish closing (aiohttp's documented grace period)
            await asyncio.sleep(0)
            self._session = None
