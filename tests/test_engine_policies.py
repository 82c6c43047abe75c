"""Routing policies end to end: L2 (inline, deadline, malformed, shadow), pinning and budgets.

A real routerdesk server (Runtime, random port) in front of two fake
OpenAI-compatible upstreams: "openai" serves the routed models, "groq" serves
only the L2 classifier model (it scores too low to be routed to), so every
request a fake records is unambiguous. L1 is replaced by a scripted classifier
so confidence and complexity are chosen by the test, not by cue words.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anthropic
import httpx
import keyring
import openai
import pytest
from keyring.backends import null

from fakes import Answer, FakeOpenAI, FakeUsage, Fault
from routerdesk.core.events import REQUEST_FINISHED
from routerdesk.core.l2 import L2Classifier, agreement_from_rows
from routerdesk.core.registry import ModelSpec, Prices, Registry
from routerdesk.core.settings import ProviderSettings, Settings, Timeouts
from routerdesk.core.tokens import PromptShape
from routerdesk.core.types import TASKS, ChatRequest, Classification, UsageRecord
from routerdesk.runtime import Runtime

TOKEN = "rd-test-token-policies-0123456789"
FAST = Timeouts(connect=2.0, first_byte=5.0, idle=5.0, total=10.0)
VERDICT_CODE = '{"task": "code_generation", "complexity": 5}'


def model(model_id: str, provider: str, inp: float, score: int) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        provider=provider,
        name=f"{model_id}-upstream",
        prices=Prices(input=inp, output=inp * 4),
        context_window=128_000,
        max_output_tokens=8_000,
        features=frozenset({"streaming", "json", "tools"}),
        capabilities=dict.fromkeys(TASKS, score),
    )


REGISTRY = Registry(
    [
        model("nano", "groq", 0.05, 1),  # the cheapest JSON model: the classifier; never routed
        model("mini", "openai", 0.2, 3),  # balanced pick at low complexity
        model("pro", "openai", 5.0, 5),  # balanced pick at high complexity
    ]
)


class ScriptedL1:
    """L1 stand-in: "unsure" in the last user turn -> confidence 0.4; "hard" -> complexity 0.9."""

    def classify(self, req: ChatRequest, shape: PromptShape | None = None) -> Classification:
        text = req.last_user_text()
        return Classification(
            task="general",
            confidence=0.4 if "unsure" in text else 0.95,
            complexity=0.9 if "hard" in text else 0.1,
            signals=["scripted l1"],
            features={"user_chars": float(len(text)), "tools": 0.0, "images": 0.0},
        )


@dataclass
class Stack:
    runtime: Runtime
    url: str
    upstream: FakeOpenAI
    classifier: FakeOpenAI
    finished: list[UsageRecord] = field(default_factory=list)

    @property
    def l2(self) -> L2Classifier:
        l2 = self.runtime.engine.l2
        assert isinstance(l2, L2Classifier)
        return l2

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10.0
        )

    async def chat(self, *user_turns: str) -> httpx.Response:
        """OpenAI format; turns alternate user/assistant, starting and ending with a user turn."""
        messages = [
            {"role": "user" if i % 2 == 0 else "assistant", "content": t}
            for i, t in enumerate(user_turns)
        ]
        async with self.http() as client:
            return await client.post(
                "/v1/chat/completions", json={"model": "auto", "messages": messages}
            )

    async def message(self, text: str) -> httpx.Response:
        """Anthropic format."""
        async with self.http() as client:
            return await client.post(
                "/v1/messages",
                json={
                    "model": "auto",
                    "max_tokens": 256,
                    "messages": [{"role": "user", "content": text}],
                },
                headers={"anthropic-version": "2023-06-01"},
            )

    def row(self, request_id: str) -> dict[str, Any] | None:
        usage = self.runtime.usage
        assert usage is not None
        usage.flush()
        return usage.get(request_id)

    def rows(self) -> list[dict[str, Any]]:
        usage = self.runtime.usage
        assert usage is not None
        usage.flush()
        return list(usage.rows())


@pytest.fixture(autouse=True)
def no_keyring() -> Any:
    """Keys come from the environment only; the host's keyring is never read."""
    previous = keyring.get_keyring()
    keyring.set_keyring(null.Keyring())
    yield
    keyring.set_keyring(previous)


@asynccontextmanager
async def stack(
    monkeypatch: pytest.MonkeyPatch, configure: Callable[[Settings], None] = lambda s: None
) -> AsyncIterator[Stack]:
    monkeypatch.setenv("ROUTERDESK_TOKEN", TOKEN)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai-0123456789")
    monkeypatch.setenv("GROQ_API_KEY", "gsk_test0123456789")
    async with FakeOpenAI() as upstream, FakeOpenAI() as classifier:
        settings = Settings()
        settings.routing.strategy = "balanced"
        settings.routing.pinning = False
        settings.providers = {
            "openai": ProviderSettings(base_url=upstream.base_url, timeouts=FAST),
            "groq": ProviderSettings(base_url=classifier.base_url, timeouts=FAST),
        }
        configure(settings)
        rt = Runtime(settings=settings, registry=REGISTRY)
        url = await rt.start("127.0.0.1", 0)
        rt.engine.classifier = ScriptedL1()
        s = Stack(rt, url, upstream, classifier)
        rt.events.subscribe(REQUEST_FINISHED, s.finished.append)
        try:
            yield s
        finally:
            if isinstance(rt.engine.l2, L2Classifier):
                await rt.engine.l2.aclose()  # a classifier call left hanging by the test
            await rt.stop()


