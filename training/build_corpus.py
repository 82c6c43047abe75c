"""Build the classifier corpus from public sources (pinned commits) and the project's own.

    python training/build_corpus.py --mirrors DIR [--out training/data/corpus.jsonl.gz]

`DIR` holds bare git snapshots named ``owner+name/repo`` (see training/SOURCES.md).
Deterministic: the same snapshots give the same file, byte for byte, and its SHA-256
goes to training/corpus.lock.json, which the shipped weights are checked against.

What happens, in order:
1. each source's loader yields labelled rows (training/sources.py, templates.py);
2. rows are deduplicated by normalised text, and anything that matches a reserved
   evaluation set we hold a copy of (GSM8K test) is dropped;
3. each dataset is capped so no single template family dominates its task;
4. a share of rows is wrapped as real traffic arrives: behind a chat system prompt,
   inside a coding agent's turn (tools, <system-reminder> blocks, tool results), or as
   the thread of a short follow-up ("make it faster") that keeps the thread's task.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sources
import templates

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "training" / "data" / "corpus.jsonl.gz"
LOCK = ROOT / "training" / "corpus.lock.json"
HANDWRITTEN = ROOT / "tests" / "data" / "classifier_eval.jsonl"
SEED = 20261203
DATASET_CAP = 700  # rows per dataset (a template family, an exam, one BBH task)
BIG_DATASETS = {
    "gsm8k-train": 2_500,
    "gpteacher-roleplay": 2_000,
    "gpteacher-codegen": 2_500,
    "hh-rlhf-harmless-test": 2_400,
}  # single-dataset sources
SOURCE_TASK_CAP = 4_000  # rows per (source, task)

CHAT_SYSTEMS = [
    "You are a helpful assistant.",
    "You are a friendly assistant for Acme Corp employees. Be accurate and concise.",
    "You are ChatGPT, a large language model. Answer as helpfully as possible.",
    "Du bist ein hilfreicher Assistent. Antworte präzise.",
    "你是一个乐于助人的助手。",
    "You are an expert assistant. Think carefully and answer clearly. Use markdown when it helps.",
]
AGENT_SYSTEM = (
    "You are an interactive CLI tool that helps users with software engineering tasks. "
    "Use the instructions below and the tools available to you to assist the user.\n"
    "# Tone and style\nBe concise. Use Github-flavored markdown.\n"
    "# Doing tasks\nThe user will primarily request you perform software engineering tasks: "
    "solving bugs, adding new functionality, refactoring code, explaining code. "
    "Use the TodoWrite tool to plan. Run the linter and tests after changes.\n"
    "<env>Working directory: /home/user/project\nIs directory a git repo: Yes\nPlatform: linux</env>"
)
AGENT_TOOLS = [
    {"type": "function", "function": {"name": n, "description": d, "parameters": {"type": "object", "properties": {}}}}
    for n, d in (("Read", "Read a file"), ("Edit", "Edit a file"), ("Bash", "Run a shell command"),
                 ("Grep", "Search file contents"), ("TodoWrite", "Track tasks"))
]  # fmt: skip
REMINDER = (
    "<system-reminder>\nAs you answer the user's questions, you can use the following context:\n"
    "# important-instruction-reminders\nDo what has been asked; nothing more, nothing less.\n"
    "</system-reminder>\n"
)


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _key(text: str) -> str:
    return hashlib.sha1(_norm(text)[:2_000].encode()).hexdigest()


def handwritten() -> Iterable[dict[str, Any]]:
    """The project's own hand-written prompts (scripts/gen_classifier_eval.py), one more source."""
    for line in HANDWRITTEN.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        level = item.get("complexity")
        row = {
            k: item[k] for k in ("messages", "tools", "response_format", "tool_choice") if k in item
        }
        row.update(
            source="routerdesk-handwritten", dataset=f"handwritten-{item.get('wrapper', 'plain')}",
            task=item["task"], lang=item.get("lang", "en"), repo="routerdesk", commit=None,
            licence="MIT", difficulty={"low": 0.1, "high": 0.85}.get(level, 0.4),
            difficulty_kind=f"hand label ({level})",
        )  # fmt: skip
        yield row


