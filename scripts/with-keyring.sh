#!/usr/bin/env bash
# Run a command with an unlocked gnome-keyring in the current (private) D-Bus session.
set -euo pipefail
if command -v gnome-keyring-daemon >/dev/null 2>&1 && [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  export XDG_DATA_HOME="$(mktemp -d)"   # a throwaway keyring, never the user's
  eval "$(printf 'routerdesk-test' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)" || true
  export ROUTERDESK_KEYRING_READY=1
fi
exec "$@"
