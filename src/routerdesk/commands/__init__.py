"""Subcommands of the `routerdesk` CLI, one module each (`add_parser`, `run`)."""
