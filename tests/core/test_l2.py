"""L2 classifier: model choice, bounded excerpt, strict verdicts, inline/shadow modes, cache, cost."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from routerdesk.core.errors import UpstreamTimeout
from routerdesk.core.l2 import (
    NO_MODEL_REASON,
    Agreement,
    L2Call,
    L2Classifier,
    L2Outcome,
    L2Verdict,
    MalformedVerdict,
    agreement_from_rows,
    choose_model,
    classifier_prompt,
    classifier_request,
    l2_usage_record,
    parse_verdict,
)
from routerdesk.core.registry import ModelSpec, Prices, Registry
from routerdesk.core.settings import L2Settings
from routerdesk.core.types import (
    TASKS,
    ChatRequest,
    ChatResponse,
    Classification,
    ImagePart,
    Message,
    TextPart,
    Tool,
    Usage,
)


def model(
    model_id: str,
    *,
    provider: str = "openai",
    inp: float = 1.0,
    out: float = 2.0,
    features: frozenset[str] = frozenset({"streaming", "json"}),
    enabled: bool = True,
) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        provider=provider,
        name=model_id,
        prices=Prices(input=inp, output=out),
        context_window=128_000,
        max_output_tokens=8_000,
        features=features,  # type: ignore[arg-type]
        capabilities=dict.fromkeys(TASKS, 3),
        enabled=enabled,
    )


REGISTRY = Registry(
    [
        model("big", inp=5, out=15),
        model("nano", inp=0.05, out=0.4),
        model("cheap-no-json", provider="groq", inp=0.01, out=0.01, features=frozenset()),
        model("local", provider="ollama", inp=0, out=0),
        model("ds", provider="deepseek", inp=0.2, out=0.4),
    ]
)
KEYS = {"openai", "groq", "deepseek", "ollama"}


def req(text: str, system: str = "") -> ChatRequest:
    msgs = [Message("system", [TextPart(system)])] if system else []
    msgs.append(Message("user", [TextPart(text)]))
    return ChatRequest(messages=msgs)


def unsure(task: str = "general", confidence: float = 0.4) -> Classification:
    return Classification(task, confidence, 0.3, signals=["l1: few cues"], features={"chars": 12.0})


def answer(content: str, tokens: tuple[int, int] = (300, 12)) -> ChatResponse:
    return ChatResponse(id="x", model="nano", content=content, usage=Usage(*tokens))


class FakeClassifierModel:
    """An injected `ask`: answers from a script, optionally held back until released."""

    def __init__(self, content: str = '{"task": "code_generation", "complexity": 4}') -> None:
        self.content = content
        self.calls: list[tuple[ChatRequest, ModelSpec]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.error: Exception | None = None

    async def __call__(self, request: ChatRequest, spec: ModelSpec) -> ChatResponse:
        self.calls.append((request, spec))
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return answer(self.content)


def classifier(
    ask: FakeClassifierModel, sink: list[tuple[L2Call, L2Outcome]] | None = None, **settings: Any
) -> L2Classifier:
    return L2Classifier(
        ask,
        L2Settings(**settings),
        on_call_finished=(lambda c, o: sink.append((c, o))) if sink is not None else None,
        price=lambda m, u: (
            (u.input_tokens * m.prices.input + u.output_tokens * m.prices.output) / 1e6
        ),
    )


async def run(clf: L2Classifier, request: ChatRequest, l1: Classification) -> Classification:
    return await clf.classify(
        request,
        l1,
        registry=REGISTRY,
        usable_providers=KEYS,
        call=L2Call("req-1", client="test", started_at=1000.0),
    )


# --- model choice -------------------------------------------------------------------------


def test_auto_choice_is_cheapest_json_capable_model_with_a_key() -> None:
    choice = choose_model(REGISTRY, L2Settings(), KEYS)
    assert choice.model is not None and choice.model.id == "nano"
    assert "cheapest" in choice.reason


def test_local_models_are_not_picked_automatically_but_can_be_named() -> None:
    assert choose_model(REGISTRY, L2Settings(), {"ollama"}).model is None
    named = choose_model(REGISTRY, L2Settings(model="local"), {"ollama"})
    assert named.model is not None and named.model.id == "local"


def test_without_a_key_l2_is_off_with_a_reason_the_gui_can_show() -> None:
    choice = choose_model(REGISTRY, L2Settings(), set())
    assert not choice.enabled
    assert choice.reason == NO_MODEL_REASON


def test_named_model_problems_are_explained() -> None:
    assert "not in the registry" in choose_model(REGISTRY, L2Settings(model="nope"), KEYS).reason
    assert (
        "no key for anthropic"
        in choose_model(
            Registry([model("claude", provider="anthropic")]), L2Settings(model="claude"), KEYS
        ).reason
    )
    assert "turned off" in choose_model(REGISTRY, L2Settings(enabled=False), KEYS).reason


def test_status_reports_mode_model_and_reason() -> None:
    clf = classifier(FakeClassifierModel(), mode="shadow")
    st = clf.status(REGISTRY, KEYS)
    assert (st.enabled, st.mode, st.model_id) == (True, "shadow", "nano")
    assert not clf.status(REGISTRY, set()).enabled


# --- excerpt and request ----------------------------------------------------------------------


def test_excerpt_is_bounded_and_keeps_head_tail_system_and_hints() -> None:
    text = "HEAD " + "x" * 100_000 + " TAIL"
    request = ChatRequest(
        messages=[
            Message("system", [TextPart("You are a coding agent. " + "s" * 5000)]),
            Message("user", [TextPart("first turn")]),
            Message("assistant", [TextPart("ok")]),
            Message("user", [TextPart(text), ImagePart(url="http://x/cat.png")]),
        ],
        tools=[Tool(f"tool_{i}") for i in range(20)],
    )
    excerpt = classifier_prompt(request)
    assert len(excerpt) < 3200
    assert "HEAD" in excerpt and "TAIL" in excerpt and "characters omitted" in excerpt
    assert "You are a coding agent." in excerpt
    assert "tool_0" in excerpt and "12 more" in excerpt
    assert "images" in excerpt
    assert "Conversation turn: 2" in excerpt


def test_classifier_request_asks_for_json_output() -> None:
    r = classifier_request("hi", REGISTRY["nano"])
    assert r.response_format is not None and r.response_format.type == "json_schema"
    assert r.response_format.schema is not None
    assert r.response_format.schema["properties"]["task"]["enum"] == list(TASKS)
    ds = classifier_request("hi", REGISTRY["ds"])
    assert ds.response_format is not None and ds.response_format.type == "json_object"
    assert classifier_request("hi", REGISTRY["cheap-no-json"]).response_format is None
    assert r.max_tokens is not None and r.max_tokens <= 100 and not r.stream


# --- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"task": "translation", "complexity": 2}', L2Verdict("translation", 2)),
        (
            '```json\n{"task": "Complex Reasoning", "complexity": 5}\n```',
            L2Verdict("complex_reasoning", 5),
        ),
        ('Sure! {"task": "general", "complexity": 1.0}', L2Verdict("general", 1)),
    ],
)
def test_parse_verdict_accepts(text: str, expected: L2Verdict) -> None:
    assert parse_verdict(text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("I think it's code", "no JSON object"),
        ('{"task": "code_generation", "complexity": 3', "no JSON object"),
        ('{"task": "poetry", "complexity": 3}', "unknown task"),
        ('{"task": "general", "complexity": 9}', "outside 1..5"),
        ('{"task": "general", "complexity": true}', "numeric"),
        ('{"complexity": 2}', "task"),
        ("[1, 2]", "no JSON object"),
    ],
)
def test_parse_verdict_rejects(text: str, why: str) -> None:
    with pytest.raises(MalformedVerdict, match=why):
        parse_verdict(text)


# --- inline mode ----------------------------------------------------------------------------


async def test_confident_l1_is_left_alone() -> None:
    ask = FakeClassifierModel()
    l1 = unsure(confidence=0.95)
    assert await run(classifier(ask), req("hi"), l1) is l1
    assert ask.calls == []


async def test_inline_verdict_replaces_l1_and_keeps_l1_in_signals() -> None:
    ask = FakeClassifierModel()
    sink: list[tuple[L2Call, L2Outcome]] = []
    result = await run(classifier(ask, sink), req("make this faster", system="be brief"), unsure())
    assert result.tier == "l2"
    assert result.task == "code_generation"
    assert result.complexity == pytest.approx(0.75)
    assert result.confidence == pytest.approx(0.8)
    assert any(s.startswith("l1 said general (0.40)") for s in result.signals)
    assert "l1: few cues" in result.signals
    assert result.features["chars"] == 12.0 and result.features["l2_complexity"] == 4.0
    [(call, outcome)] = sink
    assert call.request_id == "req-1" and call.l1 is not None and call.l1.task == "general"
    assert outcome.model_id == "nano" and outcome.cost == pytest.approx(
        (300 * 0.05 + 12 * 0.4) / 1e6
    )
    sent, spec = ask.calls[0]
    assert spec.id == "nano" and "make this faster" in sent.messages[-1].text()


async def test_inline_agreement_raises_confidence() -> None:
    ask = FakeClassifierModel('{"task": "general", "complexity": 1}')
    result = await run(classifier(ask), req("hello"), unsure("general"))
    assert result.confidence == pytest.approx(0.9)
    assert "agrees with l1" in result.signals[0]


async def test_deadline_expiry_keeps_l1_and_the_late_answer_still_counts() -> None:
    ask = FakeClassifierModel()
    ask.release.clear()
    sink: list[tuple[L2Call, L2Outcome]] = []
    clf = classifier(ask, sink, deadline_s=0.01)
    l1 = unsure()
    result = await run(clf, req("slow one"), l1)
    assert result.tier == "l1" and result.task == "general"
    assert "missed its 0.01 s deadline" in result.signals[-1]
    assert sink == []  # not finished yet
    ask.release.set()
    await clf.drain()
    assert len(sink) == 1 and sink[0][1].verdict == L2Verdict("code_generation", 4)
    # The late verdict filled the cache: the same prompt is answered without a call.
    again = await run(clf, req("slow one"), l1)
    assert again.tier == "l2" and "cached" in again.signals[0]
    assert len(ask.calls) == 1


async def test_malformed_json_falls_back_to_l1_and_says_so() -> None:
    sink: list[tuple[L2Call, L2Outcome]] = []
    result = await run(classifier(FakeClassifierModel("task: code"), sink), req("x"), unsure())
    assert result.tier == "l1" and result.task == "general"
    assert "malformed answer" in result.signals[-1]
    # The tokens were paid for: the call is still reported with its cost.
    assert sink[0][1].verdict is None and sink[0][1].cost > 0


async def test_wrong_task_falls_back_to_l1() -> None:
    ask = FakeClassifierModel('{"task": "poetry", "complexity": 2}')
    result = await run(classifier(ask), req("x"), unsure())
    assert result.tier == "l1" and "unknown task 'poetry'" in result.signals[-1]


async def test_upstream_error_falls_back_to_l1() -> None:
    ask = FakeClassifierModel()
    ask.error = UpstreamTimeout("openai: no first byte within 60 s", provider="openai")
    sink: list[tuple[L2Call, L2Outcome]] = []
    result = await run(classifier(ask, sink), req("x"), unsure())
    assert result.tier == "l1" and "UpstreamTimeout" in result.signals[-1]
    assert sink[0][1].cost == 0.0


async def test_no_key_keeps_l1_with_the_reason() -> None:
    clf = classifier(FakeClassifierModel())
    result = await clf.classify(req("x"), unsure(), registry=REGISTRY, usable_providers=set())
    assert result.tier == "l1" and result.signals[-1] == NO_MODEL_REASON


async def test_cache_is_bounded() -> None:
    ask = FakeClassifierModel()
    clf = L2Classifier(ask, L2Settings(), cache_size=2, price=lambda m, u: 0.0)
    for text in ("a", "b", "c", "a"):
        await run(clf, req(text), unsure())
    assert len(ask.calls) == 4  # "a" was evicted by "c"
    await run(clf, req("a"), unsure())
    assert len(ask.calls) == 4


# --- shadow mode ----------------------------------------------------------------------------


async def test_shadow_never_waits_and_records_the_verdict_later() -> None:
    ask = FakeClassifierModel()
    ask.release.clear()  # the classifier would take forever
    sink: list[tuple[L2Call, L2Outcome]] = []
    clf = classifier(ask, sink, mode="shadow")
    result = await run(clf, req("refactor this"), unsure())
    assert result.tier == "l1" and "l2 shadow: asked nano" in result.signals[-1]
    assert clf.in_flight == 1 and sink == []
    ask.release.set()
    await clf.drain()
    [(call, outcome)] = sink
    record = l2_usage_record(call, outcome)
    assert record.request_id == "req-1.l2" and record.task == "l2" and record.tier == "l2"
    assert record.cost == outcome.cost and record.baseline_cost == 0.0
    assert record.classification is not None
    assert record.classification.features["agree"] == 0.0
    assert clf.agreement() == Agreement(1, 0, {("general", "code_generation"): 1})


async def test_in_flight_calls_are_bounded() -> None:
    ask = FakeClassifierModel()
    ask.release.clear()
    clf = L2Classifier(ask, L2Settings(mode="shadow"), max_in_flight=1, price=lambda m, u: 0.0)
    await run(clf, req("one"), unsure())
    second = await run(clf, req("two"), unsure())
    assert "l2 skipped" in second.signals[-1]
    await clf.aclose()
    assert clf.in_flight == 0


def test_agreement_from_usage_rows() -> None:
    l1 = unsure("general")
    rows: list[dict[str, Any]] = []
    for task in ("general", "general", "translation"):
        rec = l2_usage_record(
            L2Call("r", l1=l1), L2Outcome("nano", "openai", L2Verdict(task, 2), cost=0.001)
        )
        assert rec.classification is not None
        rows.append(
            {
                "task": rec.task,
                "signals": json.loads(json.dumps(rec.classification.signals)),
                "features": rec.classification.features,
            }
        )
    rows.append({"task": "general", "signals": [], "features": {}})
    agreement = agreement_from_rows(rows)
    assert (agreement.compared, agreement.agreed) == (3, 2)
    assert agreement.confusions == {("general", "translation"): 1}
    assert agreement.rate == pytest.approx(2 / 3)
    assert "2 of 3" in agreement.summary()
