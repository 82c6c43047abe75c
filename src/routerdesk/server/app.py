"""The aiohttp application: OpenAI and Anthropic endpoints over one `Engine`.

Routes
    POST /v1/chat/completions          OpenAI chat completions (stream or not)
    POST /v1/messages                  Anthropic Messages (stream or not)
    POST /v1/messages/count_tokens     Anthropic token count (an estimate)
    GET  /v1/models                    auto, auto:<strategy>, enabled registry models
    GET  /health                       liveness, no token needed
    (also without the /v1 prefix, for clients configured with a bare base URL)

One middleware guards and catches: Host/Origin/token checks first, then the
handler; any exception becomes an error body in the client's format (OpenAI
for everything but /v1/messages*). Unexpected exceptions are logged with their
traceback and answered with a generic 500 — never a traceback in a body.

Every routed response carries x-routerdesk-* headers (request id, model,
provider, task, complexity, strategy, cost, overhead-ms, fallbacks, demo).
For streams the cost header is the router's estimate (the real cost is in the
usage log once the stream ends) and ``x-routerdesk-cost-estimated: 1`` says so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from routerdesk import __version__
from routerdesk.core import fastjson
from routerdesk.core.errors import InvalidRequest, RouterError
from routerdesk.core.tokens import estimate_prompt_tokens
from routerdesk.core.types import ChatRequest, InboundFormat
from routerdesk.engine import AUTO_MODELS, Engine, RouteInfo, StreamHandle
from routerdesk.server import anthropic_api, openai_api
from routerdesk.server.errors import INTERNAL, ApiError, auth_error, error_for, revoked_error
from routerdesk.server.guard import LOCAL_CALLER, Caller, Guard
from routerdesk.server.validate import MAX_DEPTH, MAX_MESSAGES, load_json

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ENGINE_KEY = web.AppKey("engine", Engine)
CONFIG_KEY: web.AppKey[ServerConfig] = web.AppKey("config")
CALLER_KEY = web.RequestKey("caller", Caller)

_JSON = "application/json"


@dataclass(slots=True)
class ServerConfig:
    """Per-app limits and the guard; `guard` is replaced when the token is regenerated."""

    guard: Guard
    max_body_bytes: int = 32 * 1024 * 1024
    max_depth: int = MAX_DEPTH
    max_messages: int = MAX_MESSAGES
    body_timeout_s: float = 60.0  # a client that trickles its body can't hold a handler longer


def _fmt(request: web.Request) -> InboundFormat:
    return "anthropic" if request.path.startswith(("/v1/messages", "/messages")) else "openai"


def error_response(
    err: ApiError, fmt: InboundFormat, headers: dict[str, str] | None = None
) -> web.Response:
    if not err.retryable:
        headers = {**(headers or {}), "x-should-retry": "false"}
    return web.Response(
        status=err.status, body=err.json_bytes(fmt), content_type=_JSON, headers=headers
    )


def route_headers(info: RouteInfo, *, estimated: bool = False) -> dict[str, str]:
    headers = {
        "x-routerdesk-request-id": info.request_id,
        "x-routerdesk-model": info.model_id,
        "x-routerdesk-provider": info.provider,
        "x-routerdesk-task": info.classification.task,
        "x-routerdesk-complexity": f"{info.classification.complexity:.2f}",
        "x-routerdesk-strategy": info.decision.strategy,
        "x-routerdesk-cost": f"{info.cost:.8f}",
        "x-routerdesk-overhead-ms": f"{info.overhead_ms:.3f}",
        "x-routerdesk-fallbacks": str(len(info.hops)),
    }
    if info.hops:
        headers["x-routerdesk-hops"] = ", ".join(
            f"{h.model_id}:{h.status if h.status is not None else 'error'}" for h in info.hops
        )
    if estimated:
        headers["x-routerdesk-cost-estimated"] = "1"
    if info.demo:
        headers["x-routerdesk-demo"] = "1"
    return headers


def _open(request: web.Request) -> bool:
    """Answered without the token, revealing nothing: the health check and `HEAD /`,
    which Claude Code sends to see whether the server is up."""
    path = request.path
    return path == "/health" or (path == "/" and request.method == "HEAD")


@web.middleware
async def guard_and_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    fmt = _fmt(request)
    config = request.app[CONFIG_KEY]
    guard = config.guard
    headers = request.headers
    if not guard.host_ok(headers.get("Host")):
        return error_response(
            ApiError(
                403,
                "Forbidden Host header: routerdesk only answers requests addressed to "
                "127.0.0.1, localhost or [::1] (this blocks DNS-rebinding attacks from web pages).",
                "permission_error",
                code="forbidden_host",
            ),
            fmt,
        )
    origin = headers.get("Origin")
    if origin is not None and not guard.origin_ok(origin):
        return error_response(
            ApiError(
                403,
                f"Requests from browser pages are refused (Origin {origin!r}). If you trust this "
                "page, add it to settings.server.allowed_origins.",
                "permission_error",
                code="forbidden_origin",
            ),
            fmt,
        )
    cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if origin else None
    if request.method == "OPTIONS" and origin:
        return web.Response(
            status=204,
            headers={
                **(cors or {}),
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": "authorization, content-type, x-api-key, anthropic-version",
            },
        )
    if not _open(request):
        caller = guard.caller(headers.get("Authorization"), headers.get("x-api-key"))
        if caller is None:
            return error_response(auth_error(), fmt, cors)
        if caller.revoked and caller.person is not None:
            return error_response(revoked_error(caller.person.name), fmt, cors)
        request[CALLER_KEY] = caller
    started = time.perf_counter()
    try:
        resp = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        err = _http_error(exc, request, config)
        return error_response(err, fmt, _rejected(request, err, fmt, started, cors))
    except RouterError as exc:
        err = error_for(exc)
        rid = getattr(exc, "request_id", None)
        if rid is None:  # refused before the engine saw it: log it like any other request
            return error_response(err, fmt, _rejected(request, err, fmt, started, cors))
        return error_response(err, fmt, {**(cors or {}), "x-routerdesk-request-id": rid})
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception:
        log.exception("unexpected error while handling %s %s", request.method, request.path)
        return error_response(INTERNAL, fmt, cors)
    if cors and not resp.prepared:
        resp.headers.update(cors)
    return resp


_CHAT_PATHS = frozenset({"/v1/chat/completions", "/chat/completions", "/v1/messages", "/messages"})


def _rejected(
    request: web.Request,
    err: ApiError,
    fmt: InboundFormat,
    started: float,
    cors: dict[str, str] | None,
) -> dict[str, str] | None:
    """Log a chat request refused before routing (unreadable body, a bad field, too large).

    The usage log and the Requests page then show a tool whose requests all fail,
    not just silence. Returns the headers for the error response.
    """
    if request.method != "POST" or request.path not in _CHAT_PATHS or err.status == 404:
        return cors
    rid = request.app[ENGINE_KEY].record_rejected(
        client=request.headers.get("User-Agent", ""),
        person=_person_name(request),
        inbound=fmt,
        status=err.status,
        message=err.message,
        started=started,
    )
    return {**(cors or {}), "x-routerdesk-request-id": rid}


def _person_name(request: web.Request) -> str:
    person = request.get(CALLER_KEY, LOCAL_CALLER).person
    return person.name if person is not None else ""


def _http_error(exc: web.HTTPException, request: web.Request, config: ServerConfig) -> ApiError:
    if exc.status == 413:
        return ApiError(
            413,
            f"The request body is larger than the {config.max_body_bytes / 1048576:g} MiB limit "
            "(settings.server.max_body_mb). Send fewer or smaller images or trim the conversation.",
            "invalid_request_error",
            code="request_too_large",
        )
    if exc.status == 404:
        return ApiError(
            404,
            f"No route {request.method} {request.path}. routerdesk serves POST /v1/chat/completions, "
            "POST /v1/messages, POST /v1/messages/count_tokens, GET /v1/models and GET /health.",
            "invalid_request_error",
            code="not_found",
        )
    if exc.status == 405:
        return ApiError(
            405,
            f"{request.method} is not allowed on {request.path}.",
            "invalid_request_error",
            code="method_not_allowed",
        )
    return ApiError(exc.status, exc.reason or "request failed", "invalid_request_error")


async def _read_json(request: web.Request) -> object:
    config = request.app[CONFIG_KEY]
    length = request.content_length
    if length is not None and length > config.max_body_bytes:
        raise web.HTTPRequestEntityTooLarge(max_size=config.max_body_bytes, actual_size=length)
    try:
        async with asyncio.timeout(config.body_timeout_s):
            raw = await request.read()
    except TimeoutError:
        raise InvalidRequest(
            f"The request body did not arrive within {config.body_timeout_s:g} s."
        ) from None
    return load_json(raw, config.max_depth)


# --- OpenAI ------------------------------------------------------------------------------


async def chat_completions(request: web.Request) -> web.StreamResponse:
    t0 = time.perf_counter()
    engine = request.app[ENGINE_KEY]
    body = await _read_json(request)
    req = openai_api.parse_chat_request(
        body,
        client=request.headers.get("User-Agent", ""),
        max_messages=request.app[CONFIG_KEY].max_messages,
    )
    req.person = request.get(CALLER_KEY, LOCAL_CALLER).person
    if req.stream:
        handle = await engine.stream(req, started=t0)
        info = handle.info
        renderer = openai_api.ChunkRenderer(
            id="chatcmpl-" + info.request_id,
            model=info.model,
            created=info.created,
            include_usage=req.include_usage,
            demo=info.demo,
        )
        return await _stream(request, handle, renderer, "openai")
    resp, rec = await engine.complete(req, started=t0)
    info = engine.route_info(resp, rec)
    payload = openai_api.render_completion(resp, demo=info.demo)
    return web.Response(
        body=fastjson.dumps(payload), content_type=_JSON, headers=route_headers(info)
    )


async def list_models(request: web.Request) -> web.StreamResponse:
    """OpenAI's list format; Anthropic's when the client sends ``anthropic-version``."""
    engine = request.app[ENGINE_KEY]
    ids = [*AUTO_MODELS, *(m.id for m in engine.registry.enabled())]
    if "anthropic-version" in request.headers:
        return web.json_response(anthropic_api.render_models(ids))
    return web.json_response(openai_api.render_models(ids, created=1_700_000_000))


# --- Anthropic ---------------------------------------------------------------------------


async def messages(request: web.Request) -> web.StreamResponse:
    t0 = time.perf_counter()
    engine = request.app[ENGINE_KEY]
    body = await _read_json(request)
    req = anthropic_api.parse_messages_request(
        body,
        client=request.headers.get("User-Agent", ""),
        max_messages=request.app[CONFIG_KEY].max_messages,
    )
    req.person = request.get(CALLER_KEY, LOCAL_CALLER).person
    if req.stream:
        handle = await engine.stream(req, started=t0)
        info = handle.info
        renderer = anthropic_api.EventRenderer(
            id=info.request_id, model=info.model, input_estimate=info.est_prompt_tokens
        )
        return await _stream(request, handle, renderer, "anthropic")
    resp, rec = await engine.complete(req, started=t0)
    info = engine.route_info(resp, rec)
    payload = anthropic_api.render_message(resp)
    return web.Response(
        body=fastjson.dumps(payload), content_type=_JSON, headers=route_headers(info)
    )


async def count_tokens(request: web.Request) -> web.StreamResponse:
    body = await _read_json(request)
    req: ChatRequest = anthropic_api.parse_messages_request(
        body, max_messages=request.app[CONFIG_KEY].max_messages, require_max_tokens=False
    )
    return web.json_response({"input_tokens": estimate_prompt_tokens(req)})


# --- streaming ---------------------------------------------------------------------------


async def _stream(
    request: web.Request,
    handle: StreamHandle,
    renderer: openai_api.ChunkRenderer | anthropic_api.EventRenderer,
    fmt: InboundFormat,
) -> web.StreamResponse:
    resp = web.StreamResponse(headers=route_headers(handle.info, estimated=True))
    resp.content_type = "text/event-stream"
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["X-Accel-Buffering"] = "no"
    try:
        await resp.prepare(request)
        # The opening events go out with the first content: one write (one syscall) fewer
        # before the client sees a token.
        pending = renderer.start()
        async for event in handle:
            data = renderer.event(event)
            if data:
                if pending:
                    data, pending = pending + data, b""
                await resp.write(data)
        await resp.write(pending + renderer.end())
    except (ConnectionResetError, asyncio.CancelledError):
        # The client went away: stop the upstream call and record "cancelled".
        await asyncio.shield(handle.aclose(cancelled=True))
        raise
    except Exception as exc:
        err = error_for(exc)
        if err is INTERNAL:
            log.exception("stream %s failed", handle.info.request_id)
        await handle.aclose(cancelled=False)
        try:
            await resp.write(renderer.error(err.body(fmt)))
        except ConnectionResetError:
            return resp
    await resp.write_eof()
    return resp


async def health(request: web.Request) -> web.StreamResponse:
    engine = request.app[ENGINE_KEY]
    return web.json_response({"status": "ok", "version": __version__, "demo": engine.demo})


async def _reachable(request: web.Request) -> web.StreamResponse:
    return web.Response(status=200)


def build_app(engine: Engine, config: ServerConfig) -> web.Application:
    app = web.Application(middlewares=[guard_and_errors], client_max_size=config.max_body_bytes)
    app[ENGINE_KEY] = engine
    app[CONFIG_KEY] = config
    for prefix in ("/v1", ""):
        app.router.add_post(f"{prefix}/chat/completions", chat_completions)
        app.router.add_get(f"{prefix}/models", list_models)
        app.router.add_post(f"{prefix}/messages", messages)
        app.router.add_post(f"{prefix}/messages/count_tokens", count_tokens)
    app.router.add_get("/health", health)
    app.router.add_route("HEAD", "/", _reachable)
    return app
