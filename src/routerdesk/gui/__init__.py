"""The PySide6 desktop app: window, pages, charts; observes the engine through a Qt bridge."""
