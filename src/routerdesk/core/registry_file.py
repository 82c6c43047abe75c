"""The user's `registry.toml`: created from the shipped copy on first use, validated, saved atomically.

File layout::

    version = 1
    prices_as_of = 2026-11-26      # the UTC day list prices were resolved for
    [[models]]                     # one table per ModelSpec
    id = "gpt-5-mini"
    ...
    [models.prices]
    input = 0.25
    [models.capabilities]
    simple_qa = 4

A file that fails to parse or validate raises `ConfigError` naming the file,
the model (by id when it has one) and the field, e.g.
``registry.toml: models[gpt-5-mini].prices.input: Input should be greater than
or equal to 0``. Such a file is never overwritten: the caller keeps the last
good registry (`reload_registry`) and the user fixes the file.

Core does not know where the state folder is; callers pass the path
(`storage.paths.registry_path()`).
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, ValidationError

from routerdesk.core.errors import ConfigError
from routerdesk.core.files import atomic_write_text, config_error_from_validation, read_toml
from routerdesk.core.registry import ModelSpec, Registry
from routerdesk.core.types import TASKS

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
SAVED_HEADER = (
    "# routerdesk model registry. Edit freely: routerdesk reloads it and keeps the last\n"
    "# good version if a change does not validate. Prices are USD per 1M tokens;\n"
    "# `routerdesk prices refresh` updates them from genai-prices (see price_ref).\n"
)


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    prices_as_of: date | None = None
    models: list[ModelSpec]


@dataclass(frozen=True, slots=True)
class RegistryDocument:
    """A registry together with the file-level facts saved beside it."""

    registry: Registry
    prices_as_of: date | None = None


# --- reading ---------------------------------------------------------------------------


def parse_registry(raw: dict[str, Any], path: str) -> RegistryDocument:
    try:
        doc = _Document.model_validate(raw)
    except ValidationError as exc:
        raise config_error_from_validation(path, exc, raw) from None
    seen: set[str] = set()
    for model in doc.models:
        if model.id in seen:
            raise ConfigError(path, f"models[{model.id}].id", "duplicate model id")
        seen.add(model.id)
    return RegistryDocument(Registry(doc.models), doc.prices_as_of)


def load_registry(path: Path) -> RegistryDocument:
    """Read and validate `path`; raises `ConfigError` (file, model, field, reason)."""
    return parse_registry(read_toml(path), str(path))


def shipped_registry_text() -> str:
    """The registry that ships with the package (`routerdesk/resources/registry.toml`)."""
    return (resources.files("routerdesk") / "resources" / "registry.toml").read_text("utf-8")


def load_shipped_registry() -> RegistryDocument:
    return parse_registry(tomllib.loads(shipped_registry_text()), "<shipped registry.toml>")


def ensure_registry(path: Path) -> RegistryDocument:
    """Load the user's registry, first copying the shipped one there if there is no file yet.

    An existing file is never replaced, even when invalid: the `ConfigError` goes to the caller.
    """
    if not path.exists():
        atomic_write_text(path, shipped_registry_text())
        log.info("created %s from the shipped registry", path)
    return load_registry(path)


def reload_registry(
    path: Path, last_good: RegistryDocument
) -> tuple[RegistryDocument, ConfigError | None]:
    """Re-read `path` after the user edited it; on error keep `last_good` and return the error."""
    try:
        return load_registry(path), None
    except ConfigError as exc:
        log.warning("keeping the previous registry: %s", exc)
        return last_good, exc


# --- writing ---------------------------------------------------------------------------


def model_to_toml(model: ModelSpec) -> dict[str, Any]:
    """One model as a TOML table with a stable key order (so saved files diff cleanly)."""
    out: dict[str, Any] = {
        "id": model.id,
        "provider": model.provider,
        "name": model.name,
        "price_ref": model.price_ref,
        "enabled": model.enabled,
        "context_window": model.context_window,
        "max_output_tokens": model.max_output_tokens,
        "features": sorted(model.features),
        "complexity_min": model.complexity_min,
        "complexity_max": model.complexity_max,
    }
    if model.uses_max_completion_tokens:
        out["uses_max_completion_tokens"] = True
    if model.drop_params:
        out["drop_params"] = sorted(model.drop_params)
    out["prices"] = model.prices.model_dump(exclude_none=True)
    out["capabilities"] = {task: model.capabilities[task] for task in TASKS}
    return out


def registry_to_toml(
    models: Iterable[ModelSpec], prices_as_of: date | None, header: str = SAVED_HEADER
) -> str:
    body: dict[str, Any] = {"version": FORMAT_VERSION}
    if prices_as_of is not None:
        body["prices_as_of"] = prices_as_of
    body["models"] = [model_to_toml(m) for m in models]
    return header + "\n" + tomli_w.dumps(body)


def save_registry(path: Path, doc: RegistryDocument, header: str = SAVED_HEADER) -> None:
    """Write `doc` to `path` atomically (temp file, fsync, rename)."""
    atomic_write_text(path, registry_to_toml(doc.registry, doc.prices_as_of, header))
