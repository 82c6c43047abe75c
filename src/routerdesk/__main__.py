"""`python -m routerdesk` runs the command-line entry point."""

from routerdesk.cli import main

raise SystemExit(main())
