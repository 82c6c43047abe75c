#!/usr/bin/env bash
# Remove what install.sh put into ~/.local (or --prefix DIR). Your settings, usage
# history and keyring entries stay; the paths are printed so you can remove them too.
#
#   ./uninstall.sh [--prefix DIR]
set -euo pipefail

PREFIX="${HOME}/.local"
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX="${2:?--prefix needs a directory}"; shift 2 ;;
    --prefix=*) PREFIX="${1#--prefix=}"; shift ;;
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

OPT="$PREFIX/opt/routerdesk"
LINK="$PREFIX/bin/routerdesk"
APPS="$PREFIX/share/applications"
ICONS="$PREFIX/share/icons/hicolor"

# The symlink only if it is ours: a pip-installed routerdesk script stays.
if [ -L "$LINK" ] && [ "$(readlink "$LINK")" = "$OPT/routerdesk" ]; then
  rm -f "$LINK"
fi
rm -f "$APPS/routerdesk.desktop"
if [ -d "$ICONS" ]; then
  find "$ICONS" -path '*/apps/routerdesk.*' \( -name 'routerdesk.png' -o -name 'routerdesk.svg' \) -delete
fi
# Only a folder that looks like the bundle, never whatever happens to be at that path.
if [ -x "$OPT/routerdesk" ] && [ -d "$OPT/_internal" ]; then
  rm -rf "$OPT"
fi
rmdir "$PREFIX/opt" 2>/dev/null || true

# Refresh caches only where they already exist: a cache we create would go stale when
# other programs add icons or entries without updating it, hiding theirs.
[ -f "$APPS/mimeinfo.cache" ] && command -v update-desktop-database >/dev/null 2>&1 \
  && update-desktop-database -q "$APPS" 2>/dev/null || true
[ -f "$ICONS/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1 \
  && gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true

echo "routerdesk removed from $PREFIX."
echo "Left in place (delete them yourself if you want a clean slate):"
echo "  settings and registry: ${XDG_CONFIG_HOME:-$HOME/.config}/routerdesk"
echo "  usage history:         ${XDG_DATA_HOME:-$HOME/.local/share}/routerdesk"
echo "  API keys:              your keyring, service 'routerdesk' (e.g. secret-tool clear service routerdesk)"
