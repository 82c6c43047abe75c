"""Conversation pinning: later turns of a conversation stay on the model its first turn got.

Switching models mid-conversation is not free: Anthropic rejects thinking blocks
signed by another model, DeepSeek's reasoning content means nothing elsewhere,
and every provider's prompt cache is lost. So the first turn's model is pinned.

Conversation
    Identified by a hash of the system prompt and the first user turn (bounded
    text, so the cost does not grow with the conversation). A request with no
    assistant message starts a conversation (and re-pins it: a regenerated
    first turn may go anywhere); one with assistant messages continues it; its
    turn number is one more than its assistant messages.

On a later turn, with `decision` the router's fresh choice
    - the pinned model is routed as if the client had named it (the router's
      explicit path: disabled, no key, missing features or too small a context
      make the call fail, so the conversation is re-routed and the note says
      why);
    - it ESCALATES to the fresh primary only when this turn's task needs it: the
      fresh primary scores higher on this turn's task, and the pinned model falls
      short of what the strategy asks (drops out of the qualified set, or scores
      below balanced's target / best's top score); the pin moves up with it;
    - otherwise the pinned model stays primary, fresh picks are never used to
      de-escalate.
Explicit model requests are neither pinned nor re-pinned.

Memory is bounded: at most `max_conversations` pins (least recently used go
first), each forgotten `window_s` after its last use.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from routerdesk.core.errors import NoUsableModel, UnknownModel
from routerdesk.core.routing import MAX_FALLBACKS, balanced_target
from routerdesk.core.types import ChatRequest, Classification, Decision

FINGERPRINT_CHARS = 2_000  # of the system prompt and of the first user turn
MAX_CONVERSATIONS = 4_096


def conversation_fingerprint(req: ChatRequest) -> str | None:
    """12 hex digits naming the conversation, or None when there is no user turn."""
    first = next((m for m in req.messages if m.role == "user"), None)
    if first is None:
        return None
    h = hashlib.blake2b(digest_size=6)
    h.update(req.system_text()[:FINGERPRINT_CHARS].encode("utf-8", "surrogatepass"))
    h.update(b"\0")
    h.update(first.text()[:FINGERPRINT_CHARS].encode("utf-8", "surrogatepass"))
    h.update(b"\1" if first.has_image() else b"\0")
    return h.hexdigest()


def turn_number(req: ChatRequest) -> int:
    """1 for a conversation's first request, +1 for every assistant turn since."""
    return 1 + sum(1 for m in req.messages if m.role == "assistant")


@dataclass(slots=True)
class Pin:
    model_id: str
    turn: int  # the latest turn routed under this pin
    last_used: float  # clock seconds


def needed_score(decision: Decision, complexity: float) -> int:
    """The task score the fresh decision's strategy asks of a model on this turn."""
    kept = [c.score for c in decision.candidates if c.kept]
    if not kept:
        return 0
    top = int(max(kept))
    if decision.strategy == "best":
        return top
    if decision.strategy == "balanced":
        return min(balanced_target(complexity), top)
    return int(min(kept))  # cheapest: qualifying is enough


