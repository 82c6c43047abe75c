"""Shared conversation pins: the store over a real SQLite file and a real PostgreSQL database,
and `ConversationPins` of two "instances" sharing one store (storage/pins.py, pins_pg.py)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.test_pinning import REGISTRY, Clock, classified, conversation
from routerdesk.core.pinning import (
    LOOKUP_BACKOFF_S,
    ConversationPins,
    StoredPin,
    conversation_fingerprint,
)
from routerdesk.core.routing import Router
from routerdesk.core.settings import Settings
from routerdesk.core.types import ChatRequest, Decision
from routerdesk.storage import pins as pins_module
from routerdesk.storage.pins import PinStore, PinStoreBusy

Opener = Callable[..., PinStore]


@pytest.fixture(params=["sqlite", "postgresql"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens stores on one shared database, as separate processes would; closes them after."""
    opened: list[PinStore] = []
    if request.param == "sqlite":
        path = tmp_path / "pins.sqlite3"

        def opener(**kw: float) -> PinStore:
            opened.append(PinStore(path, **kw))
            return opened[-1]
    else:
        from routerdesk.storage.pins_pg import PgPinStore

        url = request.getfixturevalue("pg_url")

        def opener(**kw: float) -> PinStore:
            opened.append(PgPinStore(url, **kw))
            return opened[-1]

    yield opener
    for store in opened:
        store.close()


def lookup(store: PinStore, fp: str) -> StoredPin | None:
    return store.lookup(fp).result(timeout=10)


def test_a_saved_pin_is_seen_by_another_process(open_store: Opener) -> None:
    a, b = open_store(), open_store()
    now = time.time()
    a.save("c0ffee000001", StoredPin("large", 1, now))
    a.save("c0ffee000002", StoredPin("small", 3, now))
    assert a.flush()
    assert lookup(b, "c0ffee000001") == StoredPin("large", 1, now)
    assert lookup(b, "c0ffee000002") == StoredPin("small", 3, now)
    assert lookup(b, "unknown00000") is None
    # many lookups at once are answered together, each with its own pin
    futures = [b.lookup(fp) for fp in ("c0ffee000001", "nope", "c0ffee000002") * 50]
    got = [f.result(timeout=10) for f in futures]
    assert [p.model_id if p else None for p in got[:3]] == ["large", None, "small"]
    assert got[3:] == got[:-3]


def test_a_pin_only_moves_forward_in_time(open_store: Opener) -> None:
    a, b = open_store(), open_store()
    now = time.time()
    a.save("f00d00000001", StoredPin("large", 4, now))
    assert a.flush()
    # a slower process's batch with an older use lands later: it does not step the pin back
    b.save("f00d00000001", StoredPin("small", 3, now - 5))
    assert b.flush()
    assert lookup(a, "f00d00000001") == StoredPin("large", 4, now)
    b.save("f00d00000001", StoredPin("medium", 5, now + 1))
    assert b.flush()
    assert lookup(a, "f00d00000001") == StoredPin("medium", 5, now + 1)


def test_close_writes_what_is_queued_and_old_pins_are_pruned(open_store: Opener) -> None:
    first = open_store(window_s=60.0)
    now = time.time()
    first.save("0ld000000001", StoredPin("small", 2, now - 3600))
    first.save("fresh0000001", StoredPin("large", 2, now))
    first.close()  # no flush: close writes them
    later = open_store(window_s=60.0)  # a store prunes when it starts
    assert later.flush()
    deadline = time.monotonic() + 10
    while lookup(later, "0ld000000001") is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lookup(later, "0ld000000001") is None
    assert lookup(later, "fresh0000001") == StoredPin("large", 2, now)


def test_the_sqlite_file_is_private_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "pins.sqlite3"
    PinStore(path).close()
    PinStore(path).close()  # opening again migrates nothing
    assert path.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (len(pins_module.MIGRATIONS),)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


# --- ConversationPins of two instances over one store ---------------------------------


def route(pins: ConversationPins, req: ChatRequest, complexity: float) -> Decision:
    """As the engine does it: recall (the shared store, bounded), then apply."""
    router = Router(REGISTRY)
    c = classified(complexity)

    def decide(r: ChatRequest) -> Decision:
        return router.decide(r, c, settings=Settings())

    asyncio.run(pins.recall(req))
    return pins.apply(req, c, decide(req), decide)


class CountingStore(PinStore):
    """The real SQLite store, counting the lookups it was asked for."""

    lookups = 0

    def lookup(self, fingerprint: str):  # type: ignore[no-untyped-def]
        self.lookups += 1
        return super().lookup(fingerprint)


def test_a_conversation_keeps_its_model_on_another_instance(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "pins.sqlite3")
    try:
        a = ConversationPins(shared=store, lookup_timeout_s=5.0)
        b = ConversationPins(shared=store, lookup_timeout_s=5.0)
        alone = ConversationPins()  # today's per-process pins, for comparison
        turn1 = conversation("design a distributed lock")
        assert route(a, turn1, 0.9).primary == "large"
        assert route(alone, turn1, 0.9).primary == "large"
        assert store.flush()
        turn2 = conversation("design a distributed lock", "ok")
        assert route(ConversationPins(), turn2, 0.1).primary == "small"  # what B would do alone
        d = route(b, turn2, 0.1)
        assert d.primary == "large" and "pinned to large" in d.notes[-1]
        assert store.lookups == 1
        # B routed turn 2 itself: turn 3 on B is answered from B's own memory, no lookup
        assert route(b, conversation("design a distributed lock", "ok", "and?"), 0.1).primary == (
            "large"
        )
        assert store.lookups == 1
    finally:
        store.close()


