"""The routing engine: classify -> route -> call with fallback -> record -> publish.

Both the server and the GUI use one `Engine`. It knows no HTTP server and no Qt.

Engine API (the GUI builds on this; keep it stable)
    Engine(settings, registry, *, adapters, keys, events, classifier,
           usage_sink=None, demo=False, demo_adapter=None, spend=None, l2=None)
        adapters      provider id -> ProviderAdapter (one per wire format is fine)
        keys          anything with ``key(provider) -> str | None`` (storage.secrets.KeyStore)
        events        core.events.EventBus the engine publishes on
        classifier    anything with ``classify(req) -> Classification`` (core.classify.L1Classifier)
        usage_sink    anything with ``submit(UsageRecord)`` (storage.usage.UsageStore); if it
                      has ``async wait_for_room()``, a request waits on it before it is
                      taken (backpressure from a usage log that fell behind)
        demo          serve every model from `demo_adapter` (providers.demo.DemoAdapter)
        spend         core.budget.SpendTracker (the runtime seeds it from the usage log)
        health        providers.health.HealthBoard (circuit breakers), one is made if omitted
        l2            core.l2.L2Classifier, consulted when L1 is unsure (not in `decide`)

    .registry / .set_registry(reg)   next decision uses `reg` at once; publishes registry_changed
    .settings / .set_settings(s)     likewise; publishes settings_changed
    .paused / .set_paused(flag)      tray "pause routing": auto requests go to the baseline model
    .demo / .set_demo(on, latency_scale=1.0)   the offline demo provider answers every model;
                                     the DemoAdapter is made on first use; L2 is skipped meanwhile
    .decide(req) -> (Classification, Decision)   no network, spends nothing (Playground)
    await .complete(req) -> (ChatResponse, UsageRecord)
    await .stream(req) -> StreamHandle
        handle.info       RouteInfo: routing metadata, ready before the first byte (headers)
        async for ev in handle   StreamEvents; failover happened before the first one
        handle.record     the UsageRecord once the stream ended (or was cancelled)
        await handle.aclose(cancelled=True)   client went away: upstream closed, status "cancelled"
    .health -> dict provider -> ProviderHealth (circuit state, last error, key_rejected)
    .usable_providers() -> list[str]   enabled, with a key (or local), key not rejected (a
                                     rejected key is tried again once its back-off ran out)
    .provider_key_changed(provider)    after a key was stored/deleted: re-check usability, reset breaker
    await .test_connection(provider) -> str   list the provider's models (costs nothing); the
                                     result goes to its breaker and out as provider_health_changed
    .baseline -> ModelSpec | None      the model savings are measured against
    .spend (SpendTracker), .route_info(resp, rec), .clean(text) (scrub keys)
    .pins (core.pinning.ConversationPins)   conversation pins; the runtime sets `.pins.shared`
                                     when other processes route the same conversations
    .person_spend (core.people.PersonSpend)   today's spend per person token: a request
                                     with `ChatRequest.person` over their daily budget is refused
    await .ask(req, model) -> ChatResponse   one direct call, no routing (L2, "test connection")
    .record_external(rec)              log a record made elsewhere (L2 calls) and count its spend
    .auditor                           core.audit.Auditor or None: offered every answered request
                                     after its record is finished (quality audits, opt-in)

Events (core.events): request_started(request_id, requested_model),
request_finished(UsageRecord), registry_changed(Registry),
provider_health_changed(provider, ProviderHealth), settings_changed(Settings).

Errors raised are `core.errors.RouterError`s; the server renders them. Every
request that reached the engine ends as exactly one UsageRecord (ok, error or
cancelled) handed to the usage sink and published as request_finished.

Overhead (`UsageRecord.overhead_ms`, header x-routerdesk-overhead-ms) is the
router's own time: from `started` (the server passes the moment it began
parsing) to the hand-off to the provider, plus the bookkeeping after it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from routerdesk.core import events as ev
from routerdesk.core.audit import TOOL_CALL_MARK, answer_text
from routerdesk.core.budget import SpendTracker, enforce, exceeded_error, is_free
from routerdesk.core.errors import NoUsableModel, RouterError, UpstreamError
from routerdesk.core.events import EventBus
from routerdesk.core.l2 import L2Call
from routerdesk.core.people import PersonSpend, check_person_budget
from routerdesk.core.pinning import ConversationPins
from routerdesk.core.prices import baseline_model, cost_usd
from routerdesk.core.redact import scrub
from routerdesk.core.registry import LOCAL_PROVIDERS, PROVIDERS, ModelSpec, Registry
from routerdesk.core.routing import Router
from routerdesk.core.settings import Settings, Timeouts
from routerdesk.core.tokens import PromptShape, estimate_prompt_tokens, measure
from routerdesk.core.types import (
    STRATEGIES,
    ChatRequest,
    ChatResponse,
    Classification,
    Decision,
    Hop,
    InboundFormat,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    UsageEvent,
    UsageRecord,
)
from routerdesk.providers.base import CallContext, ProviderAdapter
from routerdesk.providers.fallback import ChainStream, ContextFactory, FallbackChain
from routerdesk.providers.health import HealthBoard, ProviderHealth

_R_co = TypeVar("_R_co", covariant=True)


class _ChainCall(Protocol[_R_co]):
    """`FallbackChain.complete` or `FallbackChain.stream`."""

    def __call__(
        self,
        req: ChatRequest,
        models: Sequence[ModelSpec],
        context_for: ContextFactory,
        *,
        hops: list[Hop] | None = None,
    ) -> Awaitable[_R_co]: ...


log = logging.getLogger(__name__)

AUTO_MODELS: tuple[str, ...] = ("auto", "auto:cheapest", "auto:balanced", "auto:best")
CHECK_TIMEOUT_S = 15.0  # a connection test waits at most this long


class Classifier(Protocol):
    def classify(self, req: ChatRequest, shape: PromptShape | None = None) -> Classification: ...


class KeySource(Protocol):
    def key(self, provider: str) -> str | None: ...


class UsageSink(Protocol):
    def submit(self, record: UsageRecord) -> None: ...


class AuditSink(Protocol):
    """core.audit.Auditor as the engine sees it: a cheap yes/no, then the answer to audit."""

    def wants(self, req: ChatRequest, rec: UsageRecord) -> bool: ...
    def submit(self, req: ChatRequest, rec: UsageRecord, answer: str, tool_calls: bool) -> None: ...


@dataclass(slots=True)
class RouteInfo:
    """What the server puts in response headers; known before the first byte is sent."""

    request_id: str
    classification: Classification
    decision: Decision
    model_id: str  # registry id that answers
    provider: str
    model: str  # the name reported to the client (the model that actually answered)
    overhead_ms: float
    cost: float  # streams: an estimate until the end; complete(): the real cost
    demo: bool
    hops: list[Hop] = field(default_factory=list)
    created: int = 0
    est_prompt_tokens: int = 0


def is_auto(model: str) -> bool:
    return model.lower() in AUTO_MODELS


class StreamHandle:
    """A routed stream whose first event already arrived (so failover is over)."""

    def __init__(
        self,
        engine: Engine,
        info: RouteInfo,
        stream: ChainStream,
        record: UsageRecord,
        t0: float,
        audit: tuple[AuditSink, ChatRequest] | None = None,
    ) -> None:
        self.info = info
        self.record = record
        self._engine = engine
        self._stream = stream
        self._t0 = t0
        self._done = False
        self._iter: AsyncGenerator[StreamEvent, None] | None = None
        self._audit = audit  # sampled for a quality audit: the answer text is kept

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        if self._iter is None:
            self._iter = self._iterate()
        return self._iter

    async def _iterate(self) -> AsyncGenerator[StreamEvent, None]:
        rec = self.record
        parts: list[str] = []  # a sampled stream's answer: text, then tool calls
        source = self._stream if self._audit is None else self._tap(parts)
        try:
            async for event in source:
                if type(event) is UsageEvent:
                    rec.usage = event.usage
                yield event
        except asyncio.CancelledError:
            self._finish("cancelled", 499, "the client went away before the answer was complete")
            raise
        except UpstreamError as exc:
            self._finish("error", exc.status, self._engine.clean(exc.message))
            raise
        except GeneratorExit:
            self._finish("cancelled", 499, "the client stopped reading the stream")
            raise
        except Exception as exc:
            self._finish("error", 500, f"internal error: {type(exc).__name__}")
            raise
        self._finish("ok", 200, "")
        if self._audit is not None:
            auditor, req = self._audit
            calls = any(p.startswith(TOOL_CALL_MARK) for p in parts)
            self._engine._offer_audit(auditor, req, rec, "".join(parts).strip(), calls)

    async def _tap(self, parts: list[str]) -> AsyncGenerator[StreamEvent, None]:
        """The stream, keeping the answer's text and tool calls for a sampled audit (only
        sampled streams go through here, so the others pay nothing for it)."""
        calls: dict[int, list[str]] = {}
        async for event in self._stream:
            if isinstance(event, TextDelta):
                parts.append(event.text)
            elif isinstance(event, ToolCallDelta):
                call = calls.setdefault(event.index, ["", ""])
                call[0] += event.name or ""
                call[1] += event.arguments
            yield event
        parts.extend(f"{TOOL_CALL_MARK}{name}({args})" for name, args in calls.values())

    async def aclose(self, *, cancelled: bool = True) -> None:
        """Close the upstream stream; record "cancelled" unless the stream had already ended."""
        if cancelled:
            self._finish("cancelled", 499, "the client went away before the answer was complete")
        try:
            if self._iter is not None:
                await self._iter.aclose()
        finally:
            await self._stream.aclose()

    def _finish(self, status: str, code: int, error: str) -> None:
        if self._done:
            return
        self._done = True
        self._engine._finish(self.record, self._t0, status, code, error)


class Engine:
    """Routes and answers chat requests; see the module docstring for the API."""

    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        *,
        adapters: Mapping[str, ProviderAdapter],
        keys: KeySource,
        events: EventBus,
        classifier: Classifier,
        usage_sink: UsageSink | None = None,
        demo: bool = False,
        demo_adapter: ProviderAdapter | None = None,
        spend: SpendTracker | None = None,
        health: HealthBoard | None = None,
        l2: Any = None,
    ) -> None:
        self.events = events
        self.adapters = dict(adapters)
        self.keys = keys
        self.classifier = classifier
        self.usage_sink = usage_sink
        self._demo = demo or settings.demo
        if self._demo and demo_adapter is None:
            from routerdesk.providers.demo import DemoAdapter

            demo_adapter = DemoAdapter()
        self.demo_adapter = demo_adapter
        self.spend = spend or SpendTracker()
        self.person_spend = PersonSpend()
        self._health = health or HealthBoard()
        self._health.on_change = self._health_changed
        self.pins = ConversationPins(settings.routing.pin_window_s)
        self.l2 = l2
        self.auditor: AuditSink | None = None  # quality audits (core.audit), set by the runtime
        self.paused = False
        self._ids = itertools.count(1)
        self._id_prefix = os.urandom(4).hex()
        self._settings = settings
        self._registry = registry
        self.baseline: ModelSpec | None = None
        self._usable: frozenset[str] | None = None
        self._usable_until: float | None = None  # a rejected key's back-off ends: recompute
        self._rebuild()

    # --- configuration ---------------------------------------------------------------

    @property
    def registry(self) -> Registry:
        return self._registry

    @property
    def settings(self) -> Settings:
        return self._settings

    def set_registry(self, registry: Registry) -> None:
        self._registry = registry
        self._rebuild()
        self.events.publish(ev.REGISTRY_CHANGED, registry)

    def set_settings(self, settings: Settings) -> None:
        self._settings = settings
        self._demo = self._demo or settings.demo
        if self.l2 is not None and hasattr(self.l2, "settings"):
            self.l2.settings = settings.routing.l2
        self._rebuild()
        self.events.publish(ev.SETTINGS_CHANGED, settings)

    @property
    def demo(self) -> bool:
        """Serve every model from the demo adapter (the GUI may toggle it at run time)."""
        return self._demo

    @demo.setter
    def demo(self, on: bool) -> None:
        self.set_demo(on)

    def set_demo(self, on: bool, *, latency_scale: float = 1.0) -> None:
        """Switch the offline demo provider on or off (the GUI's switch goes both ways).

        The DemoAdapter is made the first time demo mode is switched on. While it
        is on, every provider counts as usable and L2 is skipped: the demo
        provider cannot classify (its "verdicts" would all be malformed and would
        skew the L1/L2 agreement rate), and a demo request stays one usage row.
        """
        if on and self.demo_adapter is None:
            from routerdesk.providers.demo import DemoAdapter

            self.demo_adapter = DemoAdapter(latency_scale=latency_scale)
        self._demo = on
        self._usable = None

    def set_paused(self, paused: bool) -> None:
        self.paused = paused

    def _rebuild(self) -> None:
        """Precompute what every request needs: the router, the baseline, the provider list."""
        self.router = Router(self._registry)
        try:
            self.baseline = baseline_model(self._registry, self._settings)
        except RouterError:
            self.baseline = None
        self._providers = tuple(dict.fromkeys(m.provider for m in self._registry.models))
        # provider -> (base URL, timeouts): settings are immutable between set_settings calls
        self._targets: dict[str, tuple[str, Timeouts]] = {}
        for pid in PROVIDERS:
            ps = self._settings.provider(pid)
            adapter = self.adapters.get(pid)
            default = adapter.default_base_urls.get(pid, "") if adapter is not None else ""
            self._targets[pid] = (ps.base_url or default, ps.timeouts)
        self._usable = None
        self.chain = FallbackChain(self._adapter_for, self._health)
        if hasattr(self, "pins"):
            self.pins.window_s = self._settings.routing.pin_window_s

    @property
    def health(self) -> dict[str, ProviderHealth]:
        return self._health.snapshot()

    def _health_changed(self, provider: str, health: ProviderHealth) -> None:
        self._usable = None  # a rejected (or fixed) key changes what is usable
        self.events.publish(ev.PROVIDER_HEALTH_CHANGED, provider, health)

    def usable_providers(self) -> list[str]:
        """Providers a decision may use: enabled, with a key (or local, or demo), key not rejected.

        Cached; the cache is dropped on set_settings / set_registry, on health
        changes and by `provider_key_changed` (call it after storing or deleting a key).
        """
        usable = self._usable_set()
        return [p for p in self._providers if p in usable]

    def _usable_set(self) -> frozenset[str]:
        until = self._usable_until
        if self._usable is None or (until is not None and self._health.clock() >= until):
            self._usable = frozenset(self._compute_usable())
        return self._usable

    def _compute_usable(self) -> list[str]:
        settings = self._settings
        now = self._health.clock()
        self._usable_until = None
        out = []
        for pid in self._providers:
            ps = settings.providers.get(pid)
            if ps is not None and not ps.enabled:
                continue
            if self.demo:
                out.append(pid)
                continue
            health = self._health.breaker(pid).health
            if health.benched(now):
                assert health.retry_at is not None
                self._usable_until = min(health.retry_at, self._usable_until or health.retry_at)
            elif pid in LOCAL_PROVIDERS or self.keys.key(pid):
                out.append(pid)
        return out

    def _rejected_keys(self) -> list[ProviderHealth]:
        """Providers left out of routing because their key was rejected (back-off running)."""
        now = self._health.clock()
        return [h for h in self._health.snapshot().values() if h.benched(now)]

    # --- deciding --------------------------------------------------------------------

    def decide(self, req: ChatRequest) -> tuple[Classification, Decision]:
        """Classify and route without calling anyone (Playground, `routerdesk route`).

        Conversation pins are not consulted or changed: a preview must not move them.
        """
        shape = measure(req)
        classification = self.classifier.classify(req, shape)
        return classification, self._route(req, classification, shape, pin=False)

    def _route(
        self,
        req: ChatRequest,
        classification: Classification,
        shape: PromptShape,
        *,
        pin: bool = True,
    ) -> Decision:
        notes: list[str] = []
        if self.paused and is_auto(req.model) and self.baseline is not None:
            req = replace(req, model=self.baseline.id)
            notes.append("routing paused: the baseline model answers")
        settings = self._settings
        budgets = settings.budgets
        strategy: str | None = None
        only: frozenset[str] | None = None
        usable = self._usable_set()
        verdict = None
        if budgets.daily_usd is not None or budgets.monthly_usd is not None:
            lowered = req.model.lower()
            asked = lowered[5:] if lowered.startswith("auto:") else settings.routing.strategy
            explicit = not is_auto(lowered)
            if asked in STRATEGIES or explicit:
                verdict = enforce(asked, budgets, self.spend.totals(), explicit_model=explicit)
                notes.extend(verdict.notes)
                if verdict.strategy != asked and not explicit:
                    strategy = verdict.strategy
                if verdict.local_only:
                    only = frozenset(m.id for m in self._registry.models if is_free(m))

        def route(r: ChatRequest, strategy: str | None = strategy) -> Decision:
            return self.router.decide(
                r,
                classification,
                settings=settings,
                strategy=strategy,
                usable_providers=usable,
                only=only,
                shape=shape,
            )

        rejected = self._rejected_keys() if not self.demo else []
        if rejected:
            spec = self.router.resolve_model(req.model)
            mine = [h for h in rejected if spec is not None and h.provider == spec.provider]
            if mine or not usable:
                text = "; ".join(h.rejected_message() for h in (mine or rejected))
                raise NoUsableModel(
                    text[0].upper() + text[1:] + ". routerdesk tries a rejected key again "
                    "after a pause, and at once when the key changes."
                )
        if not usable and not self.demo:
            raise NoUsableModel(
                "No provider has an API key yet. Add one with `routerdesk keys set openai` "
                "(or anthropic, google, deepseek, ...), on the app's Providers page, or through "
                "an environment variable such as OPENAI_API_KEY; or try `routerdesk serve --demo`."
            )
        try:
            decision = route(req)
            if pin and settings.routing.pinning:
                decision = self.pins.apply(req, classification, decision, lambda r: route(r, None))
        except NoUsableModel as exc:
            if verdict is not None and verdict.local_only:
                raise exceeded_error(
                    verdict.status, extra="No free or local model can answer this request. "
                ) from None
            if rejected:  # say why those providers' models were not candidates
                raise NoUsableModel(
                    f"{exc.message} Also, "
                    + "; ".join(h.rejected_message() for h in rejected)
                    + "."
                ) from None
            raise
        decision.notes.extend(notes)
        return decision

    # --- answering -------------------------------------------------------------------

    def _new_record(self, req: ChatRequest) -> UsageRecord:
        rid = f"rd-{self._id_prefix}{next(self._ids):06x}"
        privacy = self._settings.privacy
        return UsageRecord(
            request_id=rid,
            started_at=time.time(),
            client=req.client,
            inbound=req.inbound,
            requested_model=req.model,
            strategy="",
            task="",
            confidence=0.0,
            complexity=0.0,
            tier="",
            model_id="",
            provider="",
            stream=req.stream,
            demo=self.demo,
            preview=req.last_user_text()[: privacy.preview_chars] if privacy.previews else "",
            person=req.person.name if req.person is not None else "",
        )

    async def _prepare(self, req: ChatRequest, rec: UsageRecord) -> list[ModelSpec]:
        person = req.person
        if person is not None and person.budget_daily_usd is not None:
            check_person_budget(person, self.person_spend.today(person.name))
        # only auto requests are pinned; the wait is bounded and off the event loop
        pinned = self.pins.shared is not None and self._settings.routing.pinning
        if pinned and is_auto(req.model) and not self.paused:
            await self.pins.recall(req)
        # One pass over the conversation serves the classifier and the router.
        shape = measure(req)
        classification = self.classifier.classify(req, shape)
        l2 = self.l2
        if l2 is not None and not self._demo and l2.wants(classification):
            classification = await l2.classify(
                req,
                classification,
                registry=self._registry,
                usable_providers=self.usable_providers(),
                call=L2Call(rec.request_id, rec.client, rec.inbound, rec.started_at),
            )
        rec.classification = classification
        rec.task = classification.task
        rec.confidence = classification.confidence
        rec.complexity = classification.complexity
        rec.tier = classification.tier
        decision = self._route(req, classification, shape)
        rec.decision = decision
        rec.strategy = decision.strategy
        return self._models(decision)

    def _models(self, decision: Decision) -> list[ModelSpec]:
        get = self._registry.get
        return [
            m for m in (get(i) for i in (decision.primary, *decision.fallbacks)) if m is not None
        ]

    def _adapter_for(self, provider: str) -> ProviderAdapter:
        if self.demo and self.demo_adapter is not None:
            return self.demo_adapter
        adapter = self.adapters.get(provider)
        if adapter is None:
            raise NoUsableModel(f"no adapter serves provider {provider!r}")
        return adapter

    def _context(self, model: ModelSpec) -> CallContext:
        if self.demo:
            return CallContext(base_url="demo:", key=None)
        base, timeouts = self._targets[model.provider]
        return CallContext(base_url=base, key=self.keys.key(model.provider), timeouts=timeouts)

    def record_rejected(
        self,
        *,
        client: str,
        inbound: InboundFormat,
        status: int,
        message: str,
        started: float,
        person: str = "",
    ) -> str:
        """Log a request the server refused before routing; returns its request id."""
        rec = self._new_record(ChatRequest(messages=[], model="", client=client, inbound=inbound))
        rec.person = person
        self._finish(rec, started, "error", status, self.clean(message))
        return rec.request_id

    def _failed(self, rec: UsageRecord, t0: float, exc: RouterError) -> None:
        exc.request_id = rec.request_id  # type: ignore[attr-defined]  # for the error response's header
        self._finish(rec, t0, "error", exc.status, self.clean(exc.message))

    async def _routed(
        self, req: ChatRequest, rec: UsageRecord, t0: float, call: _ChainCall[_R_co]
    ) -> _R_co:
        """Prepare (classify, route, policies) and run `call` on the chain; any failure
        is recorded with its status before it propagates."""
        self.events.publish(ev.REQUEST_STARTED, rec.request_id, req.model)
        try:
            models = await self._prepare(req, rec)
            rec.overhead_ms = (time.perf_counter() - t0) * 1000
            return await call(req, models, self._context, hops=rec.hops)
        except asyncio.CancelledError:
            self._finish(rec, t0, "cancelled", 499, "the client went away before the answer")
            raise
        except RouterError as exc:
            self._failed(rec, t0, exc)
            raise
        except Exception as exc:
            self._finish(rec, t0, "error", 500, f"internal error: {type(exc).__name__}")
            raise

    async def complete(
        self, req: ChatRequest, *, started: float | None = None
    ) -> tuple[ChatResponse, UsageRecord]:
        """One non-streamed answer, with fallback; raises RouterError when nobody could answer."""
        t0 = started if started is not None else time.perf_counter()
        await self._room_in_usage_log()
        rec = self._new_record(req)
        result = await self._routed(req, rec, t0, self.chain.complete)
        t_back = time.perf_counter()
        spec = result.model
        if result.notes and rec.decision is not None:
            rec.decision.notes.extend(result.notes)
        rec.model_id = spec.id
        rec.provider = spec.provider
        rec.usage = result.response.usage
        self._finish(rec, t0, "ok", 200, "", post_start=t_back)
        auditor = self._auditor_for(req, rec)
        if auditor is not None:
            resp = result.response
            self._offer_audit(auditor, req, rec, answer_text(resp), bool(resp.tool_calls))
        return result.response, rec

    async def stream(self, req: ChatRequest, *, started: float | None = None) -> StreamHandle:
        """A routed stream; returns once the first event arrived (failover happens before that)."""
        t0 = started if started is not None else time.perf_counter()
        await self._room_in_usage_log()
        rec = self._new_record(req)
        stream = await self._routed(req, rec, t0, self.chain.stream)
        rec.ttft_ms = (time.perf_counter() - t0) * 1000
        spec = stream.model
        if stream.notes and rec.decision is not None:
            rec.decision.notes.extend(stream.notes)
        rec.model_id = spec.id
        rec.provider = spec.provider
        decision = rec.decision or Decision(strategy="", primary=spec.id)
        est = next((c.est_cost for c in decision.candidates if c.model_id == spec.id), 0.0)
        info = RouteInfo(
            request_id=rec.request_id,
            classification=rec.classification or Classification("general", 0.0, 0.0),
            decision=decision,
            model_id=spec.id,
            provider=spec.provider,
            model=spec.name + ("-demo" if self.demo else ""),
            overhead_ms=rec.overhead_ms,
            cost=est,
            demo=self.demo,
            hops=rec.hops,
            created=int(rec.started_at),
            est_prompt_tokens=decision.est_prompt_tokens or estimate_prompt_tokens(req),
        )
        auditor = self._auditor_for(req, rec)
        audit = (auditor, req) if auditor is not None else None
        return StreamHandle(self, info, stream, rec, t0, audit)

    def _auditor_for(self, req: ChatRequest, rec: UsageRecord) -> AuditSink | None:
        """The auditor if it samples this request; audits never fail the request itself."""
        auditor = self.auditor
        if auditor is None:
            return None
        try:
            return auditor if auditor.wants(req, rec) else None
        except Exception:
            log.exception("the auditor failed to sample %s", rec.request_id)
            return None

    def _offer_audit(
        self, auditor: AuditSink, req: ChatRequest, rec: UsageRecord, answer: str, calls: bool
    ) -> None:
        """Hand a sampled, answered request to the auditor; it never fails the request."""
        try:
            auditor.submit(req, rec, answer, calls)
        except Exception:
            log.exception("could not start the audit of %s", rec.request_id)

    async def _room_in_usage_log(self) -> None:
        """Wait while the usage log's backlog is full: slower intake, not lost rows."""
        room = getattr(self.usage_sink, "wait_for_room", None)
        if room is not None:
            await room()

    def route_info(self, resp: ChatResponse, rec: UsageRecord) -> RouteInfo:
        """Header metadata for a completed (non-streamed) answer."""
        return RouteInfo(
            request_id=rec.request_id,
            classification=rec.classification or Classification("general", 0.0, 0.0),
            decision=rec.decision or Decision(strategy=rec.strategy, primary=rec.model_id),
            model_id=rec.model_id,
            provider=rec.provider,
            model=resp.model,
            overhead_ms=rec.overhead_ms,
            cost=rec.cost,
            demo=rec.demo,
            hops=rec.hops,
            created=resp.created or int(rec.started_at),
        )

    def provider_key_changed(self, provider: str) -> None:
        """A key was set or deleted: forget the provider's failures (a rejected key included)."""
        self._usable = None
        self._health.breaker(provider).reset()

    async def test_connection(self, provider: str) -> str:
        """Check the key and endpoint without spending: list the provider's models.

        Real provider even in demo mode (listing models is free). Success or
        failure is recorded on the provider's circuit breaker (a 401/403 marks
        the key rejected, success clears that) and `provider_health_changed` is
        published either way. Returns a one-line summary; raises `UpstreamError`.
        """
        adapter = self.adapters.get(provider)
        if adapter is None:
            raise NoUsableModel(f"no adapter serves provider {provider!r}")
        base, timeouts = self._targets.get(provider) or ("", Timeouts())
        ctx = CallContext(
            base_url=base,
            key=self.keys.key(provider),
            timeouts=timeouts.model_copy(
                update={
                    "first_byte": min(timeouts.first_byte, CHECK_TIMEOUT_S),
                    "idle": min(timeouts.idle, CHECK_TIMEOUT_S),
                    "total": min(timeouts.total, CHECK_TIMEOUT_S),
                }
            ),
        )
        breaker = self._health.breaker(provider)
        before = breaker.health
        try:
            summary = await adapter.check(provider, ctx)
        except UpstreamError as exc:
            breaker.record_failure(exc)
            if breaker.health == before:  # the breaker publishes only real changes
                self.events.publish(ev.PROVIDER_HEALTH_CHANGED, provider, breaker.health)
            raise
        breaker.record_success()
        if breaker.health == before:
            self.events.publish(ev.PROVIDER_HEALTH_CHANGED, provider, breaker.health)
        return summary

    async def ask(self, req: ChatRequest, model: ModelSpec) -> ChatResponse:
        """One direct call to `model` without routing or fallback (the L2 classifier's calls)."""
        return await self._adapter_for(model.provider).complete(req, model, self._context(model))

    def clean(self, text: str) -> str:
        """`text` with every known API key (and anything key-shaped) removed: `core.redact.scrub`,
        plus the keys of a key source that did not `remember` them (tests pass plain objects)."""
        secrets = getattr(self.keys, "secrets", None)
        return scrub(text, *(secrets() if secrets else ()))

    def record_external(self, rec: UsageRecord) -> None:
        """Log a record made elsewhere (e.g. an L2 classifier call) and count its spend."""
        if not rec.demo:
            self.spend.add(rec.cost)
        if self.usage_sink is not None:
            self.usage_sink.submit(rec)
        self.events.publish(ev.REQUEST_FINISHED, rec)

    def _finish(
        self,
        rec: UsageRecord,
        t0: float,
        status: str,
        code: int,
        error: str,
        *,
        post_start: float | None = None,
    ) -> None:
        """Cost the record, hand it to the sink, publish request_finished."""
        p0 = post_start if post_start is not None else time.perf_counter()
        rec.status = status
        rec.status_code = code
        rec.error = error
        usage = rec.usage
        if rec.model_id and (usage.input_tokens or usage.output_tokens):
            spec = self._registry.get(rec.model_id)
            if spec is not None:
                list_cost = cost_usd(spec, usage)
                base = cost_usd(self.baseline, usage) if self.baseline is not None else list_cost
                # Demo rows carry the simulated cost (what this answer would cost for
                # real) so the dashboard shows honest savings; budgets ignore them.
                rec.cost, rec.baseline_cost = list_cost, base
        now = time.perf_counter()
        rec.latency_ms = (now - t0) * 1000
        rec.overhead_ms += (now - p0) * 1000
        if not rec.demo:
            self.spend.add(rec.cost)
            if rec.person:
                self.person_spend.add(rec.person, rec.cost)
        if self.usage_sink is not None:
            try:
                # after the response went out: turning the record into a row is not the client's wait
                asyncio.get_running_loop().call_soon(self._submit, rec)
            except RuntimeError:  # no loop: called from synchronous code
                self._submit(rec)
        self.events.publish(ev.REQUEST_FINISHED, rec)

    def _submit(self, rec: UsageRecord) -> None:
        if self.usage_sink is None:
            return
        try:
            self.usage_sink.submit(rec)
        except Exception:
            log.exception("could not queue the usage record %s", rec.request_id)