class ConversationPins:
    """The pins of recent conversations; `apply` turns a fresh decision into the pinned one."""

    def __init__(
        self,
        window_s: float = 3600.0,
        *,
        max_conversations: int = MAX_CONVERSATIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_s = window_s
        self._max = max_conversations
        self._clock = clock
        self._pins: OrderedDict[str, Pin] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pins)

    def get(self, fingerprint: str) -> Pin | None:
        pin = self._pins.get(fingerprint)
        if pin is not None and self._clock() - pin.last_used > self.window_s:
            del self._pins[fingerprint]
            return None
        return pin

    def clear(self) -> None:
        self._pins.clear()

    def apply(
        self,
        req: ChatRequest,
        classification: Classification,
        decision: Decision,
        decide_explicit: Callable[[ChatRequest], Decision],
    ) -> Decision:
        """The decision for `req` with pinning applied (`decision` is the router's fresh one).

        `decide_explicit(req)` routes a request naming a model, the way the router's
        explicit path does; it raises `NoUsableModel` when the model cannot serve it.
        """
        if decision.strategy == "explicit":
            return decision
        fp = conversation_fingerprint(req)
        if fp is None:
            return decision
        turn = turn_number(req)
        pin = self.get(fp) if turn > 1 else None
        if pin is None:
            self._set(fp, decision.primary, turn)
            return decision
        if pin.model_id == decision.primary:
            self._set(fp, pin.model_id, turn)
            decision.notes.append(f"pinned to {pin.model_id} (conversation {fp}, turn {turn})")
            return decision
        try:
            pinned = decide_explicit(replace(req, model=pin.model_id))
        except (NoUsableModel, UnknownModel) as exc:
            if isinstance(exc, UnknownModel):
                why = "it is no longer in the registry"
            else:  # "<id> cannot serve this request: <reason>. Fix that, ..."
                why = exc.message.split(": ", 1)[-1].split(". Fix that", 1)[0]
            self._set(fp, decision.primary, turn)
            decision.notes.append(
                f"re-routed from {pin.model_id} to {decision.primary} "
                f"(conversation {fp}, turn {turn}): {pin.model_id} can no longer serve it: {why}"
            )
            return decision
        fresh = {c.model_id: c for c in decision.candidates}
        held = fresh.get(pin.model_id)
        new = fresh.get(decision.primary)
        held_score = held.score if held else 0.0
        new_score = new.score if new else 0.0
        need = needed_score(decision, classification.complexity)
        falls_short = held is None or not held.kept or held_score < need
        if new_score > held_score and falls_short:
            self._set(fp, decision.primary, turn)
            decision.notes.append(
                f"escalated from {pin.model_id} to {decision.primary} (conversation {fp}, "
                f"turn {turn}): {classification.task} needs score {need}, "
                f"{pin.model_id} has {held_score:.0f}"
                + ("" if held is None or held.kept else f" ({held.reason})")
            )
            return decision
        self._set(fp, pin.model_id, turn)
        return self._pinned_decision(decision, pinned, pin.model_id, fp, turn)

    def _pinned_decision(
        self, fresh: Decision, pinned: Decision, model_id: str, fp: str, turn: int
    ) -> Decision:
        # If the pinned model fails, its equivalents go first, then the fresh pick's chain.
        chain: list[str] = []
        for mid in [*pinned.fallbacks, fresh.primary, *fresh.fallbacks]:
            if mid != model_id and mid not in chain:
                chain.append(mid)
        candidates = [
            c._replace(
                reason=f"pinned (conversation {fp}, turn {turn}); "
                + c.reason.removeprefix("explicit model; ").removeprefix("explicit model: ")
            )
            if c.model_id == model_id
            else c
            for c in pinned.candidates
        ]
        notes = [n for n in fresh.notes if n != "explicit model"]
        notes.append(f"pinned to {model_id} (conversation {fp}, turn {turn})")
        return Decision(
            strategy=fresh.strategy,
            primary=model_id,
            fallbacks=chain[:MAX_FALLBACKS],
            candidates=candidates,
            why=f"pinned: {model_id} (conversation {fp}, turn {turn}); "
            f"{fresh.strategy} alone would pick {fresh.primary}",
            notes=notes,
            est_prompt_tokens=fresh.est_prompt_tokens,
        )

    def _set(self, fp: str, model_id: str, turn: int) -> None:
        self._pins[fp] = Pin(model_id, turn, self._clock())
        self._pins.move_to_end(fp)
        now = self._clock()
        while self._pins:  # expired pins at the old end go first, then the least recent
            oldest_fp, oldest = next(iter(self._pins.items()))
            if len(self._pins) <= self._max and now - oldest.last_used <= self.window_s:
                break
            del self._pins[oldest_fp]
