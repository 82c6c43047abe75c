"""Conversation pins shared by the processes of one server (core/pinning.py's `SharedPins`).

`serve --workers N` without a database URL shares them through ``pins.sqlite3``
in the data folder (WAL: readers never wait for the writer); a team server
through its PostgreSQL database (storage/pins_pg.py, same class, other
dialect). The desktop app, one process, keeps its pins in memory only.

Nothing here runs on the event loop. Two threads, each with its own connection:

writer
    takes every pin `save` queued (only the latest per conversation), writes them
    in one transaction at most every `WRITE_GAP_S`, and deletes pins unused for
    longer than the window every `PRUNE_EVERY_S`. The upsert only moves a row
    forward in time, so batches of several processes landing out of order never
    step a pin back. At most `MAX_QUEUED` pins wait; past that the oldest go.
reader
    answers `lookup` futures: every lookup waiting is answered by one query.
    At most `MAX_LOOKUPS` wait; past that a lookup fails at once (the caller
    pins nothing and pauses its lookups, see `ConversationPins.recall`).

A failed statement drops the thread's connection (the next batch connects
again) and is logged at most once every `ERROR_LOG_EVERY_S`. Pins are a hint
that keeps prompt caches warm, so a lost write costs at most a model switch.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections import deque
from concurrent.futures import Future
from itertools import islice
from pathlib import Path
from typing import Any

from routerdesk.core.pinning import StoredPin
from routerdesk.core.redact import scrub

log = logging.getLogger(__name__)

WRITE_GAP_S = 0.002  # at most ~500 write transactions a second per process
PRUNE_EVERY_S = 600.0
RETRY_GAP_S = 1.0  # after a failed write, before connecting again
MAX_QUEUED = 20_000
MAX_LOOKUPS = 1_000
LOOKUP_BATCH = 500  # fingerprints per query (SQLite allows 999 parameters)
WRITE_BATCH = 1_000  # pins per write (PostgreSQL: one multi-row statement)
ERROR_LOG_EVERY_S = 30.0
CLOSE_WAIT_S = 10.0

# PRAGMA user_version i -> i+1 (PostgreSQL's schema is in usage_pg.PG_MIGRATIONS)
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE conversation_pins (
        fingerprint TEXT PRIMARY KEY,
        model_id TEXT NOT NULL,
        turn INTEGER NOT NULL,
        used_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX conversation_pins_used_at ON conversation_pins (used_at);
    """,
)

UPSERT = (
    "INSERT INTO conversation_pins (fingerprint, model_id, turn, used_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (fingerprint) DO UPDATE SET model_id = excluded.model_id, "
    "turn = excluded.turn, used_at = excluded.used_at "
    "WHERE excluded.used_at >= conversation_pins.used_at"
)
PRUNE = "DELETE FROM conversation_pins WHERE used_at < ?"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return scrub(text.splitlines()[0]) if text else type(exc).__name__


class PinStoreBusy(RuntimeError):
    """Too many lookups are waiting: the database is not keeping up."""


