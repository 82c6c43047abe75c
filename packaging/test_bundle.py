"""Smoke tests of the PyInstaller bundle (dist/routerdesk), run the way a user would run it.

`make package-test` builds the bundle and runs this file inside a private D-Bus
session with an unlocked gnome-keyring (scripts/with-keyring.sh). Run alone,
`pytest packaging/test_bundle.py` reuses dist/routerdesk if it exists, else builds it.

Every bundle process gets a scrubbed environment (no PYTHONPATH, no venv, HOME
and ROUTERDESK_HOME in tmp). Where the test may create mount namespaces (root,
`unshare`), the Python installation, the venv's site-packages and src/ are
hidden behind empty tmpfs mounts, so each test also proves the bundle runs on a
machine without Python.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "routerdesk.spec"
BUNDLE = Path(os.environ.get("ROUTERDESK_BUNDLE", ROOT / "dist" / "routerdesk"))
EXE = BUNDLE / "routerdesk"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
KEYRING_READY = bool(os.environ.get("ROUTERDESK_KEYRING_READY")) and bool(
    os.environ.get("DBUS_SESSION_BUS_ADDRESS")
)
SECRET_SERVICE = "keyring.backends.SecretService.Keyring"

# --- the bundle and how to run it ---------------------------------------------------


@pytest.fixture(scope="session")
def exe() -> Path:
    """The bundle's executable; built with PyInstaller first if dist/ has none."""
    if not EXE.exists():
        subprocess.run(
            [sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", str(BUNDLE.parent),
             "--workpath", str(ROOT / "build" / "pyinstaller"), str(SPEC)],
            cwd=ROOT,
            check=True,
        )  # fmt: skip
    assert EXE.is_file() and os.access(EXE, os.X_OK), f"no executable at {EXE}"
    return EXE


def _python_dirs() -> list[str]:
    """Folders a Python-dependent binary would need: the stdlib, site-packages, src/."""
    dirs = {
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["platstdlib"],
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
        str(ROOT / "src"),
    }
    for base in ("/usr/lib", "/usr/local/lib"):
        dirs.update(str(p) for p in Path(base).glob("python3*") if p.is_dir())
    found = sorted(d for d in dirs if Path(d).is_dir() and not BUNDLE.is_relative_to(d))
    # a folder inside another one is hidden with it (and could not be mounted on after)
    return [d for d in found if not any(d != o and Path(d).is_relative_to(o) for o in found)]


def _can_hide() -> bool:
    if not shutil.which("unshare") or os.geteuid() != 0:
        return False
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"], capture_output=True
    )
    return probe.returncode == 0


HIDE_PYTHON = _can_hide()


