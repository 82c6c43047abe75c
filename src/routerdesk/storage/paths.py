"""The one place that resolves where routerdesk keeps its files."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "routerdesk"


def state_dir() -> Path:
    """`ROUTERDESK_HOME` if set, else the platform's user config dir. Created on demand."""
    home = os.environ.get("ROUTERDESK_HOME")
    path = Path(home) if home else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Where the usage database lives: `ROUTERDESK_HOME` if set, else the user data dir."""
    home = os.environ.get("ROUTERDESK_HOME")
    path = Path(home) if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def settings_path() -> Path:
    return state_dir() / "settings.toml"


def registry_path() -> Path:
    return state_dir() / "registry.toml"


def usage_db_path() -> Path:
    return data_dir() / "usage.sqlite3"


def people_db_path() -> Path:
    """Person tokens of a team server (hashes only; see storage/people.py)."""
    return state_dir() / "people.sqlite3"


def pins_db_path() -> Path:
    """Conversation pins shared by `serve --workers N` without a database URL (storage/pins.py)."""
    return data_dir() / "pins.sqlite3"


def audits_db_path() -> Path:
    """Quality audits (both answers of each audited request), apart from the usage log."""
    return data_dir() / "audits.sqlite3"
