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

Shared pins (several workers or instances behind one address, `SharedPins`)
    The pins above stay the first place looked at, so the request path gains
    no database round trip when this process routed the conversation's previous
    turn. Every pin set is also handed to the shared store, which writes it in
    the background. Before a continuing turn whose previous turn this process
    did not route (no pin, or an older turn's), `recall` asks the store off the
    event loop and waits at most `LOOKUP_TIMEOUT_S`; a slow or unreachable
    store means "no pin" for that turn (logged), and no further lookups for
    `LOOKUP_BACKOFF_S`, so a sick database costs each request nothing. Staleness:
    a turn that reaches another instance before this one's write landed (a few
    ms) is routed afresh; a first turn regenerated elsewhere is not seen by an
    instance that routed the conversation's previous turn itself.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NamedTuple, Protocol

from routerdesk.core.errors import NoUsableModel, UnknownModel
from routerdesk.core.redact import scrub
from routerdesk.core.routing import MAX_FALLBACKS, balanced_target
from routerdesk.core.types import ChatRequest, Classification, Decision

FINGERPRINT_CHARS = 2_000  # of the system prompt and of the first user turn
MAX_CONVERSATIONS = 4_096
# A shared-store lookup waits this long at most (a local database answers in about a
# millisecond; the LLM call that follows takes seconds), then the turn goes unpinned.
LOOKUP_TIMEOUT_S = 0.05
LOOKUP_BACKOFF_S = 5.0  # after a slow or failed lookup, skip lookups this long

log = logging.getLogger(__name__)


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


class StoredPin(NamedTuple):
    """A pin as the shared store keeps it: `used_at` is wall-clock seconds (time.time)."""

    model_id: str
    turn: int
    used_at: float


class SharedPins(Protocol):
    """Pins shared by every process routing for one team (storage.pins, storage.pins_pg)."""

    def save(self, fingerprint: str, pin: StoredPin) -> None:
        """Queue a write; never blocks on the database, never raises."""

    def lookup(self, fingerprint: str) -> concurrent.futures.Future[StoredPin | None]:
        """Start a read on the store's own thread; the future holds the pin or None."""


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
        shared: SharedPins | None = None,
        wall_clock: Callable[[], float] = time.time,
        lookup_timeout_s: float = LOOKUP_TIMEOUT_S,
    ) -> None:
        self.window_s = window_s
        self._max = max_conversations
        self._clock = clock
        self._pins: OrderedDict[str, Pin] = OrderedDict()
        self.shared = shared
        self._wall = wall_clock
        self.lookup_timeout_s = lookup_timeout_s
        self._lookups_resume = float("-inf")  # clock time: lookups are paused until then

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

    async def recall(self, req: ChatRequest) -> None:
        """Before `apply` on a continuing turn: bring in the shared store's pin when this
        process did not route the previous turn. Waits `lookup_timeout_s` at most."""
        shared = self.shared
        if shared is None:
            return
        turn = turn_number(req)
        fp = conversation_fingerprint(req) if turn > 1 else None
        if fp is None:
            return
        local = self.get(fp)
        if local is not None and local.turn >= turn - 1:
            return  # this process routed the previous turn: its pin is the latest
        now = self._clock()
        if now < self._lookups_resume:
            return
        try:
            found = await asyncio.wait_for(
                asyncio.wrap_future(shared.lookup(fp)), self.lookup_timeout_s
            )
        except TimeoutError:
            self._pause_lookups(
                f"the database did not answer within {self.lookup_timeout_s * 1000:.0f} ms", fp
            )
            return
        except Exception as exc:
            lines = str(exc).strip().splitlines()
            why = scrub(lines[0]) if lines else type(exc).__name__
            self._pause_lookups(f"the lookup failed: {why}", fp)
            return
        if found is None:
            return
        age = max(0.0, self._wall() - found.used_at)
        local = self.get(fp)  # other requests ran while we waited
        if age > self.window_s or (local is not None and local.turn >= found.turn):
            return
        self._pins[fp] = Pin(found.model_id, found.turn, self._clock() - age)
        self._pins.move_to_end(fp)
        self._trim(self._clock())

    def _pause_lookups(self, why: str, fp: str) -> None:
        now = self._clock()
        if now < self._lookups_resume:
            return  # a concurrent lookup already paused them and said so
        self._lookups_resume = now + LOOKUP_BACKOFF_S
        log.warning(
            "shared conversation pins: %s; conversation %s is routed without the shared pin, "
            "and lookups pause for %.0f s",
            why,
            fp,
            LOOKUP_BACKOFF_S,
        )

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
        now = self._clock()
        self._pins[fp] = Pin(model_id, turn, now)
        self._pins.move_to_end(fp)
        if self.shared is not None:
            self.shared.save(fp, StoredPin(model_id, turn, self._wall()))
        self._trim(now)

    def _trim(self, now: float) -> None:
        while self._pins:  # expired pins at the old end go first, then the least recent
            oldest_fp, oldest = next(iter(self._pins.items()))
            if len(self._pins) <= self._max and now - oldest.last_used <= self.window_s:
                break
            del self._pins[oldest_fp]
