"""The judge: rubric prompt, JSON verdict parsing (malformed, refusals), both orders combined, demo judge."""

from __future__ import annotations

import json
import re

import pytest

from routerdesk.core.audit_judge import (
    RUBRIC,
    Judgement,
    MalformedJudgement,
    combine,
    demo_judge_answer,
    judge_request,
    kept,
    parse_judgement,
    routed_side,
)
from routerdesk.core.registry import ModelSpec, Prices, Registry
from routerdesk.core.types import TASKS


def spec(model_id: str, score: int, provider: str = "openai", *features: str) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        provider=provider,
        name=model_id,
        prices=Prices(input=1.0, output=4.0),
        context_window=100_000,
        max_output_tokens=8_000,
        features=frozenset({"streaming", *features}),
        capabilities={t: score for t in TASKS},
    )


@pytest.mark.parametrize(
    ("text", "winner", "reason"),
    [
        ('{"winner": "A", "reason": "A is right."}', "A", "A is right."),
        (
            '```json\n{"winner": "b", "reason": "B covers both parts"}\n```',
            "B",
            "B covers both parts",
        ),
        ('Sure! {"winner": "tie", "reason": "same"} Hope that helps.', "tie", "same"),
        ('{"winner": "C", "reason": "equal"}', "tie", "equal"),  # MT-Bench's [[C]] spelling
        ('{"winner": "A", "reason": "line one\\n  line two"}', "A", "line one line two"),
        ('{"winner": "A"}', "A", ""),
    ],
)
def test_parses_verdicts(text: str, winner: str, reason: str) -> None:
    assert parse_judgement(text) == Judgement(winner, reason)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        (None, "empty"),
        ("I'm sorry, but I can't compare these answers.", "no JSON object in"),
        ('{"winner": "A", "reason": ', "no JSON object"),
        ('{"winner": "A" "reason": "x"}', "invalid JSON"),
        ('{"winner": "both", "reason": "x"}', "'winner' must be A, B or tie"),
        ('{"verdict": "A"}', "'winner' must be A, B or tie"),
        ('["A"]', "no JSON object"),
    ],
)
def test_malformed_and_refused_answers_are_rejected_with_the_reason(
    text: str | None, why: str
) -> None:
    with pytest.raises(MalformedJudgement, match=re.escape(why)):
        parse_judgement(text)


def test_each_order_is_read_from_the_routed_answers_side() -> None:
    # routed shown first (A)
    assert routed_side(Judgement("A", ""), routed_first=True) == "better"
    assert routed_side(Judgement("B", ""), routed_first=True) == "worse"
    # routed shown second (B)
    assert routed_side(Judgement("A", ""), routed_first=False) == "worse"
    assert routed_side(Judgement("B", ""), routed_first=False) == "better"
    assert routed_side(Judgement("tie", ""), routed_first=False) == "as_good"


@pytest.mark.parametrize(
    ("first", "second", "combined"),
    [
        ("better", "better", "better"),
        ("worse", "worse", "worse"),
        ("as_good", "as_good", "as_good"),
        ("better", "worse", "as_good"),  # position bias: each order picked position A
        ("worse", "better", "as_good"),
        ("better", "as_good", "as_good"),
        ("as_good", "worse", "as_good"),
    ],
)
def test_orders_combine_to_a_tie_unless_they_agree(first: str, second: str, combined: str) -> None:
    assert combine(first, second) == combined  # type: ignore[arg-type]


def test_a_judge_that_always_prefers_position_a_yields_ties() -> None:
    always_a = Judgement("A", "the first one")
    verdict = combine(routed_side(always_a, True), routed_side(always_a, False))
    assert verdict == "as_good" and kept(verdict)
    assert not kept("worse") and kept("better")


def test_judge_request_carries_the_rubric_both_answers_and_json_mode() -> None:
    req = judge_request("USER: what is 2+2?", "four", "5", spec("j", 5, "openai", "json"))
    system, user = req.messages
    assert system.text() == RUBRIC
    for word in ("Correctness", "Completeness", "Instruction following", "position biases"):
        assert word in RUBRIC
    text = user.text()
    assert (
        text.index("what is 2+2?") < text.index("four") < text.index("5\n[The End of Assistant B")
    )
    assert req.response_format is not None and req.response_format.type == "json_schema"
    assert req.temperature == 0.0
    anthropic = judge_request("q", "a", "b", spec("j", 5, "anthropic", "json"))
    assert anthropic.response_format is not None and anthropic.response_format.type == "json_object"
    plain = judge_request("q", "a", "b", spec("j", 5, "ollama"))
    assert plain.response_format is None


def test_long_answers_are_cut_head_and_tail() -> None:
    long = "x" * 50_000
    text = judge_request("q", long, "b", spec("j", 5)).messages[1].text()
    assert "characters omitted" in text and len(text) < 20_000


def _demo_verdicts(registry: Registry, routed: str, base: str, n: int) -> list[str]:
    out = []
    for i in range(n):
        ra = f"[demo] {routed} answering. You asked about: question {i}."
        ba = f"[demo] {base} answering. You asked about: question {i}."
        q = f"USER: question {i}"
        first = parse_judgement(
            demo_judge_answer(judge_request(q, ra, ba, registry[base]), registry).content
        )
        second = parse_judgement(
            demo_judge_answer(judge_request(q, ba, ra, registry[base]), registry).content
        )
        out.append(combine(routed_side(first, True), routed_side(second, False)))
    return out


def test_demo_judge_is_deterministic_and_favours_the_stronger_model() -> None:
    registry = Registry([spec("weak", 2), spec("strong", 5), spec("same", 5)])
    verdicts = _demo_verdicts(registry, "weak", "strong", 300)
    assert verdicts == _demo_verdicts(registry, "weak", "strong", 300)
    worse = verdicts.count("worse") / len(verdicts)
    assert 0.08 < worse < 0.3  # the weaker model loses sometimes, not always
    assert verdicts.count("better") < verdicts.count("worse")
    even = _demo_verdicts(registry, "same", "strong", 300)
    assert even.count("worse") < 300 * 0.08 and even.count("better") < 300 * 0.08
    answer = demo_judge_answer(judge_request("q", "a", "b", registry["strong"]), registry)
    assert json.loads(answer.content or "")["winner"] in ("A", "B", "tie")
    assert answer.usage.input_tokens > 0
