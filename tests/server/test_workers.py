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
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

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


def _spawn(argv: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start a server; its stderr goes to a temporary file that `_stop` shows on a failure."""
    err = tempfile.TemporaryFile("w+")  # noqa: SIM115  # closed by _stop, after the server
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    _STDERR[proc.pid] = err
    return proc


_STDERR: dict[int, IO[str]] = {}


async def _listening(proc: subprocess.Popen[str]) -> str:
    """The server's URL from its one stdout line; a server that fails to start fails the
    test with its stderr."""
    assert proc.stdout is not None
    line = await asyncio.to_thread(proc.stdout.readline)
    if not line.startswith("listening on http://127.0.0.1:"):
        proc.kill()
        proc.wait(10)
        err = _STDERR.pop(proc.pid)
        with err:
            err.seek(0)
            raise AssertionError(f"server did not start ({line!r}); its stderr:\n{err.read()}")
    return line.removeprefix("listening on ").strip()


async def _stop(proc: subprocess.Popen[str]) -> int:
    """SIGTERM, wait (past the supervisor's own grace for its workers), return the exit
    code; a server that exits unclean or hangs fails with its stderr in the message."""
    proc.send_signal(signal.SIGTERM)
    try:
        code = await asyncio.to_thread(proc.wait, 60)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = None
    err = _STDERR.pop(proc.pid, None)
    if err is not None:
        with err:
            if code != 0:
                err.seek(0)
                raise AssertionError(f"server exit {code}; its stderr:\n{err.read()[-20000:]}")
    return code if code is not None else -9


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
        proc = _spawn(
            [sys.executable, "-m", "routerdesk", "serve", "--workers", "2", "--port", "0"], env
        )
        try:
            yield proc, await _listening(proc)
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


def test_supervisor_aborts_a_worker_stuck_in_shutdown_and_shows_where() -> None:
    """A worker that ignores SIGTERM is aborted after the grace: it prints its stacks, the
    supervisor reports an unclean stop; one that exits on SIGTERM counts as clean."""
    from routerdesk.commands._workers import _stop as stop_workers

    stuck = (
        "import faulthandler, signal, sys, time\n"
        "faulthandler.enable(file=sys.stderr, all_threads=True)\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('up', flush=True)\n"
        "def flushing_rows_forever():\n"
        "    time.sleep(600)\n"
        "flushing_rows_forever()\n"
    )
    polite = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
        "print('up', flush=True)\n"
        "time.sleep(600)\n"
    )
    with tempfile.TemporaryFile("w+") as err:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=err, text=True
            )
            for code in (polite, stuck)
        ]
        for p in procs:
            assert p.stdout is not None and p.stdout.readline() == "up\n"
        assert stop_workers([procs[0]], grace_s=5.0)
        assert procs[0].returncode == 0
        assert not stop_workers([procs[1]], grace_s=1.0)
        assert procs[1].returncode == -signal.SIGABRT
        err.seek(0)
        stacks = err.read()
    assert "flushing_rows_forever" in stacks, stacks
