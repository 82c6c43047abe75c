"""Router: model field parsing, each hard filter, strategies, fallbacks, errors and speed.

Classifications are built directly (no classifier), so these tests only depend on routing.
"""

from __future__ import annotations

import statistics
from typing import Any

import pytest

from routerdesk.core.errors import NoUsableModel, UnknownModel
from routerdesk.core.registry import ModelSpec, Prices, Registry
from routerdesk.core.registry_file import load_shipped_registry
from routerdesk.core.routing import MAX_FALLBACKS, Router, balanced_target
from routerdesk.core.settings import Settings
from routerdesk.core.tokens import measure
from routerdesk.core.types import (
    TASKS,
    ChatRequest,
    Classification,
    Decision,
    ImagePart,
    Message,
    ResponseFormat,
    TextPart,
    Tool,
)

SETTINGS = Settings()
ALL_FEATURES = ("tools", "vision", "json", "streaming")


def model(model_id: str, provider: str, price: float, score: int, **kw: Any) -> ModelSpec:
    base: dict[str, Any] = {
        "id": model_id,
        "provider": provider,
        "name": model_id,
        "prices": Prices(input=price, output=price * 4),
        "context_window": 200_000,
        "max_output_tokens": 16_000,
        "features": frozenset(ALL_FEATURES),
        "capabilities": dict.fromkeys(TASKS, score),
    }
    base.update(kw)
    return ModelSpec.model_validate(base)


def small_registry() -> Registry:
    return Registry(
        [
            model("tiny", "groq", 0.05, 2, complexity_max=0.4, features=frozenset({"streaming"})),
            model("small", "openai", 0.2, 3, complexity_max=0.7),
            model("mid", "anthropic", 1.0, 4),
            model("mid-b", "google", 1.2, 4),
            model("big", "openai", 5.0, 5),
            model("big-b", "anthropic", 6.0, 5, context_window=50_000),
            model("off", "mistral", 0.01, 5, enabled=False),
            model(
                "local",
                "ollama",
                0.0,
                2,
                features=frozenset({"streaming", "json"}),
                context_window=8_192,
            ),
        ]
    )


def ask(text: str = "hello", **kw: Any) -> ChatRequest:
    return ChatRequest(messages=[Message("user", [TextPart(text)])], **kw)


def cls(task: str = "general", complexity: float = 0.1, confidence: float = 0.9) -> Classification:
    return Classification(task=task, confidence=confidence, complexity=complexity)


def reasons(d: Decision) -> dict[str, str]:
    return {c.model_id: c.reason for c in d.candidates}


def kept(d: Decision) -> set[str]:
    return {c.model_id for c in d.candidates if c.kept}


@pytest.fixture
def router() -> Router:
    return Router(small_registry())


# --- the model field ---------------------------------------------------------------------------


def test_auto_uses_the_settings_strategy(router: Router) -> None:
    d = router.decide(
        ask(), cls(), settings=Settings.model_validate({"routing": {"strategy": "best"}})
    )
    assert d.strategy == "best"


@pytest.mark.parametrize("strategy", ["cheapest", "balanced", "best"])
def test_auto_colon_strategy(router: Router, strategy: str) -> None:
    assert (
        router.decide(ask(model=f"auto:{strategy}"), cls(), settings=SETTINGS).strategy == strategy
    )


def test_strategy_argument_overrides_auto_colon(router: Router) -> None:
    d = router.decide(ask(model="auto:best"), cls(), settings=SETTINGS, strategy="cheapest")
    assert d.strategy == "cheapest"


def test_unknown_auto_strategy(router: Router) -> None:
    with pytest.raises(UnknownModel) as err:
        router.decide(ask(model="auto:fastest"), cls(), settings=SETTINGS)
    assert "auto:cheapest" in err.value.suggestions


@pytest.mark.parametrize("name", ["mid", "anthropic/mid", "MID", "Anthropic/Mid"])
def test_explicit_model_by_id_or_provider_name(router: Router, name: str) -> None:
    d = router.decide(ask(model=name), cls(), settings=SETTINGS)
    assert d.strategy == "explicit"
    assert d.primary == "mid"
    assert "explicit model" in d.notes