def command(*args: str) -> list[str]:
    """argv that runs the bundle with the given arguments, Python hidden where possible."""
    argv = [str(EXE), *args]
    if not HIDE_PYTHON:
        return argv
    mounts = "".join(f"mount -t tmpfs none '{d}' && " for d in _python_dirs())
    return ["unshare", "--mount", "--propagation", "private", "--",
            "sh", "-c", f'{mounts}exec "$@"', "sh", *argv]  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A scrubbed environment: nothing from the venv, every folder in tmp."""
    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700)
    result = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "ROUTERDESK_HOME": str(tmp_path / "routerdesk-home"),
        "XDG_RUNTIME_DIR": str(runtime),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
    }
    (tmp_path / "home").mkdir()
    if KEYRING_READY:
        result["DBUS_SESSION_BUS_ADDRESS"] = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    return result


def run(exe: Path, *args: str, env: dict[str, str], timeout: float = 60, **kw: Any) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return subprocess.run(
        command(*args), env=env, capture_output=True, text=True, timeout=timeout, **kw
    )


def bundle_info(exe: Path, env: dict[str, str]) -> dict[str, Any]:
    proc = run(exe, "--bundle-info", env=env)
    assert proc.returncode == 0, proc.stderr
    info: dict[str, Any] = json.loads(proc.stdout)
    return info


# --- what is inside ----------------------------------------------------------------


def test_version_is_the_pyproject_version(exe: Path, env: dict[str, str]) -> None:
    proc = run(exe, "--version", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"routerdesk {VERSION}"


def test_runs_from_the_bundle_alone(exe: Path, env: dict[str, str]) -> None:
    if not HIDE_PYTHON:
        pytest.skip("cannot hide the Python installation here (needs root and unshare)")
    info = bundle_info(exe, env)
    assert info["frozen"] is True
    internal = str(BUNDLE / "_internal")
    assert info["bundle_dir"] == internal
    outside = [p for p in info["sys_path"] if not p.startswith(internal)]
    assert outside == [], f"sys.path leaves the bundle: {outside}"


def test_package_data_and_metadata_are_inside(exe: Path, env: dict[str, str]) -> None:
    info = bundle_info(exe, env)
    assert info["version"] == {"metadata": VERSION, "routerdesk.__version__": VERSION}
    assert info["genai_prices"]["providers"] > 10, info["genai_prices"]
    assert info["registry"]["registry_toml_bytes"], info["registry"]
    assert "icons" in info["registry"]["resources"]
    # keyring's backends are found through entry points, i.e. keyring's dist-info
    assert {"SecretService", "chainer"} <= set(info["keyring"]["entry_points"])


def test_routerdesk_home_is_honoured(exe: Path, env: dict[str, str]) -> None:
    info = bundle_info(exe, env)
    assert info["state_dir"]["state_dir"] == env["ROUTERDESK_HOME"]


def test_qt_plugins_are_inside(exe: Path, env: dict[str, str]) -> None:
    qt = bundle_info(exe, env)["qt"]
    assert "error" not in qt, qt
    assert qt["plugins_dir"].startswith(str(BUNDLE))
    assert {"libqxcb.so", "libqoffscreen.so", "libqwayland.so"} <= set(qt["platforms"])
    assert {"png", "svg", "ico"} <= set(qt["image_formats"])


def test_unused_qt_stays_out() -> None:
    if not EXE.exists():
        pytest.skip("no bundle")
    internal = BUNDLE / "_internal"
    names = {p.name for p in internal.rglob("*")}
    for unwanted in ("libQt6Quick.so.6", "libQt6Qml.so.6", "libQt6WebEngineCore.so.6",
                     "libQt6Multimedia.so.6", "libQt6Designer.so.6", "libgtk-3.so.0",
                     "libqgtk3.so", "libqvnc.so", "libtcl8.6.so"):  # fmt: skip
        assert unwanted not in names, f"{unwanted} should not be in the bundle"


def test_every_library_resolves() -> None:
    """No bundled .so needs a library that neither the bundle nor this system has (pruning check)."""
    if not EXE.exists() or not shutil.which("ldd"):
        pytest.skip("no bundle or no ldd")
    internal = BUNDLE / "_internal"
    env = {"LD_LIBRARY_PATH": f"{internal}:{internal / 'PySide6' / 'Qt' / 'lib'}"}
    missing = []
    for lib in [EXE, *internal.rglob("*.so*")]:
        if lib.is_symlink() or not lib.is_file():
            continue
        out = subprocess.run(["ldd", str(lib)], env=env, capture_output=True, text=True).stdout
        missing += [f"{lib.relative_to(BUNDLE)}: {line.strip()}" for line in out.splitlines() if "not found" in line]  # fmt: skip
    assert missing == []
    assert not [p for p in internal.rglob("*") if p.is_symlink() and not p.exists()], (
        "dangling symlinks"
    )


def test_route_cli(exe: Path, env: dict[str, str]) -> None:
    """A lazily-imported command (importlib by name in cli.py) is inside the bundle."""
    proc = run(exe, "route", "--json", "Write a Python function that reverses a list", env=env)
    assert proc.returncode == 0, proc.stderr
    decision = json.loads(proc.stdout)
    assert decision.get("model"), decision


# --- keyring ---------------------------------------------------------------------------

needs_keyring = pytest.mark.skipif(
    not KEYRING_READY,
    reason="needs a Secret Service: run under dbus-run-session -- scripts/with-keyring.sh "
    "(as `make package-test` does)",
)


@needs_keyring
def test_keyring_backend_is_secret_service(exe: Path, env: dict[str, str]) -> None:
    assert bundle_info(exe, env)["keyring"]["backend"] == SECRET_SERVICE


@needs_keyring
def test_keys_round_trip_through_secret_service(exe: Path, env: dict[str, str]) -> None:
    """`keys set` from the bundle lands in the Secret Service (read back with secret-tool)."""
    secret = f"sk-bundle-test-{os.getpid()}"
    proc = run(exe, "keys", "set", "mistral", env=env, input=secret + "\n")
    assert proc.returncode == 0, proc.stderr
    try:
        listed = run(exe, "keys", "list", env=env)
        assert listed.returncode == 0, listed.stderr
        assert re.search(r"^mistral\s+keyring$", listed.stdout, re.M), listed.stdout
        if shutil.which("secret-tool"):
            found = subprocess.run(
                ["secret-tool", "lookup", "service", "routerdesk", "username", "mistral"],
                capture_output=True,
                text=True,
                env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": env["DBUS_SESSION_BUS_ADDRESS"]},
            )
            assert found.stdout.strip() == secret
    finally:
        run(exe, "keys", "delete", "mistral", env=env)


# --- serve -----------------------------------------------------------------------------


@pytest.fixture
def server(exe: Path, env: dict[str, str]) -> Iterator[tuple[str, str, dict[str, str]]]:
    """`routerdesk serve --demo --port 0` from the bundle: (base URL, token, env)."""
    if not KEYRING_READY:
        env["ROUTERDESK_TOKEN"] = "rd-bundle-test-token"
    proc = subprocess.Popen(
        command("serve", "--demo", "--demo-latency", "0", "--port", "0"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = _wait_for_listening(proc, timeout=60)
        if KEYRING_READY:  # the token was generated into the Secret Service on first start
            shown = run(exe, "keys", "token", env=env)
            assert shown.returncode == 0, shown.stderr
            token = shown.stdout.strip().split()[-1]
        else:
            token = env["ROUTERDESK_TOKEN"]
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    yield url, token, env
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    stderr = proc.stderr.read() if proc.stderr else ""
    assert code == 0, f"serve exited {code} after SIGTERM:\n{stderr}"
    assert "Traceback" not in stderr, stderr


def _wait_for_listening(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
            break
        line = proc.stdout.readline()
        if not line:
            break
        if m := LISTENING.search(line):
            return m.group(1)
    proc.kill()
    err = proc.stderr.read() if proc.stderr else ""
    raise AssertionError(f"no 'listening on' within {timeout}s; stderr:\n{err}")


def test_serve_demo_answers_the_openai_sdk(server: tuple[str, str, dict[str, str]]) -> None:
    openai = pytest.importorskip("openai")
    url, token, env = server
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=token, max_retries=0, timeout=30)
    resp = client.chat.completions.create(
        model="auto", messages=[{"role": "user", "content": "Say hello in one short sentence."}]
    )
    assert resp.choices[0].message.content
    assert resp.model
    # state went to ROUTERDESK_HOME, nothing to the platform folders under HOME
    home = Path(env["ROUTERDESK_HOME"])
    assert (home / "registry.toml").is_file()
    assert not (Path(env["HOME"]) / ".config" / "routerdesk").exists()
    assert not (Path(env["HOME"]) / ".local" / "share" / "routerdesk").exists()


def test_serve_demo_streams(server: tuple[str, str, dict[str, str]]) -> None:
    openai = pytest.importorskip("openai")
    url, token, _ = server
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=token, max_retries=0, timeout=30)
    stream = client.chat.completions.create(
        model="auto", messages=[{"role": "user", "content": "Count to three."}], stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text


# --- install.sh / uninstall.sh -------------------------------------------------------


def test_install_and_uninstall_into_home(exe: Path, env: dict[str, str], tmp_path: Path) -> None:
    home = Path(env["HOME"])
    local = home / ".local"
    proc = subprocess.run(
        ["bash", str(BUNDLE / "install.sh")], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    link = local / "bin" / "routerdesk"
    opt = local / "opt" / "routerdesk"
    desktop = local / "share" / "applications" / "routerdesk.desktop"
    assert link.is_symlink() and link.resolve() == (opt / "routerdesk").resolve()
    entry = desktop.read_text("utf-8")
    assert f"Exec={opt}/routerdesk" in entry
    assert "Icon=routerdesk" in entry
    hicolor = local / "share" / "icons" / "hicolor"
    assert (hicolor / "scalable" / "apps" / "routerdesk.svg").is_file()
    assert (hicolor / "48x48" / "apps" / "routerdesk.png").is_file()  # the size hicolor requires
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", str(desktop)], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout + check.stderr
    installed = subprocess.run([str(link), "--version"], env=env, capture_output=True, text=True)
    assert installed.stdout.strip() == f"routerdesk {VERSION}"

    # a second install (an upgrade) replaces the bundle in place
    again = subprocess.run(
        ["bash", str(BUNDLE / "install.sh")], env=env, capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr

    # user data next to the install survives uninstall
    data = local / "share" / "routerdesk"
    data.mkdir(parents=True)
    (data / "usage.sqlite3").write_bytes(b"keep me")
    proc = subprocess.run(
        ["bash", str(opt / "uninstall.sh")], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert not link.exists() and not link.is_symlink()
    assert not opt.exists()
    assert not desktop.exists()
    assert not list((local / "share" / "icons").rglob("routerdesk.*"))
    assert (data / "usage.sqlite3").read_bytes() == b"keep me"


def test_install_refuses_to_replace_a_foreign_command(env: dict[str, str]) -> None:
    if not EXE.exists():
        pytest.skip("no bundle")
    bin_dir = Path(env["HOME"]) / ".local" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "routerdesk").write_text("#!/bin/sh\necho pip-installed\n")
    proc = subprocess.run(
        ["bash", str(BUNDLE / "install.sh")], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "--force" in proc.stderr
    assert (bin_dir / "routerdesk").read_text().endswith("pip-installed\n")


# --- the desktop app -------------------------------------------------------------------


def _run_gui(exe: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`routerdesk` with no arguments; app.py quits ROUTERDESK_EXIT_AFTER_MS after the window is up."""
    env = {**env, "ROUTERDESK_EXIT_AFTER_MS": "300"}
    if not KEYRING_READY:  # without a keyring the app would stop at a modal error box
        env["ROUTERDESK_TOKEN"] = "rd-bundle-test-token"
    proc = run(exe, env=env, timeout=90)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "already running" not in proc.stdout  # it really started, not handed off
    for bad in ("Traceback", "Could not load the Qt platform plugin", "Cannot load library"):
        assert bad not in proc.stderr, proc.stderr
    assert (Path(env["ROUTERDESK_HOME"]) / "registry.toml").is_file()
    return proc


def test_gui_opens_offscreen_and_exits_cleanly(exe: Path, env: dict[str, str]) -> None:
    _run_gui(exe, {**env, "QT_QPA_PLATFORM": "offscreen"})


@pytest.fixture
def xvfb_display() -> Iterator[str]:
    if not shutil.which("Xvfb"):
        pytest.skip("needs Xvfb (scripts/system-deps.sh installs it)")
    number = next(n for n in range(150, 250) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    xvfb = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.05)
        yield f":{number}"
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def test_gui_opens_on_x11_with_the_bundled_xcb_plugin(
    exe: Path, env: dict[str, str], xvfb_display: str
) -> None:
    _run_gui(exe, {**env, "QT_QPA_PLATFORM": "xcb", "DISPLAY": xvfb_display})
