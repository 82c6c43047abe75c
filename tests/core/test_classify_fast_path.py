"""The run-time feature lookups and the cached routing plans give exactly what the
reference paths give: features by name (what training fits on) and a fresh Router."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from routerdesk.core.classify import L1Classifier
from routerdesk.core.classify_features import (
    FeatureGroup,
    feature_name,
    feature_names,
    features,
    read_request,
)
from routerdesk.core.classify_model import LinearModel, shipped_model, write_weights
from routerdesk.core.errors import RouterError
from routerdesk.core.openai_format import parse_messages, parse_response_format, parse_tools
from routerdesk.core.registry_file import load_shipped_registry
from routerdesk.core.routing import Router
from routerdesk.core.settings import Settings
from routerdesk.core.types import (
    ChatRequest,
    ImagePart,
    Message,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
)

EVAL = Path(__file__).resolve().parents[1] / "data" / "classifier_eval.jsonl"
MULTILINGUAL = [
    "日本的首都是哪里？",
    "この文を英語に翻訳してください：明日は雨です。",
    "Переведи на английский: Я опоздаю.",
    "다음 텍스트에서 이름과 이메일 주소를 추출해 주세요. 김민수 minsu@example.com",
    "请总结下面这篇文章的要点：\n\n" + "城市议会通过了新的预算。" * 30,
    "สวัสดีครับ ช่วยแปลประโยคนี้เป็นภาษาอังกฤษ",
    "Écris une fonction JavaScript qui supprime les doublons d'un tableau.",
    "Resuelve paso a paso: si 3 obreros tardan 12 días, ¿cuánto tardan 9?",
    "Hello, 世界 2024! c++ and c# (thread-safe) 3.14 1st",
    "Refactor this:\n```python\n" + "def f(x):\n    return x\n" * 40 + "```\nwhy does getUserName() in main.py fail?",
    "Traceback (most recent call last):\n  File \"a.py\", line 1\nValueError: bad\nfix it",
    "ok",
    "",
]  # fmt: skip
FOLLOW_UPS = ["ok continue", "make it faster", "now translate it into German", "yes", "more formal"]


def _eval_requests() -> list[ChatRequest]:
    reqs = []
    for line in EVAL.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        reqs.append(
            ChatRequest(
                parse_messages(row["messages"]),
                tools=parse_tools(row.get("tools")),
                response_format=parse_response_format(row.get("response_format")),
            )
        )
    return reqs


def _varied_requests() -> list[ChatRequest]:
    """Eval prompts as they come, multilingual ones, and agent-style conversations with
    system prompts, tools, tool turns, images, JSON mode and follow-ups."""
    reqs = _eval_requests()
    texts = [m.text() for r in reqs for m in r.messages if m.role == "user"] + MULTILINGUAL
    reqs += [ChatRequest([Message("user", [TextPart(t)])]) for t in MULTILINGUAL]
    rnd = random.Random(11)
    for i in range(120):
        msgs = []
        if i % 3 == 0:
            msgs.append(Message("system", [TextPart(rnd.choice(texts) * rnd.randint(1, 3))]))
        msgs += [
            Message("user", [TextPart(rnd.choice(texts))]),
            Message("assistant", [TextPart("Here it is.")]),
        ]
        if i % 4 == 0:
            call = ToolCall(f"c{i}", "read_file", '{"path": "x.py"}')
            msgs.append(Message("assistant", [TextPart("reading")], tool_calls=[call]))
            msgs.append(Message("tool", [TextPart("print(1)\n" * 20)], tool_call_id=f"c{i}"))
            msgs.append(Message("tool", [TextPart("done")], tool_call_id=f"c{i}"))
        if i % 5 == 0:
            msgs.append(Message("user", [ImagePart(url="data:image/png;base64,AAAA")]))
        msgs.append(Message("user", [TextPart(rnd.choice(FOLLOW_UPS + texts))]))
        names = ["read_file", "edit_file", "run_terminal_cmd", "extract_entities", "save_record"]
        tools = [Tool(n) for n in rnd.sample(names, rnd.randint(0, 3))]
        rf = ResponseFormat("json_object") if i % 7 == 0 else None
        reqs.append(ChatRequest(msgs, tools=tools, response_format=rf, stream=bool(i % 2)))
    return reqs


REQUESTS = _varied_requests()


class _ByName(LinearModel):
    """The reference: every feature spelled out by name and looked up by name."""

    def predict_features(self, groups: list[FeatureGroup]) -> object:  # type: ignore[override]
        return self.predict([feature_name(kind, key) for kind, keys in groups for key in keys])


def test_feature_lookups_find_the_rows_the_names_find() -> None:
    model = shipped_model()
    assert len(REQUESTS) >= 600
    for req in REQUESTS:
        reading = read_request(req)
        names = feature_names(reading)
        assert [feature_name(k, key) for k, keys in features(reading) for key in keys] == names
        fast = model.predict_features(features(reading))
        assert fast == model.predict(names)
        assert fast.rows == list(dict.fromkeys(filter(None, map(model.index.get, names))))


def test_classifications_match_the_by_name_reference() -> None:
    fast, reference = L1Classifier(), L1Classifier(_ByName())
    tasks = set()
    for req in REQUESTS:
        got = fast.classify(req)
        assert got == reference.classify(req)  # task, confidence, complexity, signals, features
        tasks.add(got.task)
    assert len(tasks) == 8  # the set exercises every task


def test_an_unsorted_vocabulary_gives_the_same_lookups(tmp_path: Path) -> None:
    model = shipped_model()
    order = list(range(1, len(model.vocab)))
    random.Random(3).shuffle(order)
    header = {
        "meta": model.meta,
        "bias": model.b,
        "complexity_bias": model.bc,
        "temperature": model.temperature,
        "platt": [model.platt_a, model.platt_b],
        "features": len(order),
    }
    path = tmp_path / "shuffled.bin"
    write_weights(path, header, [model.vocab[i] for i in order], [model.row(i) for i in order])
    shuffled = LinearModel(path)
    for req in REQUESTS[::7]:
        reading = read_request(req)
        a = model.predict_features(features(reading))
        b = shuffled.predict_features(features(reading))
        assert [model.vocab[r] for r in a.rows] == [shuffled.vocab[r] for r in b.rows]
        assert a.probs == b.probs and a.complexity == b.complexity


@pytest.mark.parametrize("tier", ["standard", "enhanced"])
def test_cached_routing_plans_decide_as_a_fresh_router_does(tier: str) -> None:
    """A Router caches each filter outcome by what the filters compare; a request must
    never get another request's plan (prompt size, complexity, task, keys, features)."""
    registry = load_shipped_registry().registry
    warm, settings = Router(registry), Settings()
    classifier = L1Classifier()
    rnd = random.Random(5)
    usable = [None, frozenset({"openai", "anthropic"}), frozenset({"google", "deepseek"})]
    for n, req in enumerate(REQUESTS[::3]):
        c = classifier.classify(req)
        c.complexity = rnd.choice([c.complexity, 0.0, 0.4, 0.6, 0.7, 0.75, 0.8, 0.95, 1.0])
        req.max_tokens = rnd.choice([None, 100, 200_000, 900_000])
        kw = dict(
            settings=settings,
            strategy=("cheapest", "balanced", "best")[n % 3],
            quality_tier=tier,
            usable_providers=rnd.choice(usable),
        )
        outcomes: list[object] = []
        for router in (warm, Router(registry)):
            try:
                outcomes.append(router.decide(req, c, **kw))  # type: ignore[arg-type]
            except RouterError as e:  # the same error must come from both
                outcomes.append(f"{type(e).__name__}: {e}")
        assert outcomes[0] == outcomes[1]
