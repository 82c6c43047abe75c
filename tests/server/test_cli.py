"""The CLI end to end: `routerdesk serve` as a subprocess, keys, stats, export."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from routerdesk.cli import main
from routerdesk.core.types import Usage, UsageRecord
from routerdesk.storage.paths import usage_db_path
from routerdesk.storage.usage import UsageStore

TOKEN = "rd-cli-test-token"


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "ROUTERDESK_TOKEN": TOKEN, **extra}
    env.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return env


@pytest.fixture
def serve_demo() -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "routerdesk",
            "serve",
            "--demo",
            "--port",
            "0",
            "--demo-latency",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        yield proc, line
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_serve_demo_prints_one_line_and_answers(
    serve_demo: tuple[subprocess.Popen[str], str],
) -> None:
    proc, line = serve_demo
    assert line.startswith("listening on http://127.0.0.1:"), line
    url = line.split("listening on ", 1)[1].strip()
    port = int(url.rsplit(":", 1)[1])
    assert port not in (0, 8787)
    client = openai.OpenAI(base_url=url + "/v1", api_key=TOKEN, max_retries=0)
    resp = client.chat.completions.create(
        model="auto", messages=[{"role": "user", "content": "hello demo"}]
    )
    assert resp.choices[0].message.content and "[demo]" in resp.choices[0].message.content
    assert resp.model.endswith("-demo") and resp.system_fingerprint == "routerdesk-demo"
    stream = client.chat.completions.create(
        model="auto", messages=[{"role": "user", "content": "stream please"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices).startswith(
        "[demo]"
    )
    proc.send_signal(signal.SIGINT)
    proc.wait(10)
    assert proc.returncode == 0
    assert proc.stdout is not None and proc.stdout.read() == ""  # exactly one line on stdout
    store = UsageStore(usage_db_path())
    rows = store.recent()
    store.close()
    assert len(rows) == 2 and all(r["demo"] for r in rows)


def test_serve_refuses_remote_without_opt_in() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "routerdesk", "serve", "--demo", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=30,
    )
    assert r.returncode == 1 and r.stdout == ""
    assert "--allow-remote" in r.stderr


def test_serve_without_keyring_or_token_says_so() -> None:
    env = _env()
    env.pop("ROUTERDESK_TOKEN")
    r = subprocess.run(
        [sys.executable, "-m", "routerdesk", "serve", "--demo", "--port", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert r.returncode == 1
    assert "No usable OS keyring backend" in r.stderr and "ROUTERDESK_TOKEN" in r.stderr


def test_keys_without_backend_fails_clearly() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "routerdesk", "keys", "set", "openai"],
        input="sk-should-not-be-stored\n",
        capture_output=True,
        text=True,
        env=_env(),
        timeout=30,
    )
    assert r.returncode == 1 and "gnome-keyring" in r.stderr
    assert "sk-should-not-be-stored" not in r.stdout + r.stderr


@pytest.mark.keyring
@pytest.mark.skipif(
    not os.environ.get("ROUTERDESK_KEYRING_READY"),
    reason="needs a real Secret Service: run under `make pytest` (dbus-run-session + gnome-keyring)",
)
def test_keys_set_list_delete_real_keyring() -> None:
    env = _env(PYTHON_KEYRING_BACKEND="keyring.backends.SecretService.Keyring")

    def keys(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "routerdesk", "keys", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
        )

    secret = "sk-cli-secret-abcdef123456"
    r = keys("set", "deepseek", stdin=secret + "\n")
    assert r.returncode == 0, r.stderr
    listed = keys("list")
    sources = {line.split()[0]: line.split(None, 1)[1] for line in listed.stdout.splitlines()}
    assert sources["deepseek"] == "keyring"
    assert secret not in listed.stdout + listed.stderr
    assert keys("delete", "deepseek").returncode == 0
    after = {line.split()[0]: line.split(None, 1)[1] for line in keys("list").stdout.splitlines()}
    assert after["deepseek"] == "none"


def _seed_usage() -> None:
    store = UsageStore(usage_db_path())
    now = time.time()
    for i, (model, task, cost, base) in enumerate(
        [
            ("oa-mini", "code_generation", 0.01, 0.1),
            ("oa-mini", "simple_qa", 0.02, 0.2),
            ("oa-big", "simple_qa", 0.5, 0.5),
        ]
    ):
        store.submit(
            UsageRecord(
                f"r{i}",
                now - i,
                "cli",
                "openai",
                "auto",
                "balanced",
                task,
                0.9,
                0.3,
                "l1",
                model,
                "openai",
                usage=Usage(100, 10),
                cost=cost,
                baseline_cost=base,
            )
        )
    store.submit(
        UsageRecord(
            "demo-1",
            now - 5,
            "cli",
            "openai",
            "auto",
            "balanced",
            "translation",
            0.9,
            0.2,
            "l1",
            "demo-model",
            "openai",
            usage=Usage(100, 10),
            cost=0.04,
            baseline_cost=0.4,
            demo=True,
        )
    )
    store.submit(
        UsageRecord(
            "old",
            now - 40 * 86400,
            "cli",
            "openai",
            "auto",
            "",
            "general",
            0,
            0,
            "",
            "x",
            "openai",
            cost=9.0,
        )
    )
    store.close()


def test_stats(capsys: pytest.CaptureFixture[str]) -> None:
    _seed_usage()
    assert main(["stats", "--since", "7d"]) == 0
    out = capsys.readouterr().out
    assert "oa-mini" in out and "oa-big" in out and "simple_qa" in out
    assert "total: 3 requests, spent $0.5300" in out and "saved $0.2700" in out
    assert "demo-model" not in out  # simulated demo costs never mix with real spend
    assert main(["stats", "--since", "7d", "--demo"]) == 0
    demo_out = capsys.readouterr().out
    assert "simulated" in demo_out and "demo-model" in demo_out and "oa-mini" not in demo_out
    assert "total: 1 requests, spent $0.0400" in demo_out
    assert main(["stats", "--since", "2000-01-01"]) == 0
    assert "total: 4 requests" in capsys.readouterr().out
    assert main(["stats", "--since", "yesterday-ish"]) == 2


def test_export_csv(tmp_path: Path) -> None:
    _seed_usage()
    out = tmp_path / "usage.csv"
    assert main(["export", "--csv", str(out), "--since", "7d"]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("request_id,started_at")
    assert len(lines) == 5  # header, three real rows and the demo row (flagged in its column)
