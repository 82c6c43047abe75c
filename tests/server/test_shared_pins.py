"""Shared conversation pins for real: two `routerdesk serve` instances on one PostgreSQL database
behind no sticky load balancer (the client picks one per turn), a database that stops answering,
and `serve --workers 2` sharing pins through the SQLite file."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import psycopg
import pytest

from fakes import FakeOpenAI
from routerdesk.storage.paths import pins_db_path

from .test_team_pg import _serve
from .test_workers import _STDERR, TOKEN, _stop

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the servers run as Linux subprocesses"
)

SETTINGS = """
[routing]
strategy = "cheapest"
pinning = true
[routing.l2]
enabled = false
[providers.openai]
base_url = "{base}"
"""
TEAM_DB = """[storage]
url = "{url}"
"""
FIRST = {"role": "user", "content": "Plan the migration of our billing service to a new queue."}


@pytest.fixture
async def two_instances(
    routerdesk_home: Path, pg_url: str
) -> AsyncIterator[tuple[str, str, subprocess.Popen[str]]]:
    async with FakeOpenAI() as upstream:
        (routerdesk_home / "settings.toml").write_text(
            SETTINGS.format(base=upstream.base_url) + TEAM_DB.format(url=pg_url)
        )
        a, url_a = await _serve()
        b, url_b = await _serve()
        try:
            yield url_a, url_b, b
        finally:
            assert await _stop(a) == 0
            assert await _stop(b) == 0


async def ask(url: str, model: str, messages: list[dict[str, str]]) -> tuple[str, str]:
    """(the model that answered, the answer) through the openai SDK, on a new connection."""
    model_id, answer, _ = await ask_with_id(url, model, messages)
    return model_id, answer


async def ask_with_id(url: str, model: str, messages: list[dict[str, str]]) -> tuple[str, str, str]:
    async with openai.AsyncOpenAI(base_url=url + "/v1", api_key=TOKEN, max_retries=0) as c:
        raw = await c.chat.completions.with_raw_response.create(model=model, messages=messages)  # type: ignore[arg-type]
        answer = raw.parse().choices[0].message.content or ""
        return raw.headers["x-routerdesk-model"], answer, raw.headers["x-routerdesk-request-id"]


async def pin_landed(pg_url: str, model_id: str) -> None:
    """Wait until an instance's writer put a pin on `model_id` in the database."""

    def count() -> int:
        with psycopg.connect(pg_url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM conversation_pins WHERE model_id = %s", (model_id,)
            ).fetchone()
            return int(row[0]) if row else 0

    deadline = time.monotonic() + 10
    while not await asyncio.to_thread(count):
        assert time.monotonic() < deadline, "the pin never reached the database"
        await asyncio.sleep(0.05)


def continued(answer: str, *more: str) -> list[dict[str, Any]]:
    msgs: list[dict[str, Any]] = [FIRST, {"role": "assistant", "content": answer}]
    for i, text in enumerate(more):
        if i:
            msgs.append({"role": "assistant", "content": f"answer {i}"})
        msgs.append({"role": "user", "content": text})
    return msgs


async def test_a_conversation_keeps_its_model_on_the_other_instance(
    two_instances: tuple[str, str, subprocess.Popen[str]], pg_url: str
) -> None:
    url_a, url_b, _ = two_instances
    best, answer = await ask(url_a, "auto:best", [FIRST])
    await pin_landed(pg_url, best)
    # The next turn asks for the cheapest model: without the pin, B would switch models.
    other = [{"role": "user", "content": "A different conversation, never seen."}]
    cheap, _ = await ask(url_b, "auto:cheapest", [*other, {"role": "assistant", "content": "."}])
    assert cheap != best
    on_b, _ = await ask(url_b, "auto:cheapest", continued(answer, "Go on."))
    assert on_b == best
    # ... and back on A, which has its own (older) pin: it asks the database and stays
    on_a, _ = await ask(url_a, "auto:cheapest", continued(answer, "Go on.", "And then?"))
    assert on_a == best


async def test_a_stalled_database_means_no_pin_not_a_stall(
    two_instances: tuple[str, str, subprocess.Popen[str]], pg_url: str
) -> None:
    url_a, url_b, b = two_instances
    best, answer = await ask(url_a, "auto:best", [FIRST])
    await pin_landed(pg_url, best)
    with psycopg.connect(pg_url) as locker:  # a transaction holds the table: queries wait
        locker.execute("LOCK TABLE conversation_pins IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        turn2 = continued(answer, "Go on.")
        model, _ = await ask(url_b, "auto:cheapest", turn2)
        first_took = time.monotonic() - started
        # lookups pause after a timeout: further conversations do not wait for the database
        others = [
            ask(url_b, "auto:cheapest", [{**FIRST, "content": f"Question {i}"}, *turn2[1:]])
            for i in range(5)
        ]
        answered = await asyncio.gather(*others)
        locker.rollback()
    assert model != best, "no pin while the database does not answer"
    assert all(m for m, _ in answered)
    assert first_took < 5.0
    err = _STDERR[b.pid]
    log = os.pread(err.fileno(), 1 << 20, 0).decode()  # the server keeps appending
    assert "shared conversation pins: the database did not answer within 50 ms" in log
    assert "Traceback" not in log


async def test_workers_share_pins_through_the_sqlite_file(routerdesk_home: Path) -> None:
    async with FakeOpenAI() as upstream:
        (routerdesk_home / "settings.toml").write_text(SETTINGS.format(base=upstream.base_url))
        proc, url = await _serve("--workers", "2")
        try:
            firsts = [
                [{"role": "user", "content": f"Plan migration number {i}."}] for i in range(12)
            ]
            started = await asyncio.gather(*(ask_with_id(url, "auto:best", f) for f in firsts))
            await asyncio.to_thread(rows_in_pin_file, len(firsts))
            later = await asyncio.gather(
                *(
                    ask_with_id(
                        url, "auto:cheapest", [*f, {"role": "assistant", "content": a}, FIRST]
                    )
                    for f, (_, a, _) in zip(firsts, started, strict=True)
                )
            )
        finally:
            assert await _stop(proc) == 0
    best = {m for m, _, _ in started}
    assert len(best) == 1
    assert [m for m, _, _ in later] == [m for m, _, _ in started]
    # request ids start with their worker's engine id: some conversations changed workers
    crossed = [a[2][:11] != b[2][:11] for a, b in zip(started, later, strict=True)]
    assert any(crossed), "every second turn landed on its first turn's worker (p = 1/4096)"


def rows_in_pin_file(want: int) -> None:
    import sqlite3

    deadline = time.monotonic() + 10
    while True:
        with sqlite3.connect(pins_db_path()) as conn:
            (n,) = conn.execute("SELECT count(*) FROM conversation_pins").fetchone()
        if n >= want:
            return
        assert time.monotonic() < deadline, f"{n} of {want} pins reached the file"
        time.sleep(0.05)
