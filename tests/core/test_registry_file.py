"""registry.toml: first-use copy, validation errors naming file/model/field, never overwriting, atomic save."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from routerdesk.core import files
from routerdesk.core.errors import ConfigError
from routerdesk.core.registry_file import (
    RegistryDocument,
    ensure_registry,
    load_registry,
    load_shipped_registry,
    reload_registry,
    save_registry,
    shipped_registry_text,
)


@pytest.fixture
def reg_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "registry.toml"


def test_first_use_copies_the_shipped_registry(reg_path: Path) -> None:
    doc = ensure_registry(reg_path)
    assert reg_path.read_text("utf-8") == shipped_registry_text()
    assert [m.id for m in doc.registry] == [m.id for m in load_shipped_registry().registry]


def test_existing_file_is_loaded_not_replaced(reg_path: Path) -> None:
    ensure_registry(reg_path)
    text = reg_path.read_text("utf-8").replace('id = "gpt-5-mini"', 'id = "my-mini"', 1)
    reg_path.write_text(text, "utf-8")
    doc = ensure_registry(reg_path)
    assert doc.registry.get("my-mini") is not None
    assert reg_path.read_text("utf-8") == text


def _break(path: Path, old: str, new: str) -> bytes:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path.read_bytes()


def _first_model_field(path: Path, model_id: str, old: str, new: str) -> bytes:
    """Replace `old` with `new` inside the table of `model_id` only."""
    text = path.read_text("utf-8")
    start = text.index(f'id = "{model_id}"')
    end = text.find("[[models]]", start)
    section = text[start:end]
    assert old in section
    path.write_text(text[:start] + section.replace(old, new, 1) + text[end:], "utf-8")
    return path.read_bytes()


def test_negative_price_names_file_model_and_field(reg_path: Path) -> None:
    ensure_registry(reg_path)
    bad = _first_model_field(reg_path, "gpt-5-mini", "input = 0.25", "input = -1.0")
    with pytest.raises(ConfigError) as err:
        ensure_registry(reg_path)
    assert err.value.path == str(reg_path)
    assert err.value.field == "models[gpt-5-mini].prices.input"
    assert "greater than or equal to 0" in err.value.reason
    assert str(err.value).startswith(f"{reg_path}: models[gpt-5-mini].prices.input: ")
    assert reg_path.read_bytes() == bad  # never overwritten


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        (
            'provider = "openai"',
            'provider = "openia"',
            "models[gpt-6-astra].provider",
            "unknown provider",
        ),
        ("simple_qa = 5", "simple_qa = 9", "models[gpt-6-astra].capabilities", "must be 1..5"),
        (
            "context_window = 1050000",
            "context_window = 0",
            "models[gpt-6-astra].context_window",
            "greater than 0",
        ),
        ('"json",', '"telepathy",', "models[gpt-6-astra].features[0]", "Input should be"),
        (
            "enabled = true",
            "enabled = true\nspeed = 3",
            "models[gpt-6-astra].speed",
            "Extra inputs",
        ),
    ],
)
def test_validation_errors_name_the_field(
    reg_path: Path, old: str, new: str, field: str, reason: str
) -> None:
    ensure_registry(reg_path)
    bad = _first_model_field(reg_path, "gpt-6-astra", old, new)
    with pytest.raises(ConfigError) as err:
        load_registry(reg_path)
    assert err.value.field == field
    assert reason in err.value.reason
    assert reg_path.read_bytes() == bad


def test_duplicate_ids_are_reported(reg_path: Path) -> None:
    ensure_registry(reg_path)
    _break(reg_path, 'id = "gpt-6.1-sol"', 'id = "gpt-6-astra"')
    with pytest.raises(ConfigError) as err:
        load_registry(reg_path)
    assert err.value.field == "models[gpt-6-astra].id"
    assert "duplicate" in err.value.reason


def test_toml_syntax_error_names_the_file(reg_path: Path) -> None:
    reg_path.parent.mkdir(parents=True)
    reg_path.write_text("version = 1\n[[models]\n", "utf-8")
    with pytest.raises(ConfigError) as err:
        ensure_registry(reg_path)
    assert err.value.path == str(reg_path)
    assert "invalid TOML" in err.value.reason
    assert reg_path.read_text("utf-8") == "version = 1\n[[models]\n"


def test_reload_keeps_the_last_good_registry(reg_path: Path) -> None:
    good = ensure_registry(reg_path)
    bad = _first_model_field(reg_path, "gpt-5-mini", "input = 0.25", "input = -1.0")
    doc, error = reload_registry(reg_path, good)
    assert doc is good
    assert error is not None and "gpt-5-mini" in str(error)
    assert reg_path.read_bytes() == bad


def test_save_round_trips(reg_path: Path) -> None:
    shipped = load_shipped_registry()
    save_registry(reg_path, shipped)
    again = load_registry(reg_path)
    assert again.prices_as_of == shipped.prices_as_of
    assert list(again.registry) == list(shipped.registry)


def test_save_is_atomic_when_the_rename_fails(
    reg_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = ensure_registry(reg_path)
    before = reg_path.read_bytes()

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(files.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk on fire"):
        save_registry(reg_path, RegistryDocument(doc.registry, None))
    assert reg_path.read_bytes() == before
    assert os.listdir(reg_path.parent) == ["registry.toml"]  # no temp file left behind


def test_save_keeps_file_permissions(reg_path: Path) -> None:
    doc = ensure_registry(reg_path)
    reg_path.chmod(0o640)
    save_registry(reg_path, doc)
    assert reg_path.stat().st_mode & 0o777 == 0o640
