"""A provider key used in real requests appears nowhere: logs, usage DB bytes, CSV export, error bodies."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from fakes import Fault

from .conftest import ANTHROPIC_KEY, OPENAI_KEY, Served

BODY = {"model": "auto", "messages": [{"role": "user", "content": "hello"}]}


async def test_key_appears_nowhere(
    served: Served, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    # the upstream rejects the key and echoes it back in its error body
    served.openai.push(
        Fault(
            status=401, message=f"Incorrect API key provided: {OPENAI_KEY}. Find your key at ..."
        ),
    )
    served.anthropic.push(
        Fault(
            status=401,
            body=f'{{"type":"error","error":{{"type":"authentication_error","message":"bad key {ANTHROPIC_KEY}"}}}}'.encode(),
        )
    )
    bodies: list[str] = []
    async with served.http() as http:
        r = await http.post("/v1/chat/completions", json=BODY)
        bodies.append(r.text)
        for stream in (False, True):
            r = await http.post(
                "/v1/chat/completions", json={**BODY, "model": "oa-big", "stream": stream}
            )
            bodies.append(r.text)
        r = await http.post("/v1/messages", json={**BODY, "model": "an-mini", "max_tokens": 5})
        bodies.append(r.text)
        # and a normal successful request with the key in use
        served.openai.push()
    assert (
        served.openai.requests[0].headers["authorization"] == f"Bearer {OPENAI_KEY}"
    )  # the key was used
    assert any(
        "upstream_auth_error" in b or "rejected" in b.lower() or "key" in b.lower() for b in bodies
    )
    usage = served.runtime.usage
    assert usage is not None
    usage.flush()
    csv_path = tmp_path / "export.csv"
    usage.export_csv(csv_path)
    health = repr(served.runtime.engine.health)
    await served.runtime.stop()  # checkpoint the WAL into the file
    db = Path(usage.path)
    blobs = {
        "db": db.read_bytes()
        + (
            db.with_name(db.name + "-wal").read_bytes()
            if db.with_name(db.name + "-wal").exists()
            else b""
        ),
        "csv": csv_path.read_bytes(),
        "log": caplog.text.encode(),
        "bodies": "\n".join(bodies).encode(),
        "health": health.encode(),
    }
    for secret in (OPENAI_KEY, ANTHROPIC_KEY, "SECRETKEY"):
        for where, blob in blobs.items():
            assert secret.encode() not in blob, f"{secret} leaked into {where}"
    assert (
        b"attempts failed" in blobs["bodies"]
        or b"401" in blobs["bodies"]
        or b"key" in blobs["bodies"]
    )
