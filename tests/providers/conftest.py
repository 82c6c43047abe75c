"""Fixtures for adapter tests: fake upstreams and one shared httpx client."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import httpx
import pytest

from fakes.fixtures import fake_anthropic, fake_gemini, fake_openai  # noqa: F401
from routerdesk.providers.http import build_client

# Building the default SSL context costs ~50 ms; the fakes are plain HTTP, so share one.
_TLS = ssl.create_default_context()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with build_client(verify=_TLS) as c:
        yield c
