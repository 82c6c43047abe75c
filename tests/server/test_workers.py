"""`routerdesk serve --workers 2` for real: two processes on one port, one SQLite usage log.

The workers answer through the fake OpenAI upstream (so requests cost real,
budget-counted money); clients are the official openai SDK, each with its own
connection so the kernel's SO_REUSEPORT hashing spreads them over both workers.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import openai
import pytest

from fakes import FakeOpenAI
from routerdesk.storage.paths import people_db_path, usage_db_path
from routerdesk.storage.people import PersonTokens
from routerdesk.storage.usage import UsageStore

TOKEN = "rd-workers-test-token"
HELLO = [{"role": "user", "content": "What is the capital of France?"}]
SETTINGS = """
[routing]
strategy = "cheapest"
pinning = false
[routing.l2]
enabled = false
[providers.openai]
base_url = "{base}"
"""

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="SO_REUSEPORT load balancing is Linux's"
)


async def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return await asyncio.to_thread(proc.wait, 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


@pytest.fixture
async def two_workers(routerdesk_home: Path) -> AsyncIterator[tuple[subprocess.Popen[str], str]]:
    async with FakeOpenAI() as upstream:
        (routerdesk_home / "settings.toml").write_text(SETTINGS.format(base=upstream.base_url))
        env = {
            **os.environ,
            "ROUTERDESK_TOKEN": TOKEN,
            "OPENAI_API_KEY": "sk-test-workers-0000000000",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "routerdesk", "serve", "--workers", "2", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        try:
            assert proc.stdout is not None
            line = await asyncio.to_thread(proc.stdout.readline)
            assert line.startswith("listening on http://127.0.0.1:"), line
            yield proc, line.removeprefix("listening on ").strip()
        finally:
            if proc.poll() is None:
                await _stop(proc)


async def _fresh_clients(url: str, key: str, clients: int, each: int) -> list[object]:
    """`clients` SDK clients (one connection each) sending `each` requests; results or errors."""

    async def one_client() -> list[object]:
        async with openai.AsyncOpenAI(base_url=url + "/v1", api_key=key, max_retries=0) as c:
            out: list[object] = []
            for _ in range(each):
                try:
                    out.append(await c.chat.completions.create(model="auto", messages=HELLO))  # type: ignore[arg-type]
                except openai.APIStatusError as exc:
                    out.append(exc)
            return out

    results = await asyncio.gather(*(one_client() for _ in range(clients)))
    return [r for rs in results for r in rs]


def _workers_of(rows: list[dict[str, object]]) -> set[str]:
    # request ids are rd-<8 hex of the engine, one per worker process><counter>
    return {str(r["request_id"])[:11] for r in rows}


async def test_rows_from_both_workers_all_land(
    two_workers: tuple[subprocess.Popen[str], str],
) -> None:
    proc, url = two_workers
    alice = PersonTokens(people_db_path()).create("alice")
    got = await _fresh_clients(url, TOKEN, 16, 6)
    got += await _fresh_clients(url, alice, 16, 6)
    assert all(not isinstance(r, Exception) for r in got), [
        r for r in got if isinstance(r, Exception)
    ][:1]
    assert await _stop(proc) == 0
    store = UsageStore(usage_db_path())
    try:
        rows = list(store.rows())
    finally:
        store.close()
    assert len(rows) == len(got) == 192
    assert len({r["request_id"] for r in rows}) == 192
    assert all(r["status"] == "ok" for r in rows)
    assert sum(r["person"] == "alice" for r in rows) == 96
    assert len(_workers_of(rows)) == 2, "both workers should have answered"


async def test_revocation_and_budgets_hold_in_every_worker(
    two_workers: tuple[subprocess.Popen[str], str],
) -> None:
    proc, url = two_workers
    people = PersonTokens(people_db_path())
    bob = people.create("bob")
    carol = people.create("carol", budget_daily_usd=1e-9)
    [first] = await _fresh_clients(url, carol, 1, 1)
    assert not isinstance(first, Exception)
    await asyncio.sleep(2.6)  # one shared-spend refresh (2 s) after the row was written
    refused = await _fresh_clients(url, carol, 16, 1)
    assert all(isinstance(r, openai.RateLimitError) for r in refused), refused
    assert people.revoke("bob")
    revoked = await _fresh_clients(url, bob, 16, 1)
    assert all(
        isinstance(r, openai.AuthenticationError) and "revoked" in r.message for r in revoked
    )
    assert await _stop(proc) == 0
    store = UsageStore(usage_db_path())
    try:
        carol_rows = [r for r in store.rows() if r["person"] == "carol"]
    finally:
        store.close()
    errors = [r for r in carol_rows if r["status"] == "error"]
    assert len(errors) == 16 and all(r["status_code"] == 429 for r in errors)
    assert len(_workers_of(errors)) == 2, "both workers should have refused"


def test_workers_must_be_a_positive_number(capsys: pytest.CaptureFixture[str]) -> None:
    from routerdesk.cli import main

    for bad in ("0", "-1", "two"):
        with pytest.raises(SystemExit) as e:
            main(["serve", "--workers", bad])
        assert e.value.code == 2
        assert "expected a whole number >= 1" in capsys.readouterr().err
