"""Open the usage log, the person tokens and the shared conversation pins where the settings
say: SQLite files in the state folders, or the team's PostgreSQL database.

psycopg is imported only when a ``postgresql://`` URL is configured, so the
desktop app never loads it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from routerdesk.core.errors import ConfigError, TeamDatabaseError
from routerdesk.core.redact import scrub
from routerdesk.core.settings_file import load_settings
from routerdesk.storage import paths
from routerdesk.storage.people import PersonTokens
from routerdesk.storage.pins import PinStore
from routerdesk.storage.usage import UsageStore

if TYPE_CHECKING:
    from routerdesk.storage.people_pg import PgPersonTokens
    from routerdesk.storage.usage_team import TeamUsageReader

log = logging.getLogger(__name__)
_T = TypeVar("_T")


def _no_psycopg(exc: ImportError) -> ConfigError:
    return ConfigError(
        str(paths.settings_path()),
        "storage.url",
        f"a PostgreSQL usage log needs psycopg ({exc.name}): pip install 'routerdesk[team]'",
    )


def database_error(exc: BaseException) -> str:
    """A database error's first line, scrubbed (a driver may echo what it was given)."""
    text = str(exc).strip()
    return scrub(text.splitlines()[0]) if text else type(exc).__name__


def open_usage_store(url: str = "") -> UsageStore:
    """The SQLite log for an empty `url`, else the PostgreSQL one at `url`."""
    if not url:
        return UsageStore(paths.usage_db_path())
    try:
        from routerdesk.storage.usage_pg import PgUsageStore
    except ImportError as exc:
        raise _no_psycopg(exc) from None
    return _open_pg(PgUsageStore, url, "open the PostgreSQL usage log at")


def describe_database(url: str) -> str:
    """The database a PostgreSQL URL names, for people (never a password):
    ``routerdesk on db.example.com:5432 as alice``."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    where = f"{host}:{parts.port}" if parts.port else host
    name = parts.path.lstrip("/") or (parts.username or "postgres")
    who = f" as {parts.username}" if parts.username else ""
    return scrub(f"{name} on {where}{who}", parts.password or "")


def open_team_usage(url: str) -> TeamUsageReader:
    """The team's PostgreSQL usage log at `url` over a read-only session (the app's Dashboard
    view of `[storage] team_url`). Raises `TeamDatabaseError`."""
    try:
        from routerdesk.storage.usage_team import TeamUsageReader
    except ImportError as exc:
        raise TeamDatabaseError(
            f"showing a team database needs psycopg ({exc.name}): pip install 'routerdesk[team]'"
        ) from None
    return TeamUsageReader(url)


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


def open_person_tokens(url: str = "") -> PersonTokens | PgPersonTokens:
    """people.sqlite3 for an empty `url`, else the person_tokens table at `url`."""
    if not url:
        return PersonTokens(paths.people_db_path())
    try:
        from routerdesk.storage.people_pg import PgPersonTokens
    except ImportError as exc:
        raise _no_psycopg(exc) from None
    return _open_pg(PgPersonTokens, url, "read person tokens from the PostgreSQL database at")


def open_pin_store(url: str = "", *, window_s: float = 3600.0) -> PinStore:
    """pins.sqlite3 for an empty `url`, else the conversation_pins table at `url`."""
    if not url:
        return PinStore(paths.pins_db_path(), window_s=window_s)
    try:
        from routerdesk.storage.pins_pg import PgPinStore
    except ImportError as exc:
        raise _no_psycopg(exc) from None
    return _open_pg(
        lambda u: PgPinStore(u, window_s=window_s),
        url,
        "share conversation pins through the PostgreSQL database at",
    )


def _open_pg(factory: Callable[[str], _T], url: str, doing: str) -> _T:
    """`factory(url)`, a database error said as a `ConfigError` naming storage.url."""
    import psycopg

    try:
        return factory(url)
    except psycopg.Error as exc:
        raise ConfigError(
            str(paths.settings_path()),
            "storage.url",
            f"cannot {doing} {scrub(url)}: {database_error(exc)}",
        ) from None
