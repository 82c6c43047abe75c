"""The usage log: one SQLite row per request, written in batches off the request path.

`UsageStore.submit(record)` only appends a row to an in-memory queue; a writer thread
flushes the queue every `FLUSH_INTERVAL_S` (or once `FLUSH_ROWS` rows wait) with
one `executemany` in one transaction. The database runs in WAL mode with
``synchronous=NORMAL``: a crash or kill loses at most the rows still queued
and never corrupts the file. `close()` flushes everything.

The queue is bounded: at most `MAX_BACKLOG` rows (about a second of the
server's peak throughput, `benchmarks/bench_usage.py`) wait in memory. The
engine awaits `wait_for_room()` before it takes a new request while the
queue is full, so a slow disk slows the intake instead of growing memory or
dropping rows; `submit` itself blocks once the queue reaches twice that (rows
of requests already in flight). So a kill -9 loses at most about a second of rows.

Rows are small (~0.8 KB on average on mixed traffic, dictionaries included;
`benchmarks/bench_usage.py`): the decision, most of a row's bytes, is packed
column by column (`storage/stored_decision.py`) and deflated against a
dictionary (`storage/compact.py`), losslessly.
The file is created with mode 0600 (it can hold prompt previews).

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

import asyncio
import csv
import json
import logging
import os
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
from routerdesk.core.redact import scrub
from routerdesk.core.types import Candidate, Decision, UsageRecord
from routerdesk.storage import stored_decision
from routerdesk.storage.compact import SCHEMA as ZDICTS_SCHEMA
from routerdesk.storage.compact import CandidateCodec

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 0.25
FLUSH_ROWS = 256
MAX_BACKLOG = 2_000  # rows queued in memory before the intake is slowed

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
    "decision_fallbacks",  # "[]" since schema 5: packed with the candidates
    "decision_why",  # "" since schema 5: packed with the candidates
    "decision_notes",
    "candidates",  # candidates_summary; since schema 5 with the why and fallbacks (stored_decision.py)
    "signals",
    "features",
    "preview",
    "est_prompt_tokens",  # replay re-routes from it (schema 2)
    "person",  # person token's name, NULL for the local token (schema 4)
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
    # 2 -> 3: dictionaries the candidate lists are compressed against (storage/compact.py)
    ZDICTS_SCHEMA,
    # 3 -> 4: who sent it, on a team server with person tokens (NULL: the local token).
    """
    ALTER TABLE requests ADD COLUMN person TEXT;
    """,
    # 4 -> 5: the decision packed column by column into `candidates` (storage/stored_decision.py).
    # Nothing to alter; the version keeps an older routerdesk, which would misread them, away.
    "",
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

    What readers get in a row's ``candidates``. Rows before schema 5 stored this list;
    the writer now packs the decision (`stored_decision.pack`), which reads back as this.
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


def record_row(r: UsageRecord) -> list[Any]:
    """The record as a row in `COLUMNS` order (a list: the writer compresses the candidates in place)."""
    d, c, u = r.decision, r.classification, r.usage
    dumps = fastjson.dumps_str
    return [
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
                    "error": scrub(h.error),
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
        scrub(r.error),
        int(r.stream),
        int(r.demo),
        d.primary if d else "",
        "[]",  # the why and the fallbacks are packed with the candidates
        "",
        dumps(d.notes if d else []),
        stored_decision.pack(d) if d else "[]",
        dumps(c.signals if c else []),
        dumps(c.features if c else {}),
        scrub(r.preview),
        d.est_prompt_tokens if d else 0,
        r.person or None,
    ]


_CANDIDATES = COLUMNS.index("candidates")
_FEATURES = COLUMNS.index("features")
# storage/compact.py; the signals too: the learned classifier explains itself in ~250 bytes
COMPRESSED_COLUMNS = ("candidates", "signals", "features")
_ALSO_COMPRESSED = tuple(COLUMNS.index(c) for c in COMPRESSED_COLUMNS[1:])


def _create_private(path: Path) -> None:
    """Create the database file 0600 before SQLite does (its -wal and -shm files copy the
    mode); tighten an older file's mode too."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


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

    # The one query that is not portable SQL: a start time's time bucket (``?`` = seconds).
    _BUCKET = "CAST(started_at / ? AS INTEGER) * ?"

    def __init__(self, path: Path, *, flush_interval_s: float = FLUSH_INTERVAL_S) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_private(path)
        self._write_conn = _connect(path)
        migrate(self._write_conn)
        self._codec = CandidateCodec(layout=stored_decision.LAYOUT)
        self._codec.load(self._write_conn)
        self._read_conn = _connect(path)
        self._read_lock = threading.Lock()
        self._insert = f"INSERT OR REPLACE INTO requests ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        self._start_writer(flush_interval_s, "usage-writer")

    def _start_writer(self, flush_interval_s: float, name: str) -> None:
        """The bounded queue and the writer thread (PgUsageStore shares them)."""
        self._queue: deque[list[Any]] = deque()
        self.max_backlog = MAX_BACKLOG
        self._wake = threading.Condition()
        self._flushed = threading.Condition()
        self._submitted = 0
        self._written = 0
        self._interval = flush_interval_s
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # --- writing -----------------------------------------------------------------

    def submit(self, record: UsageRecord) -> None:
        """Queue one record as a row; never blocks on disk.

        The row is built here, on the caller's thread, so the writer thread runs
        almost no Python: Python's garbage collector runs on whichever thread
        allocates, and the desktop app must not have Qt objects collected off
        the GUI thread.
        """
        row = record_row(record)
        if self._submitted - self._written >= 2 * self.max_backlog:
            self._wait_below(self.max_backlog)
        self._queue.append(row)
        self._submitted += 1
        if len(self._queue) >= FLUSH_ROWS:
            with self._wake:
                self._wake.notify()

    @property
    def backlog(self) -> int:
        """Rows in memory, not yet committed (queued, or in the batch being written)."""
        return self._submitted - self._written

    async def wait_for_room(self) -> None:
        """Return once the backlog is below `max_backlog` (at once, normally): the
        engine awaits this before taking a request, so a slow disk slows the intake."""
        while self._submitted - self._written >= self.max_backlog and self._thread.is_alive():
            with self._wake:
                self._wake.notify()
            await asyncio.sleep(0.005)

    def _wait_below(self, rows: int) -> None:
        """Block the caller until the writer has the backlog below `rows` (last resort)."""
        with self._wake:
            self._wake.notify()
        deadline = time.monotonic() + 30.0
        with self._flushed:
            while self._submitted - self._written >= rows and self._thread.is_alive():
                left = deadline - time.monotonic()
                if left <= 0:
                    log.error("the usage log writer is stuck; %d rows wait", len(self._queue))
                    return
                self._flushed.wait(min(left, 0.05))

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
        batch: list[list[Any]] = []
        while self._queue and len(batch) < 4 * FLUSH_ROWS:  # others wait on a short transaction
            batch.append(self._queue.popleft())
        if batch:
            conn = self._write_conn
            try:
                conn.execute("BEGIN")
                for row in batch:
                    self._compact(conn, row)
                self._write_conn.executemany(self._insert, batch)
                self._write_conn.execute("COMMIT")
            except Exception:
                log.exception("could not write %d usage rows", len(batch))
                if self._write_conn.in_transaction:
                    self._write_conn.execute("ROLLBACK")
                self._codec.load(conn)  # a dictionary made in the failed batch is gone
        with self._flushed:
            self._written += len(batch)
            self._flushed.notify_all()

    def _compact(self, conn: Any, row: list[Any]) -> None:
        """Compress a row's candidates, signals and features (storage/compact.py) inside the
        batch's transaction; in place: no new containers on this thread (see submit)."""
        compress = self._codec.compress
        text = row[_CANDIDATES]
        if len(text) > 64:
            seed = "".join(map(row.__getitem__, _ALSO_COMPRESSED))
            row[_CANDIDATES] = compress(conn, text, seed)
        for i in _ALSO_COMPRESSED:
            if len(row[i]) > 64:
                row[i] = compress(conn, row[i])

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
        while self._queue:
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
        return [self._decode(r) for r in rows]

    def get(self, request_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM requests WHERE request_id = ?", (request_id,))
        return self._decode(rows[0]) if rows else None

    def rows(self, since: float | None = None) -> Iterator[dict[str, Any]]:
        """Every row since `since`, oldest first (for export and re-routing)."""
        for r in self._query(
            "SELECT * FROM requests WHERE started_at >= ? ORDER BY started_at", (since or 0.0,)
        ):
            yield self._decode(r)

    def _expanded(self, row: sqlite3.Row) -> dict[str, Any]:
        """The compressed columns of a row as JSON text (rows stored as text need nothing),
        and a packed decision as the columns it stands for, decoded."""
        out: dict[str, Any] = {}
        with self._read_lock:
            for col in COMPRESSED_COLUMNS:
                value = row[col]
                if isinstance(value, bytes):
                    out[col] = self._codec.expand(self._read_conn, value)
        packed = out.get("candidates", row["candidates"])
        if packed.startswith(stored_decision.LAYOUT):
            out.update(stored_decision.unpack(packed))
        return out

    def _decode(self, row: sqlite3.Row) -> dict[str, Any]:
        return _decode(row, self._expanded(row))

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
            f"SELECT {self._BUCKET} AS bucket, COUNT(*) AS n, "
            "COALESCE(SUM(cost), 0) AS cost, COALESCE(SUM(baseline_cost), 0) AS base "
            "FROM requests WHERE started_at >= ? AND demo = ? GROUP BY bucket ORDER BY bucket",
            (bucket_s, bucket_s, since, int(demo)),
        )
        return [
            SeriesPoint(float(r["bucket"]), int(r["n"]), float(r["cost"]), float(r["base"]))
            for r in rows
        ]

    def spend_since(self, since: float) -> float:
        """Real money spent since `since` (demo rows excluded): what budgets count."""
        rows = self._query(
            "SELECT COALESCE(SUM(cost), 0) AS s FROM requests WHERE started_at >= ? AND demo = 0",
            (since,),
        )
        return float(rows[0]["s"])

    def spend_by_person_since(self, since: float) -> dict[str, float]:
        """Real money spent since `since` per person token (per-person budgets)."""
        rows = self._query(
            "SELECT person, COALESCE(SUM(cost), 0) AS s FROM requests WHERE started_at >= ? "
            "AND demo = 0 AND person IS NOT NULL GROUP BY person",
            (since,),
        )
        return {str(r["person"]): float(r["s"]) for r in rows}

    def export_csv(self, path: Path, since: float | None = None) -> int:
        """Write every row since `since` to a CSV file; returns the row count."""
        n = 0
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for r in self._query(
                "SELECT * FROM requests WHERE started_at >= ? ORDER BY started_at", (since or 0.0,)
            ):
                # rows are scrubbed when written; exports are scrubbed again in case an
                # older routerdesk stored something it did not recognise as a key
                expanded = self._expanded(r)
                values = [_as_text(expanded.get(c, r[c])) for c in COLUMNS]
                writer.writerow([scrub(v) if isinstance(v, str) else v for v in values])
                n += 1
        return n


# Portable SQL: the PostgreSQL store (usage_pg) runs these same queries.
_AGGREGATES = (
    "COUNT(*) AS requests, SUM(CASE WHEN status <> 'ok' THEN 1 ELSE 0 END) AS errors, "
    "COALESCE(SUM(input_tokens), 0) AS input_tokens, "
    "COALESCE(SUM(output_tokens), 0) AS output_tokens, COALESCE(SUM(cost), 0) AS cost, "
    "COALESCE(SUM(baseline_cost), 0) AS baseline_cost, "
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


def _as_text(value: Any) -> Any:
    """A column's value as the CSV export writes it: decoded JSON as the writer stored it."""
    return fastjson.dumps_str(value) if isinstance(value, list | dict) else value


def _decode(row: sqlite3.Row, expanded: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out.update(expanded)
    for col in JSON_COLUMNS:
        if col in out and isinstance(out[col], str):
            out[col] = json.loads(out[col])
    out["stream"] = bool(out.get("stream"))
    out["demo"] = bool(out.get("demo"))
    return out
