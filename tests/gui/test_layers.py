"""The GUI only observes and calls the engine: pages, models and widgets never reach providers,
storage or the keyring themselves; only the composition modules do."""

from __future__ import annotations

import ast
from pathlib import Path

import routerdesk.gui

GUI = Path(routerdesk.gui.__file__).parent
# Composition and adapters: allowed to know the runtime and its parts.
ALLOWED = {"runtime_backend.py", "single_instance.py"}
FORBIDDEN = (
    "routerdesk.providers",
    "routerdesk.storage",
    "routerdesk.runtime",
    "keyring",
    "sqlite3",
    "httpx",
    "aiohttp",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_pages_models_and_widgets_use_only_the_backend() -> None:
    offenders = []
    for path in sorted(GUI.rglob("*.py")):
        if path.name in ALLOWED:
            continue
        for name in _imports(path):
            if name.startswith(FORBIDDEN):
                offenders.append(f"{path.relative_to(GUI)} imports {name}")
    assert offenders == []


def test_every_gui_module_has_a_docstring() -> None:
    missing = [
        p.name for p in GUI.rglob("*.py") if ast.get_docstring(ast.parse(p.read_text())) is None
    ]
    assert missing == []
