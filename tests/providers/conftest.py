"""Fixtures for adapter tests: fake upstreams and one shared httpx client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from fakes.fixtures import fake_anthropic, fake_gemini, fake_openai  # noqa: F401
from routerdesk.providers.http import build_client


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with build_client() as c:
        yield c
