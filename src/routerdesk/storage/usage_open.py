"""Open the usage log where the settings say: SQLite in the data folder, or PostgreSQL.

psycopg is imported only when a ``postgresql://`` URL is configured, so the
desktop app never loads it.
"""

from __future__ import annotations

import logging

from routerdesk.core.errors import ConfigError
from routerdesk.core.settings_file import load_settings
from routerdesk.storage import paths
from routerdesk.storage.usage import UsageStore

log = logging.getLogger(__name__)


def open_usage_store(url: str = "") -> UsageStore:
    """The SQLite log for an empty `url`, else the PostgreSQL one at `url`."""
    if not url:
        return UsageStore(paths.usage_db_path())
    try:
        from routerdesk.storage.usage_pg import PgUsageStore
    except ImportError as exc:
        raise ConfigError(
            str(paths.settings_path()),
            "storage.url",
            f"a PostgreSQL usage log needs psycopg ({exc.name}): pip install 'routerdesk[team]'",
        ) from None
    import psycopg

    try:
        return PgUsageStore(url)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            str(paths.settings_path()),
            "storage.url",
            f"cannot open the PostgreSQL usage log at {url}: {reason}",
        ) from None


def configured_url() -> str:
    """`[storage] url` from settings.toml ("" when unset, or when the file is invalid)."""
    try:
        return load_settings(paths.settings_path()).storage.url
    except ConfigError as exc:
        log.error("%s; using the SQLite usage log", exc)
        return ""


def open_configured_usage_store() -> UsageStore:
    """The usage log the settings name (for commands that read or prepare it)."""
    return open_usage_store(configured_url())
