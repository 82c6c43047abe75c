"""The L2 classifier: when the L1 classifier is unsure, ask a cheap model what the prompt is.

The engine calls `L2Classifier.classify(req, l1, ...)` after L1. Nothing happens
unless L2 is enabled and L1's confidence is below `settings.routing.l2.threshold`.
Then the classifier model (the user's choice, or the cheapest enabled model with
JSON output whose provider has a key, see `choose_model`) gets a bounded excerpt
of the request (`classifier_prompt`) and must answer strict JSON
``{"task": <one of TASKS>, "complexity": 1..5}``.

Modes
    inline  wait up to `deadline_s`; past it keep L1's answer. The call is not
            cancelled: its answer still fills the cache and its cost is still
            recorded (the tokens are paid for either way).
    shadow  never wait: start the call in the background, keep L1's answer for
            routing, and record L2's verdict beside L1's when it arrives. The
            running agreement rate (`agreement()`, or `agreement_from_rows` over
            the usage log) says whether inline mode would be worth its latency.

Every real classifier call, in either mode, is reported exactly once to the
`on_call_finished` sink with its cost; the engine writes it as its own usage row
(`l2_usage_record`, task ``"l2"``) so it counts in spend and lowers savings.

Any failure (timeout, upstream error, malformed JSON, an unknown task) keeps
L1's answer and says why in its signals. Successful verdicts are cached by a
fingerprint of the excerpt and the model (bounded LRU), so a retried or
repeated prompt costs nothing the second time.

The network is not touched here: the engine injects `ask(req, model)`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from routerdesk.core.prices import cost_usd
from routerdesk.core.registry import ModelSpec, Registry
from routerdesk.core.settings import L2Settings
from routerdesk.core.types import (
    TASKS,
    ChatRequest,
    ChatResponse,
    Classification,
    Message,
    ResponseFormat,
    TextPart,
    Usage,
    UsageRecord,
)

log = logging.getLogger(__name__)

Ask = Callable[[ChatRequest, ModelSpec], Awaitable[ChatResponse]]
PriceFn = Callable[[ModelSpec, Usage], float]

# Bounds of the excerpt the classifier sees (characters).
SYSTEM_CHARS = 400
HEAD_CHARS = 1500
TAIL_CHARS = 500
MAX_TOOL_NAMES = 8
# What one classifier call is expected to use, for picking the cheapest model.
EXPECTED_INPUT_TOKENS = 700
EXPECTED_OUTPUT_TOKENS = 20
EXPECTED_REASONING_TOKENS = 300
MAX_OUTPUT_TOKENS = 60
MAX_OUTPUT_TOKENS_REASONING = 512
# L2 gives no confidence of its own; agreeing with L1 is strong evidence.
CONFIDENCE_AGREE = 0.9
CONFIDENCE_DISAGREE = 0.8
# Providers whose chat API takes a JSON schema; the rest get plain JSON mode.
JSON_SCHEMA_PROVIDERS = frozenset({"openai", "google", "xai", "mistral"})

NO_MODEL_REASON = "L2 off: no provider key for a JSON-capable model"

VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "task": {"type": "string", "enum": list(TASKS)},
        "complexity": {"type": "integer", "minimum": 1, "maximum": 5},
    },
    "required": ["task", "complexity"],
    "additionalProperties": False,
}

_TASK_HELP = {
    "simple_qa": "a short factual question or small talk",
    "code_generation": "writing, fixing, reviewing or explaining code",
    "translation": "translating text between languages",
    "summarization": "condensing a given text",
    "complex_reasoning": "multi-step reasoning, maths, proofs, planning, analysis",
    "data_extraction": "pulling structured fields out of given text",
    "creative_writing": "stories, poems, marketing copy",
    "general": "anything else",
}
INSTRUCTIONS = (
    "You label requests for an LLM router. Read the excerpt and answer with JSON only: "
    '{"task": TASK, "complexity": N}.\n'
    "TASK is one of:\n"
    + "\n".join(f"- {t}: {_TASK_HELP[t]}" for t in TASKS)
    + "\nN is 1 (trivial) to 5 (expert, long multi-step work). "
    "Judge the latest user request; earlier context only helps. No prose, no code fences."
)


# --- choosing the classifier model ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class L2Choice:
    """Which model classifies, or why L2 is off (`reason` is shown in the GUI as is)."""

    model: ModelSpec | None
    reason: str

    @property
    def enabled(self) -> bool:
        return self.model is not None


def expected_call_cost(model: ModelSpec) -> float:
    """List-price USD of one typical classifier call on `model` (reasoning models think first)."""
    out = EXPECTED_OUTPUT_TOKENS + (EXPECTED_REASONING_TOKENS if model.supports("reasoning") else 0)
    return (EXPECTED_INPUT_TOKENS * model.prices.input + out * model.prices.output) / 1e6


def choose_model(
    registry: Registry, settings: L2Settings, usable_providers: Collection[str]
) -> L2Choice:
    """The user's classifier model if set, else the cheapest enabled JSON-capable one with a key.

    Local models are never picked automatically: a local server may be stopped,
    and loading a model cold blows a one-second deadline. Name one in
    `routing.l2.model` to use it anyway.
    """
    if not settings.enabled:
        return L2Choice(None, "L2 off: turned off in settings")
    wanted = settings.model.strip()
    if wanted:
        model = registry.resolve(wanted)
        if model is None:
            return L2Choice(None, f"L2 off: classifier model {wanted!r} is not in the registry")
        if not model.enabled:
            return L2Choice(None, f"L2 off: classifier model {model.id} is disabled")
        if model.provider not in usable_providers:
            return L2Choice(None, f"L2 off: no key for {model.provider} (classifier {model.id})")
        return L2Choice(model, f"L2 on: {model.id} (set in settings)")
    pool = [
        m
        for m in registry.enabled()
        if m.supports("json") and not m.is_local and m.provider in usable_providers
    ]
    if not pool:
        return L2Choice(None, NO_MODEL_REASON)
    best = min(pool, key=lambda m: (expected_call_cost(m), m.id))
    return L2Choice(best, f"L2 on: {best.id} (cheapest JSON-capable model with a key)")


# --- the excerpt -------------------------------------------------------------------------


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def head_tail(text: str, head: int = HEAD_CHARS, tail: int = TAIL_CHARS) -> str:
    """`text` if short, else its head and tail with the number of characters left out between."""
    if len(text) <= head + tail:
        return text
    omitted = len(text) - head - tail
    return f"{text[:head]}\n[... {omitted} characters omitted ...]\n{text[-tail:]}"


def classifier_prompt(req: ChatRequest) -> str:
    """A bounded excerpt of what matters for classification (never the whole conversation).

    The latest user turn (head and tail), the start of the system prompt, the
    turn number, and hints about tools, images and JSON output. At most about
    3,000 characters whatever the request's size.
    """
    lines: list[str] = []
    system = _squash(req.system_text())
    if system:
        cut = system[:SYSTEM_CHARS] + (" [...]" if len(system) > SYSTEM_CHARS else "")
        lines.append(f"System prompt (start): {cut}")
    turns = sum(1 for m in req.messages if m.role == "user")
    if turns > 1:
        lines.append(f"Conversation turn: {turns}")
    if req.tools:
        names = ", ".join(t.name[:40] for t in req.tools[:MAX_TOOL_NAMES])
        more = (
            f" and {len(req.tools) - MAX_TOOL_NAMES} more"
            if len(req.tools) > MAX_TOOL_NAMES
            else ""
        )
        lines.append(f"Tools offered: {names}{more}")
    if req.has_images():
        lines.append("The conversation includes images.")
    if req.needs_json():
        lines.append("The client asked for JSON output.")
    last = req.last_user_text().strip()
    lines.append("Latest user message:")
    lines.append(head_tail(last) if last else "(no text)")
    return "\n".join(lines)


def json_format(model: ModelSpec, name: str, schema: dict[str, Any]) -> ResponseFormat | None:
    """How to ask `model` for JSON: the strict schema where its provider takes one, JSON
    mode elsewhere, nothing for a model without JSON output (the prompt alone asks)."""
    if not model.supports("json"):
        return None
    if model.provider in JSON_SCHEMA_PROVIDERS:
        return ResponseFormat("json_schema", name=name, schema=schema, strict=True)
    return ResponseFormat("json_object")


def classifier_request(excerpt: str, model: ModelSpec) -> ChatRequest:
    """The request sent to the classifier model."""
    fmt = json_format(model, "routing_label", VERDICT_SCHEMA)
    thinks = model.supports("reasoning")
    return ChatRequest(
        messages=[
            Message("system", [TextPart(INSTRUCTIONS)]),
            Message("user", [TextPart(excerpt)]),
        ],
        model=model.id,
        response_format=fmt,
        max_tokens=MAX_OUTPUT_TOKENS_REASONING if thinks else MAX_OUTPUT_TOKENS,
        temperature=None if thinks else 0.0,
        reasoning_effort="low" if thinks else None,
        client="routerdesk-l2",
    )


def fingerprint(excerpt: str, model_id: str) -> str:
    return hashlib.sha256(f"{model_id}\0{excerpt}".encode()).hexdigest()[:32]


# --- the verdict ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class L2Verdict:
    task: str  # one of TASKS
    complexity: int  # 1..5

    @property
    def complexity_share(self) -> float:
        """On the 0..1 scale of `Classification.complexity`."""
        return (self.complexity - 1) / 4


class MalformedVerdict(ValueError):
    """The classifier's answer is not the JSON we asked for; the message says how."""


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)


