"""Quality audits through the real server: fake upstreams answer for the routed model, the baseline
model and the judge; the client's answer is the same byte for byte with audits on."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import openai
import pytest

from fakes import Answer, FakeUsage, Fault
from routerdesk.runtime import Runtime
from storage.memory_keyring import MemoryKeyring, memory_keyring  # noqa: F401

from . import conftest
from .conftest import TOKEN, Served, make_settings

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]
ROUTED = "Paris."
BASELINE = "The capital of France is Paris."


def audits_on(s: Served, **audit: Any) -> None:
    engine = s.runtime.engine
    settings = engine.settings.model_copy(deep=True)
    settings.audit.enabled = True
    settings.audit.sample_rate = 1.0
    settings.audit.delay_s = 0.0
    for k, v in audit.items():
        setattr(settings.audit, k, v)
    engine.set_settings(settings)


def verdict(winner: str) -> Answer:
    return Answer(text=json.dumps({"winner": winner, "reason": "Both name Paris."}))


async def post(s: Served, **body: Any) -> httpx.Response:
    async with s.http() as http:
        return await http.post(
            "/v1/chat/completions", json={"model": "auto", "messages": MESSAGES, **body}
        )


def same_answer(a: httpx.Response, b: httpx.Response) -> bool:
    """Byte-identical but for what differs per request with or without audits: `created` (the
    second the request started) and, in streams, the id made from the request id."""

    def norm(r: httpx.Response) -> bytes:
        body = r.content.replace(r.headers["x-routerdesk-request-id"].encode(), b"<id>")
        return re.sub(rb'"created": ?\d+', b'"created":0', body)

    assert a.status_code == b.status_code == 200
    return norm(a) == norm(b)


async def settle(s: Served) -> None:
    assert s.runtime.auditor is not None
    await s.runtime.auditor.drain()
    assert s.runtime.usage is not None
    s.runtime.usage.flush()


async def test_client_answer_is_byte_identical_with_and_without_audits(served: Served) -> None:
    served.openai.push(Answer(text=ROUTED))
    plain = await post(served)
    audits_on(served)
    served.openai.push(Answer(text=ROUTED), Answer(text=BASELINE))
    served.anthropic.push(verdict("A"), verdict("B"))
    audited = await post(served)
    assert same_answer(audited, plain)
    assert audited.headers["x-routerdesk-model"] == "oa-mini"
    await settle(served)
    assert len(served.openai.requests) == 3  # routed, routed again, baseline
    assert served.openai.requests[2].json["model"] == "gpt-big"
    assert served.openai.requests[2].json["messages"] == served.openai.requests[1].json["messages"]
    assert len(served.anthropic.requests) == 2  # the judge, in both orders


async def test_anthropic_clients_get_the_same_bytes_too(served: Served) -> None:
    async def messages() -> httpx.Response:
        async with served.http() as http:
            body = {"model": "auto", "max_tokens": 256, "messages": MESSAGES}
            return await http.post("/v1/messages", json=body)

    served.openai.push(Answer(text=ROUTED))
    plain = await messages()
    audits_on(served)
    served.openai.push(Answer(text=ROUTED), Answer(text=BASELINE))
    served.anthropic.push(verdict("B"), verdict("A"))  # baseline better in both orders
    audited = await messages()
    assert same_answer(audited, plain)
    await settle(served)
    assert served.runtime.audits is not None
    result = served.runtime.audits.get(audited.headers["x-routerdesk-request-id"])
    assert result is not None and result.verdict == "worse"


async def test_streamed_answer_is_identical_and_its_text_is_audited(served: Served) -> None:
    body = {"stream": True}
    served.openai.push(Answer(text=ROUTED, pieces=3))
    plain = await post(served, **body)
    audits_on(served)
    served.openai.push(Answer(text=ROUTED, pieces=3), Answer(text=BASELINE))
    served.anthropic.push(verdict("A"), verdict("B"))
    audited = await post(served, **body)
    assert same_answer(audited, plain)
    await settle(served)
    rid = audited.headers["x-routerdesk-request-id"]
    assert served.runtime.audits is not None
    result = served.runtime.audits.get(rid)
    assert result is not None and result.routed_answer == ROUTED
    assert result.baseline_answer == BASELINE and result.verdict == "better"


async def test_audit_calls_are_logged_linked_and_counted_in_budgets(served: Served) -> None:
    audits_on(served)
    served.openai.push(
        Answer(text=ROUTED, usage=FakeUsage(20, 3)), Answer(text=BASELINE, usage=FakeUsage(20, 9))
    )
    served.anthropic.push(verdict("A"), verdict("A"))  # position bias: a tie
    resp = await openai.AsyncOpenAI(
        base_url=served.v1, api_key=TOKEN, max_retries=0
    ).chat.completions.with_raw_response.create(model="auto", messages=MESSAGES)  # type: ignore[arg-type]
    rid = resp.headers["x-routerdesk-request-id"]
    spent_before = served.runtime.engine.spend.totals().today
    await settle(served)
    rows = {r: served.row(f"{rid}.audit-{r}") for r in ("baseline", "judge-1", "judge-2")}
    assert {row["task"] for row in rows.values()} == {"audit"}
    assert rows["baseline"]["model_id"] == "oa-big" and rows["judge-1"]["model_id"] == "an-mini"
    audit_cost = sum(row["cost"] for row in rows.values())
    assert audit_cost > 0
    assert served.runtime.engine.spend.totals().today == pytest.approx(spent_before + audit_cost)
    assert served.row(rid)["task"] != "audit"  # the client's own row is untouched
    assert served.runtime.audits is not None
    result = served.runtime.audits.get(rid)
    assert result is not None
    assert (result.first, result.second, result.verdict) == ("better", "worse", "as_good")
    assert result.cost == pytest.approx(audit_cost)


async def test_malformed_judge_json_is_a_failed_audit_not_a_verdict(served: Served) -> None:
    audits_on(served)
    served.openai.push(Answer(text=ROUTED), Answer(text=BASELINE))
    served.anthropic.push(Answer(text="I'd rather not pick one."))
    resp = await post(served)
    assert resp.status_code == 200
    await settle(served)
    assert served.runtime.audits is not None
    result = served.runtime.audits.get(resp.headers["x-routerdesk-request-id"])
    assert result is not None and result.verdict is None and "no JSON object" in result.error
    assert len(served.anthropic.requests) == 1


async def test_a_judge_refusal_is_a_failed_audit(served: Served) -> None:
    audits_on(served)
    served.openai.push(Answer(text=ROUTED), Answer(text=BASELINE))
    served.anthropic.push(Answer(text="", finish="refusal"))  # Anthropic's stop_reason
    resp = await post(served)
    assert resp.status_code == 200
    await settle(served)
    assert served.runtime.audits is not None
    result = served.runtime.audits.get(resp.headers["x-routerdesk-request-id"])
    assert result is not None and result.verdict is None
    assert "refused (content filter)" in result.error
    judge_row = served.row(resp.headers["x-routerdesk-request-id"] + ".audit-judge-1")
    assert judge_row["model_id"] == "an-mini" and judge_row["task"] == "audit"


async def test_a_failing_or_hanging_audit_never_touches_the_clients_request(served: Served) -> None:
    served.openai.push(Answer(text=ROUTED))
    plain = await post(served)
    audits_on(served)
    served.openai.push(Answer(text=ROUTED), Fault(status=500))
    failed = await post(served)
    await settle(served)
    assert same_answer(failed, plain)
    served.openai.push(Answer(text=ROUTED), Fault.hang())
    hanging = await asyncio.wait_for(post(served), timeout=5)
    assert same_answer(hanging, plain)
    assert served.runtime.auditor is not None and served.runtime.auditor.in_flight == 1
    # the next request is not held up by the audit still waiting on the baseline
    served.openai.push(Answer(text=ROUTED))
    audits_on(served, sample_rate=0.0)
    assert same_answer(await asyncio.wait_for(post(served), timeout=5), plain)


async def test_explicit_models_and_forced_tool_calls_are_not_audited(served: Served) -> None:
    audits_on(served)
    served.openai.push(Answer(text=ROUTED))
    resp = await post(served, model="oa-mini")
    assert resp.status_code == 200
    await settle(served)
    assert len(served.openai.requests) == 1 and served.anthropic.requests == []


async def test_demo_mode_fills_the_audit_log_without_keys(
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    monkeypatch.setenv("ROUTERDESK_TOKEN", TOKEN)
    settings = make_settings("http://127.0.0.1:9", "http://127.0.0.1:9")
    settings.audit.enabled = True
    settings.audit.sample_rate = 1.0
    settings.audit.delay_s = 0.0
    rt = Runtime(
        demo=True, demo_latency_scale=0.0, settings=settings, registry=conftest.test_registry()
    )
    url = await rt.start("127.0.0.1", 0)
    try:
        sdk = openai.AsyncOpenAI(base_url=url + "/v1", api_key=TOKEN, max_retries=0)
        for i in range(6):
            await sdk.chat.completions.create(
                model="auto",
                messages=[{"role": "user", "content": f"Question number {i}: what is {i} + {i}?"}],
            )
        assert rt.auditor is not None and rt.audits is not None
        await rt.auditor.drain()
        results = rt.audits.results(demo=True)
        assert len(results) == 6 and rt.audits.results(demo=False) == []
        assert all(r.verdict in ("better", "as_good", "worse") for r in results)
        assert all(r.routed_answer.startswith("[demo] oa-mini") for r in results)
        assert all(r.baseline_answer.startswith("[demo] oa-big") for r in results)
        assert rt.engine.spend.totals().today == 0.0  # demo audits spend nothing
    finally:
        await rt.stop()


async def test_keys_in_answers_and_audit_errors_are_scrubbed_before_they_are_stored(
    served: Served,
) -> None:
    """audits.sqlite3 holds answer text: a key echoed in an answer (or in an audit call's error)
    goes through core.redact.scrub like every usage-log row."""
    audits_on(served)
    key = conftest.OPENAI_KEY
    served.openai.push(Answer(text=f"Paris. (key {key})"), Answer(text=f"Paris, with {key}."))
    served.anthropic.push(verdict("tie"), verdict("tie"))
    answered = await post(served)
    await settle(served)
    served.openai.push(Answer(text=ROUTED), Fault(status=500, message=f"bad request from {key}"))
    failed = await post(served)
    await settle(served)
    store = served.runtime.audits
    assert store is not None
    ok = store.get(answered.headers["x-routerdesk-request-id"])
    assert ok is not None and ok.verdict == "as_good"
    assert "[redacted]" in ok.routed_answer and "[redacted]" in ok.baseline_answer
    bad_id = failed.headers["x-routerdesk-request-id"]
    bad = store.get(bad_id)
    assert bad is not None and bad.verdict is None and bad.error.startswith("baseline call failed")
    assert served.row(f"{bad_id}.audit-baseline")["status"] == "error"
    for path in store.path.parent.glob(store.path.name + "*"):  # the file and its WAL
        assert key.encode() not in path.read_bytes(), path.name
    for rid in (answered, failed):
        row = served.row(rid.headers["x-routerdesk-request-id"] + ".audit-baseline")
        assert key not in json.dumps(row, default=str)
