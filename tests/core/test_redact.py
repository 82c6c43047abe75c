"""`core.redact`: secrets removed by value and by shape, from text and from log records."""

from __future__ import annotations

import logging

import pytest

from routerdesk.core import redact
from routerdesk.core.redact import install_log_redaction, remember, scrub

MISTRAL_STYLE = "Qm4Rt8Yu2Io6Pa0Sd3Fg7Hj1Kl5Zx9Cv2"  # 32+ letters and digits, no prefix


def test_a_remembered_prefixless_key_is_removed_by_value() -> None:
    assert MISTRAL_STYLE in scrub(f"the key {MISTRAL_STYLE} is not valid")  # no shape to see
    remember(MISTRAL_STYLE)
    assert scrub(f"the key {MISTRAL_STYLE} is not valid") == "the key [redacted] is not valid"


def test_short_values_are_not_remembered() -> None:
    before = redact.known_count()
    remember("", None, "abc", "  short ")
    assert redact.known_count() == before
    assert scrub("abc short") == "abc short"


def test_key_shapes_are_removed_but_words_containing_them_are_not() -> None:
    text = "x-routerdesk-request-id: rd-1; Bearer abcdefgh1234; sk-live-12345678; gsk_abcdefgh9"
    out = scrub(text)
    assert out.startswith("x-routerdesk-request-id: rd-1; ")
    assert "abcdefgh1234" not in out and "sk-live" not in out and "gsk_" not in out


def test_log_records_are_scrubbed_message_and_traceback(caplog: pytest.LogCaptureFixture) -> None:
    secret = "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9"
    remember(secret)
    install_log_redaction()
    log = logging.getLogger("routerdesk.test")
    with caplog.at_level(logging.INFO):
        log.info("sent %s upstream", secret)
        try:
            raise ValueError(f"upstream said {secret}")
        except ValueError:
            log.exception("failed")
    assert secret not in caplog.text
    assert "sent [redacted] upstream" in caplog.text
    assert "ValueError: upstream said [redacted]" in caplog.text


def test_person_tokens_are_removed_by_shape() -> None:
    from routerdesk.core.people import new_token

    token = new_token()  # the server keeps only its hash: nothing to remember by value
    assert scrub(f"401 for key {token}.") == "401 for key [redacted]."
    assert token not in scrub(f"Authorization: Bearer {token}")
