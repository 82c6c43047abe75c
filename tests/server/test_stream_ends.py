"""A stream that fails after its first event ends with the error event and nothing after it."""

from __future__ import annotations

from fakes import Answer

from .conftest import Served

ASK = {"messages": [{"role": "user", "content": "count to ten"}], "stream": True}


async def test_openai_stream_has_no_done_after_an_error(served: Served) -> None:
    served.openai.push(Answer(text="one two three four", pieces=4, error_after=2))
    async with served.http() as http:
        r = await http.post("/v1/chat/completions", json={**ASK, "model": "oa-mini"})
    events = [e for e in r.text.split("\n\n") if e.strip()]
    assert events[-1].startswith('data: {"error"'), events[-3:]
    assert "[DONE]" not in r.text


async def test_openai_stream_still_ends_with_done_without_an_error(served: Served) -> None:
    async with served.http() as http:
        r = await http.post("/v1/chat/completions", json={**ASK, "model": "oa-mini"})
    assert r.text.rstrip().endswith("data: [DONE]")


async def test_anthropic_stream_has_no_message_stop_after_an_error(served: Served) -> None:
    # the upstream's wire format does not matter: the client's (Anthropic) does
    served.openai.push(Answer(text="one two three four", pieces=4, error_after=2))
    async with served.http() as http:
        r = await http.post("/v1/messages", json={**ASK, "model": "oa-mini", "max_tokens": 50})
    events = [e for e in r.text.split("\n\n") if e.strip()]
    assert events[-1].startswith("event: error"), r.text
    assert "message_stop" not in r.text
