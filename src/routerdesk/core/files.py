"""Atomic writes, TOML reading and validation errors shared by the settings and registry files.

A crash or a full disk in the middle of a save must leave either the old file
or the new one, never half of each: we write a temp file in the same folder,
fsync it, then `os.replace` it over the target (atomic on POSIX and Windows),
and fsync the folder so the rename itself survives a power cut.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from routerdesk.core.errors import ConfigError


def atomic_write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) so readers see the old or the new content, nothing between."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            # Keep the user's permissions on the file we replace (mkstemp makes it 0600).
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    # Directories cannot be opened for fsync on Windows; there the rename is durable enough.
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; unreadable or malformed files raise `ConfigError` naming the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read the file: {exc.strerror or exc}") from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(path), "", f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "", f"invalid TOML: {exc}") from exc


def _field_path(loc: Sequence[int | str], raw: dict[str, Any]) -> str:
    """Pydantic's error location as the user sees the file: models[<id>].prices.input."""
    parts: list[str] = []
    node: Any = raw
    for i, key in enumerate(loc):
        label = str(key)
        if isinstance(key, int):
            item = node[key] if isinstance(node, list) and key < len(node) else None
            model_id = item.get("id") if isinstance(item, dict) and i == 1 else None
            label = f"[{model_id}]" if isinstance(model_id, str) and model_id else f"[{key}]"
            parts.append(label)
            node = item
            continue
        parts.append(("." if parts else "") + label)
        node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts)


def config_error_from_validation(
    path: str, exc: ValidationError, raw: dict[str, Any]
) -> ConfigError:
    """The first validation error as a ConfigError; the count of the others is appended."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    reason = first["msg"]
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return ConfigError(path, _field_path(first["loc"], raw), reason)