@pytest.mark.parametrize(
    "name", ["mid-20260301", "anthropic/mid-latest", "models/mid", "MID-2026-03-01"]
)
def test_dated_snapshot_names_resolve_to_the_registry_model(router: Router, name: str) -> None:
    # Claude Code and the SDKs send pinned snapshot names; the registry lists each model once.
    assert router.decide(ask(model=name), cls(), settings=SETTINGS).primary == "mid"


def test_claude_code_builtin_ids_resolve_to_the_newest_registry_model_of_the_family() -> None:
    d = SHIPPED.decide(ask(model="claude-opus-4-8"), cls(), settings=SETTINGS)
    assert d.strategy == "explicit" and d.primary == "claude-opus-5-5"
    assert "claude-opus-4-8 resolved to claude-opus-5-5" in d.notes
    assert SHIPPED.resolve_model("claude-haiku-4-5-20251001").id == "claude-haiku-4-5"  # listed
    assert SHIPPED.resolve_model("claude-sonnet-9").id == "claude-sonnet-5-5"
    with pytest.raises(UnknownModel):
        SHIPPED.resolve_model("claude-opusx-1")


def test_claude_family_prefers_an_enabled_model() -> None:
    reg = Registry(
        [
            model("claude-opus-5", "anthropic", 5.0, 5),
            model("claude-opus-6", "anthropic", 5.0, 5, enabled=False),
        ]
    )
    assert Router(reg).resolve_model("claude-opus-4-8").id == "claude-opus-5"


def test_snapshot_suffix_of_an_unknown_model_is_still_unknown(router: Router) -> None:
    with pytest.raises(UnknownModel):
        router.decide(ask(model="nosuch-20260301"), cls(), settings=SETTINGS)


def test_unknown_model_lists_close_matches(router: Router) -> None:
    with pytest.raises(UnknownModel) as err:
        router.decide(ask(model="midd"), cls(), settings=SETTINGS)
    assert "mid" in err.value.suggestions
    assert "Did you mean" in err.value.message


def test_explicit_model_fallbacks_are_equivalent_and_cross_provider(router: Router) -> None:
    d = router.decide(ask(model="mid"), cls(), settings=SETTINGS)
    # mid-b: same score, similar price, other provider; big* cost over 2x: not equivalent.
    assert d.fallbacks == ["mid-b"]
    assert "not equivalent" in reasons(d)["small"]


def test_explicit_model_ignores_complexity_and_tier_but_not_hard_filters(router: Router) -> None:
    d = router.decide(ask(model="tiny"), cls(complexity=0.9), settings=SETTINGS)
    assert d.primary == "tiny"
    with pytest.raises(NoUsableModel, match="lacks tools"):
        router.decide(ask(model="tiny", tools=[Tool("f")]), cls(), settings=SETTINGS)
    with pytest.raises(NoUsableModel, match="disabled"):
        router.decide(ask(model="off"), cls(), settings=SETTINGS)
    with pytest.raises(NoUsableModel, match="no API key for openai"):
        router.decide(ask(model="big"), cls(), settings=SETTINGS, usable_providers={"groq"})


# --- hard filters ----------------------------------------------------------------------------------


def test_every_model_is_a_candidate_with_a_reason(router: Router) -> None:
    d = router.decide(ask(), cls(), settings=SETTINGS)
    assert [c.model_id for c in d.candidates] == [m.id for m in router.registry]
    assert all(c.reason for c in d.candidates)


def test_disabled_models_are_dropped(router: Router) -> None:
    d = router.decide(ask(), cls(), settings=SETTINGS, strategy="cheapest")
    assert reasons(d)["off"] == "disabled in the registry"
    assert d.primary != "off"


def test_providers_without_keys_are_dropped_but_local_is_not(router: Router) -> None:
    d = router.decide(ask(), cls(), settings=SETTINGS, usable_providers={"anthropic"})
    assert reasons(d)["small"] == "no API key for openai"
    assert reasons(d)["tiny"] == "no API key for groq"
    assert kept(d) == {"mid", "big-b", "local"}


def test_tools_need_the_tools_feature(router: Router) -> None:
    d = router.decide(ask(tools=[Tool("lookup")]), cls(), settings=SETTINGS)
    assert reasons(d)["tiny"] == "lacks tools"
    assert reasons(d)["local"] == "lacks tools"
    assert "tiny" not in kept(d)


