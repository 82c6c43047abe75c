"""Conversation pins in the team's PostgreSQL database, so a load balancer without sticky
sessions keeps a conversation on its model across instances (`[storage] url`).

`PinStore`'s threads, queue and lookups with PostgreSQL's connection and
dialect. The table comes with the usage log's versioned migrations
(`usage_pg.PG_MIGRATIONS`, under their advisory lock). Each connection carries
a statement timeout: a locked table or a stalled server frees the thread within
seconds (the request that asked gave up after `core.pinning.LOOKUP_TIMEOUT_S`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

from routerdesk.storage.pins import PRUNE, UPSERT, PinStore
from routerdesk.storage.usage_pg import migrate

CONNECT_TIMEOUT_S = 2
STATEMENT_TIMEOUT_MS = 2_000


class PgPinStore(PinStore):
    """`PinStore` over PostgreSQL."""

    def __init__(self, url: str, *, window_s: float = 3600.0) -> None:
        self.url = url
        super().__init__(Path(urlsplit(url).path.lstrip("/") or "postgresql"), window_s=window_s)

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(
            self.url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        )

    def _migrate(self) -> None:
        with self._connect() as conn:
            migrate(conn)

    def _fetch(self, conn: Any, fingerprints: list[str]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = conn.execute(
            "SELECT fingerprint, model_id, turn, used_at FROM conversation_pins "
            "WHERE fingerprint = ANY(%s)",
            (fingerprints,),
        ).fetchall()
        return rows

    def _write(self, conn: Any, rows: list[tuple[str, str, int, float]]) -> None:
        # one statement, one round trip (no BEGIN/COMMIT): a pin lands sooner, so a turn
        # sent to another instance right after finds it. A batch holds each fingerprint
        # once, which a multi-row upsert requires.
        head, tail = UPSERT.replace("?", "%s").split(" ON CONFLICT ", 1)
        values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
        sql = head.removesuffix("(%s, %s, %s, %s)") + values + " ON CONFLICT " + tail
        conn.execute(sql, [v for row in rows for v in row])

    def _prune(self, conn: Any, before: float) -> None:
        conn.execute(PRUNE.replace("?", "%s"), (before,))
