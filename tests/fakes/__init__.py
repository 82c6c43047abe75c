"""Fake provider upstreams (real aiohttp servers on 127.0.0.1) for adapter, engine and server tests."""

from .anthropic import FakeAnthropic
from .gemini import FakeGemini
from .openai import FakeOpenAI
from .upstream import (
    HANG,
    Answer,
    FakeToolCall,
    FakeUpstream,
    FakeUsage,
    Fault,
    RecordedRequest,
    Reply,
    free_port,
)

__all__ = [
    "HANG",
    "Answer",
    "FakeAnthropic",
    "FakeGemini",
    "FakeOpenAI",
    "FakeToolCall",
    "FakeUpstream",
    "FakeUsage",
    "Fault",
    "RecordedRequest",
    "Reply",
    "free_port",
]
