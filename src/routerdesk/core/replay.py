"""Replay: re-route past traffic under another strategy or registry and project what it would cost.

Prompts are never stored, so replay works from what every usage row keeps: the
classification (task, complexity, confidence), the request's shape (estimated
prompt tokens, tools, images, JSON output, streaming; see `PastRequest.from_row`)
and the tokens actually used. Each row becomes a `Classification` and a
synthetic `ChatRequest` of the same shape, and goes through the real `Router`
twice: with the current setup (registry and default strategy) and with the
proposed one. Both models are priced on the row's actual tokens (same token
counts on a different model: tokenizers differ by a few percent, answers by
more; this is a projection, not an invoice). Comparing two projections, not a
projection with the recorded spend, keeps a no-op edit at 0 changes.

Each request keeps its own strategy
    ``auto:best`` traffic is routed with best on both sides; only requests that
    said plain ``auto`` follow the default strategy being changed.
The same on both sides
    requests that named a model (routing never chose for them, recorded cost),
    and requests the proposed setup cannot serve (counted as unroutable).
Left out
    demo-mode rows (they cost nothing), L2 classifier calls (task "l2") and
    quality-audit calls (task "audit"), whose cost does not depend on the
    strategy: reported beside the totals.
Not replayed
    conversation pinning and budget step-down (they depend on the order and
    timing of live traffic).

`project(rows, registry, settings, strategy, current=...)` returns a
`Projection`; the `routerdesk replay` command and the GUI's what-if lines call it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from routerdesk.core.errors import NoUsableModel, UnknownModel
from routerdesk.core.prices import cost_usd
from routerdesk.core.registry import ModelSpec, Registry
from routerdesk.core.routing import Router
from routerdesk.core.settings import Settings
from routerdesk.core.tokens import IMAGE_TOKENS, estimate_prompt_tokens
from routerdesk.core.types import (
    STRATEGIES,
    TASKS,
    ChatRequest,
    Classification,
    ImagePart,
    Message,
    ResponseFormat,
    TextPart,
    Tool,
    Usage,
)

PriceFn = Callable[[ModelSpec, Usage], float]
NO_MODEL = "(none)"


# --- what a usage row tells us ----------------------------------------------------------------


def _num(row: Mapping[str, Any], key: str, default: float = 0.0) -> float:
    value = row.get(key)
    return float(value) if isinstance(value, int | float) else default


@dataclass(frozen=True, slots=True)
class PastRequest:
    """One usage row, reduced to what routing and pricing need."""

    request_id: str
    started_at: float
    requested_model: str
    task: str
    confidence: float
    complexity: float
    tier: str
    model_id: str  # "" when nothing answered
    status: str
    cost: float
    usage: Usage
    est_prompt_tokens: int
    max_tokens: int | None = None
    stream: bool = False
    tools: int = 0
    images: int = 0
    json_mode: bool = False
    demo: bool = False

    @property
    def is_l2(self) -> bool:
        return self.task == "l2"

    @property
    def is_auto(self) -> bool:
        m = self.requested_model.strip().lower()
        return m in ("", "auto") or m.startswith("auto:")

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PastRequest:
        """From a usage-log row as `UsageStore.rows()` yields it (JSON columns decoded).

        The prompt size comes from the row's ``est_prompt_tokens`` column, else the
        tokens actually billed, else the L1 features (characters / 4 plus images).
        """
        feats: Mapping[str, Any] = row.get("features") or {}
        usage = Usage(
            input_tokens=int(_num(row, "input_tokens")),
            output_tokens=int(_num(row, "output_tokens")),
            cached_input_tokens=int(_num(row, "cached_input_tokens")),
            cache_write_tokens=int(_num(row, "cache_write_tokens")),
            reasoning_tokens=int(_num(row, "reasoning_tokens")),
        )
        images = int(_num(feats, "images"))
        est = int(_num(row, "est_prompt_tokens")) or usage.input_tokens
        if not est:
            chars = _num(feats, "user_chars") + _num(feats, "system_chars")
            est = int(chars / 4) + images * IMAGE_TOKENS
        max_tokens = row.get("max_tokens")
        task = str(row.get("task") or "general")
        return cls(
            request_id=str(row.get("request_id") or ""),
            started_at=_num(row, "started_at"),
            requested_model=str(row.get("requested_model") or ""),
            task=task if task in TASKS or task in ("l2", "audit") else "general",
            confidence=_num(row, "confidence"),
            complexity=_num(row, "complexity"),
            tier=str(row.get("tier") or "l1"),
            model_id=str(row.get("model_id") or ""),
            status=str(row.get("status") or "ok"),
            cost=_num(row, "cost"),
            usage=usage,
            est_prompt_tokens=max(0, est),
            max_tokens=int(max_tokens) if isinstance(max_tokens, int) and max_tokens > 0 else None,
            stream=bool(row.get("stream")),
            tools=int(_num(feats, "tools")),
            images=images,
            json_mode=_num(feats, "json_mode") > 0,
            demo=bool(row.get("demo")),
        )

    def strategy(self, default: str) -> str:
        """The strategy this request asked for: ``auto:<strategy>``, else the default one."""
        m = self.requested_model.strip().lower()
        own = m[5:] if m.startswith("auto:") else ""
        return own if own in STRATEGIES else default

    def classification(self) -> Classification:
        return Classification(
            task=self.task,
            confidence=self.confidence,
            complexity=self.complexity,
            tier="l2" if self.tier == "l2" else "l1",
        )

    def request(self, strategy: str) -> ChatRequest:
        """A stand-in request of the same shape: the router sees the same needs and size."""
        msg = Message("user", [TextPart("")])
        msg.content.extend(ImagePart(url="replay:image") for _ in range(self.images))
        req = ChatRequest(
            messages=[msg],
            model=f"auto:{strategy}",
            tools=[Tool(f"t{i}") for i in range(self.tools)],
            response_format=ResponseFormat("json_object") if self.json_mode else None,
            max_tokens=self.max_tokens,
            stream=self.stream,
        )
        missing = self.est_prompt_tokens - estimate_prompt_tokens(req)
        if missing > 0:
            msg.content[0] = TextPart("x" * (4 * missing))
        return req


# --- the projection -----------------------------------------------------------------------------


@dataclass(slots=True)
class ModelShare:
    """One model's share of the traffic, routed with the current setup and with the proposed one."""

    model_id: str
    current_requests: int = 0
    current_cost: float = 0.0
    projected_requests: int = 0
    projected_cost: float = 0.0