def test_images_need_vision(router: Router) -> None:
    r = ask("what is this")
    r.messages[0].content.append(ImagePart(url="https://x.test/a.png"))
    d = router.decide(r, cls(), settings=SETTINGS)
    assert reasons(d)["local"] == "lacks vision"


def test_json_and_stream_need_their_features(router: Router) -> None:
    d = router.decide(
        ask(response_format=ResponseFormat("json_object"), stream=True), cls(), settings=SETTINGS
    )
    assert reasons(d)["tiny"] == "lacks json"
    assert "local" in kept(d)  # has json and streaming


def test_context_window_counts_prompt_and_requested_output(router: Router) -> None:
    d = router.decide(ask("word " * 4_000, max_tokens=45_000), cls(), settings=SETTINGS)
    assert reasons(d)["big-b"].startswith("context window 50,000 < ")
    assert reasons(d)["local"].startswith("context window 8,192 < ")
    assert "big" in kept(d)
    # Without max_tokens the expected output is small: big-b fits again.
    assert "big-b" in kept(router.decide(ask("word " * 4_000), cls(), settings=SETTINGS))


def test_complexity_outside_range_is_dropped(router: Router) -> None:
    d = router.decide(ask(), cls(complexity=0.8), settings=SETTINGS)
    assert reasons(d)["tiny"] == "complexity 0.80 outside 0.00-0.40"
    assert reasons(d)["small"] == "complexity 0.80 outside 0.00-0.70"


def test_standard_tier_needs_two(router: Router) -> None:
    reg = Registry([model("weak", "openai", 0.01, 1), model("ok", "groq", 0.5, 2)])
    d = Router(reg).decide(ask(), cls(), settings=SETTINGS, strategy="cheapest")
    assert reasons(d)["weak"] == "general score 1 < 2 (standard tier)"
    assert d.primary == "ok"


def test_enhanced_tier_needs_three_and_prefers_four(router: Router) -> None:
    d = router.decide(ask(), cls(), settings=SETTINGS, quality_tier="enhanced", strategy="cheapest")
    assert reasons(d)["tiny"] == "general score 2 < 3 (enhanced tier)"
    assert "prefers 4+" in reasons(d)["small"]
    assert d.primary == "mid"
    # Only a 3 left: it is good enough.
    d = router.decide(
        ask(), cls(), settings=SETTINGS, quality_tier="enhanced", only={"small", "tiny"}
    )
    assert d.primary == "small"


def test_only_restricts_candidates(router: Router) -> None:
    d = router.decide(ask(), cls(), settings=SETTINGS, only={"big", "mid"}, strategy="cheapest")
    assert d.primary == "mid" and d.fallbacks == ["big"]
    assert reasons(d)["small"] == "not in the --only list"


# --- no usable model ---------------------------------------------------------------------------------


def test_no_keys_says_which_keys_to_add(router: Router) -> None:
    reg = Registry([model("a", "openai", 1, 3), model("b", "anthropic", 1, 3)])
    with pytest.raises(NoUsableModel) as err:
        Router(reg).decide(ask(), cls(), settings=SETTINGS, usable_providers=set())
    assert "add an API key for one of: anthropic, openai" in err.value.message


def test_no_vision_model_says_so() -> None:
    reg = Registry([model("a", "openai", 1, 3, features=frozenset({"streaming"}))])
    r = ask("what is this")
    r.messages[0].content.append(ImagePart(url="https://x.test/a.png"))
    with pytest.raises(NoUsableModel) as err:
        Router(reg).decide(r, cls(), settings=SETTINGS)
    assert "no enabled model supports vision" in err.value.message


def test_too_long_prompt_says_to_shorten(router: Router) -> None:
    with pytest.raises(NoUsableModel, match="shorten the prompt"):
        router.decide(ask("word " * 200_000), cls(), settings=SETTINGS)


# --- strategies and fallbacks ---------------------------------------------------------------------------


def test_cheapest_best_and_balanced_on_the_small_registry(router: Router) -> None:
    assert router.decide(ask(), cls(), settings=SETTINGS, strategy="cheapest").primary == "local"
    assert router.decide(ask(), cls(), settings=SETTINGS, strategy="best").primary == "big"
    hard = router.decide(ask(), cls(complexity=0.9), settings=SETTINGS, strategy="balanced")
    assert hard.primary == "big"
    easy = router.decide(ask(), cls(complexity=0.1), settings=SETTINGS, strategy="balanced")
    assert easy.primary == "local"


