"""Entry point of the PyInstaller bundle: runs the same CLI as the pip-installed `routerdesk` script.

One extra, bundle-only flag: `routerdesk --bundle-info` prints a JSON report of what
the frozen app finds at run time (version, keyring backend, genai-prices data, the
shipped registry, Qt plugins) and exits. The smoke test (packaging/test_bundle.py)
relies on it, and it is what a bug report about the bundle should include.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from pathlib import Path
from typing import Any


def bundle_info() -> dict[str, Any]:
    """What the frozen app sees: each entry is a value or the error that replaced it."""
    info: dict[str, Any] = {
        "frozen": bool(getattr(sys, "frozen", False)),
        "executable": sys.executable,
        "bundle_dir": getattr(sys, "_MEIPASS", None),
        "python": sys.version.split()[0],
        "sys_path": sys.path,
    }
    checks = {
        "version": _version,
        "keyring": _keyring,
        "genai_prices": _genai_prices,
        "registry": _registry,
        "state_dir": _state_dir,
        "qt": _qt,
    }
    for name, check in checks.items():
        try:
            info[name] = check()
        except Exception as exc:  # report every failure, not just the first
            info[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return info


def _version() -> dict[str, str]:
    from importlib.metadata import version

    import routerdesk

    return {"metadata": version("routerdesk"), "routerdesk.__version__": routerdesk.__version__}


def _keyring() -> dict[str, Any]:
    import keyring

    ring = keyring.get_keyring()
    cls = type(ring)
    chained = [f"{type(b).__module__}.{type(b).__name__}" for b in getattr(ring, "backends", [])]
    from importlib.metadata import entry_points

    return {
        "backend": f"{cls.__module__}.{cls.__name__}",
        "chained": chained,
        "entry_points": sorted(ep.name for ep in entry_points(group="keyring.backends")),
    }


def _genai_prices() -> dict[str, Any]:
    import genai_prices
    from genai_prices import data

    return {"version": genai_prices.__version__, "providers": len(data.providers)}


def _registry() -> dict[str, Any]:
    from importlib.resources import files

    res = files("routerdesk") / "resources"
    names = sorted(p.name for p in res.iterdir()) if res.is_dir() else []
    reg = res / "registry.toml"
    return {
        "resources": names,
        "registry_toml_bytes": len(reg.read_bytes()) if reg.is_file() else None,
    }


def _state_dir() -> dict[str, str | None]:
    from routerdesk.storage import paths

    return {
        "ROUTERDESK_HOME": os.environ.get("ROUTERDESK_HOME"),
        "state_dir": str(paths.state_dir()),
    }


def _qt() -> dict[str, Any]:
    from PySide6 import QtCore, QtGui

    plugins = Path(QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.PluginsPath))
    platforms = sorted(p.name for p in (plugins / "platforms").glob("*.so*"))
    app = QtGui.QGuiApplication.instance() or QtGui.QGuiApplication(
        [sys.argv[0], "-platform", "offscreen"]
    )
    formats = sorted(bytes(f.data()).decode() for f in QtGui.QImageReader.supportedImageFormats())
    del app
    return {
        "version": QtCore.qVersion(),
        "plugins_dir": str(plugins),
        "platforms": platforms,
        "image_formats": formats,
    }


def main() -> int:
    if sys.argv[1:] == ["--bundle-info"]:
        print(json.dumps(bundle_info(), indent=2, default=str))
        return 0
    from routerdesk.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    multiprocessing.freeze_support()
    raise SystemExit(main())
