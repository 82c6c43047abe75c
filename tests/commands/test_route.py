"""`routerdesk route` end to end, through the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from routerdesk.core.registry_file import load_shipped_registry

ROUTERDESK = Path(sys.executable).with_name("routerdesk")
REQUIRED = {"id", "task", "confidence", "complexity", "tier", "strategy", "model", "fallbacks"}


def run(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROUTERDESK), "route", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


BATCH = "\n".join(
    [
        json.dumps({"id": "q1", "prompt": "What is the capital of Australia?"}),
        json.dumps(
            {
                "id": "code",
                "messages": [
                    {"role": "system", "content": "You are a senior engineer."},
                    {
                        "role": "user",
                        "content": "Write a Rust function that reverses a linked list.",
                    },
                ],
            }
        ),
        "this is not json",
        json.dumps({"id": "bad-role", "messages": [{"role": "robot", "content": "beep"}]}),
        "",
        json.dumps({"id": "typo", "prompt": "hi", "model": "gpt-5-minni"}),
        json.dumps(
            {
                "id": 7,
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "Translate 'good morning' into French"}
                        ],
                    }
                ],
            }
        ),
        json.dumps({"id": "no-input"}),
    ]
)


def test_batch_routes_good_lines_and_reports_bad_ones() -> None:
    proc = run("--batch", "-", stdin=BATCH)
    assert proc.returncode == 1, proc.stderr  # some lines failed
    out = lines(proc.stdout)
    assert [o["id"] for o in out] == ["q1", "code", None, "bad-role", "typo", 7, "no-input"]
    good = [o for o in out if "error" not in o]
    assert len(good) == 3
    registry = load_shipped_registry().registry
    for o in good:
        assert o.keys() >= REQUIRED
        assert registry.get(o["model"]) is not None
        assert o["provider"] == registry[o["model"]].provider
        assert 0 < len(o["fallbacks"]) <= 3 and o["model"] not in o["fallbacks"]
        assert o["est_cost"] > 0
    by_id = {o["id"]: o for o in out}
    assert by_id["code"]["task"] == "code_generation"
    assert "invalid JSON" in out[2]["error"]
    assert by_id["bad-role"]["error"].startswith("messages[0].role:")
    assert "gpt-5-mini" in by_id["typo"]["error"]
    assert "messages" in by_id["no-input"]["error"]
    # No keys in the test environment: said once, not once per line.
    assert proc.stderr.count("no provider API keys") == 1


def test_batch_from_file_with_only_and_registry(tmp_path: Path) -> None:
    batch = tmp_path / "in.jsonl"
    batch.write_text(BATCH.splitlines()[0] + "\n" + BATCH.splitlines()[1] + "\n", "utf-8")
    shipped = Path(__file__).parents[2] / "src" / "routerdesk" / "resources" / "registry.toml"
    proc = run(
        "--batch", str(batch), "--registry", str(shipped), "--only", "gpt-5-mini,claude-haiku-5-5"
    )
    assert proc.returncode == 0, proc.stderr
    for o in lines(proc.stdout):
        assert {o["model"], *o["fallbacks"]} <= {"gpt-5-mini", "claude-haiku-5-5"}


def test_keys_limit_the_providers() -> None:
    proc = run(
        "--batch", "-", stdin=BATCH.splitlines()[0], env={"ANTHROPIC_API_KEY": "sk-ant-test"}
    )
    assert proc.returncode == 0, proc.stderr
    [o] = lines(proc.stdout)
    assert o["provider"] == "anthropic"
    assert "no provider API keys" not in proc.stderr


@pytest.mark.parametrize("strategy", ["cheapest", "best"])
def test_single_prompt_json(strategy: str) -> None:
    proc = run(
        "Prove that the square root of 2 is irrational",
        "--json",
        "--explain",
        "--strategy",
        strategy,
    )
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert body["strategy"] == strategy
    assert body["task"] == "complex_reasoning"
    assert len(body["candidates"]) == len(load_shipped_registry().registry)
    assert any(
        not c["kept"] and c["reason"] == "disabled in the registry" for c in body["candidates"]
    )


def test_single_prompt_text_explain() -> None:
    proc = run("hello there", "--explain")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("task ")
    assert "candidates" in proc.stdout and "disabled in the registry" in proc.stdout


def test_invalid_user_registry_is_reported_and_left_alone(routerdesk_home: Path) -> None:
    bad = "version = 1\nmodels = [{ id = 'x' }]\n"
    (routerdesk_home / "registry.toml").write_text(bad, "utf-8")
    proc = run("hello")
    assert proc.returncode == 2
    assert "registry.toml: models[x].provider: Field required" in proc.stderr
    assert (routerdesk_home / "registry.toml").read_text("utf-8") == bad


def test_prompt_and_batch_are_exclusive() -> None:
    assert run().returncode == 2
    assert run("hi", "--batch", "-").returncode == 2