@dataclass(slots=True)
class Projection:
    """Past traffic routed twice: with the current setup and with the proposed one.

    Both sides go through the same router and the same pricing, so an edit that
    changes nothing a request depends on shows 0 changes and the same cost
    (comparing with the recorded spend instead would report the registry's drift
    since then, and traffic that asked for another strategy, as savings).
    """

    strategy: str  # the proposed default strategy (for requests that said just "auto")
    current_strategy: str = ""
    since: float | None = None
    requests: int = 0  # rows compared (auto, explicit and unroutable)
    rerouted: int = 0  # auto rows that went through the router
    changed: int = 0  # rows whose model differs between the current and the proposed setup
    explicit: int = 0  # named a model: the same on both sides
    unroutable: int = 0  # the proposed setup cannot serve them: kept as the current one routes them
    skipped_demo: int = 0
    actual_cost: float = 0.0  # what was recorded (for reference: prices and routing may have moved)
    current_cost: float = 0.0  # the same traffic routed and priced with the current setup
    projected_cost: float = 0.0  # ... with the proposed setup
    l2_calls: int = 0
    l2_cost: float = 0.0  # classifier calls: the same under any strategy
    audit_calls: int = 0  # quality-audit calls (core/audit.py): measurement, not routing
    audit_cost: float = 0.0
    by_model: dict[str, ModelShare] = field(default_factory=dict)
    unroutable_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def savings(self) -> float:
        """Positive when the proposed setup is cheaper than the current one."""
        return self.current_cost - self.projected_cost

    @property
    def savings_share(self) -> float | None:
        return self.savings / self.current_cost if self.current_cost > 0 else None

    def mix(self) -> list[ModelShare]:
        """Models by projected then current requests, most first."""
        return sorted(
            self.by_model.values(),
            key=lambda s: (-s.projected_requests, -s.current_requests, s.model_id),
        )

    def _share(self, model_id: str) -> ModelShare:
        key = model_id or NO_MODEL
        share = self.by_model.get(key)
        if share is None:
            share = self.by_model[key] = ModelShare(key)
        return share


