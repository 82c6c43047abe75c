"""The person-token table: hashed at rest, mode 0600, revocation seen by a live lookup."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from routerdesk.core.people import TOKEN_PREFIX
from routerdesk.core.types import Person
from routerdesk.storage.people import PersonTokens


def test_create_returns_the_token_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    path = tmp_path / "people.sqlite3"
    people = PersonTokens(path)
    token = people.create("alice", 5.0)
    assert token.startswith(TOKEN_PREFIX) and len(token) > 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    assert token.encode() not in raw
    assert token[len(TOKEN_PREFIX) :].encode() not in raw
    assert hashlib.sha256(token.encode()).hexdigest().encode() in raw
    assert people.find(token) == (Person("alice", 5.0), False)
    assert people.find(token + "x") is None
    assert people.find("rdp_" + "A" * 43) is None
    [row] = people.list()
    assert (row.name, row.budget_daily_usd, row.revoked) == ("alice", 5.0, False)


def test_tokens_differ_and_names_are_checked(tmp_path: Path) -> None:
    people = PersonTokens(tmp_path / "p.sqlite3")
    a, b = people.create("alice"), people.create("bob@team")
    assert a != b
    assert people.find(b) == (Person("bob@team", None), False)
    with pytest.raises(ValueError, match="already has an active token"):
        people.create("alice")
    for bad in ("", "-x", "a b", "x" * 65, "é"):
        with pytest.raises(ValueError, match="invalid name"):
            people.create(bad)
    with pytest.raises(ValueError, match="negative"):
        people.create("carol", -1.0)


def test_revoke_is_seen_by_a_lookup_that_already_loaded(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    server_side = PersonTokens(path)
    token = PersonTokens(path).create("alice")
    assert server_side.find(token) == (Person("alice"), False)
    assert PersonTokens(path).revoke("alice") is True  # another process, in effect
    assert server_side.find(token) == (Person("alice"), True)
    assert PersonTokens(path).revoke("alice") is False  # already revoked
    # a new token for a revoked name replaces the old one, which stays dead
    fresh = PersonTokens(path).create("alice", 1.0)
    assert server_side.find(fresh) == (Person("alice", 1.0), False)
    assert server_side.find(token) is None


def test_budget_changes_reach_the_lookup(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    people = PersonTokens(path)
    token = people.create("alice", 1.0)
    assert people.find(token) == (Person("alice", 1.0), False)
    assert PersonTokens(path).set_budget("alice", 2.5) is True
    assert people.find(token) == (Person("alice", 2.5), False)
    assert PersonTokens(path).set_budget("alice", None) is True
    assert people.find(token) == (Person("alice", None), False)
    assert people.set_budget("nobody", 1.0) is False


def test_lookup_without_a_file_finds_nobody(tmp_path: Path) -> None:
    people = PersonTokens(tmp_path / "missing.sqlite3")
    assert people.find("rdp_whatever") is None
    assert not (tmp_path / "missing.sqlite3").exists()
