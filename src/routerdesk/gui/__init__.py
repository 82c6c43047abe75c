"""The PySide6 desktop app: window, pages, charts; observes the engine through a Qt bridge."""

from routerdesk.gui.qt_binding import guard_none_refcount

# First, before any window exists: see qt_binding.py (PySide6 6.12.0 would crash the app).
guard_none_refcount()