def test_balanced_target_rises_with_complexity() -> None:
    targets = [balanced_target(c / 20) for c in range(21)]
    assert targets == sorted(targets)
    assert targets[0] == 2 and targets[-1] == 5


def test_fallbacks_prefer_other_providers(router: Router) -> None:
    d = router.decide(ask(), cls(complexity=0.5), settings=SETTINGS, strategy="best")
    assert d.primary == "big"
    providers = [router.registry[m].provider for m in d.fallbacks]
    assert len(d.fallbacks) == MAX_FALLBACKS
    assert "openai" not in providers[:2]
    assert len(set(providers)) == len(providers)


def test_fallbacks_fill_from_the_same_provider_when_nothing_else_is_usable(router: Router) -> None:
    d = router.decide(
        ask(), cls(), settings=SETTINGS, usable_providers={"openai"}, only={"small", "big"}
    )
    assert d.primary == "small" and d.fallbacks == ["big"]


SHIPPED = Router(load_shipped_registry().registry)
PROMPTS = [
    (task, complexity) for task in TASKS for complexity in (0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95)
]


def test_strategies_order_by_cost_on_average() -> None:
    costs: dict[str, list[float]] = {"cheapest": [], "balanced": [], "best": []}
    for task, complexity in PROMPTS:
        for strategy in costs:
            d = SHIPPED.decide(
                ask("x " * 300), cls(task, complexity), settings=SETTINGS, strategy=strategy
            )
            primary = next(c for c in d.candidates if c.model_id == d.primary)
            costs[strategy].append(primary.est_cost)
    mean = {s: statistics.fmean(v) for s, v in costs.items()}
    assert mean["cheapest"] < mean["balanced"] < mean["best"]
    # And per prompt: balanced never costs more than best, never less than cheapest.
    for c, b, x in zip(costs["cheapest"], costs["balanced"], costs["best"], strict=True):
        assert c <= b <= x


@pytest.mark.parametrize("task", TASKS)
def test_balanced_sends_hard_prompts_to_stronger_models(task: str) -> None:
    def score(complexity: float) -> float:
        d = SHIPPED.decide(
            ask("x " * 300), cls(task, complexity), settings=SETTINGS, strategy="balanced"
        )
        return next(c.score for c in d.candidates if c.model_id == d.primary)

    assert score(0.9) > score(0.1)
    assert score(0.9) == 5


def test_shipped_registry_routes_with_only_one_provider_key() -> None:
    d = SHIPPED.decide(ask(), cls(), settings=SETTINGS, usable_providers={"anthropic"})
    assert SHIPPED.registry[d.primary].provider == "anthropic"


def test_a_given_shape_decides_exactly_like_measuring_again() -> None:
    r = ask("Write a Python function that parses a CSV file", tools=[Tool("read_file")])
    c = cls("code_generation", 0.4)
    shape = measure(r)
    assert shape.tokens > 0
    assert SHIPPED.decide(r, c, settings=SETTINGS, shape=shape) == SHIPPED.decide(
        r, c, settings=SETTINGS
    )


def test_the_shape_drives_the_context_filter() -> None:
    r = ask("short prompt")
    c = cls("general", 0.2)
    huge = measure(r)._replace(tokens=900_000)
    d = SHIPPED.decide(r, c, settings=SETTINGS, shape=huge)
    assert d.est_prompt_tokens == 900_000
    for x in d.candidates:
        spec = SHIPPED.registry[x.model_id]
        if spec.enabled and spec.context_window < 900_000:
            assert not x.kept and x.reason.startswith("context window"), x
        if x.kept:
            assert spec.context_window > 900_000


def test_repeated_decisions_with_the_same_filters_agree(router: Router) -> None:
    r = ask("hello", tools=[Tool("f")])
    first = router.decide(r, cls(), settings=SETTINGS, usable_providers={"openai", "anthropic"})
    again = router.decide(
        r, cls(), settings=SETTINGS, usable_providers=frozenset({"anthropic", "openai"})
    )
    assert first == again
    other = router.decide(r, cls(), settings=SETTINGS, usable_providers={"openai"})
    assert reasons(other)["mid"] == "no API key for anthropic"
    assert (
        router.decide(r, cls(), settings=SETTINGS, usable_providers={"openai", "anthropic"})
        == first
    )
