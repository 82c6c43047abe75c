"""The application icon, loaded from the package's resources (SVG, with a PNG fallback)."""

from __future__ import annotations

from importlib import resources

from PySide6.QtGui import QIcon


def app_icon() -> QIcon:
    folder = resources.files("routerdesk") / "resources" / "icons"
    icon = QIcon()
    for name in ("routerdesk.svg", "routerdesk-256.png", "routerdesk-64.png"):
        path = folder / name
        if path.is_file():
            icon.addFile(str(path))
    return icon
