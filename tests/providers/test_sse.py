"""The incremental SSE parser: any split of the bytes gives the same events."""

from __future__ import annotations

import pytest

from routerdesk.providers.sse import SSEEvent, SSEParser

STREAM = (
    b": keep-alive\n\n"
    b'event: message_start\ndata: {"a": 1}\n\n'
    b"data: line one\ndata: line two\n\n"
    b"data:no-space\r\n\r\n"
    b"id: 7\nretry: 100\ndata: \xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80\n\n"
    b"event: ping\n\n"
    b"data: cr-only\r\rdata: [DONE]\n\n"
)
EXPECTED = [
    SSEEvent('{"a": 1}', "message_start"),
    SSEEvent("line one\nline two"),
    SSEEvent("no-space"),
    SSEEvent("été 😀"),
    SSEEvent("cr-only"),
    SSEEvent("[DONE]"),
]


def feed_in(pieces: list[bytes]) -> list[SSEEvent]:
    parser = SSEParser()
    return [e for p in pieces for e in parser.feed(p)]


def test_whole() -> None:
    assert feed_in([STREAM]) == EXPECTED


def test_byte_by_byte_including_split_crlf_and_utf8() -> None:
    assert feed_in([STREAM[i : i + 1] for i in range(len(STREAM))]) == EXPECTED


@pytest.mark.parametrize("size", [2, 3, 5, 7, 13, 64])
def test_every_chunk_size(size: int) -> None:
    assert feed_in([STREAM[i : i + size] for i in range(0, len(STREAM), size)]) == EXPECTED


def test_unterminated_event_is_pending_not_dispatched() -> None:
    parser = SSEParser()
    assert parser.feed(b'data: {"half": ') == []
    assert parser.pending
    assert parser.feed(b"1}\n") == [] and parser.pending
    assert parser.feed(b"\n") == [SSEEvent('{"half": 1}')] and not parser.pending
