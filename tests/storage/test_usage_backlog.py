"""The usage log keeps up: compact rows, a bounded backlog with backpressure, a private file."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import stat
import threading
import time
from pathlib import Path
from typing import Any

from routerdesk.core import fastjson
from routerdesk.core.classify import L1Classifier
from routerdesk.core.registry_file import load_shipped_registry
from routerdesk.core.replay import PastRequest
from routerdesk.core.routing import Router
from routerdesk.core.settings import Settings
from routerdesk.core.tokens import measure
from routerdesk.core.types import ChatRequest, Message, TextPart, UsageRecord
from routerdesk.storage.compact import CandidateCodec
from routerdesk.storage.usage import COLUMNS, UsageStore, candidates_summary, record_row

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


def assert_reads_as_routed(row: dict[str, Any] | None, r: UsageRecord) -> None:
    """What the Requests page and `routerdesk replay` read back of a row is what was routed."""
    assert row is not None and r.decision is not None
    assert row["candidates"] == json.loads(fastjson.dumps_str(candidates_summary(r.decision)))
    assert row["decision_why"] == r.decision.why
    assert row["decision_fallbacks"] == r.decision.fallbacks


def test_rows_average_under_a_kilobyte_and_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    store = UsageStore(path)
    records = routed_records(2_000)
    for r in records:
        store.submit(r)
    store.flush()
    for r in records[::97]:
        row = store.get(r.request_id)
        assert_reads_as_routed(row, r)
        assert row is not None and r.classification is not None
        assert row["features"] == r.classification.features
    store.close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("VACUUM")
    con.close()
    per_row = path.stat().st_size / len(records)
    # ~0.8 KB with five kinds of task in one file of 2,000 rows, its dictionaries included
    # (1.1 KB with the candidates stored as candidates_summary's list of dicts, and the why
    # and fallbacks in their own columns): each row's ~40 estimated costs differ.
    assert per_row <= 1024, f"{per_row:.0f} bytes per row"


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
    assert_reads_as_routed(a.get(second.request_id), second)
    a.close()
    b.close()


def store_as_schema_4(path: Path, records: list[UsageRecord]) -> None:
    """Rows as routerdesk wrote them before schema 5: `candidates_summary`'s list deflated
    against a dictionary of such lists, the why and the fallbacks in their own columns."""
    UsageStore(path).close()  # the current schema; the old rows fit it unchanged
    con = sqlite3.connect(path, isolation_level=None)
    codec = CandidateCodec()
    where = {c: COLUMNS.index(c) for c in ("candidates", "decision_why", "decision_fallbacks")}
    con.execute("BEGIN")
    for r in records:
        assert r.decision is not None
        row = record_row(r)
        summary = fastjson.dumps_str(candidates_summary(r.decision))
        row[where["candidates"]] = codec.compress(con, summary)
        row[where["decision_why"]] = r.decision.why
        row[where["decision_fallbacks"]] = fastjson.dumps_str(r.decision.fallbacks)
        con.execute(
            f"INSERT INTO requests ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
            row,
        )
    con.execute("COMMIT")
    con.close()


def test_the_requests_page_replay_and_export_read_the_same_from_either_layout(
    tmp_path: Path,
) -> None:
    from routerdesk.gui.models.usage_rows import record_from_row  # the Requests page's reader

    records = routed_records(300)
    old_path, new_path = tmp_path / "old.sqlite3", tmp_path / "new.sqlite3"
    store_as_schema_4(old_path, records)
    new = UsageStore(new_path)
    for r in records:
        new.submit(r)
    new.flush()
    old = UsageStore(old_path)
    with sqlite3.connect(new_path) as con:  # the new layout really is what is on disk
        whys = {w for (w,) in con.execute("SELECT DISTINCT decision_why FROM requests")}
        assert whys == {""}
    old_rows, new_rows = list(old.rows()), list(new.rows())
    assert len(new_rows) == len(records) and new_rows == old_rows
    for r, row in zip(records, new_rows, strict=True):
        assert_reads_as_routed(row, r)
    assert [record_from_row(row) for row in new_rows] == [record_from_row(row) for row in old_rows]
    assert [PastRequest.from_row(row) for row in new_rows] == [
        PastRequest.from_row(row) for row in old_rows
    ]
    old.export_csv(tmp_path / "old.csv")
    new.export_csv(tmp_path / "new.csv")
    assert (tmp_path / "new.csv").read_bytes() == (tmp_path / "old.csv").read_bytes()
    old.close()
    new.close()


def test_new_rows_in_an_older_database_get_a_dictionary_of_their_own(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    older, newer = routed_records(40)[:20], routed_records(40)[20:]
    store_as_schema_4(path, older)
    with sqlite3.connect(path) as con:
        old_dicts = {i for (i,) in con.execute("SELECT id FROM zdicts")}
    store = UsageStore(path)
    for r in newer:
        store.submit(r)
    store.flush()
    for r in older + newer:  # old rows read as before, new ones as packed
        assert_reads_as_routed(store.get(r.request_id), r)
    store.close()
    with sqlite3.connect(path) as con:
        stored = dict(con.execute("SELECT request_id, candidates FROM requests"))
    used = {int.from_bytes(stored[r.request_id][:4], "big") for r in newer}
    # a dictionary of the old lists would match the packed decisions poorly
    assert used and not used & old_dicts
