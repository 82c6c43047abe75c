#!/usr/bin/env bash
# Installs the Debian packages the test suite and the app need: a real Secret
# Service (gnome-keyring + dbus) for keyring tests, Qt's runtime libraries for
# offscreen widgets, PostgreSQL (tests start a throwaway cluster: tests/pgcluster.py),
# Xvfb for screenshots, and a real system tray (trayer, an XEmbed tray host) plus xdotool for tests/gui/test_tray.py. Only as root; others are told what to install.
set -euo pipefail
PKGS=(postgresql dbus dbus-x11 gnome-keyring libsecret-tools libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0
      libfontconfig1 libdbus-1-3 libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
      libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 xvfb xauth fonts-dejavu-core
      trayer xdotool)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ]; then
  echo "routerdesk: please install these Debian packages: ${missing[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
