"""The audit log: one SQLite row per quality audit, in its own file beside the usage log.

A separate file (`paths.audits_db_path()`) because, unlike the usage log, it
holds answer text: the routed model's and the baseline model's answer of every
audited request (never the prompt). Every text column goes through
`core.redact.scrub` on the way in, as in the usage log: an answer that echoes a
key (or a judge's reason quoting one) is stored without it. Deleting the file
forgets every audit and nothing else; `prune` applies the same retention as the
usage log.

Audits are rare (a few percent of requests), so rows are written at once, in
the caller's thread; the runtime calls every method through `asyncio.to_thread`.
Dismissed registry suggestions (core/quality.py) are kept here too.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

from routerdesk.core.audit import AuditResult
from routerdesk.core.quality import Judged
from routerdesk.core.redact import scrub

SCHEMA = """
CREATE TABLE IF NOT EXISTS audits (
    request_id TEXT PRIMARY KEY,
    started_at REAL NOT NULL,
    demo INTEGER NOT NULL DEFAULT 0,
    task TEXT NOT NULL DEFAULT '',
    routed_model TEXT NOT NULL DEFAULT '',
    baseline_model TEXT NOT NULL DEFAULT '',
    judge_model TEXT NOT NULL DEFAULT '',
    verdict TEXT,
    first TEXT,
    second TEXT,
    reason TEXT NOT NULL DEFAULT '',
    reason_swapped TEXT NOT NULL DEFAULT '',
    routed_answer TEXT NOT NULL DEFAULT '',
    baseline_answer TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    cost REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS audits_started_at ON audits (started_at);
CREATE TABLE IF NOT EXISTS dismissed_suggestions (
    key TEXT PRIMARY KEY,
    dismissed_at REAL NOT NULL
);
"""
COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(AuditResult))


class AuditStore:
    """Rows of `AuditResult`s; thread-safe, synchronous and quick."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            path, timeout=10.0, isolation_level=None, check_same_thread=False
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._insert = (
            f"INSERT OR REPLACE INTO audits ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(COLUMNS))})"
        )

    def add(self, result: AuditResult) -> None:
        row = [_scrubbed(getattr(result, c)) for c in COLUMNS]
        with self._lock:
            self._conn.execute(self._insert, row)

    def get(self, request_id: str) -> AuditResult | None:
        with self._lock:
            found = self._conn.execute(
                "SELECT * FROM audits WHERE request_id = ?", (request_id,)
            ).fetchone()
        return _result(found) if found is not None else None

    def results(self, since: float = 0.0, *, demo: bool = False) -> list[AuditResult]:
        """Audits since `since`, oldest first; real ones or demo ones, never mixed."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM audits WHERE started_at >= ? AND demo = ? ORDER BY started_at",
                (since, int(demo)),
            ).fetchall()
        return [_result(r) for r in rows]

    def judged(self, since: float = 0.0, *, demo: bool = False) -> list[Judged]:
        """What `quality.summarize` needs, without the answer text."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT task, routed_model, verdict, cost FROM audits "
                "WHERE started_at >= ? AND demo = ? ORDER BY started_at",
                (since, int(demo)),
            ).fetchall()
        return [Judged(r[0], r[1], r[2] or "", float(r[3])) for r in rows]

    def audited_ids(self, request_ids: list[str]) -> set[str]:
        """Which of these requests have an audit (the Requests page marks them)."""
        if not request_ids:
            return set()
        marks = ", ".join("?" * len(request_ids))
        with self._lock:
            rows = self._conn.execute(
                f"SELECT request_id FROM audits WHERE request_id IN ({marks})", request_ids
            ).fetchall()
        return {r[0] for r in rows}

    def prune(self, retention_days: int, now: float | None = None) -> int:
        cutoff = (now if now is not None else time.time()) - retention_days * 86400
        with self._lock:
            return self._conn.execute("DELETE FROM audits WHERE started_at < ?", (cutoff,)).rowcount

    def dismiss(self, key: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO dismissed_suggestions VALUES (?, ?)", (key, time.time())
            )

    def dismissed(self) -> set[str]:
        with self._lock:
            rows = self._conn.execute("SELECT key FROM dismissed_suggestions").fetchall()
        return {r[0] for r in rows}

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _scrubbed(value: object) -> object:
    return scrub(value) if isinstance(value, str) else value


def _result(row: sqlite3.Row) -> AuditResult:
    values: dict[str, Any] = dict(row)
    values["demo"] = bool(values["demo"])
    return AuditResult(**values)
