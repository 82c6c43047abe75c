"""Time L1 classification: p50 and p99 on a 200-char prompt, a 2,000-char prompt and a
400,000-char coding-agent conversation (goals: p50 <= 100 us at 2,000 chars, p99 <= 1 ms
at 400,000). Each case runs thousands of timed calls; the figures are the medians of
five rounds. Also the one-off cost the learned model adds to start-up (loading
resources/classifier.bin; goal <= 100 ms). Run: `.venv/bin/python benchmarks/bench_classifier.py`.
`--baseline REF` also times the classifier of git ref REF side by side (its `src/` in a
temporary worktree, fresh interpreters, alternating rounds) and prints the ratios.
"""

from __future__ import annotations

import statistics
import time

from routerdesk.core.classify import L1Classifier
from routerdesk.core.types import ChatRequest, Message, TextPart, Tool, ToolCall

SENTENCE = "The council approved the new budget after a long debate about transit and housing. "
CODE = "def total(items):\n    return sum(i.price * i.qty for i in items if i.active)\n\n"


def short_prompt() -> ChatRequest:
    text = "Summarize the following note in two sentences: " + SENTENCE * 2
    return ChatRequest([Message("user", [TextPart(text[:200])])])


def medium_prompt() -> ChatRequest:
    text = "Refactor this and explain the bug:\n```python\n" + CODE * 12 + "```\n" + SENTENCE * 10
    return ChatRequest(
        [
            Message("system", [TextPart("You are a helpful assistant.")]),
            Message("user", [TextPart(text[:2_000])]),
        ]
    )


def agent_conversation() -> ChatRequest:
    system = (
        "You are a coding agent. Use the tools to read and edit files, run tests, fix bugs. " * 200
    )[:16_000]
    msgs = [
        Message("system", [TextPart(system)]),
        Message("user", [TextPart("Fix the failing tests in tests/")]),
    ]
    size = len(system)
    i = 0
    while size < 400_000:
        call = ToolCall(f"c{i}", "read_file", '{"path": "src/mod.py"}')
        body = CODE * 60 + SENTENCE * 20
        msgs.append(Message("assistant", [TextPart("Reading the next file.")], tool_calls=[call]))
        msgs.append(Message("tool", [TextPart(body)], tool_call_id=f"c{i}"))
        size += len(body) + 25
        i += 1
    msgs.append(
        Message("user", [TextPart("Now also make the parser thread-safe and add tests. " * 4)])
    )
    tools = [Tool(n) for n in ("read_file", "edit_file", "run_terminal_cmd", "grep_search")]
    return ChatRequest(msgs, tools=tools)


def bench(req: ChatRequest, iterations: int, rounds: int = 5) -> tuple[float, float]:
    clf = L1Classifier()
    for _ in range(200):
        clf.classify(req)
    p50s, p99s = [], []
    for _ in range(rounds):
        samples = []
        for _ in range(iterations):
            t0 = time.perf_counter_ns()
            clf.classify(req)
            samples.append(time.perf_counter_ns() - t0)
        samples.sort()
        p50s.append(samples[len(samples) // 2] / 1_000)
        p99s.append(samples[int(len(samples) * 0.99)] / 1_000)
    return statistics.median(p50s), statistics.median(p99s)


def reference_loop_us() -> float:
    """Median time of `sum(range(100))`: about 1 us on an idle modern core; scale figures by it."""
    samples = []
    for _ in range(2_000):
        t0 = time.perf_counter_ns()
        sum(range(100))
        samples.append(time.perf_counter_ns() - t0)
    return statistics.median(samples) / 1_000


def load_ms(rounds: int = 7) -> float:
    """Median time to load the shipped weights (what `serve` and the app pay once)."""
    from routerdesk.core.classify_model import LinearModel

    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        LinearModel()
        samples.append((time.perf_counter() - t0) * 1_000)
    return statistics.median(samples)


_AB = """
import sys, time
sys.path.insert(0, {bench!r})
import bench_classifier as b
clf = b.L1Classifier()
out = []
for req in (b.short_prompt(), b.medium_prompt(), b.agent_conversation()):
    for _ in range(300):
        clf.classify(req)
    s = []
    for _ in range(4000):
        t = time.perf_counter_ns()
        clf.classify(req)
        s.append(time.perf_counter_ns() - t)
    s.sort()
    out.append(s[len(s) // 2] / 1000)
print(*out)
"""
CASES = ("200 chars", "2,000 chars", "400k chars")


def side_by_side(ref: str, code: str, labels: tuple[str, ...], rounds: int = 3) -> None:
    """Run `code` (which prints one p50 per label) under this tree's `src/` and under git ref
    `ref`'s (a temporary worktree), in fresh interpreters, alternating which goes first;
    print the medians over `rounds` and the ratios."""
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    code = code.format(bench=str(root / "benchmarks"))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "-C", str(root), "worktree", "add", "-q", "--detach", str(base), ref],
            check=True,
        )
        try:
            runs: dict[str, list[list[float]]] = {"this tree": [], ref: []}
            for i in range(rounds):
                order = [("this tree", root / "src"), (ref, base / "src")]
                for name, src in order if i % 2 else order[::-1]:
                    env = dict(os.environ, PYTHONPATH=str(src))
                    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                         text=True, check=True).stdout  # fmt: skip
                    runs[name].append([float(x) for x in out.split()])
        finally:
            subprocess.run(
                ["git", "-C", str(root), "worktree", "remove", "--force", str(base)], check=True
            )
    med = {
        k: [statistics.median(r[i] for r in v) for i in range(len(labels))] for k, v in runs.items()
    }
    for name, p50s in med.items():
        cells = "  ".join(f"{v:7.1f} us ({label})" for v, label in zip(p50s, labels, strict=True))
        print(f"side by side, {name:12s}: p50 {cells}")
    ratios = ", ".join(
        f"{a / b:.2f}x ({label})"
        for a, b, label in zip(med["this tree"], med[ref], labels, strict=True)
    )
    print(f"ratio this tree / {ref}: {ratios}")


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", help="git ref whose classifier to time side by side")
    args = ap.parse_args()
    print(f"machine reference: sum(range(100)) = {reference_loop_us():.2f} us (median)")
    print(f"weights load (start-up cost): {load_ms():.1f} ms")
    cases = [
        ("200-char prompt", short_prompt()),
        ("2,000-char prompt", medium_prompt()),
        ("400k-char agent conversation", agent_conversation()),
    ]
    for name, req in cases:
        chars = sum(len(m.text()) for m in req.messages)
        p50, p99 = bench(req, iterations=5_000)
        print(
            f"{name:30} {chars:>8} chars, {len(req.messages):4d} messages: p50 {p50:7.1f} us   p99 {p99:7.1f} us"
        )
    if args.baseline:
        side_by_side(args.baseline, _AB, CASES)


if __name__ == "__main__":
    main()
