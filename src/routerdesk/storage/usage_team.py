"""A team server's PostgreSQL usage log, opened read-only: what the desktop app's Dashboard and
Requests page show when `settings.toml [storage] team_url` is set.

The session is read-only in the database itself (``default_transaction_read_only``
from the connection options, then ``SET SESSION CHARACTERISTICS AS TRANSACTION
READ ONLY``): whatever a bug here sends, PostgreSQL refuses to write. Nothing is
migrated (a schema this routerdesk does not read is reported, never changed),
nothing pruned, no writer thread started; every query is `PgUsageStore`'s.

As with ``[storage] url``, the URL holds no password (settings validation refuses
one): libpq reads PGPASSWORD or ~/.pgpass. Error messages carry the URL's
host, port, database and user only, scrubbed like every other message.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import errors as pg_errors

from routerdesk.core.errors import TeamDatabaseError
from routerdesk.core.redact import scrub
from routerdesk.core.types import UsageRecord
from routerdesk.storage.usage_open import database_error, describe_database
from routerdesk.storage.usage_pg import PG_SCHEMA_VERSION, PgCandidateCodec, PgUsageStore

CONNECT_TIMEOUT_S = 5  # an unreachable server is reported within this, not after minutes


class TeamUsageReader(PgUsageStore):
    """`PgUsageStore`'s queries over a read-only session; every write raises `TeamDatabaseError`."""

    def __init__(self, url: str) -> None:  # no super().__init__: no writer, no migration
        self.url = url
        self.label = describe_database(url)
        self.path = Path(urlsplit(url).path.lstrip("/") or "postgresql")
        try:
            conn: psycopg.Connection[Any] = psycopg.connect(
                url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
                options="-c default_transaction_read_only=on",
                application_name="routerdesk-dashboard",
            )
        except psycopg.Error as exc:
            raise TeamDatabaseError(f"cannot connect to {self.label}: {self._said(exc)}") from None
        try:
            conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            self._check_schema(conn)
        except BaseException:
            conn.close()
            raise
        self._read_conn = conn  # type: ignore[assignment]
        self._read_lock = threading.Lock()
        self._codec = PgCandidateCodec()  # expands with dictionaries read on demand
        self._submitted = self._written = 0

    def _check_schema(self, conn: psycopg.Connection[Any]) -> None:
        try:
            row = conn.execute("SELECT version FROM routerdesk_schema").fetchone()
        except pg_errors.UndefinedTable:
            raise TeamDatabaseError(
                f"{self.label} holds no routerdesk usage log (no routerdesk_schema table): "
                "check the database name, or start the team server once to create it"
            ) from None
        except psycopg.Error as exc:
            raise self._unreadable(exc) from None
        version = int(row[0]) if row else 0
        if version != PG_SCHEMA_VERSION:
            newer = version > PG_SCHEMA_VERSION
            raise TeamDatabaseError(
                f"the usage log in {self.label} has schema {version}, this routerdesk reads "
                f"{PG_SCHEMA_VERSION}: "
                + ("upgrade this app" if newer else "upgrade the team server (it migrates)")
            )

    def _said(self, exc: psycopg.Error) -> str:
        """A driver error's first line, scrubbed, and without the URL's password if it had one."""
        return scrub(database_error(exc), urlsplit(self.url).password or "")

    def _unreadable(self, exc: psycopg.Error) -> TeamDatabaseError:
        return TeamDatabaseError(f"cannot read {self.label}: {self._said(exc)}")

    @property
    def broken(self) -> bool:
        """The connection is gone (server restarted, network lost): open a new reader."""
        return bool(self._read_conn.closed) or self._read_conn.broken  # type: ignore[attr-defined]

    def _query(self, sql: str, params: Any = ()) -> list[Any]:
        """`PgUsageStore._query`, a database error said as a `TeamDatabaseError`."""
        try:
            return super()._query(sql, params)
        except psycopg.Error as exc:
            raise self._unreadable(exc) from None

    def _expanded(self, row: Any) -> dict[str, str]:
        try:
            return super()._expanded(row)
        except psycopg.Error as exc:
            raise self._unreadable(exc) from None

    # --- never writes -----------------------------------------------------------------

    def submit(self, record: UsageRecord) -> None:
        raise TeamDatabaseError(f"{self.label} is shown read-only: this app never writes to it")

    def prune(self, retention_days: int, now: float | None = None) -> int:
        raise TeamDatabaseError(f"{self.label} is shown read-only: the team server prunes it")

    async def wait_for_room(self) -> None:
        return None

    def flush(self, timeout: float = 5.0) -> None:
        return None

    def close(self) -> None:
        with self._read_lock:
            self._read_conn.close()
