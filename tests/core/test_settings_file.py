"""settings.toml: defaults only when absent, errors name file and field, bad files are never overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from routerdesk.core.errors import ConfigError
from routerdesk.core.settings import ProviderSettings, Settings
from routerdesk.core.settings_file import load_settings, reload_settings, save_settings


def test_defaults_are_written_only_when_absent(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    assert load_settings(path) == Settings()
    assert path.exists()
    path.write_text('[routing]\nstrategy = "best"\n', "utf-8")
    assert load_settings(path).routing.strategy == "best"
    assert path.read_text("utf-8") == '[routing]\nstrategy = "best"\n'


def test_empty_file_means_defaults_and_stays_empty(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("", "utf-8")
    assert load_settings(path) == Settings()
    assert path.read_text("utf-8") == ""


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        (
            '[routing]\nstrategy = "fastest"\n',
            "routing.strategy",
            "'cheapest', 'balanced' or 'best'",
        ),
        ("[server]\nport = 70000\n", "server.port", "less than or equal to 65535"),
        ("[providers.openai]\nbase_url = 3\n", "providers.openai.base_url", "valid string"),
        ("[routing]\ncolour = 1\n", "routing.colour", "Extra inputs"),
    ],
)
def test_bad_values_name_file_and_field(tmp_path: Path, text: str, field: str, reason: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert err.value.path == str(path)
    assert err.value.field == field
    assert reason in err.value.reason
    assert path.read_text("utf-8") == text


def test_reload_keeps_current_settings_on_error(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    current = load_settings(path)
    path.write_text("[routing\n", "utf-8")
    kept, error = reload_settings(path, current)
    assert kept is current
    assert error is not None and "invalid TOML" in error.reason
    assert path.read_text("utf-8") == "[routing\n"


def test_save_round_trips_with_unset_optionals(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    s = Settings(providers={"ollama": ProviderSettings(base_url="http://127.0.0.1:11434/v1")})
    s.routing.strategy = "cheapest"
    save_settings(path, s)
    assert load_settings(path) == s
    assert "daily_usd" not in path.read_text("utf-8")  # None is left out, TOML has no null
