"""routerdesk: a desktop LLM router that sends each request to the cheapest model that can do it well."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("routerdesk")
except PackageNotFoundError:  # running from a bundle without metadata
    __version__ = "0.1.0"
