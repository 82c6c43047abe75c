"""Sample requests for a first look: a realistic mix sent through the real local server.

Demo mode only (the offline demo provider answers, nothing is billed). The mix
spans every task the classifier knows, the three strategies and a named model,
both APIs (OpenAI chat completions and Anthropic messages) and streaming, so
each dashboard chart and the Requests page have something true to show. The
requests go over HTTP to the app's own server, exactly as a tool's would.
The GUI reaches this through `Backend.send_samples` (pages never speak HTTP).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

SPREAD_S = 20.0  # sent over this long, so the time charts show a line rather than a dot
TIMEOUT_S = 30.0


@dataclass(slots=True, frozen=True)
class Sample:
    prompt: str
    model: str = "auto"
    api: str = "openai"  # or "anthropic"
    stream: bool = False
    system: str = ""


_CODE = "You are a coding assistant in the user's editor."
SAMPLES: tuple[Sample, ...] = (
    Sample("What is the capital of Australia?"),
    Sample("How many ounces are in a pound?", "auto:cheapest"),
    Sample("Who wrote 'The Left Hand of Darkness'?", api="anthropic"),
    Sample("What does HTTP status 429 mean?", stream=True),
    Sample("Convert 72 degrees Fahrenheit to Celsius.", "auto:cheapest"),
    Sample("Write a Python function that merges two sorted lists in O(n).", system=_CODE),
    Sample(
        "Refactor this to use a dict comprehension:\n\nout = {}\nfor k, v in pairs:\n"
        "    if v is not None:\n        out[k] = v",
        system=_CODE,
        stream=True,
    ),
    Sample(
        "Write a TypeScript React hook that debounces a value, with tests.",
        "auto:best",
        api="anthropic",
        system=_CODE,
    ),
    Sample("Write a SQL query for the top 5 customers by revenue last month.", system=_CODE),
    Sample(
        "Fix the off-by-one error: for i in range(1, len(xs)): total += xs[i]",
        api="anthropic",
        stream=True,
        system=_CODE,
    ),
    Sample("Translate into French: 'The meeting moved to Thursday at 10.'"),
    Sample("Translate into German: 'Please restart the router and try again.'", api="anthropic"),
    Sample("Traduce al inglés: 'El informe estará listo mañana por la tarde.'", "auto:cheapest"),
    Sample(
        "Summarize in three bullet points: Our Q3 release shipped offline sync, cut cold start "
        "by 40%, and moved billing to usage-based plans. Support tickets fell 18% while churn "
        "stayed flat; the team recommends investing next in collaboration features.",
    ),
    Sample(
        "TL;DR this incident report: at 02:14 the primary database failed over after a disk "
        "filled with WAL segments; writes failed for 6 minutes; archiving was re-enabled and "
        "an alert on disk usage was added.",
        api="anthropic",
    ),
    Sample(
        "Summarize the trade-offs between REST and gRPC for an internal service mesh.",
        stream=True,
    ),
    Sample(
        "A train leaves at 14:05 at 80 km/h; a second leaves the same station at 14:35 at "
        "110 km/h on the same track. When and where does the second catch up? Show each step.",
        "auto:best",
    ),
    Sample(
        "Prove that the square root of 2 is irrational, then explain where the proof uses "
        "unique factorisation.",
        api="anthropic",
    ),
    Sample(
        "We have 3 services with p99 latencies 120, 340 and 90 ms called in sequence, and a "
        "500 ms SLO. Which optimisation gives the most headroom, and why? Think it through.",
        "auto:best",
        stream=True,
    ),
    Sample(
        "Extract JSON with keys name, email, company from: \"Hi, I'm Dana Ruiz from Acme "
        'Labs, reach me at dana@acme.example."',
    ),
    Sample(
        "From this invoice text, return JSON {number, date, total}: Invoice INV-2291, issued "
        "2025-03-02, total due EUR 1,240.50.",
        "auto:cheapest",
        api="anthropic",
    ),
    Sample("List every date mentioned: 'Kickoff 4 May, review 18 May, launch 1 June.'"),
    Sample("Write a haiku about a router that saves money."),
    Sample(
        "Write a two-paragraph opening for a mystery set in a lighthouse.",
        "auto:best",
        api="anthropic",
        stream=True,
    ),
    Sample("Suggest five names for a budgeting app for students."),
    Sample("Hi! Can you help me plan my week?"),
    Sample("What should I consider when choosing a laptop for data science?", api="anthropic"),
    Sample("Explain what a vector database is to a product manager.", stream=True),
    Sample("Give me three tips to run a better retrospective.", "auto:cheapest"),
    Sample("Which is better for a small team, Jira or Linear?", "auto:best"),
    Sample("Explain the difference between a process and a thread.", "gpt-5-mini"),
    Sample("Write a regular expression matching ISO 8601 dates.", system=_CODE),
    Sample("What's 15% of 240?", "auto:cheapest", api="anthropic"),
    Sample("Outline a 20-minute talk on observability for beginners.", stream=True),
    Sample("Rewrite more politely: 'Send me the report now.'"),
    Sample("Write unit tests for a function that parses '1h30m' into seconds.", system=_CODE),
)


@dataclass(slots=True)
class SampleRun:
    """How a batch went: what was sent, how many answered, and each distinct failure once."""

    total: int
    sent: int = 0
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return self.sent - self.ok


def _request(sample: Sample, base: str, token: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    messages = [{"role": "user", "content": sample.prompt}]
    if sample.api == "anthropic":
        headers = {"x-api-key": token, "anthropic-version": "2023-06-01"}
        body: dict[str, Any] = {"model": sample.model, "max_tokens": 512, "messages": messages}
        if sample.system:
            body["system"] = sample.system
        url = f"{base}/v1/messages"
    else:
        headers = {"Authorization": f"Bearer {token}"}
        if sample.system:
            messages.insert(0, {"role": "system", "content": sample.system})
        body = {"model": sample.model, "messages": messages}
        url = f"{base}/v1/chat/completions"
    if sample.stream:
        body["stream"] = True
    headers["User-Agent"] = "routerdesk-samples"
    return url, headers, body


async def _send(client: httpx.AsyncClient, sample: Sample, base: str, token: str) -> str:
    """'' when answered, else the reason (the server's error message)."""
    url, headers, body = _request(sample, base, token)
    try:
        async with client.stream("POST", url, headers=headers, json=body) as response:
            raw = await response.aread()  # streamed or not: read it all, as a client would
    except httpx.HTTPError as exc:
        return f"could not reach the local server: {exc.__class__.__name__}"
    if response.status_code == 200:
        return ""
    try:
        message = httpx.Response(200, content=raw).json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = raw[:200].decode("utf-8", "replace")
    return f"HTTP {response.status_code}: {message}"


async def send_samples(
    base: str,
    token: str,
    *,
    samples: tuple[Sample, ...] = SAMPLES,
    spread_s: float = SPREAD_S,
    on_progress: Callable[[SampleRun], None] | None = None,
) -> SampleRun:
    """Send `samples` to the server at `base` (no /v1), spread over `spread_s` seconds."""
    run = SampleRun(total=len(samples))
    gap = spread_s / max(1, len(samples))

    async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:

        async def one(i: int, sample: Sample) -> None:
            await asyncio.sleep(i * gap)
            reason = await _send(client, sample, base, token)
            run.sent += 1
            if reason:
                run.errors[reason] = run.errors.get(reason, 0) + 1
            else:
                run.ok += 1
            if on_progress is not None:
                on_progress(run)

        await asyncio.gather(*(one(i, s) for i, s in enumerate(samples)))
    return run
