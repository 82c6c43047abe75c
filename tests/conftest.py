"""Test-wide fixtures: keep every test off the user's real folders, keys, proxies and display."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Qt aborts the whole run without a display unless told to render offscreen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_PROXY_VARS = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)
_KEY_VARS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "DEEPSEEK_API_KEY",
    "MOONSHOT_API_KEY",
    "MISTRAL_API_KEY",
    "XAI_API_KEY",
    "GROQ_API_KEY",
    "OPENROUTER_API_KEY",
    "ROUTERDESK_TOKEN",
    "ANTHROPIC_BASE_URL",
    "OPENAI_BASE_URL",
)


@pytest.fixture(autouse=True)
def routerdesk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own empty state folder, and no proxy or provider key from the host."""
    home = tmp_path / "routerdesk-home"
    home.mkdir()
    monkeypatch.setenv("ROUTERDESK_HOME", str(home))
    for var in _PROXY_VARS + _KEY_VARS:
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.lower(), raising=False)
    yield home


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    """A temporary PostgreSQL cluster (see tests/pgcluster.py), started once per session."""
    from pgcluster import PgCluster

    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[test]' installs it)")
    try:
        cluster = PgCluster()
    except FileNotFoundError:
        pytest.skip("PostgreSQL server not installed (scripts/system-deps.sh installs it)")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: object) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    from pgcluster import PgCluster

    assert isinstance(pg_cluster, PgCluster)
    return pg_cluster.new_database()