def json_object_in(text: str | None) -> dict[str, Any]:
    """The JSON object in a model's answer, tolerant of code fences and words around it.

    Raises ValueError saying what is wrong (empty, no object, invalid JSON). The L2
    classifier and the quality-audit judge (core/audit_judge.py) read their answers so.
    """
    if not text or not text.strip():
        raise ValueError("empty answer")
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise ValueError(f"no JSON object in {text[:60]!r}")
    try:
        data = json.loads(body[start : end + 1])
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError("answer is not a JSON object")
    return data


def parse_verdict(text: str | None) -> L2Verdict:
    """Parse the classifier's answer; tolerant of code fences and case, strict on values."""
    try:
        data = json_object_in(text)
    except ValueError as exc:
        raise MalformedVerdict(str(exc)) from None
    task = data.get("task")
    if not isinstance(task, str):
        raise MalformedVerdict("no 'task' string")
    task = task.strip().lower().replace(" ", "_").replace("-", "_")
    if task not in TASKS:
        raise MalformedVerdict(f"unknown task {data.get('task')!r}")
    raw = data.get("complexity")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise MalformedVerdict("no numeric 'complexity'")
    if not 1 <= raw <= 5:
        raise MalformedVerdict(f"complexity {raw} is outside 1..5")
    return L2Verdict(task, round(raw))


