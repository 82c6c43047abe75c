"""The PostgreSQL usage log answers every query exactly as the SQLite one does."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

import psycopg
import pytest

from routerdesk.storage.compact import plain
from routerdesk.storage.usage import COLUMNS, UsageStore, candidates_summary, record_row
from routerdesk.storage.usage_pg import (
    PG_MIGRATIONS,
    PG_SCHEMA_VERSION,
    PgCandidateCodec,
    PgUsageStore,
)

from .test_usage import record
from .test_usage_backlog import assert_reads_as_routed, routed_records

pytestmark = pytest.mark.usefixtures("pg_cluster")


def same(a: list[Any], b: list[Any]) -> bool:
    """Equal row by row, floats up to summation order (the databases add in different orders)."""
    assert len(b) > 0
    return [asdict(x) for x in a] == [pytest.approx(asdict(x)) for x in b]


def _mixed() -> list:  # type: ignore[type-arg]
    out = []
    for i in range(40):
        out.append(
            record(
                i,
                started_at=1_700_000_000.0 + i * 900,
                model_id=("oa-mini", "an-mini", "oa-big")[i % 3],
                task=("code_generation", "simple_qa")[i % 2],
                status="error" if i % 7 == 0 else "ok",
                cost=0.001 * (i + 1),
                baseline_cost=0.01 * (i + 1),
                demo=i % 5 == 0,
                person=("alice", "bob", "")[i % 3],
            )
        )
    return out


def test_same_answers_as_sqlite(pg_url: str, tmp_path: Path) -> None:
    lite, pg = UsageStore(tmp_path / "u.db"), PgUsageStore(pg_url)
    try:
        for r in _mixed():
            lite.submit(r)
            pg.submit(r)
        lite.flush()
        pg.flush()
        since = 1_700_000_000.0 + 5 * 900
        for demo in (False, True):
            for by in ("model_id", "task", "person", "status"):
                assert same(pg.totals(by, since, demo=demo), lite.totals(by, since, demo=demo))  # type: ignore[arg-type]
            assert same([pg.overall(since, demo=demo)], [lite.overall(since, demo=demo)])
            assert same(
                pg.timeseries(0.0, 3600.0, demo=demo), lite.timeseries(0.0, 3600.0, demo=demo)
            )
        assert pg.spend_since(since) == pytest.approx(lite.spend_since(since))
        assert pg.spend_by_person_since(since) == pytest.approx(lite.spend_by_person_since(since))
        assert pg.recent(5, 3) == lite.recent(5, 3)
        assert list(pg.rows(since)) == list(lite.rows(since))
        assert pg.get("r7") == lite.get("r7") and pg.get("nope") is None
        assert pg.export_csv(tmp_path / "pg.csv") == lite.export_csv(tmp_path / "lite.csv") == 40
        assert (tmp_path / "pg.csv").read_text() == (tmp_path / "lite.csv").read_text()
        cutoff = 1_700_000_000.0 + 86400 + 10 * 900  # rows 0..9 are older than a day then
        assert pg.prune(1, now=cutoff) == lite.prune(1, now=cutoff) == 10
        assert pg.overall(demo=False).requests + pg.overall(demo=True).requests == 30
    finally:
        lite.close()
        pg.close()


def test_close_writes_everything_queued(pg_url: str) -> None:
    store = PgUsageStore(pg_url, flush_interval_s=60.0)
    for i in range(600):  # more than one batch, most still queued at close
        store.submit(record(i))
    store.close()
    reopened = PgUsageStore(pg_url)
    try:
        assert reopened.overall().requests == 600
    finally:
        reopened.close()


def test_instances_starting_together_migrate_once(pg_url: str) -> None:
    errors: list[BaseException] = []
    stores: list[PgUsageStore] = []

    def open_one() -> None:
        try:
            stores.append(PgUsageStore(pg_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert errors == [] and len(stores) == 6
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM routerdesk_schema").fetchall() == [
            (PG_SCHEMA_VERSION,)
        ]


def test_a_newer_schema_is_refused(pg_url: str) -> None:
    PgUsageStore(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE routerdesk_schema SET version = 99")
    with pytest.raises(RuntimeError, match="schema 99 is newer"):
        PgUsageStore(pg_url)


def test_unreachable_database_is_a_clear_config_error() -> None:
    from fakes import free_port
    from routerdesk.core.errors import ConfigError
    from routerdesk.storage.usage_open import open_usage_store

    url = f"postgresql://routerdesk@127.0.0.1:{free_port()}/nowhere"
    with pytest.raises(ConfigError) as e:
        open_usage_store(url)
    assert "storage.url" in str(e.value) and "cannot open the PostgreSQL usage log" in str(e.value)


def test_settings_refuse_a_password_in_the_url() -> None:
    from routerdesk.core.errors import ConfigError
    from routerdesk.core.settings_file import parse_settings

    ok = parse_settings({"storage": {"url": "postgresql://rd@db/rd"}}, "settings.toml")
    assert ok.storage.url == "postgresql://rd@db/rd"
    for bad in ("postgresql://rd:s3cret@db/rd", "postgresql://db/rd?password=s3cret"):
        with pytest.raises(ConfigError, match="PGPASSWORD") as e:
            parse_settings({"storage": {"url": bad}}, "settings.toml")
        assert "storage.url" in str(e.value) and "s3cret" not in str(e.value)
    with pytest.raises(ConfigError, match="postgresql:// URL"):
        parse_settings({"storage": {"url": "mysql://db/rd"}}, "settings.toml")


def test_rows_are_stored_compact_as_in_sqlite(pg_url: str, tmp_path: Path) -> None:
    records = routed_records(60)
    lite, pg = UsageStore(tmp_path / "u.db"), PgUsageStore(pg_url)
    try:
        for r in records:
            lite.submit(r)
            pg.submit(r)
        lite.flush()
        pg.flush()
        assert list(pg.rows()) == list(lite.rows())  # every candidate, signal and feature back
        with psycopg.connect(pg_url) as conn:
            stored = conn.execute("SELECT candidates, features FROM requests").fetchall()
            dicts = conn.execute("SELECT COUNT(*) FROM zdicts").fetchone()
        assert dicts is not None and dicts[0] >= 1
        for candidates, features in stored:  # deflated against a dictionary (id > 0)
            assert int.from_bytes(candidates[:4], "big") > 0
            assert int.from_bytes(features[:4], "big") > 0
        raw = sum(len(json.dumps(r["candidates"])) for r in lite.rows())
        assert sum(len(c) for c, _ in stored) < raw / 4
    finally:
        lite.close()
        pg.close()


def test_rows_written_before_compression_still_read(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:  # a schema-2 database, as #15 made
        conn.execute("CREATE TABLE routerdesk_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO routerdesk_schema (version) VALUES (2)")
        for migration in PG_MIGRATIONS[:2]:
            for statement in migration.split(";"):
                if statement.strip():
                    conn.execute(statement)
        old = [{"model_id": "gpt-x", "kept": True, "reason": "qualified", "score": 4.0}]
        conn.execute(
            "INSERT INTO requests (request_id, started_at, candidates, features) "
            "VALUES ('old', 1, %s, '{\"chars\": 3.0}')",
            (json.dumps(old),),
        )
    store = PgUsageStore(pg_url)
    try:
        row = store.get("old")
        assert row is not None and row["candidates"] == old and row["features"] == {"chars": 3.0}
        assert row["signals"] == []
        store.submit(routed_records(1)[0])
        store.flush()
        assert len(store.recent()) == 2
    finally:
        store.close()


async def test_a_stalled_database_slows_the_intake_and_loses_nothing(pg_url: str) -> None:
    store = PgUsageStore(pg_url)
    store.max_backlog = 50
    blocker = psycopg.connect(pg_url)
    blocker.execute("LOCK TABLE requests IN EXCLUSIVE MODE")  # our writer's INSERT must wait
    peak = taken = 0

    async def intake() -> None:
        nonlocal peak, taken
        for i in range(300):
            await store.wait_for_room()  # what the engine does before taking a request
            store.submit(record(i))
            taken += 1
            peak = max(peak, store.backlog)

    task = asyncio.create_task(intake())
    try:
        await asyncio.sleep(0.5)
        assert not task.done() and taken <= store.max_backlog  # the intake waits
        assert store.backlog <= store.max_backlog
        blocker.commit()
        await asyncio.wait_for(task, 20)
        store.flush()
        assert peak <= store.max_backlog
        assert len(store.recent(limit=1_000)) == 300
    finally:
        blocker.close()
        store.close()


def test_rows_average_under_a_kilobyte_and_lose_nothing(pg_url: str) -> None:
    records = routed_records(2_000)  # mixed traffic, as in test_usage_backlog
    store = PgUsageStore(pg_url)
    try:
        for r in records:
            store.submit(r)
        store.flush()
        for r in records[::97]:
            assert_reads_as_routed(store.get(r.request_id), r)
    finally:
        store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("VACUUM FULL requests")
        conn.execute("VACUUM FULL zdicts")
        size = conn.execute(  # heap, TOAST and indexes
            "SELECT pg_total_relation_size('requests') + pg_total_relation_size('zdicts')"
        ).fetchone()
    assert size is not None
    per_row = size[0] / len(records)
    assert per_row <= 1024, f"{per_row:.0f} bytes per row"


def test_rows_in_the_schema_4_layout_still_read(pg_url: str) -> None:
    """Rows as routerdesk wrote them before the decision was packed (storage/stored_decision.py):
    the candidates_summary list deflated, the why and the fallbacks in their own columns."""
    old, new = routed_records(4)[:2], routed_records(4)[2:]
    PgUsageStore(pg_url).close()
    codec = PgCandidateCodec()
    with psycopg.connect(pg_url, autocommit=True) as conn, conn.transaction():
        for r in old:
            assert r.decision is not None
            row = record_row(r)
            row[COLUMNS.index("candidates")] = codec.compress(
                conn,  # type: ignore[arg-type]
                json.dumps(candidates_summary(r.decision)),
            )
            row[COLUMNS.index("decision_why")] = r.decision.why
            row[COLUMNS.index("decision_fallbacks")] = json.dumps(r.decision.fallbacks)
            for col in ("signals", "features"):
                row[COLUMNS.index(col)] = plain(row[COLUMNS.index(col)])
            conn.execute(
                f"INSERT INTO requests ({', '.join(COLUMNS)}) "
                f"VALUES ({', '.join(['%s'] * len(COLUMNS))})",
                row,
            )
    store = PgUsageStore(pg_url)
    try:
        for r in new:
            store.submit(r)
        store.flush()
        for r in old + new:
            assert_reads_as_routed(store.get(r.request_id), r)
    finally:
        store.close()
