"""The auditor: which requests are sampled, the three calls and their usage rows, failures, the cap."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from routerdesk.core.audit import AUDIT_TASK, DEMO_SAMPLE_RATE, Auditor, AuditResult, choose_judge
from routerdesk.core.budget import SpendTracker
from routerdesk.core.errors import ConfigError, UpstreamServerError
from routerdesk.core.registry import ModelSpec, Prices, Registry
from routerdesk.core.settings import Settings
from routerdesk.core.settings_file import load_settings
from routerdesk.core.types import (
    TASKS,
    ChatRequest,
    ChatResponse,
    Message,
    TextPart,
    ToolChoice,
    Usage,
    UsageRecord,
)


def spec(model_id: str, provider: str, price: float, score: int) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        provider=provider,
        name=model_id,
        prices=Prices(input=price, output=price * 4),
        context_window=100_000,
        max_output_tokens=8_000,
        features=frozenset({"streaming", "json"}),
        capabilities={t: score for t in TASKS},
    )


REGISTRY = Registry(
    [
        spec("mini", "openai", 0.1, 3),
        spec("judge", "anthropic", 3.0, 4),
        spec("big", "google", 10.0, 5),
    ]
)
ROUTED_ANSWER = "Paris is the capital of France."
BASE_ANSWER = "The capital of France is Paris."

Judge = Callable[[str, str], str | Exception | ChatResponse]


class Host:
    """What the auditor reads from the engine; `judge(answer_a, answer_b)` scripts the judge."""

    def __init__(self, judge: Judge, *, demo: bool = False, **audit: Any) -> None:
        self.registry = REGISTRY
        self.settings = Settings()
        self.settings.audit.enabled = True
        self.settings.audit.sample_rate = 1.0
        self.settings.audit.delay_s = 0.0
        for k, v in audit.items():
            setattr(self.settings.audit, k, v)
        self.demo = demo
        self.baseline: ModelSpec | None = REGISTRY["big"]
        self.spend = SpendTracker()
        self.judge = judge
        self.baseline_reply: str | Exception = BASE_ANSWER
        self.asked: list[tuple[str, ChatRequest]] = []

    def usable_providers(self) -> list[str]:
        return ["openai", "anthropic", "google"]

    def clean(self, text: str) -> str:
        return text.replace("sk-secret", "[key]")

    async def ask(self, req: ChatRequest, model: ModelSpec) -> ChatResponse:
        self.asked.append((model.id, req))
        if model.id == "big" and req.client != "routerdesk-audit":
            reply: Any = self.baseline_reply
        else:
            user = req.messages[-1].text()
            a = user.split("[The Start of Assistant A's Answer]\n")[1].split("\n[The End")[0]
            b = user.split("[The Start of Assistant B's Answer]\n")[1].split("\n[The End")[0]
            reply = self.judge(a, b)
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, ChatResponse):
            return reply
        return ChatResponse(id="x", model=model.id, content=reply, usage=Usage(1000, 100))


def request(**kw: Any) -> ChatRequest:
    return ChatRequest(
        messages=[Message("user", [TextPart("What is the capital of France?")])], **kw
    )


def record(model_id: str = "mini", rid: str = "rd-1") -> UsageRecord:
    return UsageRecord(
        request_id=rid, started_at=1.0, client="test", inbound="openai", requested_model="auto",
        strategy="balanced", task="simple_qa", confidence=0.9, complexity=0.1, tier="l1",
        model_id=model_id, provider="openai", usage=Usage(20, 30),
    )  # fmt: skip


def routed_wins(a: str, b: str) -> str:
    """A judge that prefers the routed answer whichever position it is in."""
    return '{"winner": "%s", "reason": "more direct"}' % ("A" if a == ROUTED_ANSWER else "B")


async def run_audit(host: Host, req: ChatRequest | None = None, rec: UsageRecord | None = None
                    ) -> tuple[list[UsageRecord], list[AuditResult], Auditor]:  # fmt: skip
    calls: list[UsageRecord] = []
    results: list[AuditResult] = []

    async def store(r: AuditResult) -> None:
        results.append(r)

    auditor = Auditor(host, on_call=calls.append, on_result=store)
    req, rec = req or request(), rec or record()
    if auditor.wants(req, rec):
        auditor.submit(req, rec, ROUTED_ANSWER, False)
    await auditor.drain()
    return calls, results, auditor


async def test_an_audit_asks_the_baseline_then_the_judge_in_both_orders() -> None:
    host = Host(routed_wins)
    calls, (result,), _ = await run_audit(host)
    assert [m for m, _ in host.asked] == ["big", "judge", "judge"]
    base_req = host.asked[0][1]
    assert base_req.model == "big" and not base_req.stream
    assert base_req.messages == request().messages  # the same request
    first, second = (r.messages[-1].text() for _, r in host.asked[1:])
    assert first.index(ROUTED_ANSWER) < first.index(BASE_ANSWER)
    assert second.index(BASE_ANSWER) < second.index(ROUTED_ANSWER)
    assert (result.first, result.second, result.verdict) == ("better", "better", "better")
    assert result.reason == "more direct" and result.judge_model == "judge"
    assert (result.routed_answer, result.baseline_answer) == (ROUTED_ANSWER, BASE_ANSWER)
    assert (result.task, result.routed_model, result.baseline_model) == ("simple_qa", "mini", "big")
    # every call is its own usage row linked to the request, task "audit", costed
    assert [c.request_id for c in calls] == [
        "rd-1.audit-baseline", "rd-1.audit-judge-1", "rd-1.audit-judge-2",
    ]  # fmt: skip
    assert {c.task for c in calls} == {AUDIT_TASK}
    assert all(c.cost > 0 and c.baseline_cost == 0 and c.status == "ok" for c in calls)
    assert result.cost == pytest.approx(sum(c.cost for c in calls))


async def test_a_judge_biased_to_position_a_gives_a_tie() -> None:
    _, (result,), _ = await run_audit(Host(lambda a, b: '{"winner": "A", "reason": "first"}'))
    assert (result.first, result.second, result.verdict) == ("better", "worse", "as_good")


async def test_both_orders_agreeing_on_the_baseline_is_worse() -> None:
    def baseline_wins(a: str, b: str) -> str:
        return '{"winner": "%s", "reason": "misses a part"}' % ("A" if a == BASE_ANSWER else "B")

    _, (result,), _ = await run_audit(Host(baseline_wins))
    assert result.verdict == "worse"


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("I cannot help with comparing these.", "no JSON object in"),
        ('{"winner": "A", "reason": "ok"', "no JSON object"),
        ('{"winner": "maybe"}', "'winner' must be A, B or tie"),
        (
            ChatResponse(id="x", model="judge", content="", finish_reason="content_filter"),
            "refused (content filter)",
        ),
        (UpstreamServerError("judge down, key sk-secret", status=503), "judge down, key [key]"),
    ],
)
async def test_an_unusable_judge_answer_fails_the_audit_without_a_verdict(
    reply: str | Exception | ChatResponse, error: str
) -> None:
    host = Host(lambda a, b: reply)
    calls, (result,), _ = await run_audit(host)
    assert result.verdict is None and error in result.error
    assert result.baseline_answer == BASE_ANSWER
    # the second order is not asked (nor paid for) after an unusable first one
    assert [c.request_id.rsplit(".", 1)[1] for c in calls] == ["audit-baseline", "audit-judge-1"]
    assert "sk-secret" not in result.error + "".join(c.error for c in calls)


async def test_a_failed_baseline_call_fails_the_audit_and_is_logged() -> None:
    host = Host(routed_wins)
    host.baseline_reply = UpstreamServerError("overloaded", status=529)
    calls, (result,), _ = await run_audit(host)
    assert result.verdict is None and "baseline call failed" in result.error
    assert [c.status for c in calls] == ["error"] and calls[0].task == AUDIT_TASK


def test_only_auto_requests_answered_by_another_model_are_sampled() -> None:
    auditor = Auditor(Host(routed_wins), on_call=lambda r: None, on_result=_ignore)
    assert auditor.wants(request(), record())
    assert not auditor.wants(request(model="gpt-5"), record())  # explicit model
    assert not auditor.wants(request(), record(model_id="big"))  # the baseline answered
    failed = record()
    failed.status = "error"
    assert not auditor.wants(request(), failed)
    off = Host(routed_wins, enabled=False)
    assert not Auditor(off, on_call=lambda r: None, on_result=_ignore).wants(request(), record())


def test_tool_results_and_forced_tool_calls_are_skipped_unless_allowed() -> None:
    forced = request(tool_choice=ToolChoice("required"))
    with_result = ChatRequest(
        messages=[
            Message("user", [TextPart("weather?")]),
            Message("tool", [TextPart("sunny")], tool_call_id="c1"),
        ]
    )
    auditor = Auditor(Host(routed_wins), on_call=lambda r: None, on_result=_ignore)
    assert not auditor.wants(forced, record()) and not auditor.wants(with_result, record())
    allowed = Host(routed_wins, include_tool_requests=True)
    auditor = Auditor(allowed, on_call=lambda r: None, on_result=_ignore)
    assert auditor.wants(forced, record()) and auditor.wants(with_result, record())


def test_the_sample_rate_decides() -> None:
    draws = iter([0.01, 0.5, 0.019, 0.02])
    auditor = Auditor(
        Host(routed_wins, sample_rate=0.02), on_call=lambda r: None, on_result=_ignore,
        rng=lambda: next(draws),
    )  # fmt: skip
    assert [auditor.wants(request(), record()) for _ in range(4)] == [True, False, True, False]


def test_no_audits_while_a_budget_is_near_its_limit() -> None:
    host = Host(routed_wins)
    host.settings.budgets.daily_usd = 1.0
    host.spend.add(0.85)  # past step_down_at (0.8)
    auditor = Auditor(host, on_call=lambda r: None, on_result=_ignore)
    assert not auditor.wants(request(), record())
    assert auditor.last_skip == "a budget is near its limit"


async def test_audits_stop_at_the_daily_cap() -> None:
    host = Host(routed_wins, daily_cap_usd=0.05)
    calls: list[UsageRecord] = []
    auditor = Auditor(host, on_call=calls.append, on_result=_ignore)
    done = 0
    for i in range(20):
        rec = record(rid=f"rd-{i}")
        if auditor.wants(request(), rec):
            auditor.submit(request(), rec, ROUTED_ANSWER, False)
            await auditor.drain()
            done += 1
    spent = sum(c.cost for c in calls)
    assert 0 < done < 20
    assert spent <= 0.05 and auditor.spent_today == pytest.approx(spent)
    assert auditor.last_skip == "today's audit cap ($0.05) is reached"


async def test_running_audits_count_against_the_cap_and_the_in_flight_limit() -> None:
    gate = asyncio.Event()

    class Slow(Host):
        async def ask(self, req: ChatRequest, model: ModelSpec) -> ChatResponse:
            await gate.wait()
            return await super().ask(req, model)

    host = Slow(routed_wins)
    auditor = Auditor(host, on_call=lambda r: None, on_result=_ignore, max_in_flight=2)
    started = 0
    for i in range(5):
        rec = record(rid=f"rd-{i}")
        if auditor.wants(request(), rec):
            auditor.submit(request(), rec, ROUTED_ANSWER, False)
            started += 1
    assert started == 2 and auditor.in_flight == 2
    assert auditor.last_skip == "2 audits already running"
    gate.set()
    await auditor.drain()
    assert auditor.in_flight == 0


async def test_an_answer_that_is_a_tool_call_is_not_audited() -> None:
    host = Host(routed_wins)
    auditor = Auditor(host, on_call=lambda r: None, on_result=_ignore)
    auditor.submit(request(), record(), "[tool call] get_weather({})", True)
    await auditor.drain()
    assert host.asked == [] and auditor.last_skip == "the answer is a tool call"


async def test_demo_mode_audits_without_the_setting_with_the_demo_judge_and_no_real_spend() -> None:
    def never(a: str, b: str) -> str:
        raise AssertionError("demo audits never call a real judge")

    host = Host(never, demo=True, enabled=False)
    draws = iter([DEMO_SAMPLE_RATE - 0.01, DEMO_SAMPLE_RATE + 0.01])
    calls: list[UsageRecord] = []
    results: list[AuditResult] = []

    async def store(r: AuditResult) -> None:
        results.append(r)

    auditor = Auditor(host, on_call=calls.append, on_result=store, rng=lambda: next(draws))
    assert auditor.wants(request(), record()) and not auditor.wants(request(), record())
    auditor.submit(request(), record(), f"[demo] mini answering. {ROUTED_ANSWER}", False)
    await auditor.drain()
    (result,) = results
    assert result.demo and result.verdict in ("better", "as_good", "worse")
    assert all(c.demo for c in calls) and len(calls) == 3
    assert auditor.spent_today == 0.0  # simulated costs never count against the cap


def test_the_judge_is_the_strongest_usable_model_that_did_not_answer() -> None:
    s = Settings()
    big = REGISTRY["big"]
    judge, why = choose_judge(REGISTRY, s, ["openai", "anthropic", "google"], "mini", big)
    assert judge is not None and judge.id == "judge" and "strongest" in why
    judge, why = choose_judge(REGISTRY, s, ["openai", "google"], "mini", big)
    assert judge is big and "baseline" in why  # nobody else is usable
    s.audit.judge_model = "mini"
    judge, _ = choose_judge(REGISTRY, s, ["openai"], "mini", big)
    assert judge is not None and judge.id == "mini"
    s.audit.judge_model = "nope"
    judge, why = choose_judge(REGISTRY, s, ["openai"], "mini", big)
    assert judge is None and "not in the registry" in why


async def _ignore(result: AuditResult) -> None:
    return None


def test_audit_settings_load_from_settings_toml_and_bad_values_name_the_field(
    tmp_path: Path,
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[audit]\nenabled = true\nsample_rate = 0.05\ndaily_cap_usd = 2\n")
    audit = load_settings(path).audit
    assert (audit.enabled, audit.sample_rate, audit.daily_cap_usd) == (True, 0.05, 2.0)
    assert Settings().audit.enabled is False  # off by default
    assert (Settings().audit.sample_rate, Settings().audit.daily_cap_usd) == (0.02, 0.5)
    path.write_text("[audit]\nsample_rate = 1.5\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert err.value.field == "audit.sample_rate" and "settings.toml" in str(err.value)
    assert "1.5" in path.read_text()  # the bad file is left as it is