# --- outcomes, agreement, usage rows ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class L2Call:
    """Who a classifier call was for: the request it classifies."""

    request_id: str
    client: str = ""
    inbound: str = "openai"
    started_at: float = 0.0  # unix seconds
    l1: Classification | None = None


@dataclass(frozen=True, slots=True)
class L2Outcome:
    """One finished classifier call: a verdict, or why there is none."""

    model_id: str
    provider: str
    verdict: L2Verdict | None
    error: str = ""  # short reason when verdict is None
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0  # USD
    latency_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class Agreement:
    """How often L2 named the same task as L1, over calls that produced a verdict."""

    compared: int
    agreed: int
    # (l1 task, l2 task) -> count, disagreements only
    confusions: Mapping[tuple[str, str], int] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return self.agreed / self.compared if self.compared else None

    def summary(self) -> str:
        if not self.compared:
            return "L2 agreement: no verdicts yet"
        return f"L2 agreed with L1 on {self.agreed} of {self.compared} requests ({self.rate:.0%})"


def l2_usage_record(call: L2Call, outcome: L2Outcome) -> UsageRecord:
    """The usage-log row of one classifier call (task ``"l2"``, no baseline: pure overhead).

    A separate row rather than a share of the request's cost: shadow and late
    inline calls finish after the request's row is written, and a row of its
    own keeps the request's tokens and model honest. Spend totals include it;
    savings go down by its cost. L1's and L2's verdicts sit in `signals`, the
    agreement flag in `features["agree"]`.
    """
    l1 = call.l1
    signals: list[str] = []
    features: dict[str, float] = {}
    if outcome.verdict is not None:
        v = outcome.verdict
        signals.append(f"l2 verdict: {v.task}, complexity {v.complexity}/5")
        features["l2_complexity"] = float(v.complexity)
        if l1 is not None:
            features["agree"] = 1.0 if v.task == l1.task else 0.0
    else:
        signals.append(f"l2 failed: {outcome.error}")
    if l1 is not None:
        signals.append(
            f"l1 verdict: {l1.task} ({l1.confidence:.2f}), complexity {l1.complexity:.2f}"
        )
        features["l1_confidence"] = l1.confidence
    # Unique even without a parent id: the usage log replaces rows with the same id.
    parent = call.request_id or f"l2-{os.urandom(6).hex()}"
    return UsageRecord(
        request_id=f"{parent}.l2",
        started_at=call.started_at or time.time(),
        client=call.client,
        inbound=call.inbound,
        requested_model=outcome.model_id,
        strategy="",
        task="l2",
        confidence=l1.confidence if l1 else 0.0,
        complexity=outcome.verdict.complexity_share if outcome.verdict else 0.0,
        tier="l2",
        model_id=outcome.model_id,
        provider=outcome.provider,
        usage=outcome.usage,
        cost=outcome.cost,
        baseline_cost=0.0,
        latency_ms=outcome.latency_ms,
        status="ok" if outcome.verdict is not None else "error",
        status_code=200,
        error=outcome.error,
        classification=Classification(
            task="l2",
            confidence=l1.confidence if l1 else 0.0,
            complexity=outcome.verdict.complexity_share if outcome.verdict else 0.0,
            tier="l2",
            signals=signals,
            features=features,
        ),
    )