def rid(resp: httpx.Response) -> str:
    return resp.headers["x-routerdesk-request-id"]


# --- L2 -----------------------------------------------------------------------------------


async def test_low_confidence_asks_the_classifier_and_routes_on_its_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with stack(monkeypatch) as s:
        s.classifier.push(Answer(text=VERDICT_CODE, usage=FakeUsage(input=400, output=12)))
        resp = await s.chat("unsure: make the importer faster")
        assert resp.status_code == 200
        assert resp.headers["x-routerdesk-model"] == "pro"  # complexity 5/5 -> target score 5
        assert resp.headers["x-routerdesk-task"] == "code_generation"
        [sent] = s.classifier.requests
        assert sent.json["model"] == "nano-upstream"
        assert sent.json["response_format"] == {"type": "json_object"}
        assert "make the importer faster" in sent.json["messages"][-1]["content"]
        row = s.row(rid(resp))
        assert row is not None and row["tier"] == "l2"
        assert any(sig.startswith("l1 said general (0.40)") for sig in row["signals"])
        # The classifier call has its own row, priced, and counted in today's spend.
        l2 = s.row(rid(resp) + ".l2")
        assert l2 is not None and l2["task"] == "l2" and l2["model_id"] == "nano"
        assert l2["cost"] == pytest.approx((400 * 0.05 + 12 * 0.2) / 1e6)
        assert s.runtime.engine.spend.totals().today == pytest.approx(row["cost"] + l2["cost"])


async def test_confident_requests_never_reach_the_classifier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with stack(monkeypatch) as s:
        resp = await s.chat("what is 2 + 2?")
        assert resp.status_code == 200 and resp.headers["x-routerdesk-model"] == "mini"
        assert s.classifier.requests == []


async def test_deadline_expiry_falls_back_to_l1(monkeypatch: pytest.MonkeyPatch) -> None:
    def short_deadline(settings: Settings) -> None:
        settings.routing.l2.deadline_s = 0.05

    async with stack(monkeypatch, short_deadline) as s:
        s.classifier.push(Fault.hang())
        resp = await s.chat("unsure: make the importer faster")
        assert resp.status_code == 200 and resp.headers["x-routerdesk-model"] == "mini"
        row = s.row(rid(resp))
        assert row is not None and row["tier"] == "l1" and row["task"] == "general"
        assert "l2 missed its 0.05 s deadline (nano); kept l1" in row["signals"]
        assert len(s.classifier.requests) == 1 and s.l2.in_flight == 1


async def test_malformed_classifier_json_falls_back_to_l1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with stack(monkeypatch) as s:
        s.classifier.push(Answer(text="Looks like code to me.", usage=FakeUsage(300, 6)))
        resp = await s.chat("unsure: make the importer faster")
        assert resp.status_code == 200 and resp.headers["x-routerdesk-model"] == "mini"
        row = s.row(rid(resp))
        assert row is not None and row["tier"] == "l1"
        assert any(
            sig.startswith("l2 failed (nano): malformed answer: no JSON object")
            for sig in row["signals"]
        )
        l2 = s.row(rid(resp) + ".l2")  # the tokens were paid for all the same
        assert l2 is not None and l2["status"] == "error" and l2["cost"] > 0


async def test_shadow_mode_never_waits_for_the_classifier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def shadow(settings: Settings) -> None:
        settings.routing.l2.mode = "shadow"
        settings.routing.l2.deadline_s = 30.0

    async with stack(monkeypatch, shadow) as s:
        s.classifier.push(Fault.hang())  # the classifier never answers
        resp = await s.chat("unsure: make the importer faster")
        # The request finished (and was recorded) while the classifier call is still open.
        assert resp.status_code == 200 and resp.headers["x-routerdesk-model"] == "mini"
        assert [r.request_id for r in s.finished] == [rid(resp)]
        assert s.l2.in_flight == 1
        row = s.row(rid(resp))
        assert row is not None and row["tier"] == "l1"
        assert "l2 shadow: asked nano; its verdict is recorded when it arrives" in row["signals"]


