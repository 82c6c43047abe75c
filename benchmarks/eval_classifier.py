"""Evaluate the L1 classifier on tests/data/classifier_eval.jsonl.

Prints per-task precision/recall/F1, the confusion matrix and macro accuracy
(mean per-class recall) for the whole set and for the held-out "test" split,
plus how well complexity separates prompts labeled low from high (ROC AUC and
mean difference). Run: `.venv/bin/python benchmarks/eval_classifier.py [--errors]`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from routerdesk.core.classify import L1Classifier
from routerdesk.core.types import (
    TASKS,
    ChatRequest,
    ContentPart,
    ImagePart,
    Message,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
)

EVAL_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / "classifier_eval.jsonl"


def _parts(content: Any) -> list[ContentPart]:
    if content is None:
        return []
    if isinstance(content, str):
        return [TextPart(content)]
    parts: list[ContentPart] = []
    for p in content:
        if p.get("type") == "text":
            parts.append(TextPart(p["text"]))
        elif p.get("type") == "image_url":
            parts.append(ImagePart(url=p["image_url"]["url"]))
    return parts


def to_request(item: dict[str, Any]) -> ChatRequest:
    """A tiny OpenAI-dict -> ChatRequest loader (the real parser lives in core/openai_format.py)."""
    messages = [
        Message(
            role=m["role"],
            content=_parts(m.get("content")),
            tool_calls=[
                ToolCall(c["id"], c["function"]["name"], c["function"]["arguments"])
                for c in m.get("tool_calls", [])
            ],
            tool_call_id=m.get("tool_call_id"),
        )
        for m in item["messages"]
    ]
    tools = [
        Tool(t["function"]["name"], t["function"].get("description", ""))
        for t in item.get("tools", [])
    ]
    rf = item.get("response_format")
    return ChatRequest(
        messages=messages,
        tools=tools,
        response_format=ResponseFormat(type=rf["type"]) if rf else None,
    )


def load_items(path: Path = EVAL_FILE) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def macro_accuracy(pairs: list[tuple[str, str]]) -> float:
    recalls = []
    for t in TASKS:
        gold = [p for g, p in pairs if g == t]
        if gold:
            recalls.append(sum(p == t for p in gold) / len(gold))
    return sum(recalls) / len(recalls)


def auc(low: list[float], high: list[float]) -> float:
    """Probability that a random high item scores above a random low one (ties count half)."""
    if not low or not high:
        return float("nan")
    wins = sum((h > lo) + 0.5 * (h == lo) for h in high for lo in low)
    return wins / (len(low) * len(high))


def report(name: str, rows: list[dict[str, Any]]) -> float:
    pairs = [(r["task"], r["pred"]) for r in rows]
    print(f"\n== {name}: {len(rows)} prompts ==")
    print(f"{'task':18} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>5}")
    for t in TASKS:
        tp = sum(g == t and p == t for g, p in pairs)
        n_pred = sum(p == t for _, p in pairs)
        n_gold = sum(g == t for g, _ in pairs)
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold if n_gold else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        print(f"{t:18} {prec:6.2f} {rec:6.2f} {f1:6.2f} {n_gold:5d}")
    short = [t[:6] for t in TASKS]
    print("\nconfusion (rows gold, columns predicted)")
    print(" " * 18 + " ".join(f"{s:>6}" for s in short))
    for g in TASKS:
        print(
            f"{g:18}" + " ".join(f"{sum(gg == g and p == t for gg, p in pairs):6d}" for t in TASKS)
        )
    macro = macro_accuracy(pairs)
    acc = sum(g == p for g, p in pairs) / len(pairs)
    low_conf = sum(r["confidence"] < 0.7 for r in rows) / len(rows)
    wrong = [r for r in rows if r["pred"] != r["task"]]
    wrong_low = sum(r["confidence"] < 0.7 for r in wrong) / len(wrong) if wrong else 0.0
    print(f"\nmacro accuracy {macro:.3f}   plain accuracy {acc:.3f}")
    print(
        f"confidence < 0.7 on {low_conf:.0%} of all prompts and on {wrong_low:.0%} of the misclassified"
    )
    low = [r["complexity"] for r in rows if r.get("cx_label") == "low"]
    high = [r["complexity"] for r in rows if r.get("cx_label") == "high"]
    if low and high:
        print(
            f"complexity: low n={len(low)} mean {sum(low) / len(low):.3f}, high n={len(high)} "
            f"mean {sum(high) / len(high):.3f}, AUC {auc(low, high):.3f}"
        )
        for t in ("code_generation", "complex_reasoning", "creative_writing"):
            lo = [r["complexity"] for r in rows if r.get("cx_label") == "low" and r["task"] == t]
            hi = [r["complexity"] for r in rows if r.get("cx_label") == "high" and r["task"] == t]
            if lo and hi:
                print(f"  within {t}: low n={len(lo)}, high n={len(hi)}, AUC {auc(lo, hi):.3f}")
    return macro


def evaluate(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    clf = L1Classifier()
    rows = []
    for item in items:
        c = clf.classify(to_request(item))
        rows.append(
            {
                "id": item["id"],
                "task": item["task"],
                "pred": c.task,
                "confidence": c.confidence,
                "complexity": c.complexity,
                "cx_label": item.get("complexity"),
                "split": item.get("split", "train"),
                "lang": item.get("lang", "en"),
                "signals": c.signals,
            }
        )
    return rows


def main() -> None:
    rows = evaluate(load_items())
    report("all", rows)
    report("held-out (split=test)", [r for r in rows if r["split"] == "test"])
    non_en = [r for r in rows if r["lang"] != "en"]
    print(
        f"\nnon-English: {len(non_en)} prompts, macro accuracy {macro_accuracy([(r['task'], r['pred']) for r in non_en]):.3f}"
    )
    if "--errors" in sys.argv:
        items = {i["id"]: i for i in load_items()}
        for r in rows:
            if r["pred"] != r["task"]:
                text = items[r["id"]]["messages"][-1]["content"]
                if not isinstance(text, str):
                    text = " | ".join(p.get("text", "<img>") for p in text)
                print(
                    f"{r['id']:28} {r['split']:5} -> {r['pred']:17} {r['confidence']:.2f} {text[:90]!r} {r['signals']}"
                )


if __name__ == "__main__":
    main()
