"""A scriptable fake provider: a real aiohttp server on 127.0.0.1 with an ephemeral port.

Tests push what the next requests get, in order: an `Answer` (a successful
reply, rendered in the provider's format, streamed or not as the request
asked, optionally cut, hung, split across TCP writes or broken) or a `Fault`
(an HTTP error, a hang before the first byte, a wrong content type,
malformed JSON). With nothing scripted every request gets the default
`Answer()`. Every request is recorded (method, path, query, headers, JSON). Each fake also
lists `model_ids` at GET <base>/models (the connection test), where a scripted
`Fault` applies too.

    async with FakeOpenAI() as fake:
        fake.push(Fault(status=429, retry_after="2"), Answer(text="hi"))
        ... CallContext(base_url=fake.base_url, key="sk-test") ...
        assert fake.requests[0].json["model"] == "gpt-test"
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

HANG = 3600.0  # "forever" for a test


@dataclass
class FakeToolCall:
    name: str
    arguments: str  # JSON text
    id: str | None = None


@dataclass
class FakeUsage:
    input: int = 12  # all prompt tokens, cached included (the provider's shape is derived)
    output: int = 7  # all completion tokens, reasoning included
    cached: int = 0
    cache_write: int = 0
    reasoning: int = 0


@dataclass
class Answer:
    """A successful reply; rendered per provider, streamed when the request asks for a stream."""

    text: str = "Hello from the fake upstream."
    reasoning: str | None = None
    reasoning_signature: str | None = None
    tool_calls: list[FakeToolCall] = field(default_factory=list)
    finish: str | None = None  # the provider's own finish reason; derived when None
    usage: FakeUsage = field(default_factory=FakeUsage)
    model: str | None = None
    pieces: int = 3  # text deltas per stream
    # stream shaping and mid-stream faults (event indexes count from 0)
    split_bytes: int | None = None  # re-split the byte stream into writes of this size
    chunk_delay: float = 0.0
    keepalive: bool = False  # a keep-alive comment (or Anthropic ping) between events
    cut_after: int | None = None  # drop the connection after this many events
    hang_after: int | None = None  # stop sending (connection stays open) after this many events
    malformed_at: int | None = None  # replace this event with broken JSON
    error_after: int | None = None  # send the provider's in-stream error event after this many
    error_message: str | None = None  # that event's message (None: the provider's usual text)
    content_type: str | None = None  # override, e.g. "text/plain" for a wrong content type
    head_delay: float = 0.0  # think this long before the head (a slow non-streamed answer)


@dataclass
class Fault:
    """An HTTP-level failure of one request."""

    status: int = 500
    message: str = "The fake upstream failed on purpose."
    retry_after: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    head_delay: float = 0.0  # HANG: never answer (hang before the first byte)
    body: bytes | None = None  # raw body instead of the provider's error JSON
    content_type: str | None = None

    @classmethod
    def hang(cls) -> Fault:
        return cls(status=200, head_delay=HANG)

    @classmethod
    def wrong_content_type(cls) -> Fault:
        return cls(
            status=200,
            body=b"<html><body>Welcome to nginx!</body></html>",
            content_type="text/html",
        )

    @classmethod
    def malformed_json(cls) -> Fault:
        return cls(status=200, body=b'{"id": "x", "choices": [', content_type="application/json")


@dataclass
class Reply:
    """What the server writes: a body, or a list of events written one by one."""

    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    events: list[bytes] | None = None
    head_delay: float = 0.0
    chunk_delay: float = 0.0
    split_bytes: int | None = None
    keepalive: bytes | None = None
    cut_after: int | None = None
    hang_after: int | None = None


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    json: Any


Script = Answer | Fault


def free_port() -> int:
    """A port with nothing listening (for connection-refused tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeUpstream:
    """Base of the per-provider fakes: scripting, recording, serving, disconnect detection."""

    provider = ""
    base_path = ""  # appended to http://127.0.0.1:PORT to form base_url

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.script: deque[Script] = deque()
        self.disconnects = 0  # streams the client closed before we finished writing
        self.disconnected = asyncio.Event()
        self.completed = 0  # replies written to the end
        self.port = 0
        self._runner: web.AppRunner | None = None

    # --- scripting -------------------------------------------------------------

    def push(self, *items: Script) -> None:
        self.script.extend(items)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base_path}"

    @property
    def last(self) -> RecordedRequest:
        return self.requests[-1]

    # --- per provider ------------------------------------------------------------

    def is_stream(self, req: RecordedRequest) -> bool:
        return bool(isinstance(req.json, dict) and req.json.get("stream"))

    def render_json(self, answer: Answer, req: RecordedRequest) -> dict[str, Any] | list[Any]:
        raise NotImplementedError

    def render_events(self, answer: Answer, req: RecordedRequest) -> list[bytes]:
        raise NotImplementedError

    def error_json(self, fault: Fault) -> dict[str, Any]:
        raise NotImplementedError

    def broken_event(self) -> bytes:
        return b'data: {"choices": [{"delta": {"content": "unfinished\n\n'

    def error_event(self, message: str | None = None) -> bytes:
        raise NotImplementedError

    def stream_content_type(self, req: RecordedRequest) -> str:
        return "text/event-stream"

    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    # --- rendering ---------------------------------------------------------------

    def reply_for(self, item: Script, req: RecordedRequest) -> Reply:
        if isinstance(item, Fault):
            headers = dict(item.headers)
            if item.retry_after is not None:
                headers["Retry-After"] = item.retry_after
            body = (
                item.body if item.body is not None else json.dumps(self.error_json(item)).encode()
            )
            return Reply(
                status=item.status,
                content_type=item.content_type or "application/json",
                headers=headers,
                body=body,
                head_delay=item.head_delay,
            )
        if not self.is_stream(req):
            return Reply(
                content_type=item.content_type or "application/json",
                body=json.dumps(self.render_json(item, req)).encode(),
                head_delay=item.head_delay,
            )
        events = self.render_events(item, req)
        if item.malformed_at is not None:
            events[item.malformed_at] = self.broken_event()
        if item.error_after is not None:
            events = [*events[: item.error_after], self.error_event(item.error_message)]
        keepalive = None
        if item.keepalive:
            keepalive = (
                b'event: ping\ndata: {"type": "ping"}\n\n'
                if self.provider == "anthropic"
                else b": keep-alive\n\n"
            )
        return Reply(
            content_type=item.content_type or self.stream_content_type(req),
            events=events,
            chunk_delay=item.chunk_delay,
            split_bytes=item.split_bytes,
            keepalive=keepalive,
            cut_after=item.cut_after,
            hang_after=item.hang_after,
            head_delay=item.head_delay,
        )

    # --- serving -------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        rec = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            json=body,
        )
        self.requests.append(rec)
        item = self.script.popleft() if self.script else Answer()
        reply = self.reply_for(item, rec)
        try:
            return await self._write(request, reply)
        except (ConnectionResetError, asyncio.CancelledError):
            self.disconnects += 1
            self.disconnected.set()
            raise

    # --- the model listing (what a connection test calls) -----------------------------

    model_ids: tuple[str, ...] = ("fake-small", "fake-large")

    def models_json(self) -> dict[str, Any]:
        raise NotImplementedError

    async def handle_models(self, request: web.Request) -> web.StreamResponse:
        """GET the model list: a scripted `Fault` applies, an `Answer` gets the listing."""
        rec = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            json=None,
        )
        self.requests.append(rec)
        item = self.script.popleft() if self.script else Answer()
        if isinstance(item, Fault):
            return await self._write(request, self.reply_for(item, rec))
        self.completed += 1
        return web.json_response(self.models_json())

    async def _write(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        if reply.head_delay:
            await asyncio.sleep(reply.head_delay)
        if reply.events is None:
            self.completed += 1
            return web.Response(
                status=reply.status,
                body=reply.body,
                headers={**reply.headers, "Content-Type": reply.content_type},
            )
        resp = web.StreamResponse(status=reply.status, headers=reply.headers)
        resp.content_type = reply.content_type
        resp.headers["Cache-Control"] = "no-cache"
        await resp.prepare(request)
        delay = reply.chunk_delay or (0.002 if reply.split_bytes else 0.0)
        for i, event in enumerate(reply.events):
            if reply.cut_after is not None and i == reply.cut_after:
                await asyncio.sleep(0.01)
                assert request.transport is not None
                request.transport.abort()  # like a proxy dropping the connection
                return resp
            if reply.hang_after is not None and i == reply.hang_after:
                await asyncio.sleep(HANG)
            if reply.keepalive and i:
                await resp.write(reply.keepalive)
            pieces = [event]
            if reply.split_bytes:
                n = reply.split_bytes
                pieces = [event[j : j + n] for j in range(0, len(event), n)]
            for piece in pieces:
                await resp.write(piece)
                if delay:  # let each piece leave as its own TCP segment
                    await asyncio.sleep(delay)
        await resp.write_eof()
        self.completed += 1
        return resp

    async def start(self) -> None:
        app = web.Application()
        app.add_routes(self.routes())
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=0.1, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self.port = server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._runner is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def sse(data: Any, event: str | None = None) -> bytes:
    """One SSE event as bytes: optional `event:` line, one `data:` line, blank line."""
    payload = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def split_text(text: str, pieces: int) -> list[str]:
    if not text:
        return []
    pieces = max(1, min(pieces, len(text)))
    size = -(-len(text) // pieces)
    return [text[i : i + size] for i in range(0, len(text), size)]
