"""Person tokens on the real server, through the official openai and anthropic SDKs."""

from __future__ import annotations

import anthropic
import openai
import pytest

from routerdesk.storage.paths import people_db_path
from routerdesk.storage.people import PersonTokens

from .conftest import TOKEN, Served

HELLO = [{"role": "user", "content": "Say hello"}]


def oa(s: Served, key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=s.v1, api_key=key, max_retries=0)


def an(s: Served, key: str) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=s.url, api_key=key, max_retries=0)


async def _ask(s: Served, key: str) -> str:
    raw = await oa(s, key).chat.completions.with_raw_response.create(model="auto", messages=HELLO)  # type: ignore[arg-type]
    return raw.headers["x-routerdesk-request-id"]


async def test_person_token_is_accepted_and_attributed(served: Served) -> None:
    token = PersonTokens(people_db_path()).create("alice")
    rid = await _ask(served, token)
    assert served.row(rid)["person"] == "alice"
    msg = await an(served, token).messages.with_raw_response.create(
        model="auto",
        max_tokens=50,
        messages=HELLO,  # type: ignore[arg-type]
    )
    assert served.row(msg.headers["x-routerdesk-request-id"])["person"] == "alice"
    # the local token still works and is nobody's
    assert served.row(await _ask(served, TOKEN))["person"] is None
    usage = served.runtime.usage
    assert usage is not None
    by_person = {t.key: t.requests for t in usage.totals("person")}
    assert by_person == {"alice": 2, "": 1}


async def test_unknown_and_revoked_tokens_get_401_in_each_format(served: Served) -> None:
    people = PersonTokens(people_db_path())
    token = people.create("bob")
    await _ask(served, token)  # the server has loaded the table
    with pytest.raises(openai.AuthenticationError) as e:
        await _ask(served, "rdp_" + "x" * 43)
    assert e.value.status_code == 401 and "access token" in e.value.message
    assert people.revoke("bob")
    with pytest.raises(openai.AuthenticationError) as e:
        await _ask(served, token)
    body = e.value.body
    assert isinstance(body, dict) and body["code"] == "token_revoked"
    assert "issued to 'bob'" in body["message"] and "revoked" in body["message"]
    with pytest.raises(anthropic.AuthenticationError) as ea:
        await an(served, token).messages.create(model="auto", max_tokens=50, messages=HELLO)  # type: ignore[arg-type]
    assert ea.value.body == {
        "type": "error",
        "error": {"type": "authentication_error", "message": body["message"]},
    }


async def test_daily_budget_refuses_in_each_format_and_only_that_person(served: Served) -> None:
    people = PersonTokens(people_db_path())
    tight = people.create("carol", budget_daily_usd=1e-9)
    free = people.create("dave", budget_daily_usd=100.0)
    rid = await _ask(served, tight)  # under the limit before it: answered, and it costs
    assert served.row(rid)["cost"] > 1e-9
    with pytest.raises(openai.RateLimitError) as e:
        await _ask(served, tight)
    body = e.value.body
    assert isinstance(body, dict) and body["code"] == "budget_exceeded"
    assert "Daily budget for 'carol' reached" in body["message"]
    assert e.value.response.headers["x-should-retry"] == "false"
    with pytest.raises(anthropic.RateLimitError) as ea:
        await an(served, tight).messages.create(model="auto", max_tokens=50, messages=HELLO)  # type: ignore[arg-type]
    assert isinstance(ea.value.body, dict)
    assert ea.value.body["error"]["type"] == "rate_limit_error"
    assert "Daily budget for 'carol' reached" in ea.value.body["error"]["message"]
    # the refusals are logged as carol's errors; others are not affected
    usage = served.runtime.usage
    assert usage is not None
    usage.flush()
    carol = {t.key: t for t in usage.totals("person")}["carol"]
    assert (carol.requests, carol.errors) == (3, 2)
    await _ask(served, free)
    await _ask(served, TOKEN)


async def test_budget_raised_while_running_takes_effect(served: Served) -> None:
    people = PersonTokens(people_db_path())
    token = people.create("erin", budget_daily_usd=1e-9)
    await _ask(served, token)
    with pytest.raises(openai.RateLimitError):
        await _ask(served, token)
    assert people.set_budget("erin", 50.0)
    await _ask(served, token)