class PinStore:
    """Shared pins in a SQLite file; `save` and `lookup` never block the caller."""

    def __init__(self, path: Path, *, window_s: float = 3600.0) -> None:
        self.path = path
        self.window_s = window_s
        self._migrate()
        self._start()

    # --- the dialect (PgPinStore overrides these) -----------------------------------------

    def _connect(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _migrate(self) -> None:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")  # workers starting together take turns
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            for target in range(version + 1, len(MIGRATIONS) + 1):
                for statement in MIGRATIONS[target - 1].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("COMMIT")
        finally:
            conn.close()

    def _fetch(self, conn: Any, fingerprints: list[str]) -> list[tuple[Any, ...]]:
        marks = ", ".join("?" * len(fingerprints))
        rows: list[tuple[Any, ...]] = conn.execute(
            "SELECT fingerprint, model_id, turn, used_at FROM conversation_pins "
            f"WHERE fingerprint IN ({marks})",
            fingerprints,
        ).fetchall()
        return rows

    def _write(self, conn: Any, rows: list[tuple[str, str, int, float]]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(UPSERT, rows)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _prune(self, conn: Any, before: float) -> None:
        conn.execute(PRUNE, (before,))

    # --- the caller's side ----------------------------------------------------------------

    def save(self, fingerprint: str, pin: StoredPin) -> None:
        with self._writes:
            self._queued.pop(fingerprint, None)  # re-inserted at the young end
            self._queued[fingerprint] = pin
            if len(self._queued) > MAX_QUEUED:
                del self._queued[next(iter(self._queued))]
                self._dropped += 1
            self._writes.notify()

    def lookup(self, fingerprint: str) -> Future[StoredPin | None]:
        future: Future[StoredPin | None] = Future()
        with self._reads:
            if self._closing:
                future.set_result(None)
            elif len(self._lookups) >= MAX_LOOKUPS:
                future.set_exception(PinStoreBusy(f"{MAX_LOOKUPS} pin lookups are waiting"))
            else:
                self._lookups.append((fingerprint, future))
                self._reads.notify()
        return future

    def flush(self, timeout: float = CLOSE_WAIT_S) -> bool:
        """Wait until every pin saved so far was written (or failed); True if in time."""
        deadline = time.monotonic() + timeout
        with self._writes:
            while self._busy or self._queued:
                left = deadline - time.monotonic()
                if left <= 0 or not self._writer.is_alive():
                    return False
                self._writes.wait(min(left, 0.05))
        return True

    def close(self) -> None:
        """Write what is queued (bounded wait), stop both threads."""
        with self._writes:
            self._closing = True
            self._writes.notify_all()
        with self._reads:
            self._reads.notify_all()
        self._writer.join(CLOSE_WAIT_S)
        self._reader.join(CLOSE_WAIT_S)

    # --- the threads ----------------------------------------------------------------------

    def _start(self) -> None:
        self._writes = threading.Condition()
        self._reads = threading.Condition()
        self._queued: dict[str, StoredPin] = {}
        self._lookups: deque[tuple[str, Future[StoredPin | None]]] = deque()
        self._closing = False
        self._busy = False
        self._dropped = 0
        self._logged_at = float("-inf")
        self._writer = threading.Thread(target=self._write_loop, name="pins-writer", daemon=True)
        self._reader = threading.Thread(target=self._read_loop, name="pins-reader", daemon=True)
        self._writer.start()
        self._reader.start()

    def _failed(self, doing: str, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._logged_at >= ERROR_LOG_EVERY_S:
            self._logged_at = now
            log.warning("shared conversation pins: %s failed: %s", doing, _first_line(exc))

    def _write_loop(self) -> None:
        conn: Any = None
        next_prune = time.monotonic()  # prune once at start, then every PRUNE_EVERY_S
        while True:
            with self._writes:
                while not (self._queued or self._closing or time.monotonic() >= next_prune):
                    self._writes.wait(max(0.0, next_prune - time.monotonic()))
                taken = list(islice(self._queued, WRITE_BATCH))
                batch = [(fp, *self._queued.pop(fp)) for fp in taken]
                closing, self._busy = self._closing, True
                dropped, self._dropped = self._dropped, 0
            if dropped:
                self._failed("queueing", RuntimeError(f"{dropped} pins dropped (queue full)"))
            prune = time.monotonic() >= next_prune
            ok = True
            try:
                if batch or prune:
                    conn = conn or self._connect()
                if batch:
                    self._write(conn, batch)
                if prune:
                    next_prune = time.monotonic() + PRUNE_EVERY_S
                    self._prune(conn, time.time() - self.window_s)
            except Exception as exc:
                ok = False
                self._failed(f"writing {len(batch)} pins", exc)
                conn = self._drop(conn)
            with self._writes:
                self._busy = False
                self._writes.notify_all()
                if closing and not self._queued:
                    break
            if not closing:
                time.sleep(WRITE_GAP_S if ok else RETRY_GAP_S)
        self._drop(conn)

    def _read_loop(self) -> None:
        conn: Any = None
        while True:
            with self._reads:
                while not (self._lookups or self._closing):
                    self._reads.wait()
                if self._closing:
                    for _, future in self._lookups:
                        if future.set_running_or_notify_cancel():
                            future.set_result(None)
                    self._lookups.clear()
                    break
                batch = [
                    self._lookups.popleft() for _ in range(min(len(self._lookups), LOOKUP_BATCH))
                ]
            live = [(fp, f) for fp, f in batch if f.set_running_or_notify_cancel()]
            if not live:
                continue  # every caller gave up already
            try:
                conn = conn or self._connect()
                rows = self._fetch(conn, sorted({fp for fp, _ in live}))
            except Exception as exc:
                conn = self._drop(conn)
                for _, f in live:
                    f.set_exception(RuntimeError(_first_line(exc)))
                continue
            found = {r[0]: StoredPin(str(r[1]), int(r[2]), float(r[3])) for r in rows}
            for fp, f in live:
                f.set_result(found.get(fp))
        self._drop(conn)

    @staticmethod
    def _drop(conn: Any) -> None:
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already broken: nothing left to release
                log.debug("closing a pins connection failed", exc_info=True)
