"""Person tokens in PostgreSQL: hashed, shared by instances, changes seen after a refresh."""

from __future__ import annotations

import hashlib

import psycopg
import pytest

from routerdesk.core.types import Person
from routerdesk.storage.people_pg import PgPersonTokens

pytestmark = pytest.mark.usefixtures("pg_cluster")


def test_tokens_are_hashed_and_shared_after_refresh(pg_url: str) -> None:
    admin, server = PgPersonTokens(pg_url), PgPersonTokens(pg_url)
    token = admin.create("alice", 2.0)
    assert server.find(token) is None  # not refreshed yet: find never blocks on the network
    server.refresh()
    assert server.find(token) == (Person("alice", 2.0), False)
    assert server.find(token + "x") is None
    with psycopg.connect(pg_url) as conn:
        stored = conn.execute("SELECT token_sha256 FROM person_tokens").fetchall()
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(),)]
    assert admin.set_budget("alice", None) and admin.revoke("alice")
    server.refresh()
    assert server.find(token) == (Person("alice", None), True)
    assert not admin.revoke("alice") and not admin.set_budget("alice", 1.0)
    fresh = admin.create("alice")
    server.refresh()
    assert server.find(fresh) == (Person("alice"), False) and server.find(token) is None
    with pytest.raises(ValueError, match="already has an active token"):
        admin.create("alice")
    with pytest.raises(ValueError, match="invalid name"):
        admin.create("no spaces")
    assert [(p.name, p.revoked) for p in admin.list()] == [("alice", False)]
