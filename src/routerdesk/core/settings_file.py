"""The user's `settings.toml`: read and validated into `Settings`, saved atomically.

A default file is written only when none exists. A file that fails to parse or
validate raises `ConfigError` naming file, field and reason
(``settings.toml: routing.strategy: Input should be 'cheapest', 'balanced' or
'best'``) and is never overwritten; callers keep the settings they had
(`reload_settings`). Core does not know the state folder: callers pass the path
(`storage.paths.settings_path()`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from routerdesk.core.errors import ConfigError
from routerdesk.core.files import atomic_write_text, config_error_from_validation, read_toml
from routerdesk.core.settings import Settings

log = logging.getLogger(__name__)

HEADER = (
    "# routerdesk settings. Edit freely; an invalid file is reported and left untouched.\n"
    '# Per-provider endpoint override: [providers.<id>] base_url = "http://..."\n'
)


def parse_settings(raw: dict[str, Any], path: str) -> Settings:
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise config_error_from_validation(path, exc, raw) from None


def load_settings(path: Path) -> Settings:
    """Read `path`, writing the defaults first if it does not exist. Raises `ConfigError`."""
    if not path.exists():
        settings = Settings()
        save_settings(path, settings)
        log.info("created %s with default settings", path)
        return settings
    return parse_settings(read_toml(path), str(path))


def reload_settings(path: Path, current: Settings) -> tuple[Settings, ConfigError | None]:
    """Re-read after an edit; on error keep `current` and return the error to show the user."""
    try:
        return load_settings(path), None
    except ConfigError as exc:
        log.warning("keeping the previous settings: %s", exc)
        return current, exc


def settings_to_toml(settings: Settings) -> str:
    # TOML has no null: unset optional fields are simply left out.
    return HEADER + "\n" + tomli_w.dumps(settings.model_dump(mode="json", exclude_none=True))


def save_settings(path: Path, settings: Settings) -> None:
    """Write `settings` to `path` atomically (temp file, fsync, rename)."""
    atomic_write_text(path, settings_to_toml(settings))
