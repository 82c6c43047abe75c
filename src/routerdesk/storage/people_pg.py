"""Person tokens in the team's PostgreSQL database, so every instance on every machine
checks the same tokens (`settings.toml [storage] url`; see storage/people.py for SQLite).

Same interface as `PersonTokens`. The server side keeps a snapshot of every
row and the runtime calls `refresh()` off the event loop every couple of
seconds (with the shared-spend refresh): a revocation or budget change reaches
every instance within that time. `find` never touches the network.
"""

from __future__ import annotations

import time

import psycopg

from routerdesk.core.people import check_name, find_token, new_token, token_hash
from routerdesk.core.types import Person
from routerdesk.storage.people import PersonToken
from routerdesk.storage.usage_pg import migrate


class PgPersonTokens:
    """Create, list, revoke and look up person tokens in PostgreSQL."""

    def __init__(self, url: str) -> None:
        self.url = url
        with self._connect() as conn:
            migrate(conn)
        self._by_hash: dict[str, tuple[Person, bool]] = {}
        self.refresh()

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url, autocommit=True)

    # --- admin side -------------------------------------------------------------------

    def create(self, name: str, budget_daily_usd: float | None = None) -> str:
        check_name(name)
        if budget_daily_usd is not None and budget_daily_usd < 0:
            raise ValueError("the daily budget cannot be negative")
        token = new_token()
        with self._connect() as conn, conn.transaction():
            row = conn.execute(
                "SELECT revoked_at FROM person_tokens WHERE name = %s FOR UPDATE", (name,)
            ).fetchone()
            if row is not None and row[0] is None:
                raise ValueError(
                    f"{name!r} already has an active token; revoke it first "
                    f"(`routerdesk tokens revoke {name}`)"
                )
            conn.execute(
                "INSERT INTO person_tokens (name, token_sha256, budget_daily_usd, created_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET "
                "token_sha256 = EXCLUDED.token_sha256, budget_daily_usd = EXCLUDED.budget_daily_usd, "
                "created_at = EXCLUDED.created_at, revoked_at = NULL",
                (name, token_hash(token), budget_daily_usd, time.time()),
            )
        return token

    def revoke(self, name: str) -> bool:
        with self._connect() as conn:
            cur = conn.execute(
                "UPDATE person_tokens SET revoked_at = %s WHERE name = %s AND revoked_at IS NULL",
                (time.time(), name),
            )
            return cur.rowcount > 0

    def set_budget(self, name: str, budget_daily_usd: float | None) -> bool:
        if budget_daily_usd is not None and budget_daily_usd < 0:
            raise ValueError("the daily budget cannot be negative")
        with self._connect() as conn:
            cur = conn.execute(
                "UPDATE person_tokens SET budget_daily_usd = %s "
                "WHERE name = %s AND revoked_at IS NULL",
                (budget_daily_usd, name),
            )
            return cur.rowcount > 0

    def list(self) -> list[PersonToken]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT name, budget_daily_usd, created_at, revoked_at FROM person_tokens "
                "ORDER BY name"
            ).fetchall()
        return [PersonToken(*r) for r in rows]  # type: ignore[arg-type]

    # --- server side ------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the snapshot `find` answers from (blocking: call it off the event loop)."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT name, token_sha256, budget_daily_usd, revoked_at FROM person_tokens"
            ).fetchall()
        self._by_hash = {
            str(h): (Person(str(name), budget), revoked is not None)  # type: ignore[arg-type]
            for name, h, budget, revoked in rows
        }

    def find(self, token: str) -> tuple[Person, bool] | None:
        """(person, revoked) for a presented token, or None; constant-time over every hash."""
        return find_token(self._by_hash, token)
