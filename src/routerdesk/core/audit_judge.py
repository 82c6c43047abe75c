"""The audit judge: a pairwise rubric prompt, its JSON verdict, and both orders combined.

The method is the pairwise comparison of the MT-Bench paper (Zheng et al. 2023,
"Judging LLM-as-a-Judge"): the judge sees the user's question and two answers
labelled A and B, compares them on a written rubric and names the better one or
a tie. Judges favour one position, so every audit asks twice with the answers
swapped; a win or a loss counts only when both orders agree, anything else is a
tie (the paper's conservative rule).

Verdicts are from the routed answer's side: ``better``, ``as_good`` or ``worse``
than the baseline model's answer.

`demo_judge_answer` is the deterministic judge of demo mode: it answers the same
prompt in the same JSON, from the registry scores of the two demo answerers.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any, Literal

from routerdesk.core.l2 import head_tail, json_format, json_object_in
from routerdesk.core.registry import ModelSpec, Registry
from routerdesk.core.types import (
    ChatRequest,
    ChatResponse,
    Message,
    TextPart,
    Usage,
)

Winner = Literal["A", "B", "tie"]
Verdict = Literal["better", "as_good", "worse"]
VERDICTS: tuple[Verdict, ...] = ("better", "as_good", "worse")

QUESTION_HEAD, QUESTION_TAIL = 6000, 2000  # characters of the conversation the judge sees
ANSWER_HEAD, ANSWER_TAIL = 8000, 2000  # characters of each answer
MAX_JUDGE_TOKENS = 400
MAX_JUDGE_TOKENS_REASONING = 2048

JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "winner": {"type": "string", "enum": ["A", "B", "tie"]},
        "reason": {"type": "string"},
    },
    "required": ["winner", "reason"],
    "additionalProperties": False,
}

# MT-Bench's pairwise judge prompt ("pair-v2"), with the rubric spelled out and a JSON verdict.
RUBRIC = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by "
    "two AI assistants to the user question displayed below. Judge them on this rubric, in "
    "this order of importance:\n"
    "1. Correctness: facts, code and reasoning are right; nothing invented.\n"
    "2. Completeness: every part of the request is answered.\n"
    "3. Instruction following: format, length, language and constraints asked for are kept.\n"
    "Avoid any position biases and ensure that the order in which the responses were "
    "presented does not influence your decision. Do not allow the length of the responses to "
    "influence your evaluation. Do not favor certain names of the assistants. Be as objective "
    "as possible. If both are equally good (or equally bad), call it a tie.\n"
    'Answer with JSON only: {"winner": "A" | "B" | "tie", "reason": "<one sentence>"}.'
)


def judge_prompt(question: str, answer_a: str, answer_b: str) -> str:
    """The user turn of a judge call (MT-Bench's layout)."""
    return (
        f"[User Question]\n{head_tail(question, QUESTION_HEAD, QUESTION_TAIL)}\n\n"
        f"[The Start of Assistant A's Answer]\n{head_tail(answer_a, ANSWER_HEAD, ANSWER_TAIL)}\n"
        "[The End of Assistant A's Answer]\n\n"
        f"[The Start of Assistant B's Answer]\n{head_tail(answer_b, ANSWER_HEAD, ANSWER_TAIL)}\n"
        "[The End of Assistant B's Answer]"
    )


def judge_request(question: str, answer_a: str, answer_b: str, model: ModelSpec) -> ChatRequest:
    fmt = json_format(model, "audit_verdict", JUDGE_SCHEMA)
    thinks = model.supports("reasoning")
    return ChatRequest(
        messages=[
            Message("system", [TextPart(RUBRIC)]),
            Message("user", [TextPart(judge_prompt(question, answer_a, answer_b))]),
        ],
        model=model.id,
        response_format=fmt,
        max_tokens=MAX_JUDGE_TOKENS_REASONING if thinks else MAX_JUDGE_TOKENS,
        temperature=None if thinks else 0.0,
        reasoning_effort="low" if thinks else None,
        client="routerdesk-audit",
    )


# --- parsing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Judgement:
    """One judge call's answer: which position won, and why (one line)."""

    winner: Winner
    reason: str


class MalformedJudgement(ValueError):
    """The judge did not answer with the JSON asked for (or refused); the message says how."""


_WINNERS: dict[str, Winner] = {"a": "A", "b": "B", "tie": "tie", "c": "tie", "draw": "tie"}
REASON_CHARS = 300


def parse_judgement(text: str | None) -> Judgement:
    """The judge's JSON; tolerant of code fences and case, strict on the winner."""
    try:
        data = json_object_in(text)
    except ValueError as exc:  # words instead of JSON are how a judge refuses
        raise MalformedJudgement(str(exc)) from None
    raw = data.get("winner")
    winner = _WINNERS.get(raw.strip().lower()) if isinstance(raw, str) else None
    if winner is None:
        raise MalformedJudgement(f"'winner' must be A, B or tie, got {raw!r}")
    reason = data.get("reason")
    return Judgement(winner, _one_line(reason)[:REASON_CHARS] if isinstance(reason, str) else "")


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- combining both orders -------------------------------------------------------------------


def routed_side(j: Judgement, routed_first: bool) -> Verdict:
    """One order's judgement from the routed answer's side."""
    if j.winner == "tie":
        return "as_good"
    routed = "A" if routed_first else "B"
    return "better" if j.winner == routed else "worse"


def combine(first: Verdict, second: Verdict) -> Verdict:
    """Both orders agree: that verdict; they disagree: a tie (position bias cancelled)."""
    return first if first == second else "as_good"


def kept(verdict: Verdict) -> bool:
    """Quality kept: the routed answer is at least as good as the baseline's."""
    return verdict != "worse"


# --- the demo judge ---------------------------------------------------------------------------

_DEMO_ANSWERER = re.compile(r"\[demo\] (\S+) answering")
_DEMO_REASONS = {
    "A": "Assistant A answers more completely and follows the instruction more closely.",
    "B": "Assistant B answers more completely and follows the instruction more closely.",
    "tie": "Both answers are correct and complete enough; neither is clearly better.",
}


def _unit(*parts: str) -> float:
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _score(registry: Registry, model_id: str) -> float:
    spec = registry.get(model_id)
    return sum(spec.capabilities.values()) / len(spec.capabilities) if spec else 3.0


def demo_judge_answer(req: ChatRequest, registry: Registry) -> ChatResponse:
    """A deterministic judge for demo mode, answering `judge_request`'s prompt in its JSON.

    It reads which demo model wrote each answer ("[demo] <id> answering") and
    lets the one with the higher mean registry score win more often; one
    answer in ten it prefers position A, the bias that asking in both orders
    cancels. The same prompt always gets the same verdict.
    """
    prompt = req.last_user_text()
    a_part, _, b_part = prompt.partition("[The Start of Assistant B's Answer]")
    ids = [m.group(1) if m else "" for m in map(_DEMO_ANSWERER.search, (a_part, b_part))]
    x, y = sorted(ids)  # the pair in a fixed order, so both orders see the same draw
    u = _unit("pair", x, y, prompt.partition("[The Start of Assistant A's Answer]")[0])
    gap = _score(registry, x) - _score(registry, y)
    x_wins, y_wins = 0.04 + 0.05 * max(0.0, gap), 0.04 + 0.05 * max(0.0, -gap)
    pair_winner = x if u < x_wins else (y if u > 1 - y_wins else "")
    winner: Winner
    if _unit("position", prompt) < 0.1:
        winner = "A"
    elif not pair_winner or x == y:
        winner = "tie"
    else:
        winner = "A" if ids[0] == pair_winner else "B"
    text = json.dumps({"winner": winner, "reason": _DEMO_REASONS[winner]})
    return ChatResponse(
        id="judge-demo",
        model=f"{req.model}-demo",
        content=text,
        usage=Usage(input_tokens=max(1, len(prompt) // 4), output_tokens=max(1, len(text) // 4)),
        created=int(time.time()),
    )
