"""pytest fixtures that start one fake upstream per test; import them into a conftest.py.

from fakes.fixtures import fake_openai, fake_anthropic, fake_gemini  # noqa: F401
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from . import FakeOpenAI


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake
