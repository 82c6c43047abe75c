"""pytest fixtures that start one fake upstream per test; import them into a conftest.py.

from fakes.fixtures import fake_openai, fake_anthropic, fake_gemini  # noqa: F401
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from . import FakeAnthropic, FakeGemini, FakeOpenAI


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def fake_anthropic() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
async def fake_gemini() -> AsyncIterator[FakeGemini]:
    async with FakeGemini() as fake:
        yield fake
