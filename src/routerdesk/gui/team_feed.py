"""The team's usage, read-only: what the Dashboard and Requests page show while
`settings.toml [storage] team_url` names a team server's PostgreSQL database.

The newest `history_rows` rows are read once, then every `POLL_MS` what is new.
A row is written when its request ends, so each poll re-reads the last
`LOOKBACK_S` of start times and keeps the rows not seen yet; a request that ran
longer than that shows after the next full read (the app's next start, or another
database chosen and this one again). Reads run off the event loop (the backend's worker threads); a failed
read is shown, never raised, and the next poll tries again with a new connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from routerdesk.core.errors import RouterError
from routerdesk.core.redact import scrub
from routerdesk.gui.backend import Backend
from routerdesk.gui.models.request_row import RequestRow
from routerdesk.gui.tasks import spawn_if_running

log = logging.getLogger(__name__)

POLL_MS = 5000
LOOKBACK_S = 120.0


class TeamFeed(QObject):
    """Follows `backend.team_database`; says what it read and whether it could.

    Signals:
        reloaded(list[RequestRow]): every row to show (a database's first read).
        added(list[RequestRow]): rows new since the last read, oldest first.
        state_changed(): `database`, `error` or `updated_at` changed.
    """

    reloaded = Signal(list)
    added = Signal(list)
    state_changed = Signal()

    def __init__(self, backend: Backend, history_rows: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.history_rows = history_rows
        self.database = ""  # the database followed, described ("" : none, this app's log)
        self.error = ""  # why the last read failed ("" : it worked, or none yet)
        self.updated_at: float | None = None  # when the last read worked
        self._seen: dict[str, float] = {}  # request id -> start time, for the lookback window
        self._newest = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        self.pending: asyncio.Task[None] | None = None  # the last read (tests await it)

    @property
    def active(self) -> bool:
        return bool(self.database)

    def follow(self) -> bool:
        """Start, switch or stop following the backend's team database; whether it changed."""
        database = self.backend.team_database
        if database == self.database:
            return False
        self.database, self.error, self.updated_at = database, "", None
        self._seen.clear()
        self._newest = 0.0
        if database:
            self._timer.start()
            self.poll()
        else:
            self._timer.stop()
        self.state_changed.emit()
        return True

    def poll(self) -> None:
        """Read what is new now (at most one read at a time; a no-op without a running loop)."""
        if self.active and (self.pending is None or self.pending.done()):
            self.pending = spawn_if_running(self._read)

    async def _read(self) -> None:
        database, first = self.database, not self._seen and self.updated_at is None
        since = None if first else self._newest - LOOKBACK_S
        try:
            records = await self.backend.team_records(since, self.history_rows)
        except RouterError as exc:  # TeamDatabaseError: unreachable, refused, not a log
            self._failed(database, exc.message)
            return
        except Exception as exc:  # shown, never raised into the loop
            log.exception("reading the team database failed")
            self._failed(database, scrub(f"{type(exc).__name__}: {exc}"))
            return
        if not shiboken6.isValid(self) or database != self.database:
            return  # the window closed, or the setting changed, while this read ran
        rows = [RequestRow(r) for r in records if r.request_id not in self._seen]
        rows.sort(key=lambda r: r.started_at)
        self._remember(rows)
        self.error, self.updated_at = "", time.time()
        if first:
            self.reloaded.emit(rows)
        elif rows:
            self.added.emit(rows)
        self.state_changed.emit()

    def _failed(self, database: str, message: str) -> None:
        if shiboken6.isValid(self) and database == self.database:
            self.error = message
            self.state_changed.emit()

    def _remember(self, rows: Sequence[RequestRow]) -> None:
        for r in rows:
            self._seen[r.request_id] = r.started_at
            self._newest = max(self._newest, r.started_at)
        if self._newest == 0.0:
            self._newest = time.time()  # an empty log: look back from now
        horizon = self._newest - 2 * LOOKBACK_S  # ids older than any later read can return
        self._seen = {rid: t for rid, t in self._seen.items() if t >= horizon}

    def note(self) -> tuple[str, str]:
        """(text, banner kind) saying which database the pages show, and how it is going."""
        if not self.active:
            return "", "info"
        where = f"Team database {self.database} (read-only)"
        own = (
            "This app's own requests go to its local log and are not shown here; "
            "clear the team database in Settings to see them."
        )
        when = time.strftime("%H:%M:%S", time.localtime(self.updated_at or 0))
        if self.error:  # (the error names the database)
            last = f"showing what was read at {when}" if self.updated_at else "nothing read yet"
            retry = f"Retrying every {POLL_MS // 1000} s; {last}."
            return f"Team database not shown: {self.error}. {retry}", "error"
        if self.updated_at is None:
            return f"{where}: reading…", "info"
        return f"{where}, updated {when}. {own}", "info"
