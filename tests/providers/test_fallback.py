"""FallbackChain: Retry-After cap, auth skips, open breakers, streaming failover, client disconnect."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from fakes import Answer, FakeAnthropic, FakeOpenAI, Fault
from routerdesk.core.errors import NoUsableModel, UpstreamRateLimited, UpstreamServerError
from routerdesk.core.types import Hop, TextDelta
from routerdesk.providers.catalog import all_adapters
from routerdesk.providers.fallback import FallbackChain
from routerdesk.providers.health import BreakerState, HealthBoard

from .wiring import ask, ctx, make_model


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def chain_for(
    client: httpx.AsyncClient, sleep: Sleeps | None = None, board: HealthBoard | None = None
) -> FallbackChain:
    adapters = all_adapters(client)
    return FallbackChain(
        adapters.__getitem__, board or HealthBoard(), retry_after_cap=5.0, sleep=sleep or Sleeps()
    )


def by_provider(**fakes: FakeOpenAI | FakeAnthropic):  # type: ignore[no-untyped-def]
    return lambda m: ctx(fakes[m.provider])


async def test_retry_after_honoured_up_to_cap_on_same_provider(
    fake_openai: FakeOpenAI, client: httpx.AsyncClient
) -> None:
    sleeps = Sleeps()
    fake_openai.push(
        Fault(429, retry_after="60"), Fault(429, retry_after="2"), Answer(text="third time")
    )
    models = [make_model("openai", "a"), make_model("openai", "b"), make_model("openai", "c")]
    result = await chain_for(client, sleeps).complete(
        ask(), models, by_provider(openai=fake_openai)
    )
    assert result.response.content == "third time" and result.model.name == "c"
    assert sleeps.calls == [5.0, 2.0], "waits min(retry_after, cap) before the same provider"
    assert [h.status for h in result.hops] == [429, 429]


async def test_retry_after_ignored_when_next_model_is_elsewhere(
    fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic, client: httpx.AsyncClient
) -> None:
    sleeps = Sleeps()
    fake_openai.push(Fault(429, retry_after="3"))
    models = [make_model("openai", "a"), make_model("anthropic", "c")]
    result = await chain_for(client, sleeps).complete(
        ask(), models, by_provider(openai=fake_openai, anthropic=fake_anthropic)
    )
    assert result.model.provider == "anthropic" and sleeps.calls == []


async def test_auth_error_skips_the_rest_of_that_provider(
    fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic, client: httpx.AsyncClient
) -> None:
    board = HealthBoard()
    fake_openai.push(Fault(401, message="invalid x-api-key"))
    models = [make_model("openai", "a"), make_model("openai", "b"), make_model("anthropic", "c")]
    result = await chain_for(client, board=board).complete(
        ask(), models, by_provider(openai=fake_openai, anthropic=fake_anthropic)
    )
    assert result.model.provider == "anthropic"
    assert len(fake_openai.requests) == 1, "the second OpenAI model was not tried"
    assert [(h.model_id, h.status) for h in result.hops] == [("openai-a", 401)]
    assert board.breaker("openai").health.key_rejected


async def test_open_breaker_is_skipped_and_recorded(
    fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic, client: httpx.AsyncClient
) -> None:
    board = HealthBoard(failure_threshold=1)
    board.breaker("openai").record_failure(
        UpstreamServerError("openai had a server error (HTTP 500)", provider="openai", status=500)
    )
    models = [make_model("openai", "a"), make_model("anthropic", "c")]
    result = await chain_for(client, board=board).complete(
        ask(), models, by_provider(openai=fake_openai, anthropic=fake_anthropic)
    )
    assert fake_openai.requests == [] and result.model.provider == "anthropic"
    assert result.hops[0].status is None and result.hops[0].error.startswith("skipped")


async def test_all_failing_raises_last_error_with_summary_and_hops(
    fake_openai: FakeOpenAI, client: httpx.AsyncClient
) -> None:
    fake_openai.push(Fault(503), Fault(429))
    hops: list[Hop] = []
    models = [make_model("openai", "a"), make_model("openai", "b")]
    with pytest.raises(UpstreamRateLimited) as info:
        await chain_for(client).complete(ask(), models, by_provider(openai=fake_openai), hops=hops)
    assert [h.status for h in hops] == [503, 429]
    assert info.value.message.startswith("All 2 attempts failed") and info.value.status == 429


async def test_nothing_available_is_no_usable_model(client: httpx.AsyncClient) -> None:
    board = HealthBoard(failure_threshold=1)
    board.breaker("openai").record_failure(
        UpstreamServerError("down", provider="openai", status=500)
    )
    with pytest.raises(NoUsableModel, match="paused"):
        await chain_for(client, board=board).complete(
            ask(), [make_model("openai", "a")], lambda m: ctx(None)
        )  # type: ignore[arg-type]


async def test_breaker_opens_after_repeated_failures_across_requests(
    fake_openai: FakeOpenAI, client: httpx.AsyncClient
) -> None:
    board = HealthBoard(failure_threshold=2)
    chain = chain_for(client, board=board)
    fake_openai.push(Fault(500), Fault(500))
    for _ in range(2):
        with pytest.raises(UpstreamServerError):
            await chain.complete(
                ask(), [make_model("openai", "a")], by_provider(openai=fake_openai)
            )
    assert board.breaker("openai").state is BreakerState.OPEN


async def test_stream_fails_over_before_first_event(
    fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic, client: httpx.AsyncClient
) -> None:
    fake_openai.push(Answer(malformed_at=1))  # breaks before any text reaches us
    models = [make_model("openai", "a"), make_model("anthropic", "c")]
    stream = await chain_for(client).stream(
        ask(), models, by_provider(openai=fake_openai, anthropic=fake_anthropic)
    )
    async with stream:
        text = "".join([e.text async for e in stream if isinstance(e, TextDelta)])
    assert text == "Hello from the fake upstream." and stream.model.provider == "anthropic"
    assert [h.provider for h in stream.hops] == ["openai"]


@pytest.mark.parametrize("how", ["aclose", "cancel"])
async def test_client_disconnect_closes_the_upstream(
    how: str, fake_openai: FakeOpenAI, client: httpx.AsyncClient
) -> None:
    fake_openai.push(Answer(text="word " * 200, pieces=200, chunk_delay=0.01))
    stream = await chain_for(client).stream(
        ask(), [make_model("openai", "a")], by_provider(openai=fake_openai)
    )
    got: list[object] = []

    async def consume() -> None:
        async for ev in stream:
            got.append(ev)
            if len(got) == 3 and how == "aclose":
                break
        await stream.aclose()

    task = asyncio.create_task(consume())
    if how == "cancel":
        while len(got) < 3:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await stream.aclose()
    else:
        await task
    await asyncio.wait_for(fake_openai.disconnected.wait(), 2.0)
    assert fake_openai.disconnects == 1 and fake_openai.completed == 0
    assert 3 <= len(got) < 50


async def test_exhausted_message_counts_what_was_tried_and_says_each_skip_once(
    fake_openai: FakeOpenAI, client: httpx.AsyncClient
) -> None:
    """Two tried, two skipped for one reason: "All 2 attempts" lists two models, the reason once."""
    board = HealthBoard(failure_threshold=2)
    for _ in range(2):
        board.breaker("anthropic").record_failure(
            UpstreamServerError("anthropic is overloaded", provider="anthropic", status=529)
        )
    fake_openai.push(Fault(503), Fault(503))
    models = [
        make_model("anthropic", "s1"),
        make_model("openai", "a"),
        make_model("anthropic", "s2"),
        make_model("openai", "b"),
    ]
    with pytest.raises(UpstreamServerError) as info:
        await chain_for(client, board=board).complete(
            ask(), models, by_provider(openai=fake_openai)
        )
    message = info.value.message
    assert message.startswith("All 2 attempts failed [openai-a (503), openai-b (503)]"), message
    assert message.count("anthropic is paused") == 1
    assert "(anthropic-s1, anthropic-s2)" in message


async def test_nothing_available_says_each_reason_once(client: httpx.AsyncClient) -> None:
    board = HealthBoard(failure_threshold=1)
    board.breaker("openai").record_failure(
        UpstreamServerError("down", provider="openai", status=500)
    )
    models = [make_model("openai", name) for name in ("a", "b", "c", "d")]
    with pytest.raises(NoUsableModel) as info:
        await chain_for(client, board=board).complete(ask(), models, lambda m: ctx(None))  # type: ignore[arg-type]
    message = info.value.message
    assert message.count("is paused after 1 failure in a row") == 1, message
    assert "(openai-a, openai-b, openai-c, openai-d)" in message
