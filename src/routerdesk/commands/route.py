"""`routerdesk route`: show how a prompt would be classified and routed, one prompt or a JSONL batch.

Batch mode reads JSON lines (`{"id": .., "messages": [..OpenAI messages..]}` or
`{"id": .., "prompt": ".."}`; optional `model`, `max_tokens`, `stream`,
`tools`, `response_format`) and writes one JSON line per input with `id, task,
confidence, complexity, tier, strategy, model, provider, fallbacks, est_cost,
est_prompt_tokens`. A bad line yields `{"id": .., "error": ".."}` and the batch
goes on; the exit status is 1 if any line failed. Nothing is sent to any
provider. Without any provider key, routing assumes every provider is usable
and says so once on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any, Protocol

from routerdesk.core.errors import ConfigError, InvalidRequest, RouterError
from routerdesk.core.openai_format import parse_messages, parse_response_format, parse_tools
from routerdesk.core.routing import Router
from routerdesk.core.settings import Settings
from routerdesk.core.tokens import PromptShape, measure
from routerdesk.core.types import (
    QUALITY_TIERS,
    STRATEGIES,
    ChatRequest,
    Classification,
    Decision,
    Message,
    TextPart,
)


class _Classifier(Protocol):
    def classify(self, req: ChatRequest, shape: PromptShape | None = None) -> Classification: ...


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "route",
        help="show how a prompt (or a JSONL batch) would be routed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("prompt", nargs="?", help="the prompt text")
    p.add_argument("--batch", metavar="FILE", help="JSON lines to route ('-' for stdin)")
    p.add_argument("--strategy", choices=STRATEGIES, help="override the default strategy")
    p.add_argument("--tier", choices=QUALITY_TIERS, help="quality tier (default from settings)")
    p.add_argument("--model", default="auto", help="model field as a client would send it")
    p.add_argument("--registry", metavar="FILE", help="registry.toml to use instead of yours")
    p.add_argument("--only", metavar="ID,ID", help="route among these registry ids only")
    p.add_argument("--explain", action="store_true", help="list every candidate and why")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def _classifier() -> _Classifier:
    try:
        from routerdesk.core.classify import L1Classifier
    except ImportError as exc:
        raise SystemExit(f"routerdesk route: the classifier is not available ({exc})") from exc
    return L1Classifier()


class _Session:
    """Everything one `route` invocation needs, built once."""

    def __init__(self, args: argparse.Namespace) -> None:
        from routerdesk.commands import _registry

        doc, self.registry_file = _registry.registry_document(args.registry)
        self.router = Router(doc.registry)
        self.settings: Settings = _registry.settings()
        self.classifier = _classifier()
        self.strategy: str | None = args.strategy
        self.tier: str | None = args.tier
        self.only: set[str] | None = None
        if args.only:
            self.only = {s.strip() for s in args.only.split(",") if s.strip()}
            unknown = sorted(self.only - {m.id for m in doc.registry})
            if unknown:
                raise SystemExit(
                    f"routerdesk route: --only names unknown model(s): {', '.join(unknown)}"
                )
        keys = _registry.providers_with_keys()
        self.usable: set[str] | None = keys or None
        if not keys:
            print(
                "routerdesk route: no provider API keys found; routing as if every provider "
                "were usable.",
                file=sys.stderr,
            )

    def route(self, req: ChatRequest) -> tuple[Classification, Decision]:
        shape = measure(req)
        classification = self.classifier.classify(req, shape)
        decision = self.router.decide(
            req,
            classification,
            settings=self.settings,
            strategy=self.strategy,
            quality_tier=self.tier,
            usable_providers=self.usable,
            only=self.only,
            shape=shape,
        )
        return classification, decision

    def summary(self, c: Classification, d: Decision) -> dict[str, Any]:
        primary = next(x for x in d.candidates if x.model_id == d.primary)
        return {
            "task": c.task,
            "confidence": round(c.confidence, 3),
            "complexity": round(c.complexity, 3),
            "tier": c.tier,
            "strategy": d.strategy,
            "model": d.primary,
            "provider": self.router.registry[d.primary].provider,
            "fallbacks": d.fallbacks,
            "est_cost": round(primary.est_cost, 8),
            "est_prompt_tokens": d.est_prompt_tokens,
        }


# --- batch ---------------------------------------------------------------------------------


def request_from_line(obj: Any) -> ChatRequest:
    """One batch line as a ChatRequest; raises InvalidRequest naming the field."""
    if not isinstance(obj, dict):
        raise InvalidRequest("expected a JSON object per line")
    if "messages" in obj:
        messages = parse_messages(obj["messages"])
    elif isinstance(obj.get("prompt"), str):
        messages = [Message("user", [TextPart(obj["prompt"])])]
    else:
        raise InvalidRequest('each line needs "messages" (array) or "prompt" (string)')
    req = ChatRequest(messages=messages)
    model = obj.get("model", "auto")
    if not isinstance(model, str):
        raise InvalidRequest("model: expected a string", param="model")
    req.model = model
    max_tokens = obj.get("max_tokens")
    if max_tokens is not None:
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            raise InvalidRequest("max_tokens: expected a positive integer", param="max_tokens")
        req.max_tokens = max_tokens
    stream = obj.get("stream", False)
    if not isinstance(stream, bool):
        raise InvalidRequest("stream: expected true or false", param="stream")
    req.stream = stream
    req.tools = parse_tools(obj.get("tools"))
    req.response_format = parse_response_format(obj.get("response_format"))
    return req


def _lines(name: str) -> Iterator[str]:
    if name == "-":
        yield from sys.stdin
        return
    with open(name, encoding="utf-8") as fh:
        yield from fh


def run_batch(session: _Session, lines: Iterable[str], out: IO[str]) -> int:
    failed = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        line_id: Any = None
        try:
            obj = json.loads(line)
            if isinstance(obj, dict):
                line_id = obj.get("id")
            req = request_from_line(obj)
            c, d = session.route(req)
            result = {"id": line_id, **session.summary(c, d)}
        except json.JSONDecodeError as exc:
            result = {"id": None, "line": number, "error": f"invalid JSON: {exc}"}
        except RouterError as exc:
            result = {"id": line_id, "line": number, "error": exc.message}
        if "error" in result:
            failed += 1
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 1 if failed else 0


# --- one prompt ------------------------------------------------------------------------------


def _print_text(session: _Session, c: Classification, d: Decision, explain: bool) -> None:
    s = session.summary(c, d)
    print(
        f"task        {c.task}  (confidence {c.confidence:.2f}, complexity {c.complexity:.2f}, {c.tier})"
    )
    print(f"strategy    {d.strategy}")
    print(f"model       {d.primary}  ({s['provider']}, est ${s['est_cost']:.6f})")
    print(f"fallbacks   {', '.join(d.fallbacks) or '-'}")
    print(f"why         {d.why}")
    for note in d.notes:
        print(f"note        {note}")
    if not explain:
        return
    if c.signals:
        print("signals     " + "; ".join(c.signals))
    print(f"\ncandidates  (~{d.est_prompt_tokens:,} prompt tokens)")
    width = max(len(x.model_id) for x in d.candidates)
    for x in d.candidates:
        mark = "+" if x.kept else "-"
        print(f"  {mark} {x.model_id:<{width}}  ${x.est_cost:10.6f}  {x.reason}")


def run(args: argparse.Namespace) -> int:
    if bool(args.prompt) == bool(args.batch):
        print("routerdesk route: give a prompt or --batch FILE (not both)", file=sys.stderr)
        return 2
    try:
        session = _Session(args)
    except ConfigError as exc:
        print(f"routerdesk route: {exc.message}", file=sys.stderr)
        return 2
    if args.batch:
        try:
            return run_batch(session, _lines(args.batch), sys.stdout)
        except OSError as exc:
            print(f"routerdesk route: cannot read {args.batch}: {exc.strerror}", file=sys.stderr)
            return 2
    req = ChatRequest(messages=[Message("user", [TextPart(args.prompt)])], model=args.model)
    try:
        c, d = session.route(req)
    except RouterError as exc:
        print(f"routerdesk route: {exc.message}", file=sys.stderr)
        return 1
    if args.json:
        body: dict[str, Any] = {**session.summary(c, d), "why": d.why, "notes": d.notes}
        if args.explain:
            body["signals"] = c.signals
            body["candidates"] = [
                {"model": x.model_id, "kept": x.kept, "reason": x.reason, "est_cost": x.est_cost}
                for x in d.candidates
            ]
        print(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        _print_text(session, c, d, args.explain)
    return 0
