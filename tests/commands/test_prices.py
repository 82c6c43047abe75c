"""`routerdesk prices refresh`: fixes stale prices, reports them, saves atomically, never touches a bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from routerdesk.cli import main
from routerdesk.core.registry_file import load_registry, shipped_registry_text


def stale_registry(path: Path) -> None:
    text = shipped_registry_text()
    start = text.index('id = "gpt-5-mini"')
    section_end = text.index("[[models]]", start)
    section = text[start:section_end].replace("input = 0.25", "input = 7.5", 1)
    path.write_text(text[:start] + section + text[section_end:], "utf-8")


def test_refresh_fixes_and_reports_stale_prices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "registry.toml"
    stale_registry(path)
    assert load_registry(path).registry["gpt-5-mini"].prices.input == 7.5
    assert main(["prices", "refresh", "--registry", str(path)]) == 0
    out = capsys.readouterr().out
    assert "gpt-5-mini: input 7.5 -> 0.25 USD/1M" in out
    assert load_registry(path).registry["gpt-5-mini"].prices.input == 0.25


def test_dry_run_saves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "registry.toml"
    stale_registry(path)
    before = path.read_bytes()
    assert main(["prices", "refresh", "--registry", str(path), "--dry-run"]) == 0
    assert "gpt-5-mini: input 7.5 -> 0.25" in capsys.readouterr().out
    assert path.read_bytes() == before


def test_default_is_the_users_registry(routerdesk_home: Path) -> None:
    assert main(["prices", "refresh"]) == 0
    assert load_registry(routerdesk_home / "registry.toml").prices_as_of is not None


def test_invalid_registry_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "registry.toml"
    path.write_text("version = 1\nmodels = 3\n", "utf-8")
    assert main(["prices", "refresh", "--registry", str(path)]) == 2
    assert f"{path}: models:" in capsys.readouterr().err
    assert path.read_text("utf-8") == "version = 1\nmodels = 3\n"
