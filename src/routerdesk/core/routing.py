"""Routing: from a request and its classification to a `Decision` (primary model, fallbacks, why).

The `model` field
    ``auto``                      the default strategy from settings
    ``auto:cheapest|balanced|best`` that strategy
    ``<registry id>``             that model, e.g. ``gpt-5-mini``
    ``<provider>/<model>``        that model by provider and its API name or our id
    An explicit `strategy=` argument (budget step-down, CLI ``--strategy``) wins
    over ``auto:<s>``, which wins over the settings default. Anything else
    raises `UnknownModel` with close matches.

Hard filters, applied to every model before any strategy, in this order; the
first that fails is the candidate's reason:
    only (caller's allow-list), disabled, provider not usable (no key and not
    local), features the request needs (tools, vision, json, streaming), context
    window < estimated prompt + requested output, classifier complexity outside
    the model's range, capability for the task below the quality tier (standard
    >= 2; enhanced >= 3, and >= 4 whenever any model reaches 4).

Strategies over what survives (estimated cost = prompt tokens x input price +
expected output tokens x output price; expected output is a task-typical length
scaled by complexity, never above the requested max_tokens):
    cheapest  lowest estimated cost; ties to the higher score.
    balanced  complexity sets a target score (< .25 -> 2, < .45 -> 3, < .7 -> 4,
              else 5; at least the tier minimum, at most the best available);
              among models at or above it, lowest cost x 0.8^(score - target),
              i.e. each point above target is worth paying 25% more for. Hard
              prompts therefore go to stronger models, easy ones to cheap ones,
              and the pick never costs more than `best`'s.
    best      highest score for the task; ties to the lower cost.

Explicit models
    The named model is the primary if it passes the hard filters that would make
    the call fail (disabled, no key, features, context); complexity and tier do
    not apply, the user chose. Otherwise `NoUsableModel` says why. Fallbacks are
    equivalents: qualified models scoring at least as well on the task, at most
    twice the primary's estimated cost, closest in cost first.

Fallback chain: up to three, taken in strategy order but first one per other
provider, so one provider's outage cannot take the primary and every fallback
down; only then more from providers already in the chain.

Speed: everything per-model is precomputed in `Router.__init__` (rebuild the
Router when the registry changes: the GUI and the engine do, so an edit routes at
once). The filters' outcome is cached per Router as a `_Plan`, keyed by what the
filters compare (keys and features, task, tier, which context windows are too small,
where the complexity falls among the models' range edges); a request then fills in
the reasons that quote its own figures, prices the models with C-level maps and
ranks the qualified ones with stable sorts from an order that is already the
tie-break.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import add, mul, not_
from typing import NamedTuple

from routerdesk.core.errors import NoUsableModel, UnknownModel
from routerdesk.core.registry import LOCAL_PROVIDERS, ModelSpec, Registry
from routerdesk.core.settings import Settings
from routerdesk.core.tokens import PromptShape, measure
from routerdesk.core.types import (
    STRATEGIES,
    TASKS,
    Candidate,
    ChatRequest,
    Classification,
    Decision,
)

# A dated snapshot or "-latest" alias of a registry model.
_SNAPSHOT_SUFFIX = re.compile(r"(?:-\d{8}|-\d{4}-\d{2}-\d{2}|-latest|@\d{8})$")
# Claude Code asks for the model ids built into its release (claude-opus-4-8 in
# 2.1.197), which the registry may not list: an unknown version of a Claude family
# resolves to the registry's newest model of that family.
_CLAUDE_FAMILY = re.compile(r"^(?:anthropic/)?(claude-(?:opus|sonnet|haiku))-(\d+(?:[-.]\d+)*)$")

MAX_FALLBACKS = 3
TIER_MIN_SCORE = {"standard": 2, "enhanced": 3}
ENHANCED_PREFERRED = 4
# Balanced: how much more we pay for one capability point above the target.
BALANCED_STEP = 0.8
# Explicit model: fallbacks may cost at most this many times the primary.
EQUIVALENT_MAX_COST_RATIO = 2.0
# Typical answer length per task (tokens) at complexity 0.5; scaled by complexity.
TYPICAL_OUTPUT: dict[str, int] = {
    "simple_qa": 150,
    "code_generation": 700,
    "translation": 0,  # about as long as the prompt, see _expected_output
    "summarization": 300,
    "complex_reasoning": 1200,
    "data_extraction": 300,
    "creative_writing": 800,
    "general": 400,
}
_BALANCED_STEPS = tuple(BALANCED_STEP**k for k in range(6))  # by points above target
_TASK_INDEX = {task: i for i, task in enumerate(TASKS)}
_GENERAL = _TASK_INDEX["general"]


def balanced_target(complexity: float) -> int:
    """The capability score `balanced` aims for at this complexity."""
    if complexity < 0.25:
        return 2
    if complexity < 0.45:
        return 3
    if complexity < 0.7:
        return 4
    return 5


def _expected_output(task: str, complexity: float, max_tokens: int | None, prompt: int) -> int:
    typical = TYPICAL_OUTPUT.get(task, TYPICAL_OUTPUT["general"])
    if typical == 0:
        typical = min(max(100, prompt), 8_000)
    expected = int(typical * (0.6 + 0.8 * complexity))
    return min(expected, max_tokens) if max_tokens else expected


@dataclass(frozen=True, slots=True)
class _Model:
    """One registry model flattened for the hot loop."""

    id: str
    provider: str
    enabled: bool
    local: bool
    features: frozenset[str]
    context_window: int
    complexity_min: float
    complexity_max: float
    scores: tuple[int, ...]  # indexed like TASKS
    input_rate: float  # USD per token
    output_rate: float


_GateKey = tuple[frozenset[str] | None, frozenset[str] | None, frozenset[str]]
_GATE_CACHE_SIZE = 64


class _Gate(NamedTuple):
    """The request-independent filters (only, disabled, key, features) over the registry."""

    kinds: tuple[str, ...]  # the filter that dropped each model, "" if it passed
    reasons: tuple[str, ...]
    passed: tuple[int, ...]  # positions of the models that passed


_PlanKey = tuple[_GateKey, int, str, int, int, int]
_PLAN_CACHE_SIZE = 256


class _Plan(NamedTuple):
    """Every filter's outcome for requests alike in what the filters compare: the gate,
    task, quality tier, which context windows are too small and where the complexity
    falls among the models' range edges. Built once, reused by every such request."""

    kinds: tuple[str, ...]  # the filter that dropped each model, "" if it qualified
    reasons: tuple[str, ...]  # "" where the reason quotes the request's figures:
    too_small: tuple[int, ...]  # ... context window too small
    out_of_range: tuple[int, ...]  # ... complexity outside the model's range
    qualified: tuple[int, ...]  # registry order
    by_id: tuple[int, ...]  # qualified, by id: the tie-break of every strategy
    by_score: tuple[int, ...]  # qualified, by (-score, id)
    top: int  # the best score among the qualified (0 if none)
    # balanced, by target score: (models at or above it by id, their cost factors,
    # the models below it by (-score, id)); filled as targets come up
    balanced: dict[int, tuple[tuple[int, ...], tuple[float, ...], list[int]]]


