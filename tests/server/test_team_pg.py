"""Two `routerdesk serve` instances, one of them with two workers, on one PostgreSQL database
(usage log and person tokens), as if on two machines: nothing but the database is shared."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest

from fakes import FakeOpenAI
from routerdesk.cli import main
from routerdesk.storage.paths import people_db_path
from routerdesk.storage.usage_pg import PgUsageStore

from .test_workers import (
    SETTINGS,
    TOKEN,
    _fresh_clients,
    _listening,
    _spawn,
    _stop,
    _workers_of,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="--workers uses Linux's SO_REUSEPORT"
)


async def _serve(*extra: str) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "ROUTERDESK_TOKEN": TOKEN,
        "OPENAI_API_KEY": "sk-test-team-0000000000",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    proc = _spawn([sys.executable, "-m", "routerdesk", "serve", "--port", "0", *extra], env)
    return proc, await _listening(proc)


async def test_two_instances_one_database(
    routerdesk_home: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeOpenAI() as upstream:
        settings = SETTINGS.format(base=upstream.base_url) + f'[storage]\nurl = "{pg_url}"\n'
        (routerdesk_home / "settings.toml").write_text(settings)
        # made through the CLI, which reads [storage] url: the tokens live in PostgreSQL
        assert main(["tokens", "create", "alice"]) == 0
        assert main(["tokens", "create", "carol", "--budget-daily", "0.000000001"]) == 0
        alice, carol = (line for line in capsys.readouterr().out.split())
        assert not people_db_path().exists()
        single, url_a = await _serve()
        workers, url_b = await _serve("--workers", "2")
        try:
            sent = await _fresh_clients(url_a, alice, 8, 5)
            sent += await _fresh_clients(url_b, alice, 16, 5)
            sent += await _fresh_clients(url_b, TOKEN, 4, 5)
            assert all(not isinstance(r, Exception) for r in sent)
            # carol spends on instance A; after one shared-spend refresh B refuses her too
            [first] = await _fresh_clients(url_a, carol, 1, 1)
            assert not isinstance(first, Exception)
            await asyncio.sleep(2.6)
            refused = await _fresh_clients(url_b, carol, 8, 1)
            refused += await _fresh_clients(url_a, carol, 2, 1)
            assert all(isinstance(r, openai.RateLimitError) for r in refused), refused
            assert main(["tokens", "revoke", "alice"]) == 0
            await asyncio.sleep(2.6)  # every instance re-reads the tokens within 2 s
            for url in (url_a, url_b):
                [gone] = await _fresh_clients(url, alice, 1, 1)
                assert isinstance(gone, openai.AuthenticationError) and "revoked" in gone.message
        finally:
            assert await _stop(single) == 0
            assert await _stop(workers) == 0
    store = PgUsageStore(pg_url)
    try:
        rows = list(store.rows())
    finally:
        store.close()
    ok = [r for r in rows if r["status"] == "ok"]
    assert len(ok) == len(sent) + 1 == 141
    assert sum(r["person"] == "alice" for r in ok) == 120
    assert len(_workers_of(ok)) == 3, "the single instance and both workers wrote rows"
    assert sum(r["person"] == "carol" and r["status_code"] == 429 for r in rows) == 10
    assert main(["stats", "--since", "1d"]) == 0
    out = capsys.readouterr().out
    assert "total: 151 requests" in out
    alice_line = next(line for line in out.splitlines() if line.startswith("alice "))
    assert alice_line.split()[1] == "120"
    # replay reads the shared log too (there is no usage.sqlite3 to fall back on)
    assert main(["replay", "--since", "1d", "--all-providers", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["requests"] == 151


async def test_kill_9_of_one_instance_loses_at_most_its_last_batch(
    routerdesk_home: Path, pg_url: str
) -> None:
    async with FakeOpenAI() as upstream:
        settings = SETTINGS.format(base=upstream.base_url) + f'[storage]\nurl = "{pg_url}"\n'
        (routerdesk_home / "settings.toml").write_text(settings)
        doomed, url_a = await _serve()
        survivor, url_b = await _serve()
        answered: list[tuple[float, str, str]] = []  # (when, instance, request id)
        killed_at = 0.0

        async def keep_asking(url: str, name: str) -> None:
            async with openai.AsyncOpenAI(base_url=url + "/v1", api_key=TOKEN, max_retries=0) as c:
                while True:
                    try:
                        raw = await c.chat.completions.with_raw_response.create(
                            model="auto",
                            messages=[{"role": "user", "content": "ping"}],
                        )
                    except openai.APIConnectionError:
                        return  # the instance is gone
                    answered.append(
                        (time.monotonic(), name, raw.headers["x-routerdesk-request-id"])
                    )
                    if name == "b" and killed_at and time.monotonic() > killed_at + 0.5:
                        return

        try:
            tasks = [asyncio.create_task(keep_asking(url_a, "a")) for _ in range(6)]
            tasks += [asyncio.create_task(keep_asking(url_b, "b")) for _ in range(2)]
            # enough answered (however loaded the machine), then a second more: those are settled
            deadline = time.monotonic() + 60
            while sum(name == "a" for _, name, _ in answered) < 60 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(1.2)
            doomed.kill()  # SIGKILL: no flush
            killed_at = time.monotonic()
            await asyncio.wait_for(asyncio.gather(*tasks), 20)
        finally:
            doomed.wait(10)
            assert await _stop(survivor) == 0
    store = PgUsageStore(pg_url)
    try:
        landed = {r["request_id"] for r in store.rows()}
    finally:
        store.close()
    a_ids = [(t, rid) for t, name, rid in answered if name == "a"]
    b_ids = [rid for _, name, rid in answered if name == "b"]
    assert len(a_ids) > 50 and b_ids
    assert set(b_ids) <= landed, "the instance stopped cleanly wrote every row"
    # rows are written every 0.25 s: anything answered a second before the kill is safe
    settled = [rid for t, rid in a_ids if t < killed_at - 1.0]
    assert len(settled) > 20
    lost = [round(killed_at - t, 2) for t, rid in a_ids if rid not in landed]
    assert all(ago < 1.0 for ago in lost), (
        f"rows lost, answered this many s before the kill: {lost}"
    )
