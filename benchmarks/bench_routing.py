"""Time L1 classify, a routing decision, and both together, on the same three inputs.

Inputs (from bench_classifier): a 200-char prompt, a 2,000-char prompt and a
400,000-char coding-agent conversation with tools. `decide` is `Router.decide`
(filters + strategy over the whole shipped registry) on a ready classification;
`classify + decide` is what a request pays in the engine: one `measure` pass
over the conversation (token estimate and structure), handed to both. Goals: classify p50 <= 100 µs at
2,000 chars and p99 <= 1 ms at 400,000; classify + decide p50 <= 200 µs. Also
times `cost_usd` (run once per request) against genai-prices' own `calc_price`.
Figures are medians of five rounds of p50/p99.
Run: `.venv/bin/python benchmarks/bench_routing.py`. `--baseline REF` also times
classify + decide of git ref REF side by side (as bench_classifier does) and prints
the ratios.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import genai_prices

from bench_classifier import (
    CASES,
    agent_conversation,
    medium_prompt,
    reference_loop_us,
    short_prompt,
    side_by_side,
)
from routerdesk.core.classify import L1Classifier
from routerdesk.core.prices import cost_usd, to_genai_usage
from routerdesk.core.registry_file import load_shipped_registry
from routerdesk.core.routing import Router
from routerdesk.core.settings import Settings
from routerdesk.core.tokens import measure as measure_prompt
from routerdesk.core.types import ChatRequest, Classification, Usage


def measure(fn: Callable[[], object], iterations: int, rounds: int = 5) -> tuple[float, float]:
    for _ in range(min(iterations, 200)):
        fn()
    p50s, p99s = [], []
    for _ in range(rounds):
        samples = []
        for _ in range(iterations):
            t0 = time.perf_counter_ns()
            fn()
            samples.append(time.perf_counter_ns() - t0)
        samples.sort()
        p50s.append(samples[len(samples) // 2] / 1_000)
        p99s.append(samples[int(len(samples) * 0.99)] / 1_000)
    return statistics.median(p50s), statistics.median(p99s)


_AB = """
import sys, time
sys.path.insert(0, {bench!r})
import bench_classifier as b
from routerdesk.core.registry_file import load_shipped_registry
from routerdesk.core.routing import Router
from routerdesk.core.settings import Settings
from routerdesk.core.tokens import measure
clf, router, settings = b.L1Classifier(), Router(load_shipped_registry().registry), Settings()
out = []
for req in (b.short_prompt(), b.medium_prompt(), b.agent_conversation()):
    def both():
        s = measure(req)
        return router.decide(req, clf.classify(req, s), settings=settings, shape=s)
    for _ in range(300):
        both()
    s = []
    for _ in range(3000):
        t = time.perf_counter_ns()
        both()
        s.append(time.perf_counter_ns() - t)
    s.sort()
    out.append(s[len(s) // 2] / 1000)
print(*out)
"""


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", help="git ref whose classify + decide to time side by side")
    args = ap.parse_args()
    registry = load_shipped_registry().registry
    router = Router(registry)
    settings = Settings()
    classifier = L1Classifier()
    print(f"machine reference: sum(range(100)) = {reference_loop_us():.2f} µs (median)")
    print(f"registry: {len(registry)} models ({len(registry.enabled())} enabled)")
    print(f"{'case':<48}{'p50 µs':>10}{'p99 µs':>10}")
    cases = [
        ("200 chars", short_prompt(), 3_000),
        ("2,000 chars", medium_prompt(), 3_000),
        ("400,000 chars", agent_conversation(), 1_000),
    ]
    for name, req, n in cases:
        c = classifier.classify(req)

        def classify(req: ChatRequest = req) -> object:
            return classifier.classify(req)

        def decide(req: ChatRequest = req, c: Classification = c) -> object:
            return router.decide(req, c, settings=settings)

        def shape(req: ChatRequest = req) -> object:
            return measure_prompt(req)

        def both(req: ChatRequest = req) -> object:
            s = measure_prompt(req)
            return router.decide(req, classifier.classify(req, s), settings=settings, shape=s)

        for label, fn in (
            ("measure", shape),
            ("classify", classify),
            ("decide", decide),
            ("classify + decide", both),
        ):
            p50, p99 = measure(fn, n)
            print(f"{label + ' / ' + name:<48}{p50:>10.1f}{p99:>10.1f}")
    model = registry["claude-sonnet-5-5"]
    usage = Usage(20_000, 1_500, cached_input_tokens=12_000, cache_write_tokens=4_000)
    p50, p99 = measure(lambda: cost_usd(model, usage), 3_000)
    print(f"{'cost_usd (cached rate card)':<48}{p50:>10.1f}{p99:>10.1f}")
    gp_usage = to_genai_usage(usage)
    p50, p99 = measure(
        lambda: genai_prices.calc_price(gp_usage, "claude-sonnet-5-5", provider_id="anthropic"), 500
    )
    print(f"{'genai_prices.calc_price (reference)':<48}{p50:>10.1f}{p99:>10.1f}")
    if args.baseline:
        print("classify + decide:")
        side_by_side(args.baseline, _AB, CASES)


if __name__ == "__main__":
    main()
