"""An incremental Server-Sent Events parser: bytes from the socket in, complete events out.

Follows the WHATWG event-stream rules that matter for LLM providers: lines end
in LF, CRLF or a lone CR (even when a CRLF pair is split across two reads),
lines starting with `:` are comments (keep-alives), several `data:` lines join
with a newline, one space after the colon is dropped, and a blank line
dispatches the event. An event without data is not dispatched. An unterminated
event at the end of the stream is dropped, as the spec says; adapters notice
the missing end marker and report a cut stream.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class SSEEvent:
    data: str
    event: str = ""  # the `event:` field; "" means the default "message"


class SSEParser:
    """Feed it raw chunks as they arrive; it returns the events they complete."""

    __slots__ = ("_data", "_event", "_tail")

    def __init__(self) -> None:
        self._tail = b""  # an incomplete line (plus a held-back CR) from the previous feed
        self._data: list[str] = []
        self._event = ""

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        buf = self._tail + chunk if self._tail else chunk
        if b"\r" in buf:
            held = b""
            if buf.endswith(b"\r"):  # may be the first half of a CRLF: decide on the next read
                buf, held = buf[:-1], b"\r"
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            lines = buf.split(b"\n")
            self._tail = lines.pop() + held
        else:
            lines = buf.split(b"\n")
            self._tail = lines.pop()
        out: list[SSEEvent] = []
        for line in lines:
            if not line:
                if self._data:
                    out.append(SSEEvent("\n".join(self._data), self._event))
                    self._data = []
                self._event = ""
                continue
            if line[0] == 0x3A:  # ":" comment / keep-alive
                continue
            name, sep, value = line.partition(b":")
            if sep and value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                self._data.append(value.decode("utf-8", "replace"))
            elif name == b"event":
                self._event = value.decode("utf-8", "replace")
            # `id:` and `retry:` mean nothing to a one-shot request; unknown fields are ignored.
        return out

    @property
    def pending(self) -> bool:
        """True if bytes of an unfinished event are buffered (the stream was cut mid-event)."""
        return bool(self._tail.strip() or self._data)
