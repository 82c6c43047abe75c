"""The usage log: batched writes, every field round-trips, queries, retention, export, crash safety."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from routerdesk.core.types import Candidate, Classification, Decision, Hop, Usage, UsageRecord
from routerdesk.storage.usage import COLUMNS, SCHEMA_VERSION, UsageStore, candidates_summary


def record(i: int, **kw: object) -> UsageRecord:
    base = dict(
        request_id=f"r{i}",
        started_at=kw.pop("started_at", 1_700_000_000.0 + i),
        client="pytest/1.0",
        inbound="openai",
        requested_model="auto",
        strategy="balanced",
        task="code_generation",
        confidence=0.8,
        complexity=0.4,
        tier="l1",
        model_id="oa-mini",
        provider="openai",
        usage=Usage(100, 20, 10, 5, 3),
        cost=0.001,
        baseline_cost=0.01,
        latency_ms=120.0,
        overhead_ms=0.4,
        ttft_ms=50.0,
    )
    base.update(kw)
    return UsageRecord(**base)  # type: ignore[arg-type]


def test_every_field_round_trips(tmp_path: Path) -> None:
    store = UsageStore(tmp_path / "u.db")
    rec = record(
        1,
        hops=[Hop("oa-big", "openai", 503, "overloaded", 12.5)],
        decision=Decision(
            "balanced",
            "oa-mini",
            ["an-mini"],
            [Candidate("oa-mini", True, "qualified", 3.0, 0.002)],
            "why",
            ["n"],
        ),
        classification=Classification(
            "code_generation", 0.8, 0.4, "l1", ["code fence"], {"chars": 42.0}
        ),
        stream=True,
        demo=True,
        status="error",
        status_code=502,
        error="boom",
        preview="hello",
    )
    store.submit(rec)
    store.flush()
    row = store.get("r1")
    assert row is not None
    assert row["hops"] == [
        {
            "model_id": "oa-big",
            "provider": "openai",
            "status": 503,
            "error": "overloaded",
            "ms": 12.5,
        }
    ]
    assert row["candidates"] == [
        {
            "model_id": "oa-mini",
            "kept": True,
            "reason": "qualified",
            "score": 3.0,
            "est_cost": 0.002,
        }
    ]
    assert row["decision_fallbacks"] == ["an-mini"]
    assert row["signals"] == ["code fence"] and row["features"] == {"chars": 42.0}
    assert (
        row["input_tokens"],
        row["output_tokens"],
        row["cached_input_tokens"],
        row["cache_write_tokens"],
        row["reasoning_tokens"],
    ) == (100, 20, 10, 5, 3)
    assert row["stream"] is True and row["demo"] is True
    assert row["status"] == "error" and row["status_code"] == 502 and row["error"] == "boom"
    assert row["preview"] == "hello" and row["ttft_ms"] == 50.0
    assert set(COLUMNS) <= set(row)
    store.close()


def test_writes_are_batched_off_the_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writers: list[tuple[int, int]] = []  # (thread, rows written) per batch
    real = UsageStore._write_pending

    def spy(self: UsageStore) -> None:
        pending = len(self._queue)
        real(self)
        if pending:
            writers.append((threading.get_ident(), pending))

    monkeypatch.setattr(UsageStore, "_write_pending", spy)
    store = UsageStore(tmp_path / "u.db", flush_interval_s=10.0)
    for i in range(1000):
        store.submit(record(i))
    store.close()  # flushes everything
    # no disk work on the caller's side, and rows go to disk in batches, not one by one
    assert writers and threading.get_ident() not in {t for t, _ in writers}
    assert sum(n for _, n in writers) == 1000 and len(writers) < 100
    reopened = UsageStore(tmp_path / "u.db")
    assert reopened.overall().requests == 1000
    reopened.close()


def test_queries(tmp_path: Path) -> None:
    store = UsageStore(tmp_path / "u.db")
    store.submit(
        record(1, model_id="a", task="simple_qa", cost=1.0, baseline_cost=3.0, started_at=1000.0)
    )
    store.submit(
        record(
            2, model_id="a", task="code_generation", cost=1.0, baseline_cost=3.0, started_at=2000.0
        )
    )
    store.submit(
        record(
            3,
            model_id="b",
            task="simple_qa",
            cost=5.0,
            baseline_cost=5.0,
            started_at=4000.0,
            status="error",
        )
    )
    store.flush()
    by_model = {t.key: t for t in store.totals("model_id")}
    assert by_model["a"].requests == 2 and by_model["a"].savings == 4.0
    assert by_model["b"].errors == 1
    assert [t.key for t in store.totals("task", since=1500.0)] == ["simple_qa", "code_generation"]
    assert store.overall().cost == 7.0
    series = store.timeseries(since=0.0, bucket_s=3600.0)
    assert sum(p.requests for p in series) == 3
    assert [r["request_id"] for r in store.recent(2)] == ["r3", "r2"]
    assert store.spend_since(1500.0) == 6.0
    store.close()


def test_retention_prunes_old_rows(tmp_path: Path) -> None:
    store = UsageStore(tmp_path / "u.db")
    now = time.time()
    store.submit(record(1, started_at=now - 100 * 86400))
    store.submit(record(2, started_at=now - 86400))
    store.flush()
    assert store.prune(90, now=now) == 1
    assert [r["request_id"] for r in store.recent()] == ["r2"]
    store.close()


def test_export_csv(tmp_path: Path) -> None:
    store = UsageStore(tmp_path / "u.db")
    store.submit(record(1))
    store.submit(record(2))
    store.flush()
    out = tmp_path / "u.csv"
    assert store.export_csv(out) == 2
    rows = list(csv.DictReader(out.open()))
    assert [r["request_id"] for r in rows] == ["r1", "r2"]
    assert rows[0]["model_id"] == "oa-mini"
    store.close()


def test_schema_is_versioned_and_wal(tmp_path: Path) -> None:
    UsageStore(tmp_path / "u.db").close()
    conn = sqlite3.connect(tmp_path / "u.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


WRITER = textwrap.dedent(
    """
    import sys, time
    from routerdesk.core.types import UsageRecord
    from routerdesk.storage.usage import UsageStore
    store = UsageStore(__import__("pathlib").Path(sys.argv[1]))
    print("ready", flush=True)
    i = 0
    while True:
        store.submit(UsageRecord(f"r{i:07d}", time.time(), "", "openai", "auto", "", "", 0, 0, "", "m", "p"))
        i += 1
        time.sleep(0.002)
    """
)


def test_sigkill_loses_at_most_the_last_second(tmp_path: Path) -> None:
    db = tmp_path / "u.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, env=os.environ.copy()
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    time.sleep(2.0)
    killed_at = time.time()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = [r[0] for r in conn.execute("SELECT request_id FROM requests ORDER BY request_id")]
    newest = conn.execute("SELECT MAX(started_at) FROM requests").fetchone()[0]
    conn.close()
    assert len(ids) > 100
    assert ids == [f"r{i:07d}" for i in range(len(ids))]  # no gaps: a prefix survived
    assert killed_at - newest <= 1.0


def test_dropped_candidates_are_grouped_and_rows_rebuild(tmp_path: Path) -> None:
    from routerdesk.gui.models.usage_rows import record_from_row  # the GUI's reader of these rows

    cands = [Candidate("k", True, "qualified", 4.0, 0.1)] + [
        Candidate(f"m{i}", False, "no API key for google" if i % 2 else "lacks vision")
        for i in range(40)
    ]
    store = UsageStore(tmp_path / "u.db")
    store.submit(record(1, decision=Decision("balanced", "k", [], cands, "why")))
    store.flush()
    row = store.get("r1")
    assert row is not None
    assert len(row["candidates"]) == 3
    assert {c["reason"]: c["count"] for c in row["candidates"] if not c["kept"]} == {
        "lacks vision": 20,
        "no API key for google": 20,
    }
    rebuilt = record_from_row(row)
    assert rebuilt.decision is not None and rebuilt.decision.candidates[0].model_id == "k"
    store.close()


def test_candidates_summary_keeps_kept_ones_and_groups_dropped_ones_by_reason() -> None:
    d = Decision(
        strategy="cheapest",
        primary="a",
        candidates=[
            Candidate("a", True, "primary: simple_qa score 3, est $0.000010", 3.0, 1e-5),
            Candidate("x", False, "disabled in the registry"),
            Candidate("b", True, "fallback 1", 4.0, 2e-5),
            Candidate("y", False, "no API key for xai"),
            Candidate("z", False, "disabled in the registry"),
        ],
    )
    assert candidates_summary(d) == [
        {
            "model_id": "a",
            "kept": True,
            "reason": "primary: simple_qa score 3, est $0.000010",
            "score": 3.0,
            "est_cost": 1e-5,
        },
        {"model_id": "b", "kept": True, "reason": "fallback 1", "score": 4.0, "est_cost": 2e-5},
        {"model_id": "x, z", "kept": False, "reason": "disabled in the registry", "count": 2},
        {"model_id": "y", "kept": False, "reason": "no API key for xai", "count": 1},
    ]
    all_kept = Decision(strategy="best", primary="a", candidates=[Candidate("a", True, "p")])
    assert candidates_summary(all_kept) == [
        {"model_id": "a", "kept": True, "reason": "p", "score": 0.0, "est_cost": 0.0}
    ]
