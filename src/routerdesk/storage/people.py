"""The person-token table: `people.sqlite3` in the state folder, mode 0600.

One row per person: name, SHA-256 of their token, optional daily budget,
created/revoked times. The clear token is returned once by `create` and never
stored. Revoking keeps the row (the server can then say "revoked" rather than
"wrong token"); creating a token for a revoked name replaces it.

The server side (`find`) keeps every row in memory and reloads them when the
file changes (one `os.stat` per lookup of a person token), so a `routerdesk
tokens revoke` from another process takes effect on the next request in every
worker. The file uses SQLite's rollback journal, not WAL: each commit rewrites
the main file, which is what makes its modification time a change signal.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from routerdesk.core.people import check_name, find_token, new_token, token_hash
from routerdesk.core.types import Person

SCHEMA = """
CREATE TABLE IF NOT EXISTS person_tokens (
    name TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    budget_daily_usd REAL,
    created_at REAL NOT NULL,
    revoked_at REAL
)
"""


@dataclass(frozen=True, slots=True)
class PersonToken:
    """A row of the table, as `routerdesk tokens list` shows it (no hash, no token)."""

    name: str
    budget_daily_usd: float | None
    created_at: float
    revoked_at: float | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class PersonTokens:
    """Create, list, revoke and look up person tokens in one small SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._by_hash: dict[str, tuple[Person, bool]] = {}

    # --- admin side (the `routerdesk tokens` command) ---------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(self.path, 0o600)
        conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
        conn.execute(SCHEMA)
        return conn

    def create(self, name: str, budget_daily_usd: float | None = None) -> str:
        """A new token for `name`; returns it in clear (the only time it exists in clear).

        Raises ValueError for a bad name or budget, or when `name` already has an active token.
        """
        check_name(name)
        if budget_daily_usd is not None and budget_daily_usd < 0:
            raise ValueError("the daily budget cannot be negative")
        token = new_token()
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute(
                "SELECT revoked_at FROM person_tokens WHERE name = ?", (name,)
            ).fetchone()
            if row is not None and row[0] is None:
                conn.execute("ROLLBACK")
                raise ValueError(
                    f"{name!r} already has an active token; revoke it first "
                    f"(`routerdesk tokens revoke {name}`)"
                )
            conn.execute(
                "INSERT OR REPLACE INTO person_tokens "
                "(name, token_sha256, budget_daily_usd, created_at, revoked_at) "
                "VALUES (?, ?, ?, ?, NULL)",
                (name, token_hash(token), budget_daily_usd, time.time()),
            )
            conn.execute("COMMIT")
        finally:
            conn.close()
        return token

    def revoke(self, name: str) -> bool:
        """Refuse `name`'s token from now on; False when there is no active token by that name."""
        conn = self._connect()
        try:
            cur = conn.execute(
                "UPDATE person_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (time.time(), name),
            )
            return cur.rowcount > 0
        finally:
            conn.close()

    def set_budget(self, name: str, budget_daily_usd: float | None) -> bool:
        """Change (or with None remove) `name`'s daily budget; False when `name` has no active token."""
        if budget_daily_usd is not None and budget_daily_usd < 0:
            raise ValueError("the daily budget cannot be negative")
        conn = self._connect()
        try:
            cur = conn.execute(
                "UPDATE person_tokens SET budget_daily_usd = ? WHERE name = ? AND revoked_at IS NULL",
                (budget_daily_usd, name),
            )
            return cur.rowcount > 0
        finally:
            conn.close()

    def list(self) -> list[PersonToken]:
        conn = self._connect()
        try:
            rows = conn.execute(
                "SELECT name, budget_daily_usd, created_at, revoked_at FROM person_tokens "
                "ORDER BY name"
            ).fetchall()
        finally:
            conn.close()
        return [PersonToken(*r) for r in rows]

    # --- server side ----------------------------------------------------------------

    def find(self, token: str) -> tuple[Person, bool] | None:
        """(person, revoked) for a presented token, or None when it is nobody's."""
        self._reload_if_changed()
        return find_token(self._by_hash, token)

    def refresh(self) -> None:
        """Reload if the file changed (the runtime calls it with the shared-spend refresh)."""
        self._reload_if_changed()

    def _reload_if_changed(self) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._stamp, self._by_hash = None, {}
            return
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        if stamp == self._stamp:
            return
        with self._lock:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5.0)
            try:
                rows = conn.execute(
                    "SELECT name, token_sha256, budget_daily_usd, revoked_at FROM person_tokens"
                ).fetchall()
            except sqlite3.OperationalError:  # created but the table not yet there
                rows = []
            finally:
                conn.close()
            self._by_hash = {
                h: (Person(name, budget), revoked is not None) for name, h, budget, revoked in rows
            }
            self._stamp = stamp
