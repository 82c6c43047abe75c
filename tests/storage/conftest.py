"""Storage fixtures: the in-memory keyring."""

from storage.memory_keyring import memory_keyring  # noqa: F401