async def test_shadow_verdict_is_recorded_beside_l1_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def shadow(settings: Settings) -> None:
        settings.routing.l2.mode = "shadow"

    async with stack(monkeypatch, shadow) as s:
        s.classifier.push(Answer(text=VERDICT_CODE))
        resp = await s.chat("unsure: make the importer faster")
        assert resp.headers["x-routerdesk-model"] == "mini"  # L1 routed it
        await s.l2.drain()
        l2 = s.row(rid(resp) + ".l2")
        assert l2 is not None and l2["tier"] == "l2"
        assert "l2 verdict: code_generation, complexity 5/5" in l2["signals"]
        assert "l1 verdict: general (0.40), complexity 0.10" in l2["signals"]
        agreement = agreement_from_rows(s.rows())
        assert (agreement.compared, agreement.agreed) == (1, 0)
        assert s.l2.agreement().confusions == {("general", "code_generation"): 1}


# --- pinning --------------------------------------------------------------------------------


async def test_turn_two_stays_on_turn_one_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def pinning(settings: Settings) -> None:
        settings.routing.pinning = True

    async with stack(monkeypatch, pinning) as s:
        first = await s.chat("a hard question about lock-free queues")
        assert first.headers["x-routerdesk-model"] == "pro"
        second = await s.chat("a hard question about lock-free queues", "Here is how...", "thanks")
        assert second.headers["x-routerdesk-model"] == "pro"  # alone it would go to mini
        row = s.row(rid(second))
        assert row is not None
        assert any(
            n.startswith("pinned to pro (conversation ") and n.endswith(", turn 2)")
            for n in row["decision_notes"]
        )
        other = await s.chat("a different conversation")
        assert other.headers["x-routerdesk-model"] == "mini"


# --- budgets -------------------------------------------------------------------------------


def daily_budget(settings: Settings) -> None:
    settings.budgets.daily_usd = 1.0


async def test_budget_step_down_in_both_formats(monkeypatch: pytest.MonkeyPatch) -> None:
    async with stack(monkeypatch, daily_budget) as s:
        s.runtime.engine.spend.seed(today=0.85, month=0.85)
        for resp in (await s.chat("a hard one"), await s.message("a hard one")):
            assert resp.status_code == 200, resp.text
            assert resp.headers["x-routerdesk-strategy"] == "cheapest"
            assert resp.headers["x-routerdesk-model"] == "mini"  # balanced would pick pro
            row = s.row(rid(resp))
            assert row is not None
            assert (
                "budget step-down: balanced -> cheapest ($0.85 of $1.00 today (85%))"
                in (row["decision_notes"])
            )


async def test_budget_limit_error_in_both_formats(monkeypatch: pytest.MonkeyPatch) -> None:
    async with stack(monkeypatch, daily_budget) as s:
        s.runtime.engine.spend.seed(today=1.02, month=1.02)
        oa = await s.chat("hello")
        assert oa.status_code == 429
        err = oa.json()["error"]
        assert err["type"] == "budget_exceeded" and err["code"] == "budget_exceeded"
        assert err["message"].startswith("Daily budget reached: spent $1.02 of $1.00.")
        assert "Settings → Budgets" in err["message"]
        an = await s.message("hello")
        assert an.status_code == 429
        body = an.json()
        assert body["type"] == "error" and body["error"]["type"] == "rate_limit_error"
        assert body["error"]["message"].startswith("Daily budget reached")
        assert s.upstream.requests == [] and s.classifier.requests == []
        assert [r.status_code for r in s.finished] == [429, 429]
        assert oa.headers["x-should-retry"] == "false"


async def test_budget_limit_is_not_retried_by_the_sdks(monkeypatch: pytest.MonkeyPatch) -> None:
    """429 would make the SDKs back off and retry; `x-should-retry: false` stops them."""
    async with stack(monkeypatch, daily_budget) as s:
        s.runtime.engine.spend.seed(today=1.02, month=1.02)
        oa_client = openai.AsyncOpenAI(base_url=s.url + "/v1", api_key=TOKEN, max_retries=2)
        with pytest.raises(openai.RateLimitError, match="Daily budget reached"):
            await oa_client.chat.completions.create(
                model="auto", messages=[{"role": "user", "content": "hello"}]
            )
        an_client = anthropic.AsyncAnthropic(base_url=s.url, api_key=TOKEN, max_retries=2)
        with pytest.raises(anthropic.RateLimitError, match="Daily budget reached"):
            await an_client.messages.create(
                model="auto", max_tokens=10, messages=[{"role": "user", "content": "hello"}]
            )
        await oa_client.close()
        await an_client.close()
        assert len(s.finished) == 2  # one request each: neither SDK retried


async def test_budget_local_only_without_local_models_explains(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def local_only(settings: Settings) -> None:
        daily_budget(settings)
        settings.budgets.at_limit = "local_only"

    async with stack(monkeypatch, local_only) as s:
        s.runtime.engine.spend.seed(today=1.5, month=1.5)
        resp = await s.chat("hello")
        assert resp.status_code == 429
        message = resp.json()["error"]["message"]
        assert "No free or local model can answer this request." in message
        assert 'at_limit = "local_only"' not in message
