"""The usage log keeps up: compact rows, a bounded backlog with backpressure, a private file."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import stat
import threading
import time
from pathlib import Path

from routerdesk.core.classify import L1Classifier
from routerdesk.core.registry_file import load_shipped_registry
from routerdesk.core.routing import Router
from routerdesk.core.settings import Settings
from routerdesk.core.tokens import measure
from routerdesk.core.types import ChatRequest, Message, TextPart, UsageRecord
from routerdesk.storage.usage import UsageStore, candidates_summary

from .test_usage import record

PROMPTS = [
    "hello",
    "Write a Python function that parses a CSV file and sums the third column. " * 3,
    "Translate to French: good morning, how are you today?",
    "Prove that the square root of 2 is irrational, step by step. " * 4,
    "Summarize this: " + "the quarterly report shows growth in every region " * 40,
]


def routed_records(n: int) -> list[UsageRecord]:
    """Records carrying real decisions over the shipped registry (57 models), as the server makes."""
    registry = load_shipped_registry().registry
    router, classifier, settings = Router(registry), L1Classifier(), Settings()
    out = []
    for i in range(n):
        text = PROMPTS[i % len(PROMPTS)] + " detail" * (i % 37)
        req = ChatRequest(messages=[Message(role="user", content=[TextPart(text)])], model="auto")
        shape = measure(req)
        c = classifier.classify(req, shape)
        # half as in demo mode (every provider usable: every model a kept candidate)
        usable = None if i % 2 else frozenset({"openai", "anthropic", "google"})
        d = router.decide(req, c, settings=settings, usable_providers=usable, shape=shape)
        out.append(record(i, decision=d, classification=c, strategy=d.strategy, model_id=d.primary))
    return out


def test_rows_stay_near_a_kilobyte_and_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    store = UsageStore(path)
    records = routed_records(2_000)
    for r in records:
        store.submit(r)
    store.flush()
    for r in records[::97]:  # what the Requests page and replay read back is what was routed
        row = store.get(r.request_id)
        assert row is not None and r.decision is not None
        assert row["candidates"] == json.loads(json.dumps(candidates_summary(r.decision)))
        assert row["decision_fallbacks"] == r.decision.fallbacks
        assert r.classification is not None and row["features"] == r.classification.features
    store.close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("VACUUM")
    con.close()
    per_row = path.stat().st_size / len(records)
    # ~1.1 KB with five kinds of task in one file of 2,000 rows (its dictionaries included):
    # each row's ~40 estimated costs differ; an earlier version of this test sent the
    # prompts as bare strings, which the learned classifier reads as no user text at all.
    assert per_row <= 1200, f"{per_row:.0f} bytes per row"


def test_rows_written_before_compression_still_read(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    store = UsageStore(path)
    store.submit(routed_records(1)[0])
    store.flush()
    old = [
        {"model_id": "gpt-x", "kept": True, "reason": "qualified", "score": 4.0, "est_cost": 0.1}
    ]
    with sqlite3.connect(path) as con:  # a row as an older routerdesk stored it: JSON text
        con.execute(
            "INSERT INTO requests (request_id, started_at, candidates) VALUES ('old', 1, ?)",
            (json.dumps(old),),
        )
    assert store.get("old")["candidates"] == old  # type: ignore[index]
    assert len(store.recent()) == 2
    store.close()


def test_the_database_is_private(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    store = UsageStore(path)
    store.submit(record(1))
    store.flush()
    for f in (path, path.with_name(path.name + "-wal")):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    store.close()


def test_an_older_world_readable_database_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    UsageStore(path).close()
    path.chmod(0o644)
    UsageStore(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_a_stalled_writer_slows_the_intake_and_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    store = UsageStore(path)
    store.max_backlog = 50
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database: ours must wait
    peak = 0
    taken = 0

    async def intake() -> None:
        nonlocal peak, taken
        for i in range(300):
            await store.wait_for_room()  # what the engine does before taking a request
            store.submit(record(i))
            taken += 1
            peak = max(peak, store.backlog)

    task = asyncio.create_task(intake())
    await asyncio.sleep(0.5)
    assert not task.done() and taken <= store.max_backlog  # the intake waits...
    assert store.backlog <= store.max_backlog  # ...and memory holds no more than the bound
    blocker.execute("COMMIT")
    await asyncio.wait_for(task, 20)
    store.flush()
    assert peak <= store.max_backlog
    assert len(store.recent(limit=1_000)) == 300
    store.close()
    blocker.close()


def test_submit_blocks_at_twice_the_bound_instead_of_growing(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    store = UsageStore(path)
    store.max_backlog = 20
    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    done = threading.Event()

    def flood() -> None:  # requests already in flight finish without asking for room
        for i in range(100):
            store.submit(record(i))
        done.set()

    thread = threading.Thread(target=flood)
    thread.start()
    time.sleep(0.5)
    assert not done.is_set()
    assert store.backlog <= 2 * store.max_backlog
    blocker.execute("COMMIT")
    thread.join(20)
    assert done.is_set()
    store.flush()
    assert len(store.recent(limit=1_000)) == 100
    store.close()
    blocker.close()


def test_a_failed_batch_leaves_no_stale_dictionary(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    a, b = UsageStore(path), UsageStore(path)  # two workers on one file
    first, second = routed_records(2)
    insert = a._insert
    a._insert = "INSERT INTO nowhere VALUES (1)"  # the batch fails after making a dictionary
    a.submit(first)
    a.flush()
    a._insert = insert
    b.submit(second)  # the other worker's dictionary may take the rolled-back id
    b.flush()
    row = a.get(second.request_id)
    assert row is not None and second.decision is not None
    assert row["candidates"] == json.loads(json.dumps(candidates_summary(second.decision)))
    a.close()
    b.close()
