"""The no-cost connection check: GET a provider's model list with its key.

Listing models is free on every supported provider and needs the same key
and base URL as a chat call, so it proves both without spending a token.
Failures leave as the same `UpstreamError`s a chat call raises
(`providers.http.error_for_status` / `error_for_transport`): 401/403 is a
rejected key, a refused connection names the host, and so on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx

from routerdesk.core.errors import UpstreamProtocolError, UpstreamTimeout
from routerdesk.core.settings import Timeouts
from routerdesk.providers.http import MAX_ERROR_BODY, error_for_status, error_for_transport


def count_models(data: Any) -> int | None:
    """How many models a listing names: ``data`` (OpenAI, Anthropic) or ``models`` (Gemini, Ollama)."""
    if not isinstance(data, dict):
        return None
    for key in ("data", "models"):
        listed = data.get(key)
        if isinstance(listed, list):
            return len(listed)
    return None


async def list_models(
    client: httpx.AsyncClient,
    *,
    provider: str,
    url: str,
    headers: Mapping[str, str],
    timeouts: Timeouts,
    key: str | None,
) -> str:
    """GET `url`; a one-line summary on 2xx, else the mapped `UpstreamError`."""
    timeout = httpx.Timeout(
        connect=timeouts.connect,
        read=timeouts.first_byte,
        write=timeouts.idle,
        pool=timeouts.connect,
    )
    try:
        async with asyncio.timeout(timeouts.total):
            response = await client.get(url, headers=dict(headers), timeout=timeout)
    except TimeoutError:
        raise UpstreamTimeout(
            f"{provider} did not list its models within {timeouts.total:g} s.", provider=provider
        ) from None
    except httpx.HTTPError as exc:
        raise error_for_transport(exc, provider, url, timeouts) from None
    if response.status_code >= 300:
        raise error_for_status(
            provider,
            response.status_code,
            response.headers,
            response.content[:MAX_ERROR_BODY],
            key,
        )
    try:
        n = count_models(response.json())
    except ValueError:
        raise UpstreamProtocolError(
            f"{provider} answered the model listing with something other than JSON; "
            "is the base URL pointing at the right API?",
            provider=provider,
        ) from None
    listed = f"{n} models listed" if n is not None else "model list received"
    return f"{provider} accepted the key ({listed}; nothing was spent)"
