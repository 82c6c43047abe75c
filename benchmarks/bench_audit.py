"""What quality audits add to a request that is not audited: the engine's `complete` with no
auditor, with audits off, and with audits on but this request not sampled.

The engine runs in-process over the offline demo adapter at zero latency (no HTTP),
shipped registry, L2 off, so the time is the router's own work (classify, route,
cost, record) plus the audit hook: `Auditor.wants` is a settings check when audits
are off; with audits on it also checks the request (auto, not the baseline, no tool
results) and draws the sample. Configurations alternate round by round; figures are
medians over rounds of each round's mean µs per request, and the ratio to "no auditor"
is taken within a round. The hook alone is also timed directly (`Auditor.wants` on an
answered request, audits on, not sampled), which load on the machine disturbs less.

Run: `.venv/bin/python benchmarks/bench_audit.py [--rounds 9] [--requests 2000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from routerdesk.core.audit import Auditor, AuditResult
from routerdesk.core.classify import L1Classifier
from routerdesk.core.events import EventBus
from routerdesk.core.registry import PROVIDERS
from routerdesk.core.registry_file import load_shipped_registry
from routerdesk.core.settings import Settings
from routerdesk.core.types import ChatRequest, Message, TextPart
from routerdesk.engine import Engine
from routerdesk.providers.demo import DemoAdapter

PROMPT = "Write a Python function that checks whether a string is a palindrome, with tests."


class AllKeys:
    def key(self, provider: str) -> str | None:
        return "sk-bench"


async def _stored(result: AuditResult) -> None:
    return None


def engine(config: str) -> Engine:
    settings = Settings()
    settings.routing.l2.enabled = False
    settings.routing.pinning = False
    settings.audit.enabled = config == "audits on, not sampled"
    settings.audit.sample_rate = 1e-12  # every check runs; the draw never samples
    demo = DemoAdapter(latency_scale=0.0)
    e = Engine(
        settings,
        load_shipped_registry().registry,
        adapters=dict.fromkeys(PROVIDERS, demo),
        keys=AllKeys(),
        events=EventBus(),
        classifier=L1Classifier(),
    )
    if config != "no auditor":
        e.auditor = Auditor(e, on_call=lambda r: None, on_result=_stored)
    return e


async def round_us(e: Engine, n: int) -> float:
    req = ChatRequest(messages=[Message("user", [TextPart(PROMPT)])], model="auto")
    t0 = time.perf_counter()
    for _ in range(n):
        await e.complete(req)
    return (time.perf_counter() - t0) / n * 1e6


async def main_async(rounds: int, n: int) -> None:
    configs = ("no auditor", "audits off", "audits on, not sampled")
    engines = {c: engine(c) for c in configs}
    for e in engines.values():
        await round_us(e, 200)  # warm-up
    times: dict[str, list[float]] = {c: [] for c in configs}
    ratios: dict[str, list[float]] = {c: [] for c in configs}
    for r in range(rounds):
        order = configs if r % 2 == 0 else tuple(reversed(configs))
        got = {c: await round_us(engines[c], n) for c in order}
        for c in configs:
            times[c].append(got[c])
            ratios[c].append(got[c] / got["no auditor"])
    wants = await wants_us(engines["audits on, not sampled"])
    print(f"engine.complete, {n} requests x {rounds} rounds, load average {os.getloadavg()[0]:.2f}")
    print(f"{'configuration':<26} {'µs/request':>11} {'vs no auditor':>14}")
    for c in configs:
        print(
            f"{c:<26} {statistics.median(times[c]):>11.1f} {statistics.median(ratios[c]):>13.3f}x"
        )
    print(f"Auditor.wants alone (audits on, not sampled): {wants:.2f} µs per call")


async def wants_us(e: Engine) -> float:
    """Median over 9 batches of the hook's own time on an answered request's record."""
    req = ChatRequest(messages=[Message("user", [TextPart(PROMPT)])], model="auto")
    _resp, rec = await e.complete(req)
    auditor = e.auditor
    assert auditor is not None
    batches = []
    for _ in range(9):
        t0 = time.perf_counter()
        for _ in range(20_000):
            auditor.wants(req, rec)
        batches.append((time.perf_counter() - t0) / 20_000 * 1e6)
    return statistics.median(batches)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(main_async(args.rounds, args.requests))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
