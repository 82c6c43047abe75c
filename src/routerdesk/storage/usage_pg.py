"""The usage log in PostgreSQL, for a team server (`settings.toml [storage] url`).

Same rows (`usage.COLUMNS`, built and scrubbed by `usage.record_row`), stored
in the same compact form (candidates, signals and features deflated against
dictionaries in a ``zdicts`` table, `storage/compact.py`), same batching and
backlog bound (the inherited writer thread and `wait_for_room`, one pipelined
``executemany`` per batch, off the request path) and the same query API as the
SQLite `UsageStore`, so the commands, the engine and the runtime use either
through `open_usage_store`. Several routerdesk instances and workers can write
one database: each adds its own dictionaries (ids from a sequence) and reads
the others' from the table.

The schema is versioned in ``routerdesk_schema`` (PostgreSQL's own numbering,
not SQLite's ``user_version``); migrations run under a transaction-level
advisory lock, so instances starting together never race. Types are chosen so
values read back exactly as SQLite gives them: DOUBLE PRECISION for REAL,
BIGINT for INTEGER, JSON columns as TEXT, except the three compressed ones:
BYTEA, every value prefixed by its dictionary id (0: plain UTF-8 text).

The URL never holds a password (settings validation refuses one): libpq reads
PGPASSWORD or ~/.pgpass, or the server trusts the local user.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg.rows import dict_row

from routerdesk.storage import stored_decision
from routerdesk.storage.compact import CandidateCodec, plain
from routerdesk.storage.usage import (
    COLUMNS,
    COMPRESSED_COLUMNS,
    FLUSH_INTERVAL_S,
    FLUSH_ROWS,
    UsageStore,
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
    # 2 -> 3: compact rows as in SQLite (storage/compact.py); older rows become plain values
    """
    CREATE TABLE zdicts (id BIGSERIAL PRIMARY KEY, data BYTEA NOT NULL);
    """
    + "".join(
        f"""
    ALTER TABLE requests ALTER COLUMN {col} DROP DEFAULT;
    ALTER TABLE requests ALTER COLUMN {col} TYPE BYTEA
        USING decode('00000000', 'hex') || convert_to({col}, 'UTF8');
    ALTER TABLE requests ALTER COLUMN {col} SET DEFAULT decode('00000000{empty}', 'hex');
    """
        for col, empty in (("candidates", "5b5d"), ("signals", "5b5d"), ("features", "7b7d"))
    ),
    # 3 -> 4: conversation pins shared by every instance (storage/pins_pg.py)
    """
    CREATE TABLE conversation_pins (
        fingerprint TEXT PRIMARY KEY,
        model_id TEXT NOT NULL,
        turn INTEGER NOT NULL,
        used_at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX conversation_pins_used_at ON conversation_pins (used_at);
    """,
    # 4 -> 5: the decision packed column by column into `candidates` (storage/stored_decision.py).
    # Nothing to alter; the version keeps an older routerdesk, which would misread them, away.
    "",
)
PG_SCHEMA_VERSION = len(PG_MIGRATIONS)
_LOCK_ID = 0x726F7574  # advisory lock key for migrations ("rout")


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


class PgCandidateCodec(CandidateCodec):
    """The dictionary table's two statements in PostgreSQL's dialect."""

    select_dict = "SELECT data FROM zdicts WHERE id = %s"

    def _insert(self, conn: Any, data: bytes) -> int:
        return int(
            conn.execute("INSERT INTO zdicts (data) VALUES (%s) RETURNING id", (data,)).fetchone()[
                0
            ]
        )


_PACKED = tuple(COLUMNS.index(c) for c in COMPRESSED_COLUMNS)


class PgUsageStore(UsageStore):
    """`UsageStore` over PostgreSQL: the bounded queue, writer thread, backpressure,
    compression, flush, close, row decoding and every query are inherited (the queries are
    portable SQL; `_query` swaps the placeholders); connecting, the batch write and the
    time bucket are PostgreSQL's."""

    _BUCKET = "FLOOR(started_at / ?) * ?"  # PostgreSQL's integer cast rounds; SQLite's truncates

    def __init__(self, url: str, *, flush_interval_s: float = FLUSH_INTERVAL_S) -> None:
        self.url = url
        self.path = Path(urlsplit(url).path.lstrip("/") or "postgresql")  # a name for messages
        self._write_conn = psycopg.connect(url, autocommit=True)  # type: ignore[assignment]
        migrate(self._write_conn)  # type: ignore[arg-type]
        self._codec = PgCandidateCodec(layout=stored_decision.LAYOUT)
        self._codec.load(self._write_conn)
        self._read_conn = psycopg.connect(url, autocommit=True)  # type: ignore[assignment]
        self._read_lock = threading.Lock()
        cols = ", ".join(COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[1:])
        self._insert = (
            f"INSERT INTO requests ({cols}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
            f"ON CONFLICT (request_id) DO UPDATE SET {updates}"
        )
        self._start_writer(flush_interval_s, "usage-writer-pg")

    def _write_pending(self) -> None:
        batch: list[list[Any]] = []
        while self._queue and len(batch) < 4 * FLUSH_ROWS:  # as in UsageStore._write_pending
            batch.append(self._queue.popleft())
        if batch:
            conn: psycopg.Connection[Any] = self._write_conn  # type: ignore[assignment]
            try:
                with conn.transaction(), conn.cursor() as cur:
                    for row in batch:
                        self._compact(conn, row)
                    cur.executemany(self._insert, batch)
            except Exception:
                log.exception("could not write %d usage rows", len(batch))
                self._codec.load(conn)  # type: ignore[arg-type]  # its dictionaries are gone
        with self._flushed:
            self._written += len(batch)
            self._flushed.notify_all()

    def prune(self, retention_days: int, now: float | None = None) -> int:
        cutoff = (now if now is not None else time.time()) - retention_days * 86400
        with self._read_lock:
            cur = self._read_conn.execute("DELETE FROM requests WHERE started_at < %s", (cutoff,))
            return int(cur.rowcount)

    def _compact(self, conn: Any, row: list[Any]) -> None:
        super()._compact(conn, row)
        for i in _PACKED:  # BYTEA columns: what stays uncompressed is stored as plain bytes
            if isinstance(row[i], str):
                row[i] = plain(row[i])

    # --- reading ---------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows as dicts. The inherited plain queries (recent, get, rows, export_csv) are
        written with SQLite's ``?`` placeholders; PostgreSQL's are ``%s``."""
        conn: psycopg.Connection[Any] = self._read_conn  # type: ignore[assignment]
        with self._read_lock, conn.cursor(row_factory=dict_row) as cur:
            rows: list[dict[str, Any]] = cur.execute(sql.replace("?", "%s"), params).fetchall()
            return rows
