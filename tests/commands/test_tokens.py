"""`routerdesk tokens` and the per-person table of `routerdesk stats`."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from routerdesk.cli import main
from routerdesk.core.people import TOKEN_PREFIX
from routerdesk.core.types import Person, UsageRecord
from routerdesk.storage.paths import people_db_path, usage_db_path
from routerdesk.storage.people import PersonTokens
from routerdesk.storage.usage import SCHEMA_VERSION, UsageStore


def _row(i: int, person: str, cost: float) -> UsageRecord:
    return UsageRecord(
        f"r{i}", time.time() - 60, "pytest", "openai", "auto", "cheapest", "general",
        0.5, 0.2, "l1", "oa-mini", "openai", cost=cost, person=person,
    )  # fmt: skip


def test_create_list_budget_revoke(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tokens", "list"]) == 0
    assert "no person tokens yet" in capsys.readouterr().out
    assert main(["tokens", "create", "alice", "--budget-daily", "5"]) == 0
    out, err = capsys.readouterr()
    token = out.strip()
    assert token.startswith(TOKEN_PREFIX) and "shown only now" in err
    assert PersonTokens(people_db_path()).find(token) == (Person("alice", 5.0), False)
    assert main(["tokens", "create", "alice"]) == 1
    assert "already has an active token" in capsys.readouterr().err
    assert main(["tokens", "create", "bob"]) == 0
    capsys.readouterr()
    store = UsageStore(usage_db_path())
    store.submit(_row(1, "alice", 1.25))
    store.close()
    assert main(["tokens", "budget", "bob", "2"]) == 0
    assert "bob: $2.00 a day" in capsys.readouterr().out
    assert main(["tokens", "revoke", "bob"]) == 0
    capsys.readouterr()
    assert main(["tokens", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:4] == ["alice", "5.00", "1.2500", "active"]
    assert lines[2].split()[:4] == ["bob", "2.00", "0.0000", "revoked"]
    assert token not in "\n".join(lines)
    assert main(["tokens", "revoke", "bob"]) == 1
    assert "no active token" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["tokens", "create", "carol", "--budget-daily", "-1"])


def test_stats_shows_spend_per_person(capsys: pytest.CaptureFixture[str]) -> None:
    store = UsageStore(usage_db_path())
    for i, (who, cost) in enumerate([("alice", 0.5), ("alice", 0.25), ("bob", 0.1), ("", 0.05)]):
        store.submit(_row(i, who, cost))
    store.close()
    assert main(["stats", "--since", "1d"]) == 0
    out = capsys.readouterr().out
    table = out.split("person", 1)[1].splitlines()
    assert table[1].split()[:2] == ["alice", "2"] and "0.7500" in table[1]
    assert table[2].split()[:2] == ["bob", "1"]
    assert table[3].split()[:3] == ["(local", "token)", "1"]


def test_stats_has_no_person_table_for_one_person(capsys: pytest.CaptureFixture[str]) -> None:
    store = UsageStore(usage_db_path())
    store.submit(_row(1, "", 0.5))
    store.close()
    assert main(["stats", "--since", "1d"]) == 0
    assert "person" not in capsys.readouterr().out


@pytest.mark.parametrize("version", [2, 3])
def test_older_database_gains_a_null_person_column(tmp_path: Path, version: int) -> None:
    db = tmp_path / "u.db"
    store = UsageStore(db)
    store.submit(_row(1, "", 0.5))
    store.close()
    # back into a schema-2 file (before compact rows) or a schema-3 one (before person)
    conn = sqlite3.connect(db)
    conn.execute("ALTER TABLE requests DROP COLUMN person")
    if version == 2:
        conn.execute("DROP TABLE zdicts")
    conn.execute(f"PRAGMA user_version={version}")
    conn.commit()
    conn.close()
    store = UsageStore(db)
    store.submit(_row(2, "alice", 0.25))
    store.flush()
    assert [r["person"] for r in store.rows()] == [None, "alice"]
    store.close()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_a_broken_token_database_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    people_db_path().parent.mkdir(parents=True, exist_ok=True)
    people_db_path().write_text("not a database, " * 8)
    assert main(["tokens", "create", "bob"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert "person-token database failed: file is not a database" in err
