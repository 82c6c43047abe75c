"""Quality kept: Wilson intervals, summaries by task and model, and registry suggestions."""

from __future__ import annotations

import pytest

from routerdesk.core.quality import (
    MIN_SAMPLES,
    Judged,
    Share,
    suggestions,
    summarize,
    wilson,
)
from routerdesk.core.registry import ModelSpec, Prices, Registry
from routerdesk.core.types import TASKS


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [
        # Wilson's closed form worked by hand (z = 1.96)
        (113, 120, 0.8845, 0.9715),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (5, 10, 0.2366, 0.7634),
        (1, 1, 0.2065, 1.0),
    ],
)
def test_wilson_interval_matches_reference_values(k: int, n: int, lo: float, hi: float) -> None:
    got = wilson(k, n)
    assert got[0] == pytest.approx(lo, abs=5e-4)
    assert got[1] == pytest.approx(hi, abs=5e-4)


def test_wilson_with_no_samples_says_nothing() -> None:
    assert wilson(0, 0) == (0.0, 1.0)


def test_share_describes_itself_like_the_tile() -> None:
    s = Share(better=13, as_good=100, worse=7)
    assert s.n == 120 and s.kept == 113
    assert s.describe() == "94% (88-97%, 120 audits)"
    assert Share().describe() == "no audits yet"
    assert Share(as_good=1).describe() == "100% (21-100%, 1 audit)"


def test_summary_groups_by_task_and_model_and_counts_failures_and_cost() -> None:
    audits = [
        Judged("code_generation", "mini", "better", 0.01),
        Judged("code_generation", "mini", "worse", 0.01),
        Judged("simple_qa", "mini", "as_good", 0.002),
        Judged("simple_qa", "flash", "as_good", 0.002),
        Judged("simple_qa", "flash", "", 0.001),  # judge gave malformed JSON
    ]
    s = summarize(audits)
    assert (s.overall.n, s.overall.kept, s.failed) == (4, 3, 1)
    assert s.cost == pytest.approx(0.025)
    assert s.by_task["code_generation"].worse == 1
    assert s.by_model["flash"].n == 1
    assert s.by_model_task[("mini", "simple_qa")].as_good == 1


def spec(model_id: str, score: int) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        provider="openai",
        name=model_id,
        prices=Prices(input=1.0, output=1.0),
        context_window=1000,
        max_output_tokens=100,
        capabilities={t: score for t in TASKS},
    )


REG = Registry([spec("mini", 4), spec("flash", 3), spec("big", 5)])


def judged(model: str, task: str, worse: int, better: int, as_good: int) -> list[Judged]:
    return (
        [Judged(task, model, "worse")] * worse
        + [Judged(task, model, "better")] * better
        + [Judged(task, model, "as_good")] * as_good
    )


def test_a_model_that_loses_often_enough_gets_a_lower_score_suggested() -> None:
    s = summarize(judged("mini", "code_generation", 12, 2, 16))  # 40% worse of 30
    (sug,) = suggestions(s, REG, baseline_id="big")
    assert (sug.model_id, sug.task, sug.direction, sug.current, sug.proposed) == (
        "mini", "code_generation", "lower", 4, 3,
    )  # fmt: skip
    assert "12 of 30" in sug.evidence and "big" in sug.evidence and "95% interval" in sug.evidence


def test_no_suggestion_without_enough_samples_or_when_the_interval_is_unsure() -> None:
    few = summarize(judged("mini", "code_generation", 8, 0, 2))  # 80% worse, but only 10
    assert suggestions(few, REG) == []
    unsure = summarize(judged("mini", "code_generation", 6, 0, 24))  # 20%, lower bound < 15%
    assert unsure.by_model_task[("mini", "code_generation")].n >= MIN_SAMPLES
    assert suggestions(unsure, REG) == []


def test_a_model_that_wins_gets_a_higher_score_suggested() -> None:
    s = summarize(judged("flash", "translation", 0, 15, 15))
    (sug,) = suggestions(s, REG)
    assert (sug.direction, sug.current, sug.proposed) == ("raise", 3, 4)


def test_dismissed_suggestions_stay_dismissed_until_the_score_changes() -> None:
    s = summarize(judged("mini", "code_generation", 12, 2, 16))
    (sug,) = suggestions(s, REG)
    assert suggestions(s, REG, dismissed={sug.key}) == []
    lowered = Registry([spec("mini", 3), spec("flash", 3), spec("big", 5)])
    (again,) = suggestions(s, lowered, dismissed={sug.key})
    assert again.proposed == 2
