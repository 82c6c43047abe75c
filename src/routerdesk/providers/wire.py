"""The request/response skeleton shared by the HTTP adapters: encode, send, decode, close.

A concrete adapter only translates: `build_body` (ChatRequest -> wire JSON),
`parse_response` (wire JSON -> ChatResponse) and a `StreamDecoder` (raw
stream bytes -> StreamEvents). Those three are pure and are what the
benchmarks time; this class adds the IO around them.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import AsyncIterator
from typing import Any, Protocol

from routerdesk.core import fastjson
from routerdesk.core.errors import UpstreamProtocolError
from routerdesk.core.registry import ModelSpec
from routerdesk.core.types import ChatRequest, ChatResponse, StreamEvent
from routerdesk.providers.base import CallContext, ProviderAdapter
from routerdesk.providers.check import list_models
from routerdesk.providers.http import UpstreamCall


class StreamDecoder(Protocol):
    def feed(self, chunk: bytes) -> list[StreamEvent]:
        """Events completed by this chunk of the body."""

    def close(self) -> list[StreamEvent]:
        """The final FinishEvent and UsageEvent; raises UpstreamProtocolError if the stream was cut."""


def dump_json(body: dict[str, Any]) -> bytes:
    return fastjson.dumps(body)


def protocol_error(provider: str, what: str) -> UpstreamProtocolError:
    return UpstreamProtocolError(
        f"{provider} sent an answer we could not read: {what}.", provider=provider
    )


def not_an_event_stream(provider: str, content_type: str) -> UpstreamProtocolError:
    return UpstreamProtocolError(
        f"{provider} answered a streaming request with content type "
        f"{content_type or 'none'!r} instead of an event stream.",
        provider=provider,
    )


class WireAdapter(ProviderAdapter):
    """An adapter that speaks JSON over HTTP POST, streamed or not."""

    @abstractmethod
    def url(self, model: ModelSpec, ctx: CallContext, *, stream: bool) -> str: ...

    @abstractmethod
    def headers(self, ctx: CallContext, *, stream: bool) -> dict[str, str]: ...

    @abstractmethod
    def build_body(
        self, req: ChatRequest, model: ModelSpec, ctx: CallContext, *, stream: bool
    ) -> dict[str, Any]: ...

    @abstractmethod
    def parse_response(self, data: Any, provider: str) -> ChatResponse: ...

    @abstractmethod
    def stream_decoder(self, provider: str, content_type: str) -> StreamDecoder: ...

    @abstractmethod
    def models_url(self, ctx: CallContext) -> str:
        """Where the provider lists its models (the free call behind `check`)."""

    async def check(self, provider: str, ctx: CallContext) -> str:
        headers = self.headers(ctx, stream=False)
        headers.pop("content-type", None)  # a GET has no body
        return await list_models(
            self.client,
            provider=provider,
            url=self.models_url(ctx),
            headers=headers,
            timeouts=ctx.timeouts,
            key=ctx.key,
        )

    async def _open(
        self, req: ChatRequest, model: ModelSpec, ctx: CallContext, *, stream: bool
    ) -> UpstreamCall:
        body = dump_json(self.build_body(req, model, ctx, stream=stream))
        return await UpstreamCall.open(
            self.client,
            provider=model.provider,
            url=self.url(model, ctx, stream=stream),
            headers=self.headers(ctx, stream=stream),
            body=body,
            timeouts=ctx.timeouts,
            key=ctx.key,
        )

    async def complete(self, req: ChatRequest, model: ModelSpec, ctx: CallContext) -> ChatResponse:
        call = await self._open(req, model, ctx, stream=False)
        try:
            data = await call.read_json()
        finally:
            await call.aclose()
        return self.parse_response(data, model.provider)

    async def stream(
        self, req: ChatRequest, model: ModelSpec, ctx: CallContext
    ) -> AsyncIterator[StreamEvent]:
        call = await self._open(req, model, ctx, stream=True)
        try:
            decoder = self.stream_decoder(model.provider, call.content_type)
            async for chunk in call.iter_bytes():
                for event in decoder.feed(chunk):
                    yield event
            for event in decoder.close():
                yield event
        finally:
            await call.aclose()
