"""Quality audits: for a sample of routed answers, ask the baseline model too and let a judge compare.

Opt-in (`settings.audit`, off by default). The engine asks `Auditor.wants(req,
rec)` once the answering model is known; for a sampled request it hands over the
client's answer with `submit` after the answer went out. The audit then runs in
the background, `delay_s` later:

    1. the same request goes to the baseline model (not streamed);
    2. the judge model (`choose_judge`) compares both answers twice, swapped
       (core/audit_judge.py), and the two orders combine into one verdict;
    3. every call is reported to `on_call` as its own usage row (task ``audit``,
       linked by id: ``<request id>.audit-baseline``, ``.audit-judge-1``,
       ``.audit-judge-2``), so it is logged, counted in budgets and shown apart;
    4. the `AuditResult` (verdict, reasons, both answers) goes to `on_result`.

Which requests (`skip_reason`): `auto` requests answered by a model other than
the baseline, status ok; not requests carrying tool results or forcing a tool
call, nor answers that are tool calls (not comparable text) unless
`include_tool_requests`; never while a budget is near or at its limit; never
past `daily_cap_usd` of audit spend today (what is running counts at its
estimate); at most `MAX_IN_FLIGHT` at a time. Then `sample_rate` decides.

Demo mode audits `DEMO_SAMPLE_RATE` of demo requests whether or not audits are
on: the demo provider answers, `demo_judge_answer` judges, nothing leaves the
machine and nothing is spent (demo rows carry simulated costs; the cap ignores them).

A failure anywhere (baseline error, judge error, malformed JSON, a refusal)
ends the audit without a verdict and with the reason; it never reaches the
client's request, which was answered before the audit began.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field, replace
from typing import Protocol

from routerdesk.core.audit_judge import (
    Judgement,
    MalformedJudgement,
    Verdict,
    combine,
    demo_judge_answer,
    judge_request,
    parse_judgement,
    routed_side,
)
from routerdesk.core.budget import SpendTracker, budget_status
from routerdesk.core.prices import cost_usd, most_capable
from routerdesk.core.registry import ModelSpec, Registry
from routerdesk.core.settings import Settings
from routerdesk.core.tokens import estimate_prompt_tokens
from routerdesk.core.types import (
    ChatRequest,
    ChatResponse,
    Classification,
    Usage,
    UsageRecord,
)

log = logging.getLogger(__name__)

DEMO_SAMPLE_RATE = 0.2
MAX_IN_FLIGHT = 4
ANSWER_CHARS = 20_000  # of each answer kept with the result
AUDIT_TASK = "audit"
JUDGE_OVERHEAD_TOKENS = 400  # the rubric and framing around the question and answers
AUTO = ("auto", "auto:cheapest", "auto:balanced", "auto:best")
TOOL_CALL_MARK = "\n[tool call] "  # how a tool call in an answer is written out for the judge

Ask = Callable[[ChatRequest, ModelSpec], Awaitable[ChatResponse]]


class AuditHost(Protocol):
    """What the auditor reads from the engine (which satisfies this as it is)."""

    @property
    def registry(self) -> Registry: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def demo(self) -> bool: ...

    baseline: ModelSpec | None
    spend: SpendTracker

    def usable_providers(self) -> list[str]: ...
    def clean(self, text: str) -> str: ...
    async def ask(self, req: ChatRequest, model: ModelSpec) -> ChatResponse: ...


# --- which requests ----------------------------------------------------------------------


def uses_tools(req: ChatRequest) -> bool:
    """Tool results in the conversation, or a tool call forced by tool_choice."""
    choice = req.tool_choice
    if choice is not None and choice.mode in ("required", "tool"):
        return True
    return any(m.role == "tool" for m in req.messages)


def skip_reason(
    req: ChatRequest, rec: UsageRecord, settings: Settings, baseline: ModelSpec | None
) -> str | None:
    """Why this request is not audited, or None when it may be (before sampling, cap, budget)."""
    if req.model.lower() not in AUTO:
        return "not an auto request"
    if baseline is None:
        return "no baseline model"
    if rec.status != "ok" or not rec.model_id:
        return "the request failed"
    if rec.model_id == baseline.id:
        return "the baseline model answered"
    if not settings.audit.include_tool_requests and uses_tools(req):
        return "tool results or a forced tool call"
    return None


def choose_judge(
    registry: Registry,
    settings: Settings,
    usable: Collection[str],
    routed_id: str,
    baseline: ModelSpec,
) -> tuple[ModelSpec | None, str]:
    """The judge model and why (or None and why not).

    The user's choice if set; else the strongest usable model that wrote
    neither answer; else the baseline itself.
    """
    wanted = settings.audit.judge_model.strip()
    if wanted:
        m = registry.resolve(wanted)
        if m is None:
            return None, f"judge model {wanted!r} is not in the registry"
        if not m.enabled or m.provider not in usable:
            return None, f"judge model {m.id} is disabled or its provider has no key"
        return m, f"{m.id} (set in settings)"
    pool = [
        m
        for m in registry.enabled()
        if m.provider in usable and m.id not in (routed_id, baseline.id)
    ]
    best = most_capable(pool)
    if best is not None:
        return best, f"{best.id} (strongest usable model that did not answer)"
    return baseline, f"{baseline.id} (the baseline: no other usable model)"


def answer_text(resp: ChatResponse) -> str:
    """What the judge compares: the text, with any tool calls written out."""
    calls = "".join(f"{TOOL_CALL_MARK}{c.name}({c.arguments})" for c in resp.tool_calls)
    return ((resp.content or "") + calls).strip()


def conversation_text(req: ChatRequest) -> str:
    """The conversation as the judge reads it: each turn labelled by role."""
    lines = []
    for m in req.messages:
        text = m.text()
        if m.tool_calls:
            text += "".join(f"\n[tool call] {c.name}({c.arguments})" for c in m.tool_calls)
        if m.has_image():
            text += "\n[image]"
        lines.append(f"{m.role.upper()}: {text}")
    return "\n\n".join(lines)


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditResult:
    """One finished audit, as stored (storage/audits.py) and shown (Requests page, report)."""

    request_id: str  # the audited request
    started_at: float
    demo: bool
    task: str
    routed_model: str
    baseline_model: str
    judge_model: str
    verdict: Verdict | None  # None: the audit failed, see `error`
    first: Verdict | None = None  # routed answer shown first (as A)
    second: Verdict | None = None  # routed answer shown second (as B)
    reason: str = ""  # the judge's reason in the first order
    reason_swapped: str = ""
    routed_answer: str = ""
    baseline_answer: str = ""
    error: str = ""
    cost: float = 0.0  # USD, every audit call (simulated in demo mode)


@dataclass(slots=True)
class _Job:
    req: ChatRequest
    rec: UsageRecord
    answer: str
    baseline: ModelSpec
    estimate: float
    demo: bool
    calls: list[UsageRecord] = field(default_factory=list)


def audit_usage_record(job: _Job, role: str, model: ModelSpec, usage: Usage, cost: float,
                       latency_ms: float, error: str = "") -> UsageRecord:  # fmt: skip
    """The usage-log row of one audit call: task ``audit``, no baseline cost (pure overhead)."""
    parent = job.rec.request_id
    return UsageRecord(
        request_id=f"{parent}.audit-{role}",
        started_at=time.time(),
        client=job.rec.client,
        inbound=job.rec.inbound,
        requested_model=model.id,
        strategy="",
        task=AUDIT_TASK,
        confidence=0.0,
        complexity=0.0,
        tier=AUDIT_TASK,
        model_id=model.id,
        provider=model.provider,
        usage=usage,
        cost=cost,
        baseline_cost=0.0,
        latency_ms=latency_ms,
        status="error" if error else "ok",
        status_code=200 if not error else 502,
        error=error,
        demo=job.demo,
        classification=Classification(
            task=AUDIT_TASK,
            confidence=0.0,
            complexity=0.0,
            signals=[f"audit of {parent} ({job.rec.task}, {job.rec.model_id}): {role}"],
        ),
    )


class _CallFailed(Exception):
    """An audit call failed; the message is the short reason (keys already scrubbed upstream)."""


class Auditor:
    """Samples, runs and records audits for the engine; see the module docstring."""

    def __init__(
        self,
        host: AuditHost,
        *,
        on_call: Callable[[UsageRecord], None],
        on_result: Callable[[AuditResult], Awaitable[None]],
        price: Callable[[ModelSpec, Usage], float] = cost_usd,
        rng: Callable[[], float] = random.random,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self.host = host
        self._on_call = on_call
        self._on_result = on_result
        self._price = price
        self._rng = rng
        self._max_in_flight = max_in_flight
        self._spend = SpendTracker()  # real audit spend today (the cap)
        self._reserved = 0.0  # estimates of audits still running
        self._tasks: set[asyncio.Task[None]] = set()
        self.last_skip = ""  # why the last eligible-looking request was not audited (status line)

    def seed_spend(self, today: float) -> None:
        """Start from today's audit spend in the usage log."""
        self._spend.seed(today, today)

    @property
    def spent_today(self) -> float:
        return self._spend.totals().today

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    # -- sampling ---------------------------------------------------------------------------

    def wants(self, req: ChatRequest, rec: UsageRecord) -> bool:
        """Whether to audit this answered request (cheap: the engine asks on every request)."""
        host = self.host
        settings = host.settings
        demo = host.demo
        if not (settings.audit.enabled or demo):
            return False
        rate = (
            DEMO_SAMPLE_RATE if demo and not settings.audit.enabled else settings.audit.sample_rate
        )
        if rate <= 0 or skip_reason(req, rec, settings, host.baseline) is not None:
            return False
        if self._rng() >= rate:
            return False
        return self._allowed(req, rec, demo) is None

    def _allowed(self, req: ChatRequest, rec: UsageRecord, demo: bool) -> str | None:
        if len(self._tasks) >= self._max_in_flight:
            return self._skip(f"{len(self._tasks)} audits already running")
        if demo:
            return None
        settings = self.host.settings
        state = budget_status(settings.budgets, self.host.spend.totals()).state
        if state in ("near", "at_limit"):
            return self._skip("a budget is near its limit")
        baseline = self.host.baseline
        assert baseline is not None
        cap = settings.audit.daily_cap_usd
        if self.spent_today + self._reserved + self.estimate(req, rec, baseline) > cap:
            return self._skip(f"today's audit cap (${cap:.2f}) is reached")
        return None

    def _skip(self, why: str) -> str:
        self.last_skip = why
        return why

    def estimate(self, req: ChatRequest, rec: UsageRecord, baseline: ModelSpec) -> float:
        """List-price USD of one audit: the baseline answer and two judge calls (judge ~ baseline)."""
        prompt = (
            rec.decision.est_prompt_tokens
            if rec.decision is not None and rec.decision.est_prompt_tokens
            else estimate_prompt_tokens(req)
        )
        out = max(rec.usage.output_tokens, 200)
        answer = self._price(baseline, Usage(input_tokens=prompt, output_tokens=out))
        judge_in = prompt + 2 * out + JUDGE_OVERHEAD_TOKENS
        return answer + 2 * self._price(baseline, Usage(input_tokens=judge_in, output_tokens=100))

    # -- running ------------------------------------------------------------------------------

    def submit(self, req: ChatRequest, rec: UsageRecord, answer: str, tool_calls: bool) -> None:
        """Start the audit of a request `wants` picked; returns at once.

        An answer that is a tool call is not comparable text: skipped unless allowed.
        """
        baseline = self.host.baseline
        if baseline is None:
            return
        if tool_calls and not self.host.settings.audit.include_tool_requests:
            self._skip("the answer is a tool call")
            return
        demo = self.host.demo
        job = _Job(req, rec, answer[:ANSWER_CHARS], baseline, 0.0, demo)
        if not demo:
            job.estimate = self.estimate(req, rec, baseline)
            self._reserved += job.estimate
        task = asyncio.get_running_loop().create_task(
            self._run(job), name=f"audit-{rec.request_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: _Job) -> None:
        try:
            delay = self.host.settings.audit.delay_s
            if delay:
                await asyncio.sleep(delay)
            result = await self._audit(job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an audit must never take anything else down
            log.exception("audit of %s failed", job.rec.request_id)
            result = self._result(job, None, error=f"internal error: {type(exc).__name__}")
        finally:
            self._reserved = max(0.0, self._reserved - job.estimate)
        try:
            await self._on_result(result)
        except Exception:
            log.exception("storing the audit of %s failed", job.rec.request_id)

    async def _audit(self, job: _Job) -> AuditResult:
        host, rec = self.host, job.rec
        base_req = replace(job.req, model=job.baseline.id, stream=False, include_usage=False)
        try:
            base_resp = await self._call(job, "baseline", base_req, job.baseline)
        except _CallFailed as exc:
            return self._result(job, None, error=f"baseline call failed: {exc}")
        base_answer = answer_text(base_resp)[:ANSWER_CHARS]
        judge, why = choose_judge(
            host.registry, host.settings, host.usable_providers(), rec.model_id, job.baseline
        )
        if judge is None:
            return self._result(job, None, baseline_answer=base_answer, error=why)
        question = conversation_text(job.req)
        judged: list[Judgement] = []
        # One order after the other: if the first answer is unusable the second is not paid for.
        for i, (a, b) in enumerate(((job.answer, base_answer), (base_answer, job.answer))):
            try:
                judged.append(
                    await self._judge(
                        job, f"judge-{i + 1}", judge_request(question, a, b, judge), judge
                    )
                )
            except _CallFailed as exc:
                return self._result(
                    job, None, baseline_answer=base_answer, judge=judge.id, error=f"judge: {exc}"
                )
        first, second = routed_side(judged[0], True), routed_side(judged[1], False)
        return self._result(
            job, combine(first, second), baseline_answer=base_answer, judge=judge.id,
            first=first, second=second, reason=judged[0].reason, reason_swapped=judged[1].reason,
        )  # fmt: skip

    async def _judge(self, job: _Job, role: str, req: ChatRequest, judge: ModelSpec) -> Judgement:
        resp = await self._call(job, role, req, judge)
        if resp.finish_reason == "content_filter":
            raise _CallFailed(f"{role} refused (content filter)")
        try:
            return parse_judgement(resp.content)
        except MalformedJudgement as exc:
            raise _CallFailed(f"{role} answer unusable: {exc}") from None

    async def _call(self, job: _Job, role: str, req: ChatRequest, model: ModelSpec) -> ChatResponse:
        """One audit call, reported as its usage row whatever happens."""
        t0 = time.perf_counter()
        usage, error = Usage(), ""
        try:
            if job.demo and role.startswith("judge"):
                resp = demo_judge_answer(req, self.host.registry)
            else:
                resp = await self.host.ask(req, model)
            usage = resp.usage
            return resp
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = self.host.clean(f"{type(exc).__name__}: {getattr(exc, 'message', exc)}")[:300]
            raise _CallFailed(error) from None
        finally:
            cost = self._price(model, usage) if usage.input_tokens or usage.output_tokens else 0.0
            row = audit_usage_record(
                job, role, model, usage, cost, (time.perf_counter() - t0) * 1000, error
            )
            job.calls.append(row)
            if not job.demo:
                self._spend.add(cost)
            try:
                self._on_call(row)
            except Exception:
                log.exception("recording an audit call failed")

    def _result(self, job: _Job, verdict: Verdict | None, *, baseline_answer: str = "",
                judge: str = "", first: Verdict | None = None, second: Verdict | None = None,
                reason: str = "", reason_swapped: str = "", error: str = "") -> AuditResult:  # fmt: skip
        rec = job.rec
        return AuditResult(
            request_id=rec.request_id,
            started_at=rec.started_at,
            demo=job.demo,
            task=rec.task,
            routed_model=rec.model_id,
            baseline_model=job.baseline.id,
            judge_model=judge,
            verdict=verdict,
            first=first,
            second=second,
            reason=reason,
            reason_swapped=reason_swapped,
            routed_answer=job.answer,
            baseline_answer=baseline_answer,
            error=error,
            cost=sum(c.cost for c in job.calls),
        )

    # -- lifecycle ----------------------------------------------------------------------------

    async def drain(self) -> None:
        """Wait for every running audit (tests, orderly shutdown)."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    async def aclose(self) -> None:
        """Cancel running audits (calls already made stay recorded)."""
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
