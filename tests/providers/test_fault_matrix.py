"""Every fault against every adapter: what surfaces (class, message) and which fallback ran (hops)."""

from __future__ import annotations

import httpx
import pytest

from fakes import Answer, Fault, free_port
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
from routerdesk.core.settings import Timeouts
from routerdesk.core.types import FinishEvent, TextDelta
from routerdesk.providers.base import CallContext
from routerdesk.providers.fallback import FallbackChain
from routerdesk.providers.health import HealthBoard

from .wiring import KEY, WIRE_IDS, WIRES, Wire, ask, collect, ctx

HTTP_FAULTS: list[tuple[str, Fault, type[UpstreamError], int | None]] = [
    ("429 with Retry-After", Fault(429, retry_after="7"), UpstreamRateLimited, 429),
    ("429 without Retry-After", Fault(429), UpstreamRateLimited, 429),
    ("500", Fault(500), UpstreamServerError, 500),
    ("502", Fault(502), UpstreamServerError, 502),
    ("503", Fault(503), UpstreamServerError, 503),
    ("504", Fault(504), UpstreamServerError, 504),
    ("408", Fault(408), UpstreamServerError, 408),
    ("409", Fault(409), UpstreamServerError, 409),
    ("401", Fault(401, message=f"Incorrect API key provided: {KEY}"), UpstreamAuthError, 401),
    ("403", Fault(403), UpstreamForbidden, 403),
    ("400", Fault(400, message="max_tokens: too large"), UpstreamBadRequest, 400),
    ("404", Fault(404, message="model not found"), UpstreamBadRequest, 404),
    ("422", Fault(422, message="extra_forbidden"), UpstreamBadRequest, 422),
    ("wrong content type", Fault.wrong_content_type(), UpstreamProtocolError, None),
]
LONG = "a long answer " * 8
STREAM_FAULTS: list[tuple[str, Answer, type[UpstreamError]]] = [
    # index 5: past the first text event in every format (OpenAI and Anthropic open with bookkeeping)
    ("cut mid-answer", Answer(text=LONG, pieces=8, cut_after=5), UpstreamProtocolError),
    ("malformed event", Answer(text=LONG, pieces=8, malformed_at=5), UpstreamProtocolError),
    ("idle gap", Answer(text=LONG, pieces=8, hang_after=5), UpstreamTimeout),
    ("in-stream error", Answer(text=LONG, pieces=8, error_after=5), UpstreamServerError),
]
SHORT = Timeouts(connect=1.0, first_byte=0.3, idle=0.3, total=5.0)


@pytest.mark.parametrize("wire", WIRES, ids=WIRE_IDS)
@pytest.mark.parametrize(
    ("label", "fault", "cls", "status"), HTTP_FAULTS, ids=[f[0] for f in HTTP_FAULTS]
)
@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
async def test_http_fault_surfaces_as(
    wire: Wire,
    label: str,
    fault: Fault,
    cls: type[UpstreamError],
    status: int | None,
    streaming: bool,
    client: httpx.AsyncClient,
) -> None:
    async with wire.fake() as fake:
        fake.push(fault)
        adapter = wire.adapter(client)
        with pytest.raises(cls) as info:
            if streaming:
                await collect(adapter.stream(ask(), wire.model(), ctx(fake)))
            else:
                await adapter.complete(ask(), wire.model(), ctx(fake))
    err = info.value
    assert type(err) is cls
    assert err.upstream_status == status
    assert err.provider == wire.provider and wire.provider in err.message
    assert KEY not in err.message and "SECRET" not in err.message
    if label == "429 with Retry-After":
        assert err.retry_after == 7.0
    if label in ("400", "404", "422"):
        assert fault.message in err.message, "the provider's own message passes through"
        assert not err.retryable


@pytest.mark.parametrize("wire", WIRES, ids=WIRE_IDS)
async def test_malformed_json(wire: Wire, client: httpx.AsyncClient) -> None:
    async with wire.fake() as fake:
        fake.push(Fault.malformed_json())
        with pytest.raises(UpstreamProtocolError, match="malformed JSON"):
            await wire.adapter(client).complete(ask(), wire.model(), ctx(fake))


@pytest.mark.parametrize("wire", WIRES, ids=WIRE_IDS)
@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
async def test_hang_before_first_byte_times_out(
    wire: Wire, streaming: bool, client: httpx.AsyncClient
) -> None:
    async with wire.fake() as fake:
        fake.push(Fault.hang())
        adapter = wire.adapter(client)
        with pytest.raises(UpstreamTimeout, match="time to first byte"):
            if streaming:
                await collect(adapter.stream(ask(), wire.model(), ctx(fake, SHORT)))
            else:
                await adapter.complete(ask(), wire.model(), ctx(fake, SHORT))


@pytest.mark.parametrize("wire", WIRES, ids=WIRE_IDS)
async def test_connection_refused(wire: Wire, client: httpx.AsyncClient) -> None:
    context = CallContext(
        base_url=f"http://127.0.0.1:{free_port()}{wire.fake.base_path}", key=KEY, timeouts=SHORT
    )
    with pytest.raises(UpstreamConnectionError, match="Could not connect"):
        await wire.adapter(client).complete(ask(), wire.model(), context)


