#!/usr/bin/env bash
# Install the routerdesk bundle for the current user, into ~/.local (no root, no system Python).
#
#   ./install.sh [--prefix DIR] [--force]
#
# Run it from the unpacked bundle (the folder holding the `routerdesk` executable).
#   DIR/opt/routerdesk/                 the bundle (replaced as a whole on upgrade)
#   DIR/bin/routerdesk                  symlink to DIR/opt/routerdesk/routerdesk
#   DIR/share/applications/routerdesk.desktop
#   DIR/share/icons/hicolor/<size>/apps/routerdesk.{png,svg}
# DIR defaults to ~/.local. The bundle does not go to ~/.local/share/routerdesk:
# that is routerdesk's own data folder (usage history), which an upgrade or
# uninstall must never touch. Settings, usage data and keyring entries are left alone.
set -euo pipefail

PREFIX="${HOME}/.local"
FORCE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX="${2:?--prefix needs a directory}"; shift 2 ;;
    --prefix=*) PREFIX="${1#--prefix=}"; shift ;;
    --force) FORCE=1; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ ! -x "$SRC/routerdesk" ] || [ ! -d "$SRC/_internal" ]; then
  echo "install.sh: run me from the unpacked routerdesk bundle (no executable at $SRC/routerdesk)" >&2
  exit 1
fi

OPT="$PREFIX/opt/routerdesk"
BIN="$PREFIX/bin"
APPS="$PREFIX/share/applications"
ICONS="$PREFIX/share/icons/hicolor"
LINK="$BIN/routerdesk"

# Never replace a routerdesk we did not put there (e.g. `pip install --user routerdesk`).
if [ -e "$LINK" ] || [ -L "$LINK" ]; then
  if [ "$(readlink "$LINK" || true)" != "$OPT/routerdesk" ] && [ "$FORCE" != 1 ]; then
    echo "install.sh: $LINK exists and is not this installer's symlink; rerun with --force to replace it" >&2
    exit 1
  fi
fi

mkdir -p "$PREFIX/opt" "$BIN" "$APPS"

# Copy next to the target, then swap, so a failed copy never leaves half a bundle.
STAGE="$(mktemp -d "$PREFIX/opt/.routerdesk.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
cp -a "$SRC/routerdesk" "$SRC/_internal" "$STAGE/"
for f in install.sh uninstall.sh routerdesk.desktop; do
  [ -e "$SRC/$f" ] && cp -a "$SRC/$f" "$STAGE/"
done
[ -d "$SRC/icons" ] && cp -a "$SRC/icons" "$STAGE/"
if [ "$SRC" != "$OPT" ]; then
  rm -rf "$OPT.old"
  [ -e "$OPT" ] && mv "$OPT" "$OPT.old"
  mv "$STAGE/" "$OPT"
  rm -rf "$OPT.old"
fi
trap - EXIT
rm -rf "$STAGE"

ln -sfn "$OPT/routerdesk" "$LINK"

# Desktop entry: absolute Exec/TryExec, since a desktop session's PATH may lack ~/.local/bin.
sed -e "s|^Exec=.*|Exec=$OPT/routerdesk|" -e "s|^TryExec=.*|TryExec=$OPT/routerdesk|" \
  "$OPT/routerdesk.desktop" >"$APPS/routerdesk.desktop"
chmod 644 "$APPS/routerdesk.desktop"

# Icons: PNGs named routerdesk-<size>.png go to <size>x<size>; an SVG goes to scalable.
if [ -d "$OPT/icons" ]; then
  for icon in "$OPT"/icons/*; do
    name="$(basename "$icon")"
    case "$name" in
      *.svg) dir="$ICONS/scalable/apps" ;;
      *-[0-9]*.png) size="${name##*-}"; size="${size%.png}"; dir="$ICONS/${size}x${size}/apps" ;;
      *.png) dir="$ICONS/256x256/apps" ;;
      *) continue ;;
    esac
    mkdir -p "$dir"
    cp "$icon" "$dir/routerdesk.${name##*.}"
  done
fi

# Refresh caches only where they already exist: a cache we create would go stale when
# other programs add icons or entries without updating it, hiding theirs.
[ -f "$APPS/mimeinfo.cache" ] && command -v update-desktop-database >/dev/null 2>&1 \
  && update-desktop-database -q "$APPS" 2>/dev/null || true
[ -f "$ICONS/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1 \
  && gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true

echo "routerdesk $("$OPT/routerdesk" --version | awk '{print $2}') installed in $OPT"
echo "  command:      $LINK"
echo "  app menu:     $APPS/routerdesk.desktop"
case ":$PATH:" in
  *":$BIN:"*) ;;
  *) echo "  note: $BIN is not on your PATH; add it, e.g. echo 'export PATH=\"$BIN:\$PATH\"' >> ~/.profile" ;;
esac