def _reason(exc: NoUsableModel | UnknownModel) -> str:
    return exc.message.split(":", 1)[-1].split(". To fix", 1)[0].strip()


@dataclass(slots=True)
class _Setup:
    """One side of the comparison: a router over a registry, and the default strategy."""

    registry: Registry
    default_strategy: str
    router: Router = field(init=False)

    def __post_init__(self) -> None:
        self.router = Router(self.registry)


def project(
    rows: Iterable[Mapping[str, Any] | PastRequest],
    registry: Registry,
    settings: Settings,
    strategy: str,
    *,
    current: Registry | None = None,
    usable_providers: Collection[str] | None = None,
    since: float | None = None,
    price: PriceFn = cost_usd,
) -> Projection:
    """Route `rows` (usage-log rows or `PastRequest`s) with the current and the proposed setup.

    Current: the `current` registry (default `registry`) with the default strategy
    of `settings`. Proposed: `registry` with `strategy` as the default. A request
    that asked for ``auto:<strategy>`` keeps its strategy on both sides; one that
    named a model keeps the model and its recorded cost. `usable_providers` None
    assumes every provider has a key; pass the engine's usable providers to
    project what would really happen on this machine.
    """
    now = _Setup(current if current is not None else registry, settings.routing.strategy)
    new = _Setup(registry, strategy)
    same_registry = now.registry is new.registry
    usable = frozenset(usable_providers) if usable_providers is not None else None
    out = Projection(strategy=strategy, current_strategy=now.default_strategy, since=since)

    def route(setup: _Setup, past: PastRequest) -> tuple[str, float]:
        own = past.strategy(setup.default_strategy)
        decision = setup.router.decide(
            past.request(own),
            past.classification(),
            settings=settings,
            strategy=own,
            usable_providers=usable,
        )
        used = past.usage.input_tokens or past.usage.output_tokens
        model_id = decision.primary
        return model_id, price(setup.registry[model_id], past.usage) if used else 0.0

    for item in rows:
        past = item if isinstance(item, PastRequest) else PastRequest.from_row(item)
        if past.demo:
            out.skipped_demo += 1
            continue
        if past.is_l2:
            out.l2_calls += 1
            out.l2_cost += past.cost
            continue
        if past.task == "audit":
            out.audit_calls += 1
            out.audit_cost += past.cost
            continue
        out.requests += 1
        out.actual_cost += past.cost
        before = after = (past.model_id, past.cost)
        if not past.is_auto:
            out.explicit += 1
        else:
            # If the current setup cannot serve it either, compare with what happened.
            with contextlib.suppress(NoUsableModel, UnknownModel):
                before = route(now, past)
            same_route = same_registry and past.strategy(now.default_strategy) == past.strategy(
                new.default_strategy
            )
            try:
                after = before if same_route else route(new, past)
            except (NoUsableModel, UnknownModel) as exc:
                out.unroutable += 1
                reason = _reason(exc)
                out.unroutable_reasons[reason] = out.unroutable_reasons.get(reason, 0) + 1
                after = before
            else:
                out.rerouted += 1
                if after[0] != before[0]:
                    out.changed += 1
        out.current_cost += before[1]
        out.projected_cost += after[1]
        was, will = out._share(before[0]), out._share(after[0])
        was.current_requests += 1
        was.current_cost += before[1]
        will.projected_requests += 1
        will.projected_cost += after[1]
    return out


# --- time windows -----------------------------------------------------------------------------

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$", re.IGNORECASE)
_UNIT_S = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: datetime | None = None) -> float:
    """``30m``, ``12h``, ``1d``, ``7d``, ``2w`` back from now, or an ISO date/datetime: unix seconds.

    A date or datetime without a zone is local time. Raises ValueError with an example.
    """
    now = now or datetime.now().astimezone()
    m = _SPAN.match(text)
    if m:
        return (
            now - timedelta(seconds=float(m.group(1)) * _UNIT_S[m.group(2).lower()])
        ).timestamp()
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"--since {text!r}: expected a span like 1d, 7d, 12h, 2w or an ISO date like "
            "2025-03-01 or 2025-03-01T09:00"
        ) from None
    if when.tzinfo is None:
        when = when.astimezone()
    return when.timestamp()
