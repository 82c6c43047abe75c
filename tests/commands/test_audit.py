"""`routerdesk audit report` over a real audit store: the tile's figures, breakdowns, suggestions, JSON."""

from __future__ import annotations

import json
import time

import pytest

from routerdesk.cli import main
from routerdesk.core.audit import AuditResult
from routerdesk.core.registry import ModelSpec, Prices, Registry
from routerdesk.core.registry_file import RegistryDocument, save_registry
from routerdesk.core.types import TASKS
from routerdesk.storage import paths
from routerdesk.storage.audits import AuditStore


def spec(model_id: str, price: float, score: int) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        provider="openai",
        name=model_id,
        prices=Prices(input=price, output=price * 4),
        context_window=128_000,
        max_output_tokens=8_000,
        capabilities=dict.fromkeys(TASKS, score),
    )


def result(i: int, model: str, task: str, verdict: str | None, *, demo: bool = False,
           age_s: float = 3600.0) -> AuditResult:  # fmt: skip
    return AuditResult(
        request_id=f"rd-{i}", started_at=time.time() - age_s, demo=demo, task=task,
        routed_model=model, baseline_model="big", judge_model="judge",
        verdict=verdict,  # type: ignore[arg-type]
        error="" if verdict else "judge: judge-1 answer unusable: invalid JSON", cost=0.003,
    )  # fmt: skip


@pytest.fixture
def audits() -> None:
    save_registry(
        paths.registry_path(),
        RegistryDocument(Registry([spec("mini", 0.1, 4), spec("judge", 3, 4), spec("big", 10, 5)])),
    )
    rows = (
        [result(i, "mini", "code_generation", "worse") for i in range(7)]
        + [result(10 + i, "mini", "code_generation", "as_good") for i in range(13)]
        + [result(100 + i, "mini", "simple_qa", "as_good") for i in range(87)]
        + [result(200 + i, "judge", "simple_qa", "better") for i in range(13)]
        + [result(300, "mini", "simple_qa", None)]  # failed: no verdict
        + [result(400, "mini", "simple_qa", "worse", age_s=30 * 86400)]  # outside --since 7d
        + [result(500 + i, "mini", "simple_qa", "worse", demo=True) for i in range(5)]
    )
    store = AuditStore(paths.audits_db_path())
    for r in rows:
        store.add(r)
    store.close()


def test_text_report(audits: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "report"]) == 0
    out = capsys.readouterr().out
    assert "quality kept 94% (88-97%, 120 audits)" in out
    assert "audits without a verdict: 1 · audit spend $0.3630" in out
    assert "code_generation" in out and "65% (43-82%, 20 audits)" in out
    assert (
        "lower mini code_generation: 4 -> 3; judged worse than the baseline (big) in 7 of 20" in out
    )


def test_json_report(audits: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "report", "--since", "7d", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    q = data["quality_kept"]
    assert (q["audits"], q["better"], q["as_good"], q["worse"]) == (120, 13, 100, 7)
    assert q["low"] == pytest.approx(0.8845, abs=1e-4) and q["high"] == pytest.approx(
        0.9715, abs=1e-4
    )
    assert data["failed"] == 1 and data["demo"] is False
    assert data["by_model"]["judge"]["better"] == 13
    assert data["by_task"]["code_generation"]["worse"] == 7
    (sug,) = data["suggestions"]
    assert (sug["model_id"], sug["task"], sug["direction"], sug["proposed"]) == (
        "mini", "code_generation", "lower", 3,
    )  # fmt: skip


def test_demo_audits_are_reported_apart(audits: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "report", "--demo", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["quality_kept"]["audits"] == 5 and data["quality_kept"]["worse"] == 5


def test_a_dismissed_suggestion_is_not_shown_again(
    audits: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store = AuditStore(paths.audits_db_path())
    store.dismiss("mini|code_generation|4->3")
    store.close()
    assert main(["audit", "report", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["suggestions"] == []


def test_no_audits_yet_says_how_to_turn_them_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "report"]) == 0
    out = capsys.readouterr().out
    assert "quality kept no audits yet" in out and "[audit] enabled = true" in out


def test_bad_since_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "report", "--since", "yesterday"]) == 2
    assert "expected a span like 1d" in capsys.readouterr().out
