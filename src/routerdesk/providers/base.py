"""The adapter interface every provider implements, and the per-call context the engine hands it.

An adapter translates a provider-neutral `ChatRequest` into one provider's wire
format, sends it over the shared `httpx.AsyncClient`, and translates the answer
back into a `ChatResponse` or a stream of `StreamEvent`s. It raises only
`routerdesk.core.errors.UpstreamError` subclasses; the engine decides about
fallback from their class.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import ClassVar

import httpx

from routerdesk.core.registry import ModelSpec
from routerdesk.core.settings import Timeouts
from routerdesk.core.types import ChatRequest, ChatResponse, StreamEvent


@dataclass(slots=True)
class CallContext:
    """What one attempt needs besides the request: where, with which key, how long."""

    base_url: str
    key: str | None
    timeouts: Timeouts = field(default_factory=Timeouts)
    # The adapter appends human-readable notes here (e.g. a dropped parameter);
    # they end up in the decision log.
    notes: list[str] = field(default_factory=list)


class ProviderAdapter(ABC):
    """One wire format. Instances are cheap and stateless apart from the shared client."""

    #: default base URL per provider id this adapter serves
    default_base_urls: ClassVar[dict[str, str]] = {}

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    @abstractmethod
    async def complete(self, req: ChatRequest, model: ModelSpec, ctx: CallContext) -> ChatResponse:
        """One non-streamed answer."""

    @abstractmethod
    def stream(
        self, req: ChatRequest, model: ModelSpec, ctx: CallContext
    ) -> AsyncIterator[StreamEvent]:
        """An async iterator of events. Errors before the first event mean nothing reached the client."""

    async def check(self, provider: str, ctx: CallContext) -> str:
        """A call that costs nothing and proves endpoint and key work (lists the models).

        `provider` names the provider in messages (one adapter serves several).
        Returns a one-line summary; raises the `UpstreamError` a chat call would.
        """
        raise NotImplementedError(f"{type(self).__name__} has no connection check")