def test_an_escalation_on_one_instance_reaches_the_other(tmp_path: Path) -> None:
    store = PinStore(tmp_path / "pins.sqlite3")
    try:
        a = ConversationPins(shared=store, lookup_timeout_s=5.0)
        b = ConversationPins(shared=store, lookup_timeout_s=5.0)
        assert route(a, conversation("hi"), 0.1).primary == "small"
        assert store.flush()
        hard = route(b, conversation("hi", "now prove it"), 0.9)
        assert hard.primary == "large" and "escalated from small" in hard.notes[-1]
        assert store.flush()
        # A's own pin (turn 1, small) is older than the previous turn: it asks the store
        easy = route(a, conversation("hi", "now prove it", "thanks"), 0.1)
        assert easy.primary == "large" and "pinned to large" in easy.notes[-1]
    finally:
        store.close()


def test_an_expired_shared_pin_is_ignored(tmp_path: Path) -> None:
    store = PinStore(tmp_path / "pins.sqlite3")
    try:
        fp = conversation_fingerprint(conversation("hi"))
        assert fp is not None
        store.save(fp, StoredPin("large", 1, time.time() - 7200))
        assert store.flush()
        b = ConversationPins(3600.0, shared=store, lookup_timeout_s=5.0)
        assert route(b, conversation("hi", "more"), 0.1).primary == "small"
    finally:
        store.close()


class StalledStore(PinStore):
    """The real store whose reader is stuck (a database that stopped answering)."""

    def _fetch(self, conn: object, fingerprints: list[str]) -> list[tuple[object, ...]]:
        time.sleep(1.0)
        return []


def test_a_stalled_store_costs_one_timeout_then_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = StalledStore(tmp_path / "pins.sqlite3")
    clock = Clock()
    try:
        pins = ConversationPins(shared=store, clock=clock, lookup_timeout_s=0.05)
        started = time.perf_counter()
        with caplog.at_level(logging.WARNING, "routerdesk.core.pinning"):
            d = route(pins, conversation("hi", "more"), 0.1)
        waited = time.perf_counter() - started
        assert d.primary == "small" and not any("pinned" in n for n in d.notes)
        assert 0.04 < waited < 0.5
        [line] = [r.getMessage() for r in caplog.records]
        assert "the database did not answer within 50 ms" in line
        assert "routed without the shared pin, and lookups pause for 5 s" in line
        # meanwhile other conversations do not wait at all
        started = time.perf_counter()
        route(pins, conversation("other", "more"), 0.1)
        assert time.perf_counter() - started < 0.04
        clock.now += LOOKUP_BACKOFF_S + 1
        started = time.perf_counter()
        route(pins, conversation("third", "more"), 0.1)  # lookups resume (and time out again)
        assert time.perf_counter() - started > 0.04
    finally:
        store.close()


def test_too_many_waiting_lookups_fail_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pins_module, "MAX_LOOKUPS", 3)
    store = StalledStore(tmp_path / "pins.sqlite3")
    try:
        waiting = [store.lookup("fp0")]
        time.sleep(0.1)  # the reader took it and is stuck on it
        waiting += [store.lookup(f"fp{i}") for i in range(1, 4)]
        busy = store.lookup("one-more")
        with pytest.raises(PinStoreBusy, match="3 pin lookups are waiting"):
            busy.result(timeout=0.01)
        assert all(f.result(timeout=10) is None for f in waiting)
    finally:
        store.close()


def test_an_unreachable_database_means_no_pin_not_a_stall(
    pg_cluster: object, caplog: pytest.LogCaptureFixture
) -> None:
    from pgcluster import PgCluster
    from routerdesk.storage.pins_pg import PgPinStore

    own = PgCluster()  # this test stops its server; the session's cluster stays up
    store = PgPinStore(own.new_database())
    stopped = False
    try:
        pins = ConversationPins(shared=store, lookup_timeout_s=5.0)
        route(pins, conversation("hi"), 0.9)
        assert store.flush()
        own.stop()
        stopped = True
        started = time.perf_counter()
        with caplog.at_level(logging.WARNING, "routerdesk.core.pinning"):
            d = route(
                ConversationPins(shared=store, lookup_timeout_s=5.0),
                conversation("hi", "more"),
                0.1,
            )
        assert time.perf_counter() - started < 5.0  # failed, not timed out
        assert d.primary == "small"
        [line] = [r.getMessage() for r in caplog.records]
        assert line.startswith("shared conversation pins: the lookup failed: connection failed")
        assert "routed without the shared pin" in line
        store.save("after-the-end", StoredPin("large", 2, time.time()))  # does not raise
    finally:
        started = time.perf_counter()
        store.close()
        assert time.perf_counter() - started < 15
        if not stopped:
            own.stop()


def test_lookups_timing_out_together_log_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = StalledStore(tmp_path / "pins.sqlite3")
    try:
        pins = ConversationPins(shared=store, lookup_timeout_s=0.05)

        async def together() -> None:
            await asyncio.gather(
                *(pins.recall(conversation(f"conversation {i}", "more")) for i in range(5))
            )

        with caplog.at_level(logging.WARNING, "routerdesk.core.pinning"):
            asyncio.run(together())
        assert len(caplog.records) == 1
    finally:
        store.close()
