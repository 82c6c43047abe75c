"""`routerdesk replay` over a real usage log: text and JSON output, L2 rows, an upgraded database."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from routerdesk.cli import main
from routerdesk.core.l2 import L2Call, L2Outcome, L2Verdict, l2_usage_record
from routerdesk.core.prices import cost_usd
from routerdesk.core.registry import ModelSpec, Prices, Registry
from routerdesk.core.registry_file import RegistryDocument, save_registry
from routerdesk.core.types import TASKS, Classification, Decision, Usage, UsageRecord
from routerdesk.storage import paths
from routerdesk.storage.usage import MIGRATIONS, UsageStore


def spec(model_id: str, provider: str, price: float, score: int) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        provider=provider,
        name=model_id,
        prices=Prices(input=price, output=price * 4),
        context_window=128_000,
        max_output_tokens=8_000,
        features=frozenset({"streaming", "json", "tools"}),
        capabilities=dict.fromkeys(TASKS, score),
    )


REGISTRY = Registry([spec("small", "deepseek", 0.1, 3), spec("large", "anthropic", 5.0, 5)])


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    """A candidate registry; the user's own registry.toml holds the same models, strategy best."""
    path = tmp_path / "candidate.toml"
    save_registry(path, RegistryDocument(REGISTRY))
    save_registry(paths.registry_path(), RegistryDocument(REGISTRY))
    paths.settings_path().write_text('[routing]\nstrategy = "best"\n')
    return path


def record(i: int, model_id: str, requested: str = "auto") -> UsageRecord:
    usage = Usage(2_000, 400)
    features = {"user_chars": 6_000.0, "system_chars": 1_500.0, "tools": 0.0, "images": 0.0}
    return UsageRecord(
        request_id=f"r{i}",
        started_at=time.time() - 3600,
        client="test",
        inbound="openai",
        requested_model=requested,
        strategy="best",
        task="general",
        confidence=0.9,
        complexity=0.2,
        tier="l1",
        model_id=model_id,
        provider=REGISTRY[model_id].provider,
        usage=usage,
        cost=cost_usd(REGISTRY[model_id], usage),
        decision=Decision(strategy="best", primary=model_id, est_prompt_tokens=1_900),
        classification=Classification("general", 0.9, 0.2, features=features),
    )


def fill_log(*records: UsageRecord) -> None:
    store = UsageStore(paths.usage_db_path())
    for r in records:
        store.submit(r)
    store.close()


def l2_row() -> UsageRecord:
    l1 = Classification("general", 0.5, 0.2)
    outcome = L2Outcome(
        "small", "deepseek", L2Verdict("general", 2), usage=Usage(300, 10), cost=0.0001
    )
    return l2_usage_record(L2Call("r0", l1=l1), outcome)


def test_replay_projects_cheapest_against_the_current_setup(
    registry_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill_log(
        record(1, "large"),
        record(2, "large", requested="auto:best"),  # keeps best: not a change
        record(3, "large", requested="large"),
        l2_row(),
    )
    code = main(
        ["replay", "--strategy", "cheapest", "--registry", str(registry_file), "--all-providers"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Replay of 3 requests since" in out and "default strategy best -> cheapest" in out
    assert "the change saves $" in out
    assert "model changes     1 of 2 re-routed requests" in out
    assert "kept as they were 1 that named a model" in out
    assert "L2 classifier     $0.0001 over 1 calls" in out
    assert str(registry_file) in out


def test_replay_json(registry_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fill_log(record(1, "large"), record(2, "small"), l2_row())
    code = main(
        [
            "replay",
            "--strategy",
            "cheapest",
            "--registry",
            str(registry_file),
            "--all-providers",
            "--json",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    large, small = (
        cost_usd(REGISTRY["large"], Usage(2_000, 400)),
        cost_usd(REGISTRY["small"], Usage(2_000, 400)),
    )
    assert data["requests"] == 2 and data["l2_calls"] == 1
    assert data["actual_cost"] == pytest.approx(large + small)
    assert data["projected_cost"] == pytest.approx(2 * small)
    assert data["savings"] == pytest.approx(data["current_cost"] - 2 * small)
    assert [(m["model_id"], m["projected_requests"]) for m in data["by_model"]] == [
        ("small", 2),
        ("large", 0),
    ]


def test_replay_reads_a_database_written_before_schema_2(
    registry_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = paths.usage_db_path()
    with sqlite3.connect(db) as conn:
        conn.executescript(MIGRATIONS[0])
        conn.execute("PRAGMA user_version=1")
        conn.execute(
            "INSERT INTO requests (request_id, started_at, requested_model, task, complexity, "
            "model_id, input_tokens, output_tokens, cost, features) VALUES "
            "('old', ?, 'auto', 'general', 0.2, 'large', 2000, 400, 0.018, '{}')",
            (time.time() - 60,),
        )
    conn.close()
    code = main(
        [
            "replay",
            "--strategy",
            "cheapest",
            "--registry",
            str(registry_file),
            "--all-providers",
            "--json",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["requests"] == 1 and data["changed"] == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert conn.execute("SELECT est_prompt_tokens FROM requests").fetchone()[0] == 0
    conn.close()


def test_replay_without_changes_reports_none(
    registry_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No option, or the same registry and strategy again: 0 changes, the same cost."""
    fill_log(record(1, "large"), record(2, "small"), record(3, "large", requested="auto:best"))
    for extra in ([], ["--registry", str(registry_file), "--strategy", "best"]):
        assert main(["replay", "--all-providers", "--json", *extra]) == 0
        data = json.loads(capsys.readouterr().out)
        assert (data["requests"], data["rerouted"], data["changed"]) == (3, 3, 0)
        assert data["projected_cost"] == pytest.approx(data["current_cost"])
        assert data["savings"] == pytest.approx(0.0)
    assert main(["replay", "--all-providers"]) == 0
    assert "the change costs the same" in capsys.readouterr().out


def test_new_rows_store_the_prompt_estimate() -> None:
    fill_log(record(1, "large"))
    store = UsageStore(paths.usage_db_path())
    try:
        [row] = list(store.rows())
    finally:
        store.close()
    assert row["est_prompt_tokens"] == 1_900


def test_empty_window_and_bad_arguments(
    registry_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "--registry", str(registry_file), "--all-providers"]) == 0
    assert "No usage recorded yet" in capsys.readouterr().out
    fill_log(record(1, "large"))
    assert (
        main(["replay", "--since", "2h", "--registry", str(registry_file), "--all-providers"]) == 0
    )
    assert "Replay of 1 requests" in capsys.readouterr().out
    assert main(["replay", "--since", "yesterday", "--all-providers"]) == 2
    assert "expected a span like 1d" in capsys.readouterr().err
    assert (
        main(
            ["replay", "--since", "2099-01-01", "--registry", str(registry_file), "--all-providers"]
        )
        == 0
    )
    assert "Nothing to replay" in capsys.readouterr().out
