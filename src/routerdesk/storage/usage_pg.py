"""The usage log in PostgreSQL, for a team server (`settings.toml [storage] url`).

Same rows (`usage.COLUMNS`, built by `usage.record_row`), same batching (a
writer thread, one pipelined ``executemany`` per batch, off the request path)
and the same query API as the SQLite `UsageStore`, so the commands, the engine
and the runtime use either through `open_usage_store`. Several routerdesk
instances and workers can write one database.

The schema is versioned in ``routerdesk_schema`` (PostgreSQL's own numbering,
not SQLite's ``user_version``); migrations run under a transaction-level
advisory lock, so instances starting together never race. Types are chosen so
values read back exactly as SQLite gives them: DOUBLE PRECISION for REAL,
BIGINT for INTEGER, JSON columns as TEXT.

The URL never holds a password (settings validation refuses one): libpq reads
PGPASSWORD or ~/.pgpass, or the server trusts the local user.
"""

from __future__ import annotations

import csv
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg.rows import dict_row

from routerdesk.storage.usage import (
    _GROUPS,
    COLUMNS,
    FLUSH_INTERVAL_S,
    GroupBy,
    SeriesPoint,
    Totals,
    UsageStore,
    _decode,
    _totals,
)

log = logging.getLogger(__name__)

