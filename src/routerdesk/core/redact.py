"""Secrets out of text: every configured key (by value) and anything key-shaped.

`scrub(text)` is the one function every string goes through before it leaves
the process or is stored: client error bodies and stream error events, hop
errors, usage rows, exports, logs, the GUI. It removes

1. by value, every secret `remember()`-ed so far: the provider keys the key
   store loaded or was given, and the local access token (a prefix-less key,
   such as Mistral's 32 letters and digits, has no shape to recognise);
2. by shape, what looks like a key (``sk-``, ``gsk_``, ``xai-``, ``AIza``,
   anything after "Bearer"): a second line for keys we were never told about.

Secrets are remembered for the life of the process, also after a key is
replaced: an old key may still come back in a late error. `install_log_redaction()`
makes every log record (message and traceback) pass through `scrub`.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from typing import Any

# Shorter values would redact ordinary words; no provider issues keys this short.
MIN_SECRET_LEN = 8
REDACTED = "[redacted]"

# A key starts a word: "x-routerdesk-request-id" holds "sk-request-id" but is no key.
# ``rdp_`` starts a team server's person token (core/people.py): the server keeps only
# hashes, so it has no value to remember and recognises them by shape.
_SECRETISH = re.compile(
    r"(?<![A-Za-z0-9_\-])(sk-[A-Za-z0-9_\-]{8,}|AIza[0-9A-Za-z_\-]{20,}|"
    r"gsk_[A-Za-z0-9]{8,}|xai-[A-Za-z0-9]{8,}|rdp_[A-Za-z0-9_\-]{8,}|"
    r"(?i:bearer)\s+[A-Za-z0-9._\-]{8,})"
)

_lock = threading.Lock()
_known: frozenset[str] = frozenset()
_by_value: re.Pattern[str] | None = None


def remember(*secrets: str | None) -> None:
    """Add secrets to redact by value from now on (empty and very short values are ignored)."""
    global _known, _by_value
    fresh = {s.strip() for s in secrets if s and len(s.strip()) >= MIN_SECRET_LEN} - _known
    if not fresh:
        return
    with _lock:
        _known = _known | fresh
        # longest first, so a key that contains another is removed whole
        alternatives = sorted(_known, key=len, reverse=True)
        _by_value = re.compile("|".join(map(re.escape, alternatives)))


def known_count() -> int:
    """How many secrets are remembered (for tests and diagnostics; never the values)."""
    return len(_known)


def scrub(text: str, *extra: str) -> str:
    """`text` without any remembered secret, any of `extra`, or anything key-shaped."""
    if not text:
        return text
    for s in extra:
        if s and len(s) >= MIN_SECRET_LEN:
            text = text.replace(s, REDACTED)
    pattern = _by_value
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    return _SECRETISH.sub(REDACTED, text)


_installed = False


def install_log_redaction() -> None:
    """Scrub every log record as it is made: its message and its traceback text.

    A record factory (not a handler filter) so every handler sees the clean
    record, including ones added later (pytest's caplog, the GUI's log view).
    """
    global _installed
    if _installed:
        return
    _installed = True
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            record.msg = scrub(record.getMessage())
            record.args = None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)))
                record.exc_text = record.exc_text.rstrip("\n")
        except Exception:  # a record must never fail to be made
            record.msg, record.args = "(log message withheld: it could not be scrubbed)", None
        return record

    logging.setLogRecordFactory(factory)