def wrap(row: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Give a prompt row the shape real traffic has (see the module docstring)."""
    if "messages" in row:
        return row
    prompt = row.pop("prompt")
    task = row["task"]
    # Coding agents send mostly code work; chat apps everything. The agent share per task
    # follows that, so the agent's context (system prompt, tools) carries real evidence.
    agent_share = 0.4 if task == "code_generation" else 0.05
    r = rng.random()
    if r < 0.15:
        pool = templates.FOLLOW_UPS[task] + templates.GENERIC_FOLLOW_UPS
        msgs = [{"role": "user", "content": prompt},
                {"role": "assistant", "content": "Sure - here it is."},
                {"role": "user", "content": rng.choice(pool)}]  # fmt: skip
        row["wrapper"] = "follow_up"
    elif r < 0.15 + agent_share:
        msgs = [{"role": "system", "content": AGENT_SYSTEM}]
        if rng.random() < 0.5:  # mid-session: earlier tool calls and their results
            msgs += [{"role": "user", "content": "Look at the failing test first."},
                     {"role": "assistant", "content": None, "tool_calls": [
                         {"id": "c1", "type": "function", "function": {"name": "Read", "arguments": "{}"}}]},
                     {"role": "tool", "tool_call_id": "c1", "content": "def test_x():\n    assert f() == 2\n"},
                     {"role": "assistant", "content": None, "tool_calls": [
                         {"id": "c2", "type": "function", "function": {"name": "Bash", "arguments": "{}"}}]},
                     {"role": "tool", "tool_call_id": "c2", "content": "1 failed, 12 passed"}]  # fmt: skip
        msgs.append({"role": "user", "content": [{"type": "text", "text": REMINDER},
                                                 {"type": "text", "text": prompt}]})  # fmt: skip
        row["tools"] = AGENT_TOOLS
        row["wrapper"] = "agent"
    elif r < 0.35 + agent_share:
        msgs = [{"role": "system", "content": rng.choice(CHAT_SYSTEMS)},
                {"role": "user", "content": prompt}]  # fmt: skip
        row["wrapper"] = "chat_system"
    else:
        msgs = [{"role": "user", "content": prompt}]
        row["wrapper"] = "plain"
    row["messages"] = msgs
    return row


def collect(mirrors: Path, rng: random.Random) -> list[dict[str, Any]]:
    paras = sources.xquad_paragraphs(mirrors)
    loaders: list[Iterable[dict[str, Any]]] = [
        sources.gsm8k(mirrors), sources.agieval(mirrors), sources.bbh(mirrors),
        sources.xquad(mirrors, rng), sources.p3(mirrors), sources.gpteacher(mirrors),
        sources.hh_rlhf(mirrors, ROOT / "training" / "labels" / "hh_rlhf.jsonl"),
        sources.self_instruct(mirrors, ROOT / "training" / "labels" / "self_instruct.jsonl"),
        templates.template_rows(rng, paras, 1_500), templates.code_rows(rng, 1_500),
        templates.structure_rows(rng, paras, templates.stdlib_functions(random.Random(SEED), 300), 600),
    ]  # fmt: skip
    reserved = {_key(q) for q in sources.gsm8k_test_questions(mirrors)}
    seen: set[str] = set()
    by_dataset: dict[str, list[dict[str, Any]]] = defaultdict(list)
    dropped = Counter()
    for loader in loaders:
        for row in loader:
            k = _key(
                row.get("prompt") or json.dumps(row["messages"]) + json.dumps(row.get("tools"))
            )
            if k in reserved:
                dropped["reserved"] += 1
                continue
            if k in seen:
                dropped["duplicate"] += 1
                continue
            seen.add(k)
            by_dataset[row["dataset"]].append(row)
    rows: list[dict[str, Any]] = []
    per_source_task: Counter[tuple[str, str]] = Counter()
    for name in sorted(by_dataset):
        items = by_dataset[name]
        rng.shuffle(items)
        cap = BIG_DATASETS.get(name, DATASET_CAP if not name.startswith("templates") else None)
        for row in items[:cap]:
            st = (row["source"], row["task"])
            if per_source_task[st] >= SOURCE_TASK_CAP:
                continue
            per_source_task[st] += 1
            rows.append(row)
    print(f"dropped: {dict(dropped)}", file=sys.stderr)
    rows = [wrap(r, rng) for r in rows]
    rows.extend(handwritten())
    for i, r in enumerate(rows):
        r["id"] = f"{r['source']}-{i:06d}"
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    rng = random.Random(SEED)
    rows = collect(args.mirrors, rng)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
    data = payload.encode()
    with args.out.open("wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as gz:
        gz.write(data)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        counts[r["source"]][r["task"]] += 1
    lock = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "rows": len(rows),
        "by_source_task": {s: dict(sorted(t.items())) for s, t in sorted(counts.items())},
        "by_task": dict(sorted(Counter(r["task"] for r in rows).items())),
        "by_lang": dict(Counter(r["lang"] for r in rows).most_common()),
    }
    LOCK.write_text(json.dumps(lock, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: lock[k] for k in ("rows", "by_task", "by_source_task")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
