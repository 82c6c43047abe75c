"""The usage log: one SQLite row per request, written in batches off the request path.

`UsageStore.submit(record)` only appends a row to an in-memory queue; a writer thread
flushes the queue every `FLUSH_INTERVAL_S` (or once `FLUSH_ROWS` rows wait) with
one `executemany` in one transaction. The database runs in WAL mode with
``synchronous=NORMAL``: a crash or kill loses at most the rows still queued
(well under a second) and never corrupts the file. `close()` flushes everything.

Prompt text is never stored, except a truncated preview when the user turned
previews on (the engine decides; the record carries it). The classification's
signals and numeric features are kept as JSON so past traffic can be re-routed.

The schema is versioned with ``PRAGMA user_version``; `MIGRATIONS[i]` takes the
database from version i to i+1.

Queries (`recent`, `totals`, `overall`, `timeseries`, `spend_since`, `rows`,
`export_csv`) are synchronous and quick; the GUI calls them through
`asyncio.to_thread`.
"""

from __future__ import annotations

import csv
import json
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import compress, filterfalse, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal

from routerdesk.core import fastjson
from routerdesk.core.types import Candidate, Decision, UsageRecord

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 0.25
FLUSH_ROWS = 256

COLUMNS: tuple[str, ...] = (
    "request_id",
    "started_at",
    "client",
    "inbound",
    "requested_model",
    "strategy",
    "task",
    "confidence",
    "complexity",
    "tier",
    "model_id",
    "provider",
    "hops",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cost",
    "baseline_cost",
    "latency_ms",
    "overhead_ms",
    "ttft_ms",
    "status",
    "status_code",
    "error",
    "stream",
    "demo",
    "decision_primary",
    "decision_fallbacks",
    "decision_why",
    "decision_notes",
    "candidates",  # see candidates_summary
    "signals",
    "features",
    "preview",
    "est_prompt_tokens",  # replay re-routes from it (schema 2)
    "person",  # person token's name, NULL for the local token (schema 3)
)
JSON_COLUMNS = frozenset(
    {"hops", "decision_fallbacks", "decision_notes", "candidates", "signals", "features"}
)

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1
    """
    CREATE TABLE requests (
        request_id TEXT PRIMARY KEY,
        started_at REAL NOT NULL,
        client TEXT NOT NULL DEFAULT '',
        inbound TEXT NOT NULL DEFAULT '',
        requested_model TEXT NOT NULL DEFAULT '',
        strategy TEXT NOT NULL DEFAULT '',
        task TEXT NOT NULL DEFAULT '',
        confidence REAL NOT NULL DEFAULT 0,
        complexity REAL NOT NULL DEFAULT 0,
        tier TEXT NOT NULL DEFAULT '',
        model_id TEXT NOT NULL DEFAULT '',
        provider TEXT NOT NULL DEFAULT '',
        hops TEXT NOT NULL DEFAULT '[]',
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cached_input_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_tokens INTEGER NOT NULL DEFAULT 0,
        reasoning_tokens INTEGER NOT NULL DEFAULT 0,
        cost REAL NOT NULL DEFAULT 0,
        baseline_cost REAL NOT NULL DEFAULT 0,
        latency_ms REAL NOT NULL DEFAULT 0,
        overhead_ms REAL NOT NULL DEFAULT 0,
        ttft_ms REAL,
        status TEXT NOT NULL DEFAULT 'ok',
        status_code INTEGER NOT NULL DEFAULT 200,
        error TEXT NOT NULL DEFAULT '',
        stream INTEGER NOT NULL DEFAULT 0,
        demo INTEGER NOT NULL DEFAULT 0,
        decision_primary TEXT NOT NULL DEFAULT '',
        decision_fallbacks TEXT NOT NULL DEFAULT '[]',
        decision_why TEXT NOT NULL DEFAULT '',
        decision_notes TEXT NOT NULL DEFAULT '[]',
        candidates TEXT NOT NULL DEFAULT '[]',
        signals TEXT NOT NULL DEFAULT '[]',
        features TEXT NOT NULL DEFAULT '{}',
        preview TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX requests_started_at ON requests (started_at);
    """,
    # 1 -> 2: the router's prompt-size estimate, so `routerdesk replay` can re-route rows
    # whose call failed before any tokens were counted.
    """
    ALTER TABLE requests ADD COLUMN est_prompt_tokens INTEGER NOT NULL DEFAULT 0;
    """,
    # 2 -> 3: who sent it, on a team server with person tokens (NULL: the local token).
    """
    ALTER TABLE requests ADD COLUMN person TEXT;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

GroupBy = Literal["model_id", "task", "provider", "strategy", "client", "status", "person"]
_GROUPS: frozenset[str] = frozenset(
    {"model_id", "task", "provider", "strategy", "client", "status", "person"}
)


@dataclass(frozen=True, slots=True)
class Totals:
    key: str
    requests: int
    errors: int
    input_tokens: int
    output_tokens: int
    cost: float
    baseline_cost: float
    avg_latency_ms: float
    avg_overhead_ms: float

    @property
    def savings(self) -> float:
        return self.baseline_cost - self.cost


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    start: float  # bucket start, unix seconds
    requests: int
    cost: float
    baseline_cost: float

    @property
    def savings(self) -> float:
        return self.baseline_cost - self.cost


_KEPT = itemgetter(1)  # Candidate.kept


def candidates_summary(d: Decision) -> list[dict[str, Any]]:
    """Every candidate, compactly: kept ones one by one; dropped ones grouped by reason.

    Kept: ``{"model_id", "kept": true, "reason", "score", "est_cost"}``.
    Dropped: ``{"model_id": "a, b, c", "kept": false, "reason", "count": 3}`` — a 60-model
    registry would otherwise add kilobytes to every row.
    """
    cands = d.candidates
    kept = list(compress(cands, map(_KEPT, cands)))
    # Candidate's fields (model_id, kept, reason, score, est_cost) are the kept row's keys;
    # the dicts are built in C, one per kept model on every request.
    out: list[dict[str, Any]] = list(map(dict, map(zip, repeat(Candidate._fields), kept)))
    if len(kept) == len(cands):
        return out
    dropped: dict[str, list[str]] = {}
    for c in filterfalse(_KEPT, cands):
        dropped.setdefault(c.reason, []).append(c.model_id)
    for reason, ids in dropped.items():
        out.append({"model_id": ", ".join(ids), "kept": False, "reason": reason, "count": len(ids)})
    return out


def record_row(r: UsageRecord) -> tuple[Any, ...]:
    """The record as a row in `COLUMNS` order."""
    d, c, u = r.decision, r.classification, r.usage
    dumps = fastjson.dumps_str
    return (
        r.request_id,
        r.started_at,
        r.client,
        r.inbound,
        r.requested_model,
        r.strategy,
        r.task,
        r.confidence,
        r.complexity,
        r.tier,
        r.model_id,
        r.provider,
        dumps(
            [
                {
                    "model_id": h.model_id,
                    "provider": h.provider,
                    "status": h.status,
                    "error": h.error,
                    "ms": round(h.ms, 2),
                }
                for h in r.hops
            ]
        ),
        u.input_tokens,
        u.output_tokens,
        u.cached_input_tokens,
        u.cache_write_tokens,
        u.reasoning_tokens,
        r.cost,
        r.baseline_cost,
        r.latency_ms,
        r.overhead_ms,
        r.ttft_ms,
        r.status,
        r.status_code,
        r.error,
        int(r.stream),
        int(r.demo),
        d.primary if d else "",
        dumps(d.fallbacks if d else []),
        d.why if d else "",
        dumps(d.notes if d else []),
        dumps(candidates_summary(d) if d else []),
        dumps(c.signals if c else []),
        dumps(c.features if c else {}),
        r.preview,
        d.est_prompt_tokens if d else 0,
        r.person or None,
    )


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema to `SCHEMA_VERSION`, one migration per transaction."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"usage database schema {version} is newer than this routerdesk ({SCHEMA_VERSION}); upgrade routerdesk"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[target - 1].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={target}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


class UsageStore:
    """Batched writer and query API over the usage database."""

    def __init__(self, path: Path, *, flush_interval_s: float = FLUSH_INTERVAL_S) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._write_conn = _connect(path)
        migrate(self._write_conn)
        self._read_conn = _connect(path)
        self._read_lock = threading.Lock()
        self._queue: deque[tuple[Any, ...]] = deque()
        self._wake = threading.Condition()
        self._flushed = threading.Condition()
        self._submitted = 0
        self._written = 0
        self._interval = flush_interval_s
        self._closing = False
        self._insert = f"INSERT OR REPLACE INTO requests ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        self._thread = threading.Thread(target=self._run, name="usage-writer", daemon=True)
        self._thread.start()

    # --- writing -----------------------------------------------------------------

    def submit(self, record: UsageRecord) -> None:
        """Queue one record as a row; never blocks on disk.

        The row is built here, on the caller's thread, so the writer thread runs
        almost no Python: Python's garbage collector runs on whichever thread
        allocates, and the desktop app must not have Qt objects collected off
        the GUI thread.
        """
        self._queue.append(record_row(record))
        self._submitted += 1
        if len(self._queue) >= FLUSH_ROWS:
            with self._wake:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                if not self._closing and len(self._queue) < FLUSH_ROWS:
                    self._wake.wait(self._interval)
                closing = self._closing
            self._write_pending()
            if closing and not self._queue:
                return

    def _write_pending(self) -> None:
        batch: list[tuple[Any, ...]] = []
        while self._queue:
            batch.append(self._queue.popleft())
        if batch:
            try:
                self._write_conn.execute("BEGIN")
                self._write_conn.executemany(self._insert, batch)
                self._write_conn.execute("COMMIT")
            except Exception:
                log.exception("could not write %d usage rows", len(batch))
                if self._write_conn.in_transaction:
                    self._write_conn.execute("ROLLBACK")
        with self._flushed:
            self._written += len(batch)
            self._flushed.notify_all()

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything submitted so far is on disk."""
        target = self._submitted
        with self._wake:
            self._wake.notify()
        deadline = time.monotonic() + timeout
        with self._flushed:
            while self._written < target and self._thread.is_alive():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._flushed.wait(left)

    def close(self) -> None:
        """Flush every queued row and close the database."""
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._thread.join(timeout=30)
        self._write_pending()
        self._write_conn.close()
        with self._read_lock:
            self._read_conn.close()

    def prune(self, retention_days: int, now: float | None = None) -> int:
        """Delete rows older than `retention_days`; returns how many went."""
        cutoff = (now if now is not None else time.time()) - retention_days * 86400
        with self._read_lock:
            cur = self._read_conn.execute("DELETE FROM requests WHERE started_at < ?", (cutoff,))
            return cur.rowcount

    # --- reading -----------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._read_lock:
            self._read_conn.row_factory = sqlite3.Row
            return self._read_conn.execute(sql, params).fetchall()

    def recent(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Newest rows first, JSON columns decoded."""
        rows = self._query(
            "SELECT * FROM requests ORDER BY started_at DESC LIMIT ? OFFSET ?", (limit, offset)
        )
        return [_decode(r) for r in rows]

    def get(self, request_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM requests WHERE request_id = ?", (request_id,))
        return _decode(rows[0]) if rows else None

    def rows(self, since: float | None = None) -> Iterator[dict[str, Any]]:
        """Every row since `since`, oldest first (for export and re-routing)."""
        for r in self._query(
            "SELECT * FROM requests WHERE started_at >= ? ORDER BY started_at", (since or 0.0,)
        ):
            yield _decode(r)

    # Demo rows carry simulated costs (what the answer would have cost for real):
    # every aggregate looks at real rows or demo rows, never both mixed.

    def totals(
        self, by: GroupBy = "model_id", since: float | None = None, *, demo: bool = False
    ) -> list[Totals]:
        """Per-`by` totals since `since`, biggest spend first."""
        if by not in _GROUPS:
            raise ValueError(f"cannot group by {by!r}")
        rows = self._query(
            f"SELECT {by} AS key, {_AGGREGATES} FROM requests WHERE started_at >= ? AND demo = ? "
            f"GROUP BY {by} ORDER BY cost DESC, requests DESC",
            (since or 0.0, int(demo)),
        )
        return [_totals(r) for r in rows]

    def overall(self, since: float | None = None, *, demo: bool = False) -> Totals:
        rows = self._query(
            f"SELECT 'all' AS key, {_AGGREGATES} FROM requests WHERE started_at >= ? AND demo = ?",
            (since or 0.0, int(demo)),
        )
        return _totals(rows[0])

    def timeseries(
        self, since: float, bucket_s: float = 3600.0, *, demo: bool = False
    ) -> list[SeriesPoint]:
        """Requests, spend and baseline spend per time bucket, oldest first (empty buckets left out)."""
        rows = self._query(
            "SELECT CAST(started_at / ? AS INTEGER) * ? AS bucket, COUNT(*) AS n, "
            "TOTAL(cost) AS cost, TOTAL(baseline_cost) AS base FROM requests "
            "WHERE started_at >= ? AND demo = ? GROUP BY bucket ORDER BY bucket",
            (bucket_s, bucket_s, since, int(demo)),
        )
        return [
            SeriesPoint(float(r["bucket"]), int(r["n"]), float(r["cost"]), float(r["base"]))
            for r in rows
        ]

    def spend_since(self, since: float) -> float:
        """Real money spent since `since` (demo rows excluded): what budgets count."""
        rows = self._query(
            "SELECT TOTAL(cost) FROM requests WHERE started_at >= ? AND demo = 0", (since,)
        )
        return float(rows[0][0])

    def spend_by_person_since(self, since: float) -> dict[str, float]:
        """Real money spent since `since` per person token (per-person budgets)."""
        rows = self._query(
            "SELECT person, TOTAL(cost) FROM requests WHERE started_at >= ? AND demo = 0 "
            "AND person IS NOT NULL GROUP BY person",
            (since,),
        )
        return {str(r[0]): float(r[1]) for r in rows}

    def export_csv(self, path: Path, since: float | None = None) -> int:
        """Write every row since `since` to a CSV file; returns the row count."""
        n = 0
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for r in self._query(
                "SELECT * FROM requests WHERE started_at >= ? ORDER BY started_at", (since or 0.0,)
            ):
                writer.writerow([r[c] for c in COLUMNS])
                n += 1
        return n


_AGGREGATES = (
    "COUNT(*) AS requests, SUM(status != 'ok') AS errors, TOTAL(input_tokens) AS input_tokens, "
    "TOTAL(output_tokens) AS output_tokens, TOTAL(cost) AS cost, TOTAL(baseline_cost) AS baseline_cost, "
    "AVG(latency_ms) AS avg_latency_ms, AVG(overhead_ms) AS avg_overhead_ms"
)


def _totals(r: sqlite3.Row) -> Totals:
    return Totals(
        key="" if r["key"] is None else str(r["key"]),  # NULL person: the local token
        requests=int(r["requests"] or 0),
        errors=int(r["errors"] or 0),
        input_tokens=int(r["input_tokens"] or 0),
        output_tokens=int(r["output_tokens"] or 0),
        cost=float(r["cost"] or 0.0),
        baseline_cost=float(r["baseline_cost"] or 0.0),
        avg_latency_ms=float(r["avg_latency_ms"] or 0.0),
        avg_overhead_ms=float(r["avg_overhead_ms"] or 0.0),
    )


def _decode(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    for col in JSON_COLUMNS:
        if col in out and isinstance(out[col], str):
            out[col] = json.loads(out[col])
    out["stream"] = bool(out.get("stream"))
    out["demo"] = bool(out.get("demo"))
    return out