def agreement_from_rows(rows: Iterable[Mapping[str, Any]]) -> Agreement:
    """Agreement over usage-log rows (as `UsageStore.rows()` yields them); non-L2 rows are skipped."""
    compared = agreed = 0
    confusions: dict[tuple[str, str], int] = {}
    for row in rows:
        if row.get("task") != "l2":
            continue
        feats = row.get("features") or {}
        if "agree" not in feats:
            continue
        compared += 1
        if feats["agree"] >= 0.5:
            agreed += 1
            continue
        pair = _verdict_pair(row.get("signals") or [])
        if pair is not None:
            confusions[pair] = confusions.get(pair, 0) + 1
    return Agreement(compared, agreed, confusions)


def _verdict_pair(signals: Iterable[str]) -> tuple[str, str] | None:
    l1 = l2 = ""
    for s in signals:
        if s.startswith("l1 verdict: "):
            l1 = s.removeprefix("l1 verdict: ").split(" ", 1)[0]
        elif s.startswith("l2 verdict: "):
            l2 = s.removeprefix("l2 verdict: ").split(",", 1)[0]
    return (l1, l2) if l1 and l2 else None


def merge(l1: Classification, verdict: L2Verdict, model_id: str, how: str) -> Classification:
    """The L2 classification: L2's task and complexity, L1's verdict kept in signals and features."""
    agree = verdict.task == l1.task
    features = dict(l1.features)
    features.update(
        l2_complexity=float(verdict.complexity),
        l1_confidence=l1.confidence,
        l1_complexity=l1.complexity,
    )
    return Classification(
        task=verdict.task,
        confidence=max(l1.confidence, CONFIDENCE_AGREE if agree else CONFIDENCE_DISAGREE),
        complexity=verdict.complexity_share,
        tier="l2",
        signals=[
            f"l2 ({model_id}, {how}): {verdict.task}, complexity {verdict.complexity}/5"
            + (" (agrees with l1)" if agree else ""),
            f"l1 said {l1.task} ({l1.confidence:.2f}), complexity {l1.complexity:.2f}",
            *l1.signals,
        ],
        features=features,
    )


def keep_l1(l1: Classification, note: str) -> Classification:
    """L1's classification with one more signal saying what L2 did."""
    return Classification(
        task=l1.task,
        confidence=l1.confidence,
        complexity=l1.complexity,
        tier=l1.tier,
        signals=[*l1.signals, note],
        features=dict(l1.features),
    )


# --- the classifier --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class L2Status:
    """For the GUI: is L2 on, in which mode, with which model, and the reason line to show."""

    enabled: bool
    mode: str
    model_id: str
    reason: str
    agreement: Agreement