# routerdesk_schema version i -> i+1
PG_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE requests (
        request_id TEXT PRIMARY KEY,
        started_at DOUBLE PRECISION NOT NULL,
        client TEXT NOT NULL DEFAULT '',
        inbound TEXT NOT NULL DEFAULT '',
        requested_model TEXT NOT NULL DEFAULT '',
        strategy TEXT NOT NULL DEFAULT '',
        task TEXT NOT NULL DEFAULT '',
        confidence DOUBLE PRECISION NOT NULL DEFAULT 0,
        complexity DOUBLE PRECISION NOT NULL DEFAULT 0,
        tier TEXT NOT NULL DEFAULT '',
        model_id TEXT NOT NULL DEFAULT '',
        provider TEXT NOT NULL DEFAULT '',
        hops TEXT NOT NULL DEFAULT '[]',
        input_tokens BIGINT NOT NULL DEFAULT 0,
        output_tokens BIGINT NOT NULL DEFAULT 0,
        cached_input_tokens BIGINT NOT NULL DEFAULT 0,
        cache_write_tokens BIGINT NOT NULL DEFAULT 0,
        reasoning_tokens BIGINT NOT NULL DEFAULT 0,
        cost DOUBLE PRECISION NOT NULL DEFAULT 0,
        baseline_cost DOUBLE PRECISION NOT NULL DEFAULT 0,
        latency_ms DOUBLE PRECISION NOT NULL DEFAULT 0,
        overhead_ms DOUBLE PRECISION NOT NULL DEFAULT 0,
        ttft_ms DOUBLE PRECISION,
        status TEXT NOT NULL DEFAULT 'ok',
        status_code BIGINT NOT NULL DEFAULT 200,
        error TEXT NOT NULL DEFAULT '',
        stream BIGINT NOT NULL DEFAULT 0,
        demo BIGINT NOT NULL DEFAULT 0,
        decision_primary TEXT NOT NULL DEFAULT '',
        decision_fallbacks TEXT NOT NULL DEFAULT '[]',
        decision_why TEXT NOT NULL DEFAULT '',
        decision_notes TEXT NOT NULL DEFAULT '[]',
        candidates TEXT NOT NULL DEFAULT '[]',
        signals TEXT NOT NULL DEFAULT '[]',
        features TEXT NOT NULL DEFAULT '{}',
        preview TEXT NOT NULL DEFAULT '',
        est_prompt_tokens BIGINT NOT NULL DEFAULT 0,
        person TEXT
    );
    CREATE INDEX requests_started_at ON requests (started_at);
    """,
    # 1 -> 2: person tokens shared by every instance (storage/people_pg.py)
    """
    CREATE TABLE person_tokens (
        name TEXT PRIMARY KEY,
        token_sha256 TEXT NOT NULL UNIQUE,
        budget_daily_usd DOUBLE PRECISION,
        created_at DOUBLE PRECISION NOT NULL,
        revoked_at DOUBLE PRECISION
    );
    """,
)
PG_SCHEMA_VERSION = len(PG_MIGRATIONS)
_LOCK_ID = 0x726F7574  # advisory lock key for migrations ("rout")

_AGGREGATES = (
    "COUNT(*) AS requests, SUM(CASE WHEN status <> 'ok' THEN 1 ELSE 0 END) AS errors, "
    "COALESCE(SUM(input_tokens), 0) AS input_tokens, "
    "COALESCE(SUM(output_tokens), 0) AS output_tokens, COALESCE(SUM(cost), 0) AS cost, "
    "COALESCE(SUM(baseline_cost), 0) AS baseline_cost, "
    "AVG(latency_ms) AS avg_latency_ms, AVG(overhead_ms) AS avg_overhead_ms"
)


def migrate(conn: psycopg.Connection[Any]) -> None:
    """Bring the schema to `PG_SCHEMA_VERSION`; safe with several instances starting at once."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        conn.execute("CREATE TABLE IF NOT EXISTS routerdesk_schema (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM routerdesk_schema").fetchone()
        version = int(row[0]) if row else 0
        if row is None:
            conn.execute("INSERT INTO routerdesk_schema (version) VALUES (0)")
        if version > PG_SCHEMA_VERSION:
            raise RuntimeError(
                f"usage database schema {version} is newer than this routerdesk "
                f"({PG_SCHEMA_VERSION}); upgrade routerdesk"
            )
        for target in range(version + 1, PG_SCHEMA_VERSION + 1):
            for statement in PG_MIGRATIONS[target - 1].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("UPDATE routerdesk_schema SET version = %s", (target,))


class PgUsageStore(UsageStore):
    """`UsageStore` over PostgreSQL: the queue, writer thread, flush and close are inherited;
    connecting, the batch write and the SQL of each query are PostgreSQL's."""

    def __init__(self, url: str, *, flush_interval_s: float = FLUSH_INTERVAL_S) -> None:
        self.url = url
        self.path = Path(urlsplit(url).path.lstrip("/") or "postgresql")  # a name for messages
        self._write_conn = psycopg.connect(url, autocommit=True)  # type: ignore[assignment]
        migrate(self._write_conn)  # type: ignore[arg-type]
        self._read_conn = psycopg.connect(url, autocommit=True, row_factory=dict_row)  # type: ignore[assignment]
        self._read_lock = threading.Lock()
        self._queue = deque()
        self._wake = threading.Condition()
        self._flushed = threading.Condition()
        self._submitted = 0
        self._written = 0
        self._interval = flush_interval_s
        self._closing = False
        cols = ", ".join(COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[1:])
        self._insert = (
            f"INSERT INTO requests ({cols}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
            f"ON CONFLICT (request_id) DO UPDATE SET {updates}"
        )
        self._thread = threading.Thread(target=self._run, name="usage-writer-pg", daemon=True)
        self._thread.start()

    def _write_pending(self) -> None:
        batch: list[tuple[Any, ...]] = []
        while self._queue:
            batch.append(self._queue.popleft())
        if batch:
            conn: psycopg.Connection[Any] = self._write_conn  # type: ignore[assignment]
            try:
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(self._insert, batch)
            except Exception:
                log.exception("could not write %d usage rows", len(batch))
        with self._flushed:
            self._written += len(batch)
            self._flushed.notify_all()

    def prune(self, retention_days: int, now: float | None = None) -> int:
        cutoff = (now if now is not None else time.time()) - retention_days * 86400
        with self._read_lock:
            cur = self._read_conn.execute("DELETE FROM requests WHERE started_at < %s", (cutoff,))
            return int(cur.rowcount)

    # --- reading ---------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._read_lock:
            return self._read_conn.execute(sql, params).fetchall()

    def recent(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT * FROM requests ORDER BY started_at DESC LIMIT %s OFFSET %s", (limit, offset)
        )
        return [_decode(r) for r in rows]

    def get(self, request_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM requests WHERE request_id = %s", (request_id,))
        return _decode(rows[0]) if rows else None

    def rows(self, since: float | None = None) -> Iterator[dict[str, Any]]:
        for r in self._query(
            "SELECT * FROM requests WHERE started_at >= %s ORDER BY started_at", (since or 0.0,)
        ):
            yield _decode(r)

    def totals(
        self, by: GroupBy = "model_id", since: float | None = None, *, demo: bool = False
    ) -> list[Totals]:
        if by not in _GROUPS:
            raise ValueError(f"cannot group by {by!r}")
        rows = self._query(
            f"SELECT {by} AS key, {_AGGREGATES} FROM requests WHERE started_at >= %s AND demo = %s "
            f"GROUP BY {by} ORDER BY cost DESC, requests DESC",
            (since or 0.0, int(demo)),
        )
        return [_totals(r) for r in rows]

    def overall(self, since: float | None = None, *, demo: bool = False) -> Totals:
        rows = self._query(
            f"SELECT 'all' AS key, {_AGGREGATES} FROM requests WHERE started_at >= %s AND demo = %s",
            (since or 0.0, int(demo)),
        )
        return _totals(rows[0])

    def timeseries(
        self, since: float, bucket_s: float = 3600.0, *, demo: bool = False
    ) -> list[SeriesPoint]:
        rows = self._query(
            "SELECT FLOOR(started_at / %s) * %s AS bucket, COUNT(*) AS n, "
            "COALESCE(SUM(cost), 0) AS cost, COALESCE(SUM(baseline_cost), 0) AS base "
            "FROM requests WHERE started_at >= %s AND demo = %s GROUP BY bucket ORDER BY bucket",
            (bucket_s, bucket_s, since, int(demo)),
        )
        return [
            SeriesPoint(float(r["bucket"]), int(r["n"]), float(r["cost"]), float(r["base"]))
            for r in rows
        ]

    def spend_since(self, since: float) -> float:
        rows = self._query(
            "SELECT COALESCE(SUM(cost), 0) AS s FROM requests WHERE started_at >= %s AND demo = 0",
            (since,),
        )
        return float(rows[0]["s"])

    def spend_by_person_since(self, since: float) -> dict[str, float]:
        rows = self._query(
            "SELECT person, COALESCE(SUM(cost), 0) AS s FROM requests WHERE started_at >= %s "
            "AND demo = 0 AND person IS NOT NULL GROUP BY person",
            (since,),
        )
        return {str(r["person"]): float(r["s"]) for r in rows}

    def export_csv(self, path: Path, since: float | None = None) -> int:
        n = 0
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for r in self._query(
                "SELECT * FROM requests WHERE started_at >= %s ORDER BY started_at",
                (since or 0.0,),
            ):
                writer.writerow([r[c] for c in COLUMNS])
                n += 1
        return n