@pytest.mark.parametrize("wire", WIRES, ids=WIRE_IDS)
@pytest.mark.parametrize(
    ("label", "answer", "cls"), STREAM_FAULTS, ids=[f[0] for f in STREAM_FAULTS]
)
async def test_stream_fault_after_first_event_surfaces(
    wire: Wire, label: str, answer: Answer, cls: type[UpstreamError], client: httpx.AsyncClient
) -> None:
    """Events before the fault arrive; then the error is raised, never a silent end."""
    async with wire.fake() as fake:
        fake.push(answer)
        events = []
        with pytest.raises(cls):
            async for ev in wire.adapter(client).stream(ask(), wire.model(), ctx(fake, SHORT)):
                events.append(ev)
    assert events and isinstance(events[0], TextDelta)
    assert not any(isinstance(e, FinishEvent) for e in events)


@pytest.mark.parametrize("wire", WIRES, ids=WIRE_IDS)
async def test_stream_wrong_content_type(wire: Wire, client: httpx.AsyncClient) -> None:
    async with wire.fake() as fake:
        fake.push(Answer(content_type="text/html"))
        with pytest.raises(UpstreamProtocolError, match="content type"):
            await collect(wire.adapter(client).stream(ask(), wire.model(), ctx(fake)))


# --- the same faults through the fallback chain: which model answered, which hops ran ---

RETRYABLE = [f for f in HTTP_FAULTS if f[2] is not UpstreamBadRequest]


@pytest.mark.parametrize("primary", WIRES, ids=WIRE_IDS)
@pytest.mark.parametrize(
    ("label", "fault", "cls", "status"), RETRYABLE, ids=[f[0] for f in RETRYABLE]
)
@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
async def test_chain_falls_back_to_next_provider(
    primary: Wire,
    label: str,
    fault: Fault,
    cls: type[UpstreamError],
    status: int | None,
    streaming: bool,
    client: httpx.AsyncClient,
) -> None:
    backup = next(w for w in WIRES if w is not primary)
    async with primary.fake() as first, backup.fake() as second:
        first.push(fault)
        second.push(Answer(text="backup answer"))
        fakes = {primary.provider: first, backup.provider: second}
        adapters = {w.provider: w.adapter(client) for w in WIRES}
        chain = FallbackChain(adapters.__getitem__, HealthBoard())
        models = [primary.model(), backup.model()]
        if streaming:
            stream = await chain.stream(ask(), models, lambda m: ctx(fakes[m.provider]))
            async with stream:
                events = [e async for e in stream]
            text = "".join(e.text for e in events if isinstance(e, TextDelta))
            model, hops = stream.model, stream.hops
        else:
            result = await chain.complete(ask(), models, lambda m: ctx(fakes[m.provider]))
            text, model, hops = result.response.content or "", result.model, result.hops
    assert text == "backup answer"
    assert model.provider == backup.provider
    assert [(h.model_id, h.provider, h.status) for h in hops] == [
        (models[0].id, primary.provider, status)
    ]
    assert KEY not in hops[0].error


@pytest.mark.parametrize("primary", WIRES, ids=WIRE_IDS)
@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
async def test_chain_never_retries_bad_request(
    primary: Wire, streaming: bool, client: httpx.AsyncClient
) -> None:
    backup = next(w for w in WIRES if w is not primary)
    async with primary.fake() as first, backup.fake() as second:
        first.push(Fault(400, message="messages: roles must alternate"))
        fakes = {primary.provider: first, backup.provider: second}
        adapters = {w.provider: w.adapter(client) for w in WIRES}
        chain = FallbackChain(adapters.__getitem__, HealthBoard())
        hops: list = []
        with pytest.raises(UpstreamBadRequest, match="roles must alternate"):
            if streaming:
                await chain.stream(
                    ask(),
                    [primary.model(), backup.model()],
                    lambda m: ctx(fakes[m.provider]),
                    hops=hops,
                )
            else:
                await chain.complete(
                    ask(),
                    [primary.model(), backup.model()],
                    lambda m: ctx(fakes[m.provider]),
                    hops=hops,
                )
        assert second.requests == []
        assert [h.status for h in hops] == [400]


@pytest.mark.parametrize("primary", WIRES, ids=WIRE_IDS)
@pytest.mark.parametrize(
    ("label", "answer", "cls"), STREAM_FAULTS, ids=[f[0] for f in STREAM_FAULTS]
)
async def test_chain_stream_fault_after_first_event_is_raised_not_retried(
    primary: Wire, label: str, answer: Answer, cls: type[UpstreamError], client: httpx.AsyncClient
) -> None:
    backup = next(w for w in WIRES if w is not primary)
    async with primary.fake() as first, backup.fake() as second:
        first.push(answer)
        fakes = {primary.provider: first, backup.provider: second}
        adapters = {w.provider: w.adapter(client) for w in WIRES}
        chain = FallbackChain(adapters.__getitem__, HealthBoard())
        stream = await chain.stream(
            ask(), [primary.model(), backup.model()], lambda m: ctx(fakes[m.provider], SHORT)
        )
        assert stream.model.provider == primary.provider
        with pytest.raises(cls):
            async with stream:
                async for _ in stream:
                    pass
        assert second.requests == [], "no failover once the client has seen an event"
