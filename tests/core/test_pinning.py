"""Conversation pinning over the real router: stay, escalate, never de-escalate, re-route, expire."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from routerdesk.core.pinning import ConversationPins, conversation_fingerprint, turn_number
from routerdesk.core.registry import ModelSpec, Prices, Registry
from routerdesk.core.routing import Router
from routerdesk.core.settings import Settings
from routerdesk.core.types import (
    TASKS,
    ChatRequest,
    Classification,
    Decision,
    ImagePart,
    Message,
    TextPart,
)


def spec(model_id: str, provider: str, price: float, score: int, *features: str) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        provider=provider,
        name=model_id,
        prices=Prices(input=price, output=price * 4),
        context_window=128_000,
        max_output_tokens=8_000,
        features=frozenset({"streaming", *features}),  # type: ignore[arg-type]
        capabilities=dict.fromkeys(TASKS, score),
    )


REGISTRY = Registry(
    [
        spec("small", "deepseek", 0.1, 2),
        spec("medium", "openai", 1.0, 4, "vision"),
        spec("large", "anthropic", 5.0, 5, "vision"),
    ]
)
SETTINGS = Settings()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def conversation(*user_turns: str, system: str = "You help.", image: bool = False) -> ChatRequest:
    msgs = [Message("system", [TextPart(system)])]
    for i, text in enumerate(user_turns):
        if i:
            msgs.append(Message("assistant", [TextPart(f"answer {i}")]))
        msgs.append(Message("user", [TextPart(text)]))
    if image:
        msgs[-1].content.append(ImagePart(url="https://example.com/chart.png"))
    return ChatRequest(messages=msgs)


def classified(complexity: float, task: str = "general") -> Classification:
    return Classification(task, 0.9, complexity)


def route(
    pins: ConversationPins,
    req: ChatRequest,
    complexity: float,
    registry: Registry = REGISTRY,
    strategy: str | None = None,
) -> Decision:
    router = Router(registry)
    c = classified(complexity)

    def decide(r: ChatRequest) -> Decision:
        return router.decide(r, c, settings=SETTINGS, strategy=strategy)

    decide_explicit: Callable[[ChatRequest], Decision] = decide
    return pins.apply(req, c, decide(req), decide_explicit)


def test_fingerprint_is_stable_across_turns_and_bounded() -> None:
    one = conversation("hello")
    three = conversation("hello", "and then?", "thanks")
    assert conversation_fingerprint(one) == conversation_fingerprint(three)
    assert conversation_fingerprint(one) != conversation_fingerprint(
        conversation("hello", system="Other persona.")
    )
    assert (turn_number(one), turn_number(three)) == (1, 3)
    huge = conversation("x" * 5_000_000)
    assert conversation_fingerprint(huge) == conversation_fingerprint(
        conversation("x" * 2_000 + "different tail")
    )
    assert conversation_fingerprint(ChatRequest(messages=[])) is None


def test_turn_two_stays_on_turn_one_model_even_when_fresh_routing_would_go_cheaper() -> None:
    pins = ConversationPins()
    first = route(pins, conversation("design a distributed lock"), complexity=0.9)
    assert first.primary == "large"
    second = route(pins, conversation("design a distributed lock", "ok"), complexity=0.1)
    assert second.primary == "large"  # never de-escalate
    fp = conversation_fingerprint(conversation("x", system="You help."))
    assert fp is not None
    assert second.notes[-1].startswith("pinned to large (conversation ")
    assert second.notes[-1].endswith(", turn 2)")
    assert "balanced alone would pick small" in second.why
    assert second.strategy == "balanced"
    # If the pinned model fails, the fresh pick is among the fallbacks.
    assert "small" in second.fallbacks and "large" not in second.fallbacks
    pinned_candidate = next(c for c in second.candidates if c.model_id == "large")
    assert pinned_candidate.kept and pinned_candidate.reason.startswith("pinned (conversation")


def test_same_model_turn_is_noted_as_pinned() -> None:
    pins = ConversationPins()
    route(pins, conversation("hi"), complexity=0.1)
    again = route(pins, conversation("hi", "more"), complexity=0.1)
    assert again.primary == "small" and "pinned to small" in again.notes[-1]


def test_escalates_when_the_turn_needs_a_stronger_model_and_stays_there() -> None:
    pins = ConversationPins()
    assert route(pins, conversation("hi"), complexity=0.1).primary == "small"
    hard = route(pins, conversation("hi", "now prove it"), complexity=0.9)
    assert hard.primary == "large"
    assert hard.notes[-1].startswith("escalated from small to large (conversation ")
    assert "turn 2): general needs score 5, small has 2" in hard.notes[-1]
    easy = route(pins, conversation("hi", "now prove it", "thanks"), complexity=0.1)
    assert easy.primary == "large" and "pinned to large" in easy.notes[-1]


def test_cheapest_strategy_does_not_escalate_a_qualified_pin() -> None:
    pins = ConversationPins()
    route(pins, conversation("hi"), complexity=0.9, strategy="best")
    # A cheapest turn never needs more than qualifying: large stays.
    d = route(pins, conversation("hi", "go on"), complexity=0.9, strategy="cheapest")
    assert d.primary == "large" and d.strategy == "cheapest"


def test_best_strategy_escalates_to_the_top_score() -> None:
    pins = ConversationPins()
    route(pins, conversation("hi"), complexity=0.1, strategy="cheapest")
    d = route(pins, conversation("hi", "go on"), complexity=0.1, strategy="best")
    assert d.primary == "large" and "escalated from small to large" in d.notes[-1]


def test_pinned_model_failing_a_hard_filter_is_re_routed() -> None:
    pins = ConversationPins()
    route(pins, conversation("hi"), complexity=0.1)
    d = route(pins, conversation("hi", "what is in this chart?", image=True), complexity=0.1)
    assert d.primary == "medium"
    assert "re-routed from small to medium" in d.notes[-1]
    assert "small can no longer serve it: lacks vision" in d.notes[-1]


def test_pinned_model_removed_or_disabled_is_re_routed() -> None:
    pins = ConversationPins()
    route(pins, conversation("hi"), complexity=0.1)
    without = Registry([m for m in REGISTRY if m.id != "small"])
    d = route(pins, conversation("hi", "go on"), complexity=0.1, registry=without)
    assert "no longer in the registry" in d.notes[-1]
    pins2 = ConversationPins()
    route(pins2, conversation("hi"), complexity=0.9)
    disabled = Registry([m.model_copy(update={"enabled": m.id != "large"}) for m in REGISTRY])
    d2 = route(pins2, conversation("hi", "go on"), complexity=0.9, registry=disabled)
    assert d2.primary != "large" and "disabled in the registry" in d2.notes[-1]


def test_explicit_model_requests_are_not_pinned() -> None:
    pins = ConversationPins()
    req = conversation("hi")
    req.model = "medium"
    d = route(pins, req, complexity=0.9)
    assert d.strategy == "explicit" and len(pins) == 0
    later = conversation("hi", "go on")
    later.model = "medium"
    assert route(pins, later, complexity=0.9).notes == ["explicit model"]


def test_a_new_first_turn_re_pins() -> None:
    pins = ConversationPins()
    route(pins, conversation("hi"), complexity=0.9)
    assert route(pins, conversation("hi"), complexity=0.1).primary == "small"
    assert route(pins, conversation("hi", "more"), complexity=0.1).primary == "small"


def test_pins_expire_after_the_window_since_last_use() -> None:
    clock = Clock()
    pins = ConversationPins(window_s=60, clock=clock)
    route(pins, conversation("hi"), complexity=0.9)
    clock.now += 50
    assert route(pins, conversation("hi", "a"), complexity=0.1).primary == "large"
    clock.now += 50  # 100 s since the first turn, 50 since the last: still pinned
    assert route(pins, conversation("hi", "a", "b"), complexity=0.1).primary == "large"
    clock.now += 61
    d = route(pins, conversation("hi", "a", "b", "c"), complexity=0.1)
    assert d.primary == "small" and not any("pinned" in n for n in d.notes)


@pytest.mark.parametrize("limit", [1, 3])
def test_memory_is_bounded(limit: int) -> None:
    pins = ConversationPins(max_conversations=limit)
    for i in range(10):
        route(pins, conversation(f"conversation {i}"), complexity=0.1)
    assert len(pins) == limit
    # The oldest went first; the newest is still pinned.
    assert pins.get(conversation_fingerprint(conversation("conversation 9")) or "") is not None
    assert pins.get(conversation_fingerprint(conversation("conversation 0")) or "") is None
