"""Persistence: paths, usage log (SQLite), secrets (OS keyring), settings/registry files."""
