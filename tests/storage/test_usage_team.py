"""The team database as the desktop app reads it: a read-only session over rows a real
`PgUsageStore` wrote, that refuses every write, migrates nothing and says clearly why it
cannot read (never with a password)."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors as pg_errors

from fakes import free_port
from routerdesk.core.errors import ConfigError, TeamDatabaseError
from routerdesk.core.settings_file import parse_settings
from routerdesk.storage.usage_open import describe_database, open_team_usage
from routerdesk.storage.usage_pg import PG_SCHEMA_VERSION, PgUsageStore
from routerdesk.storage.usage_team import TeamUsageReader

from .test_usage import record
from .test_usage_backlog import routed_records

pytestmark = pytest.mark.usefixtures("pg_cluster")


@pytest.fixture
def team_db(pg_url: str) -> Iterator[str]:
    """A team server's database: 30 routed rows from alice, bob and the local token."""
    store = PgUsageStore(pg_url)
    try:
        for i, r in enumerate(routed_records(30)):
            store.submit(dataclasses.replace(r, person=("alice", "bob", "")[i % 3], cost=0.001 * i))
        store.flush()
    finally:
        store.close()
    yield pg_url


def count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT COUNT(*) FROM requests").fetchone()
        return int(row[0]) if row else -1


def test_reads_what_the_team_server_wrote(team_db: str) -> None:
    writer = PgUsageStore(team_db)
    reader = open_team_usage(team_db)
    try:
        assert reader.recent(100) == writer.recent(100)  # candidates expanded from zdicts
        newest = writer.recent(1)[0]
        assert reader.get(newest["request_id"]) == newest
        people = {t.key: t.requests for t in reader.totals("person")}
        assert people == {"alice": 10, "bob": 10, "": 10}
        assert reader.totals("person") == writer.totals("person")
    finally:
        reader.close()
        writer.close()


def test_the_session_refuses_every_write(team_db: str) -> None:
    reader = TeamUsageReader(team_db)
    before = count(team_db)
    try:
        conn = reader._read_conn
        assert conn.execute("SHOW transaction_read_only").fetchone() == ("on",)
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        for sql in (
            "DELETE FROM requests",
            "UPDATE requests SET cost = 0",
            "INSERT INTO zdicts (data) VALUES ('x')",
            "CREATE TABLE sneaky (x int)",
            "UPDATE routerdesk_schema SET version = 1",
        ):
            with pytest.raises(pg_errors.ReadOnlySqlTransaction):
                conn.execute(sql)
        # an explicit transaction is read-only too (the session's characteristics)
        with pytest.raises(pg_errors.ReadOnlySqlTransaction), conn.transaction():
            conn.execute("DELETE FROM requests")
        with pytest.raises(TeamDatabaseError, match="read-only"):
            reader.submit(record(99))
        with pytest.raises(TeamDatabaseError, match="read-only"):
            reader.prune(0, now=time.time() + 10 * 365 * 86400)
        assert reader.recent(1)  # still reads after the refusals
    finally:
        reader.close()
    assert count(team_db) == before


def test_a_role_that_may_only_select_reads_everything(team_db: str) -> None:
    """The README's advice for viewers: SELECT on three tables is all the reader needs."""
    role = "viewer_" + uuid.uuid4().hex[:8]
    with psycopg.connect(team_db, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")  # type: ignore[arg-type]
        conn.execute(f"GRANT SELECT ON requests, zdicts, routerdesk_schema TO {role}")  # type: ignore[arg-type]
    reader = open_team_usage(team_db.replace("routerdesk@", f"{role}@"))
    try:
        assert len(reader.recent(100)) == 30 and reader.recent(1)[0]["candidates"]
        assert f"as {role}" in reader.label
    finally:
        reader.close()


def test_a_database_without_a_usage_log_is_reported_not_created(pg_url: str) -> None:
    with pytest.raises(TeamDatabaseError, match="no routerdesk usage log") as e:
        open_team_usage(pg_url)
    assert describe_database(pg_url) in str(e.value)
    with psycopg.connect(pg_url) as conn:  # nothing was migrated
        tables = conn.execute(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        assert tables == (0,)


def test_a_schema_of_another_version_is_named_and_left_alone(team_db: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as conn:
        conn.execute("UPDATE routerdesk_schema SET version = %s", (PG_SCHEMA_VERSION + 1,))
    with pytest.raises(TeamDatabaseError, match="upgrade this app"):
        open_team_usage(team_db)
    with psycopg.connect(team_db) as conn:
        assert conn.execute("SELECT version FROM routerdesk_schema").fetchone() == (
            PG_SCHEMA_VERSION + 1,
        )


def test_connection_errors_are_clear_and_never_hold_the_password(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", "pg-env-s3cret-value")
    start = time.monotonic()
    closed = f"postgresql://alice@127.0.0.1:{free_port()}/team"
    with pytest.raises(TeamDatabaseError) as e:
        open_team_usage(closed)
    message = str(e.value)
    assert message.startswith("cannot connect to team on 127.0.0.1:") and "as alice" in message
    assert "refused" in message.lower() or "failed" in message.lower()
    assert time.monotonic() - start < 10
    # a password in the URL (settings refuse one; the reader is careful anyway)
    port = pg_url.rsplit(":", 1)[1].split("/")[0]
    with pytest.raises(TeamDatabaseError) as e:
        TeamUsageReader(f"postgresql://routerdesk:url-s3cret-value@127.0.0.1:{port}/nosuchdb")
    assert "nosuchdb" in str(e.value) and "does not exist" in str(e.value)
    for message in (str(e.value), describe_database("postgresql://a:url-s3cret-value@h/db")):
        assert "s3cret" not in message


def test_settings_check_the_team_url_like_the_storage_url() -> None:
    ok = parse_settings({"storage": {"team_url": "postgresql://me@db/rd"}}, "settings.toml")
    assert ok.storage.team_url == "postgresql://me@db/rd" and ok.storage.url == ""
    with pytest.raises(ConfigError, match="PGPASSWORD") as e:
        parse_settings({"storage": {"team_url": "postgresql://me:s3cret@db/rd"}}, "settings.toml")
    assert "storage.team_url" in str(e.value) and "s3cret" not in str(e.value)
    with pytest.raises(ConfigError, match="postgresql:// URL"):
        parse_settings({"storage": {"team_url": "sqlite:///x"}}, "settings.toml")