class L2Classifier:
    """Runs L2 for the engine: model choice, inline/shadow calls, cache, agreement, cost reports."""

    def __init__(
        self,
        ask: Ask,
        settings: L2Settings,
        *,
        on_call_finished: Callable[[L2Call, L2Outcome], None] | None = None,
        price: PriceFn = cost_usd,
        cache_size: int = 1024,
        max_in_flight: int = 16,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ask = ask
        self.settings = settings
        self._on_call_finished = on_call_finished
        self._price = price
        self._cache: OrderedDict[str, L2Verdict] = OrderedDict()
        self._cache_size = cache_size
        self._max_in_flight = max_in_flight
        self._in_flight: dict[str, asyncio.Task[L2Outcome]] = {}
        self._clock = clock
        self._compared = 0
        self._agreed = 0
        self._confusions: dict[tuple[str, str], int] = {}

    # -- status ------------------------------------------------------------------------

    def choice(self, registry: Registry, usable_providers: Collection[str]) -> L2Choice:
        return choose_model(registry, self.settings, usable_providers)

    def status(self, registry: Registry, usable_providers: Collection[str]) -> L2Status:
        c = self.choice(registry, usable_providers)
        return L2Status(
            enabled=c.enabled,
            mode=self.settings.mode,
            model_id=c.model.id if c.model else "",
            reason=c.reason,
            agreement=self.agreement(),
        )

    def agreement(self) -> Agreement:
        return Agreement(self._compared, self._agreed, dict(self._confusions))

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def wants(self, l1: Classification) -> bool:
        """Whether L2 should look at a request L1 classified like this."""
        return self.settings.enabled and l1.confidence < self.settings.threshold

    # -- classification --------------------------------------------------------------------

    async def classify(
        self,
        req: ChatRequest,
        l1: Classification,
        *,
        registry: Registry,
        usable_providers: Collection[str],
        call: L2Call | None = None,
    ) -> Classification:
        """L1's answer, improved by L2 when L1 is unsure (inline) or only recorded (shadow)."""
        if not self.wants(l1):
            return l1
        choice = self.choice(registry, usable_providers)
        model = choice.model
        if model is None:
            return keep_l1(l1, choice.reason)
        excerpt = classifier_prompt(req)
        key = fingerprint(excerpt, model.id)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            if self.settings.mode == "shadow":
                return keep_l1(
                    l1, f"l2 shadow (cached): {cached.task}, complexity {cached.complexity}/5"
                )
            return merge(l1, cached, model.id, "cached")
        call = call or L2Call(request_id="")
        call = L2Call(call.request_id, call.client, call.inbound, call.started_at, l1)
        task = self._in_flight.get(key)
        if task is None:
            if len(self._in_flight) >= self._max_in_flight:
                return keep_l1(
                    l1, f"l2 skipped: {len(self._in_flight)} classifier calls already running"
                )
            task = asyncio.get_running_loop().create_task(
                self._run(key, excerpt, model, call), name=f"l2-{call.request_id}"
            )
            self._in_flight[key] = task
            task.add_done_callback(partial(self._forget, key))
        if self.settings.mode == "shadow":
            return keep_l1(
                l1, f"l2 shadow: asked {model.id}; its verdict is recorded when it arrives"
            )
        deadline = self.settings.deadline_s
        # shield: a missed deadline (or a cancelled request) must not cancel the call,
        # whose answer still fills the cache and whose cost is still recorded.
        done, _ = await asyncio.wait({task}, timeout=deadline)
        if not done:
            return keep_l1(l1, f"l2 missed its {deadline:g} s deadline ({model.id}); kept l1")
        outcome = task.result()
        if outcome.verdict is None:
            return keep_l1(l1, f"l2 failed ({model.id}): {outcome.error}; kept l1")
        return merge(l1, outcome.verdict, model.id, f"{outcome.latency_ms:.0f} ms")

    async def _run(self, key: str, excerpt: str, model: ModelSpec, call: L2Call) -> L2Outcome:
        started = self._clock()
        usage = Usage()
        verdict: L2Verdict | None = None
        error = ""
        try:
            resp = await self._ask(classifier_request(excerpt, model), model)
            usage = resp.usage
            verdict = parse_verdict(resp.content)
        except MalformedVerdict as exc:
            error = f"malformed answer: {exc}"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an L2 failure must never fail the request it classifies
            error = f"call failed: {type(exc).__name__}: {getattr(exc, 'message', exc)}"
            log.debug("l2 call on %s failed", model.id, exc_info=True)
        outcome = L2Outcome(
            model_id=model.id,
            provider=model.provider,
            verdict=verdict,
            error=error,
            usage=usage,
            cost=self._price(model, usage) if usage.input_tokens or usage.output_tokens else 0.0,
            latency_ms=(self._clock() - started) * 1000,
        )
        if verdict is not None:
            self._remember(key, verdict)
            if call.l1 is not None:
                self._count(call.l1.task, verdict.task)
        if self._on_call_finished is not None:
            try:
                self._on_call_finished(call, outcome)
            except Exception:  # a broken sink must not lose the verdict
                log.exception("recording an l2 call failed")
        return outcome

    def _forget(self, key: str, _task: asyncio.Task[L2Outcome]) -> None:
        self._in_flight.pop(key, None)

    def _remember(self, key: str, verdict: L2Verdict) -> None:
        self._cache[key] = verdict
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _count(self, l1_task: str, l2_task: str) -> None:
        self._compared += 1
        if l1_task == l2_task:
            self._agreed += 1
        else:
            pair = (l1_task, l2_task)
            self._confusions[pair] = self._confusions.get(pair, 0) + 1

    # -- lifecycle ------------------------------------------------------------------------

    async def drain(self) -> None:
        """Wait for every classifier call still running (tests, orderly shutdown)."""
        while self._in_flight:
            await asyncio.wait(list(self._in_flight.values()))

    async def aclose(self) -> None:
        """Cancel running classifier calls (their cost, if any, goes unrecorded)."""
        tasks = list(self._in_flight.values())
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
