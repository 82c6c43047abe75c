"""The decision's candidate list and the classifier's features, stored compressed against a
dictionary kept in the database.

A routing decision lists every registry model with its reason (kept or
dropped, score, estimated cost): 2.5-4 KB of JSON per request with a 57-model
registry even packed column by column (`storage/stored_decision.py`), nearly
all of it the same from one request to the next. Each row stores it deflated
against a *preset dictionary*, an earlier row's decision saved once in the
``zdicts`` table, so what is stored is little more than what differs: the
costs and the few reasons that mention them (~360 bytes on mixed traffic;
`benchmarks/bench_usage.py`). The features
(~420 bytes of mostly zeros under the same two dozen names) go the same way. Nothing is left
out, so the Requests page and `routerdesk replay` read exactly what was routed.

Stored value: 4 bytes of dictionary id (big-endian) + raw deflate data.
Rows written before this (JSON text) are read as they are. Dictionary id 0
means "not deflated, UTF-8 text follows": PostgreSQL keeps these columns as
BYTEA (`storage/usage_pg.py`), so its short values and older rows take that form.

A dictionary made of rows in an older layout (it lacks the codec's ``layout``
marker) is not used for new rows: they would match it poorly.

Rows differ by task (reasons, scores, the classifier's signals), so while the
dictionary is small a row that compresses worse than `GROW_RATIO` is appended
to it as the next dictionary: after a few rows it holds one list of each kind
of traffic. When the registry changes, the dictionary stops matching and rows
grow; a row that compresses worse than `REFRESH_RATIO` (after
`REFRESH_MIN_ROWS` rows on the current dictionary) starts the next dictionary.

`compress` runs on the usage writer thread: zlib works in C (it releases the
GIL) and allocates only bytes, no objects the cyclic GC tracks.
"""

from __future__ import annotations

import sqlite3
import threading
import zlib

LEVEL = 1  # 3-5x faster than the default level; rows are ~1.4x larger
REFRESH_RATIO = 0.2
GROW_RATIO = 0.08  # while the dictionary has room, a row this much larger joins it
REFRESH_MIN_ROWS = 1_000
MAX_DICT_BYTES = 32 * 1024  # deflate looks back at most 32 KiB

SCHEMA = "CREATE TABLE IF NOT EXISTS zdicts (id INTEGER PRIMARY KEY, data BLOB NOT NULL)"
PLAIN = (0).to_bytes(4, "big")  # dictionary id 0: the text as it is


def plain(text: str) -> bytes:
    """`text` stored without deflate where a column holds only bytes (PostgreSQL)."""
    return PLAIN + text.encode()


class CandidateCodec:
    """Compresses (writer thread) and expands (any thread) candidate lists.

    The SQL is SQLite's; `PgCandidateCodec` (storage/usage_pg.py) swaps the two
    statements that differ."""

    select_dict = "SELECT data FROM zdicts WHERE id = ?"

    def __init__(self, *, layout: str = "") -> None:
        self._layout = layout.encode()
        self._lock = threading.Lock()
        self._dicts: dict[int, bytes] = {}
        self._current: tuple[int, zlib._Compress] | None = None  # id, primed compressor
        self._rows_on_current = 0

    def load(self, conn: sqlite3.Connection) -> None:
        """Use the newest dictionary in the database for new rows, unless it was made of rows
        in an older layout (it holds no `layout`): the first row then starts a new one.
        Called again after a failed batch: the dictionaries it made are gone, and another
        process sharing the file (serve --workers) may reuse their ids, so nothing cached
        is trusted."""
        self._current = None
        with self._lock:
            self._dicts.clear()  # read again from the table when a row needs one
        row = conn.execute("SELECT id, data FROM zdicts ORDER BY id DESC LIMIT 1").fetchone()
        if row is not None and self._layout in bytes(row[1]):
            self._use(int(row[0]), bytes(row[1]))

    def _use(self, dict_id: int, data: bytes) -> None:
        with self._lock:
            self._dicts[dict_id] = data
        self._current = (dict_id, zlib.compressobj(LEVEL, zlib.DEFLATED, -15, zdict=data))
        self._rows_on_current = 0

    def compress(self, conn: sqlite3.Connection, text: str, seed: str = "") -> bytes:
        """`text` (JSON) as stored; may add a dictionary, made of `seed` (the row's other
        compressed columns) and `text` (call inside the batch's transaction, on the
        writer's connection)."""
        raw = text.encode()
        current = self._current
        if current is None:
            current = self._new_dict(conn, seed.encode() + raw)
        dict_id, primed = current
        c = primed.copy()  # the dictionary is hashed once, not per row
        packed = c.compress(raw) + c.flush()
        self._rows_on_current += 1
        grow = (
            len(packed) > GROW_RATIO * len(raw)
            and len(self._dicts[dict_id]) + len(seed) + len(raw) <= MAX_DICT_BYTES
        )
        refresh = (
            len(packed) > REFRESH_RATIO * len(raw) and self._rows_on_current >= REFRESH_MIN_ROWS
        )
        if (grow or refresh) and len(raw) > 512:
            head = self._dicts[dict_id] if grow else b""
            dict_id, primed = self._new_dict(conn, head + seed.encode() + raw)
            c = primed.copy()
            packed = c.compress(raw) + c.flush()
        return dict_id.to_bytes(4, "big") + packed

    def _new_dict(self, conn: sqlite3.Connection, raw: bytes) -> tuple[int, zlib._Compress]:
        data = raw[-MAX_DICT_BYTES:]
        dict_id = self._insert(conn, data)
        self._use(dict_id, data)
        assert self._current is not None
        return self._current

    def _insert(self, conn: sqlite3.Connection, data: bytes) -> int:
        """Store a new dictionary; its id."""
        return int(conn.execute("INSERT INTO zdicts (data) VALUES (?)", (data,)).lastrowid or 0)

    def expand(self, conn: sqlite3.Connection, value: bytes) -> str:
        """The candidate JSON of a stored value (`conn` reads unknown dictionaries)."""
        dict_id = int.from_bytes(value[:4], "big")
        if dict_id == 0:
            return value[4:].decode()
        with self._lock:
            data = self._dicts.get(dict_id)
        if data is None:
            row = conn.execute(self.select_dict, (dict_id,)).fetchone()
            if row is None:
                raise ValueError(f"usage log: compression dictionary {dict_id} is missing")
            data = bytes(row[0])
            with self._lock:
                self._dicts[dict_id] = data
        d = zlib.decompressobj(-15, zdict=data)
        return (d.decompress(value[4:]) + d.flush()).decode()