class Router:
    """Turns (request, classification) into a `Decision`. Immutable; rebuild on registry change."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._models: tuple[_Model, ...] = tuple(self._flatten(m) for m in registry)
        self._position = {m.id: i for i, m in enumerate(self._models)}
        self._lower: dict[str, ModelSpec] = {}
        for spec in registry:
            self._lower.setdefault(spec.id.lower(), spec)
            self._lower.setdefault(f"{spec.provider}/{spec.name}".lower(), spec)
            self._lower.setdefault(f"{spec.provider}/{spec.id}".lower(), spec)
        # Columns for the hot loop, indexed like self._models; scores per task, also as
        # the floats Candidate.score holds, so a decision converts nothing per model.
        self._ids = tuple(m.id for m in self._models)
        self._providers = tuple(m.provider for m in self._models)
        self._task_scores = [tuple(m.scores[t] for m in self._models) for t in range(len(TASKS))]
        self._task_scores_f = [tuple(map(float, scores)) for scores in self._task_scores]
        self._task_ranks = [tuple(-score for score in scores) for scores in self._task_scores]
        # Reason strings are precomputed: formatting ~50 of them per request is most of its cost.
        self._qualified_reason = [
            [f"qualified: {task} score {score}" for score in range(6)] for task in TASKS
        ]
        self._no_key_reason = {m.provider: f"no API key for {m.provider}" for m in self._models}
        self._lacks_reason: dict[frozenset[str], str] = {}
        self._context_prefix = tuple(
            f"context window {m.context_window:,} < " for m in self._models
        )
        self._range_suffix = tuple(
            f"{m.complexity_min:.2f}-{m.complexity_max:.2f}" for m in self._models
        )
        self._enabled_features: frozenset[str] = frozenset().union(
            *(m.features for m in self._models if m.enabled)
        )
        self._gates: dict[_GateKey, _Gate] = {}
        # What the per-request filters compare against, as sorted edges: requests that
        # fall between the same edges share one `_Plan`.
        self._windows = sorted({m.context_window for m in self._models})
        self._range_edges = sorted(
            {m.complexity_min for m in self._models} | {m.complexity_max for m in self._models}
        )
        self._plans: dict[_PlanKey, _Plan] = {}
        self._input_rates = tuple(m.input_rate for m in self._models)
        self._output_rates = tuple(m.output_rate for m in self._models)
        self._families = _newest_by_family(registry)

    @staticmethod
    def _flatten(spec: ModelSpec) -> _Model:
        return _Model(
            id=spec.id,
            provider=spec.provider,
            enabled=spec.enabled,
            local=spec.provider in LOCAL_PROVIDERS,
            features=frozenset(spec.features),
            context_window=spec.context_window,
            complexity_min=spec.complexity_min,
            complexity_max=spec.complexity_max,
            scores=tuple(spec.capabilities[t] for t in TASKS),
            input_rate=spec.prices.input / 1_000_000,
            output_rate=spec.prices.output / 1_000_000,
        )

    def _gate(
        self,
        only: set[str] | frozenset[str] | None,
        usable_providers: set[str] | frozenset[str] | None,
        needed: frozenset[str],
    ) -> tuple[_GateKey, _Gate]:
        """The filters that depend on neither prompt size nor classification, cached.

        Callers pass the same few combinations (the providers with keys, what the
        client's requests need), so this loop runs once per combination.
        """
        key = (
            None if only is None else frozenset(only),
            None if usable_providers is None else frozenset(usable_providers),
            needed,
        )
        gate = self._gates.get(key)
        if gate is not None:
            return key, gate
        kinds: list[str] = []
        reasons: list[str] = []
        passed: list[int] = []
        for i, m in enumerate(self._models):
            kind = reason = ""
            if only is not None and m.id not in only:
                kind, reason = "only", "not in the --only list"
            elif not m.enabled:
                kind, reason = "disabled", "disabled in the registry"
            elif (
                usable_providers is not None and not m.local and m.provider not in usable_providers
            ):
                kind, reason = "key", self._no_key_reason[m.provider]
            elif not needed <= m.features:
                kind, reason = "feature", self._lacks(needed - m.features)
            else:
                passed.append(i)
            kinds.append(kind)
            reasons.append(reason)
        if len(self._gates) >= _GATE_CACHE_SIZE:
            self._gates.clear()
        gate = self._gates[key] = _Gate(tuple(kinds), tuple(reasons), tuple(passed))
        return key, gate

    def _plan(
        self,
        gate_key: _GateKey,
        gate: _Gate,
        task_i: int,
        tier: str,
        need_ctx: int,
        complexity: float,
    ) -> _Plan:
        """The outcome of every filter for this request, cached for requests alike in what
        the filters compare (the hot loop runs once per such class, not per request)."""
        edges = self._range_edges
        too_small = bisect_left(self._windows, need_ctx)  # windows below need_ctx
        low, high = bisect_left(edges, complexity), bisect_right(edges, complexity)
        key = (gate_key, task_i, tier, too_small, low, high)
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        task = TASKS[task_i]
        tier_min = TIER_MIN_SCORE.get(tier, TIER_MIN_SCORE["standard"])
        scores = self._task_scores[task_i]
        kinds = list(gate.kinds)
        reasons = list(gate.reasons)
        small: list[int] = []
        out_of_range: list[int] = []
        qualified: list[int] = []
        for i in gate.passed:
            m = self._models[i]
            score = scores[i]
            if m.context_window < need_ctx:
                kinds[i], reasons[i] = "context", ""
                small.append(i)
            elif not m.complexity_min <= complexity <= m.complexity_max:
                kinds[i], reasons[i] = "complexity", ""
                out_of_range.append(i)
            elif score < tier_min:
                kinds[i], reasons[i] = "tier", f"{task} score {score} < {tier_min} ({tier} tier)"
            else:
                reasons[i] = self._qualified_reason[task_i][score]
                qualified.append(i)
        if tier == "enhanced" and any(scores[i] >= ENHANCED_PREFERRED for i in qualified):
            # Enhanced prefers 4+: a 3 is only good enough when nothing better is usable.
            for i in qualified:
                if scores[i] < ENHANCED_PREFERRED:
                    kinds[i] = "tier"
                    reasons[i] = (
                        f"{task} score {scores[i]} < {ENHANCED_PREFERRED} (enhanced tier prefers "
                        f"{ENHANCED_PREFERRED}+ and such models are available)"
                    )
            qualified = [i for i in qualified if scores[i] >= ENHANCED_PREFERRED]
        ids = self._ids
        by_id = sorted(qualified, key=ids.__getitem__)
        if len(self._plans) >= _PLAN_CACHE_SIZE:
            self._plans.clear()
        plan = self._plans[key] = _Plan(
            kinds=tuple(kinds),
            reasons=tuple(reasons),
            too_small=tuple(small),
            out_of_range=tuple(out_of_range),
            qualified=tuple(qualified),
            by_id=tuple(by_id),
            by_score=tuple(sorted(by_id, key=self._task_ranks[task_i].__getitem__)),
            top=max([scores[i] for i in qualified], default=0),
            balanced={},
        )
        return plan

    def _balanced(
        self, plan: _Plan, task_i: int, target: int
    ) -> tuple[tuple[int, ...], tuple[float, ...], list[int]]:
        split = plan.balanced.get(target)
        if split is None:
            scores = self._task_scores[task_i]
            above = tuple(i for i in plan.by_id if scores[i] >= target)
            steps = tuple(_BALANCED_STEPS[scores[i] - target] for i in above)
            below = [i for i in plan.by_score if scores[i] < target]
            split = plan.balanced[target] = (above, steps, below)
        return split

    def _lacks(self, missing: frozenset[str]) -> str:
        reason = self._lacks_reason.get(missing)
        if reason is None:
            reason = self._lacks_reason[missing] = "lacks " + ", ".join(sorted(missing))
        return reason

    # --- the model field ---------------------------------------------------------------

    def resolve_model(self, name: str) -> ModelSpec | None:
        """A registry id or provider/model, case-insensitively; None for auto forms."""
        key = name.strip()
        if key == "" or key.lower() == "auto" or key.lower().startswith("auto:"):
            return None
        found = self.registry.resolve(key) or self._lower.get(key.lower())
        if found is None:
            # Tools send pinned snapshots ("claude-sonnet-5-5-20260301", "gpt-5-mini-latest",
            # "models/gemini-3.5-flash"); the registry lists the model once.
            base = _SNAPSHOT_SUFFIX.sub("", key.lower().removeprefix("models/"))
            found = self._lower.get(base) if base != key.lower() else None
            family = _CLAUDE_FAMILY.match(base) if found is None else None
            if family is not None:
                found = self._families.get(family.group(1))
        if found is None:
            raise UnknownModel(name, self.registry.close_matches(key))
        return found

    def _strategy_from_model(self, name: str) -> str | None:
        key = name.strip().lower()
        if not key.startswith("auto:"):
            return None
        wanted = key[5:]
        if wanted not in STRATEGIES:
            raise UnknownModel(name, [f"auto:{s}" for s in STRATEGIES])
        return wanted

    # --- deciding ----------------------------------------------------------------------

    def decide(
        self,
        req: ChatRequest,
        classification: Classification,
        *,
        settings: Settings,
        strategy: str | None = None,
        quality_tier: str | None = None,
        usable_providers: set[str] | frozenset[str] | None = None,
        only: set[str] | frozenset[str] | None = None,
        shape: PromptShape | None = None,
    ) -> Decision:
        """Pick a primary and fallbacks for `req`; every registry model appears in `candidates`.

        `usable_providers` None means "assume every provider has a key" (offline
        analysis); `only` restricts routing to those registry ids. `shape` is
        `tokens.measure(req)` when the caller already has it.
        """
        explicit = self.resolve_model(req.model)
        if strategy is not None and strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r}; expected one of {STRATEGIES}")
        chosen = strategy or self._strategy_from_model(req.model) or settings.routing.strategy
        tier = quality_tier or settings.routing.quality_tier
        tier_min = TIER_MIN_SCORE.get(tier, TIER_MIN_SCORE["standard"])

        task = classification.task if classification.task in _TASK_INDEX else "general"
        task_i = _TASK_INDEX.get(task, _GENERAL)
        complexity = classification.complexity
        if shape is None:
            shape = measure(req)
        prompt = shape.tokens
        output = _expected_output(task, complexity, req.max_tokens, prompt)
        need_ctx = prompt + (req.max_tokens or output)
        needed = _needed_features(req, shape.vision)

        # Columns with one entry per model, in registry order; Decision.candidates is built
        # from them at the end, so nothing per model is allocated before the pick.
        scores = self._task_scores[task_i]
        # C-level maps; the same products and sums as prompt * pin + output * pout.
        costs = list(
            map(
                add,
                map(mul, repeat(prompt), self._input_rates),
                map(mul, repeat(output), self._output_rates),
            )
        )
        gate_key, gate = self._gate(only, usable_providers, needed)
        plan = self._plan(gate_key, gate, task_i, tier, need_ctx, complexity)
        kinds = plan.kinds
        reasons = list(plan.reasons)
        if plan.too_small:
            need_text = f"{need_ctx:,} tokens needed"
            for i in plan.too_small:
                reasons[i] = self._context_prefix[i] + need_text
        if plan.out_of_range:
            complexity_text = f"complexity {complexity:.2f} outside "
            for i in plan.out_of_range:
                reasons[i] = complexity_text + self._range_suffix[i]
        qualified = plan.qualified
        # An explicit model is held to the filters that would make the call fail, not to
        # complexity and tier: the user chose it.
        explicit_at = -1 if explicit is None else self._position[explicit.id]
        explicit_kind = explicit_reason = ""
        if explicit_at >= 0 and kinds[explicit_at] not in ("complexity", "tier"):
            explicit_kind, explicit_reason = kinds[explicit_at], reasons[explicit_at]
        kept = list(map(not_, kinds))

        notes: list[str] = []
        if explicit is not None:
            if explicit_kind:
                raise NoUsableModel(
                    f"{explicit.id} cannot serve this request: {explicit_reason}. "
                    "Fix that, or send model 'auto' to let routerdesk choose."
                )
            fallbacks = self._equivalents(explicit_at, qualified, scores, costs, reasons)
            kept[explicit_at] = True
            _label(reasons, explicit_at, fallbacks, task, scores, costs, "explicit model")
            notes.append("explicit model")
            asked = req.model.strip()
            if asked.lower() not in (explicit.id.lower(), f"{explicit.provider}/{explicit.id}"):
                notes.append(f"{asked} resolved to {explicit.id}")
            return Decision(
                strategy="explicit",
                primary=explicit.id,
                fallbacks=[self._ids[i] for i in fallbacks],
                candidates=self._candidates(kept, reasons, task_i, costs),
                why=f"explicit: {explicit.id} as requested; {len(fallbacks)} equivalent fallback(s)",
                notes=notes,
                est_prompt_tokens=prompt,
            )
        if not qualified:
            raise NoUsableModel(self._no_model_message(kinds, task, tier, prompt, needed))

        # Stable C-level sorts from a list already in tie-break order: ids are unique, so
        # this is the order of (key, id) pairs.
        ids = self._ids
        target = 0
        if chosen == "cheapest":  # (cost, -score, id)
            ranked = sorted(plan.by_score, key=costs.__getitem__)
        elif chosen == "best":  # (-score, cost, id)
            ranked = sorted(
                sorted(plan.by_id, key=costs.__getitem__), key=self._task_ranks[task_i].__getitem__
            )
        else:
            target = min(max(balanced_target(complexity), tier_min), plan.top)
            above, steps, below = self._balanced(plan, task_i, target)
            # at or above target: (cost x 0.8^(score - target), id); below it, strongest first
            weighted = list(map(mul, map(costs.__getitem__, above), steps))
            ranked = list(
                map(above.__getitem__, sorted(range(len(above)), key=weighted.__getitem__))
            )
            ranked += below

        primary = ranked[0]
        fallbacks = self._fallback_chain(primary, ranked[1:])
        _label(reasons, primary, fallbacks, task, scores, costs)
        why = (
            f"{chosen}: {ids[primary]} ({task} score {scores[primary]}, "
            f"est ${costs[primary]:.6f}); {len(qualified)} of {len(ids)} models qualified"
        )
        if chosen == "balanced":
            why += f"; complexity {complexity:.2f} -> target score {target}"
        if usable_providers is None:
            notes.append("all providers assumed usable")
        return Decision(
            strategy=chosen,
            primary=ids[primary],
            fallbacks=[ids[i] for i in fallbacks],
            candidates=self._candidates(kept, reasons, task_i, costs),
            why=why,
            notes=notes,
            est_prompt_tokens=prompt,
        )

    def _candidates(
        self, kept: list[bool], reasons: list[str], task_i: int, costs: list[float]
    ) -> list[Candidate]:
        """Decision.candidates from the decision's columns, in registry order."""
        scores = self._task_scores_f[task_i]
        # tuple.__new__ builds each NamedTuple in C; Candidate(...) would run its Python
        # __new__ once per registry model.
        rows = zip(self._ids, kept, reasons, scores, costs, strict=True)
        return list(map(tuple.__new__, repeat(Candidate), rows))

    def _equivalents(
        self,
        primary: int,
        qualified: Sequence[int],
        scores: tuple[int, ...],
        costs: list[float],
        reasons: list[str],
    ) -> list[int]:
        """Fallbacks for an explicit model; other qualified models are told why they are not."""
        score, cost = scores[primary], costs[primary]
        ceiling = max(cost * EQUIVALENT_MAX_COST_RATIO, 1e-12)
        ids = self._ids
        equivalents = sorted(
            (i for i in qualified if i != primary and scores[i] >= score and costs[i] <= ceiling),
            key=lambda i: (abs(costs[i] - cost), -scores[i], ids[i]),
        )
        fallbacks = self._fallback_chain(primary, equivalents)
        for i in qualified:
            if i != primary and i not in fallbacks:
                reasons[i] = (
                    f"qualifies, but not equivalent to {ids[primary]} "
                    f"(score {scores[i]} vs {score}, est ${costs[i]:.6f})"
                )
        return fallbacks

    def _fallback_chain(self, primary: int, ranked: list[int]) -> list[int]:
        providers = self._providers
        chain: list[int] = []
        seen = {providers[primary]}
        for i in ranked:  # first pass: one per provider not yet in the chain
            if len(chain) == MAX_FALLBACKS:
                return chain
            if providers[i] not in seen:
                chain.append(i)
                seen.add(providers[i])
        for i in ranked:  # then whatever is left, in strategy order
            if len(chain) == MAX_FALLBACKS:
                break
            if i not in chain:
                chain.append(i)
        return chain

    def _no_model_message(
        self,
        kinds: Sequence[str],
        task: str,
        tier: str,
        prompt: int,
        needed: frozenset[str],
    ) -> str:
        counts: dict[str, int] = {}
        keyless: set[str] = set()
        for provider, kind in zip(self._providers, kinds, strict=True):
            counts[kind] = counts.get(kind, 0) + 1
            if kind == "key":
                keyless.add(provider)
        fixes: list[str] = []
        missing_everywhere = sorted(needed - self._enabled_features)
        if missing_everywhere:
            fixes.append(
                f"no enabled model supports {', '.join(missing_everywhere)}; enable or add one "
                "in registry.toml, or drop that part of the request"
            )
        if keyless:
            fixes.append(
                "add an API key for one of: " + ", ".join(sorted(keyless)) + " (routerdesk keys)"
            )
        if counts.get("context"):
            fixes.append(f"shorten the prompt (~{prompt:,} tokens) or lower max_tokens")
        if counts.get("complexity"):
            fixes.append("widen complexity ranges in registry.toml")
        if counts.get("tier"):
            fixes.append(f"use the standard quality tier or enable stronger {task} models")
        if not fixes and counts.get("disabled"):
            fixes.append("enable models in registry.toml")
        if not fixes and counts.get("only"):
            fixes.append("widen the --only list")
        summary = ", ".join(
            f"{n} {_KIND_LABEL[k]}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])
        )
        return (
            f"No usable model for this {task} request ({tier} tier, ~{prompt:,} prompt tokens): "
            f"{summary}. To fix: {'; '.join(fixes) or 'check registry.toml'}."
        )


def _newest_by_family(registry: Registry) -> dict[str, ModelSpec]:
    """claude-opus / claude-sonnet / claude-haiku -> the newest registry model of that family.

    Newest by version numbers in the id (5-5 > 5 > 4-5); enabled models first.
    """
    best: dict[str, tuple[tuple[bool, tuple[int, ...]], ModelSpec]] = {}
    for spec in registry:
        m = _CLAUDE_FAMILY.match(spec.id.lower())
        if m is None:
            continue
        rank = (spec.enabled, tuple(int(x) for x in re.split(r"[-.]", m.group(2))))
        if m.group(1) not in best or rank > best[m.group(1)][0]:
            best[m.group(1)] = (rank, spec)
    return {family: spec for family, (_, spec) in best.items()}


_KIND_LABEL = {
    "only": "outside --only",
    "disabled": "disabled",
    "key": "without an API key",
    "feature": "lacking a needed feature",
    "context": "with too small a context window",
    "complexity": "outside their complexity range",
    "tier": "below the quality tier",
}


def _needed_features(req: ChatRequest, vision: bool) -> frozenset[str]:
    needed: set[str] = set()
    if req.tools:
        needed.add("tools")
    if req.stream:
        needed.add("streaming")
    if req.needs_json():
        needed.add("json")
    if vision:
        needed.add("vision")
    return frozenset(needed)


def _label(
    reasons: list[str],
    primary: int,
    fallbacks: list[int],
    task: str,
    scores: tuple[int, ...],
    costs: list[float],
    primary_note: str = "",
) -> None:
    what = primary_note or "primary"
    reasons[primary] = f"{what}: {task} score {scores[primary]}, est ${costs[primary]:.6f}"
    for n, i in enumerate(fallbacks, 1):
        reasons[i] = f"fallback {n}: {task} score {scores[i]}, est ${costs[i]:.6f}"
