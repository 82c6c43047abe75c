"""Time a full routing decision (L1 classify + filters + strategy over the whole shipped registry).

Goal: `Router.decide` p50 <= 200 µs over the whole registry. Cases: a one-line
question, a 2,000-char coding prompt with tools, and a 400,000-char
coding-agent conversation. Also times `cost_usd` (run once per request) against
genai-prices' own `calc_price`. Figures are medians of five rounds of p50/p99.
Run: `.venv/bin/python benchmarks/bench_routing.py`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import genai_prices

from routerdesk.core.classify import L1Classifier
from routerdesk.core.prices import cost_usd, to_genai_usage
from routerdesk.core.registry_file import load_shipped_registry
from routerdesk.core.routing import Router
from routerdesk.core.settings import Settings
from routerdesk.core.types import (
    ChatRequest,
    Classification,
    Message,
    TextPart,
    Tool,
    ToolCall,
    Usage,
)

SENTENCE = "The council approved the new budget after a long debate about transit and housing. "
CODE = "def total(items):\n    return sum(i.price * i.qty for i in items if i.active)\n\n"
TOOLS = [
    Tool(n, "a coding tool", {"type": "object", "properties": {"path": {"type": "string"}}})
    for n in ("read_file", "edit_file", "run_terminal_cmd", "grep_search")
]


def question() -> ChatRequest:
    return ChatRequest([Message("user", [TextPart("What is the capital of Australia?")])])


def coding_prompt() -> ChatRequest:
    text = "Refactor this and explain the bug:\n```python\n" + CODE * 12 + "```\n" + SENTENCE * 10
    return ChatRequest([Message("user", [TextPart(text[:2_000])])], tools=TOOLS, stream=True)


def agent_conversation() -> ChatRequest:
    system = ("You are a coding agent. Use the tools to read and edit files. " * 300)[:16_000]
    msgs = [Message("system", [TextPart(system)]), Message("user", [TextPart("Fix the tests")])]
    size, i = len(system), 0
    while size < 400_000:
        body = CODE * 60 + SENTENCE * 20
        msgs.append(
            Message(
                "assistant",
                [TextPart("Reading the next file.")],
                tool_calls=[ToolCall(f"c{i}", "read_file", '{"path": "src/mod.py"}')],
            )
        )
        msgs.append(Message("tool", [TextPart(body)], tool_call_id=f"c{i}"))
        size += len(body) + 25
        i += 1
    msgs.append(Message("user", [TextPart("Now make the parser thread-safe and add tests.")]))
    return ChatRequest(msgs, tools=TOOLS, stream=True)


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


def main() -> None:
    registry = load_shipped_registry().registry
    router = Router(registry)
    settings = Settings()
    classifier = L1Classifier()
    print(f"registry: {len(registry)} models ({len(registry.enabled())} enabled)")
    print(f"{'case':<34}{'p50 µs':>10}{'p99 µs':>10}")
    cases = [
        ("question", question(), 3_000),
        ("coding prompt 2,000 chars + tools", coding_prompt(), 3_000),
        ("agent conversation 400,000 chars", agent_conversation(), 300),
    ]
    for name, req, n in cases:
        c = classifier.classify(req)

        def decide(req: ChatRequest = req) -> object:
            return router.decide(req, classifier.classify(req), settings=settings)

        def decide_only(req: ChatRequest = req, c: Classification = c) -> object:
            return router.decide(req, c, settings=settings)

        for label, fn in (("decide", decide_only), ("classify + decide", decide)):
            p50, p99 = measure(fn, n)
            print(f"{label + ' / ' + name:<34.34}{p50:>10.1f}{p99:>10.1f}")
    model = registry["claude-sonnet-5-5"]
    usage = Usage(20_000, 1_500, cached_input_tokens=12_000, cache_write_tokens=4_000)
    p50, p99 = measure(lambda: cost_usd(model, usage), 3_000)
    print(f"{'cost_usd (cached rate card)':<34}{p50:>10.1f}{p99:>10.1f}")
    gp_usage = to_genai_usage(usage)
    p50, p99 = measure(
        lambda: genai_prices.calc_price(gp_usage, "claude-sonnet-5-5", provider_id="anthropic"), 500
    )
    print(f"{'genai_prices.calc_price (reference)':<34.34}{p50:>10.1f}{p99:>10.1f}")


if __name__ == "__main__":
    main()
