"""L1 prompt classifier: task, complexity and a calibrated confidence from a learned model.

`L1Classifier.classify(req)` reads a `ChatRequest` and returns a `Classification`
(tier "l1"). What it reads is in `classify_features` (bounded windows of the last
user turn, the previous one and the system prompt, plus structure: code, traces,
diffs, images, tools, JSON mode, turn position); how it scores is in
`classify_model` (two linear models trained on public prompts, training/).

    task        the most probable of TASKS
    confidence  its probability, temperature-calibrated on out-of-source data, so
                the L2 threshold means what it says (0.6 = right about 60% of the time)
    complexity  calibrated P(a small model gets this wrong), 0..1

Conversations: a short follow-up ("yes", "ok continue", "make it faster") is read
together with the previous user turn. When the follow-up alone is not clearly
another task, the thread's task (the previous turn, scored on its own) is added to
its probabilities, so the thread keeps its task unless the follow-up asks for
something else ("now translate it into German").

`signals` name the features that pushed the decision (words, cue families, structure)
with their weights: `routerdesk route --explain`, the Playground and the Requests
page show them.
"""

from __future__ import annotations

from routerdesk.core.classify_features import (
    HEAD_WIN,
    Reading,
    features,
    read_request,
    strip_plumbing,
)
from routerdesk.core.classify_model import LinearModel, shipped_model
from routerdesk.core.tokens import PromptShape
from routerdesk.core.types import TASKS, ChatRequest, Classification

__all__ = ["L1Classifier", "strip_plumbing"]

# A follow-up this sure of its own task keeps it; below, the thread's task counts too.
FOLLOW_UP_OWN = 0.8


class L1Classifier:
    """The learned first tier; an optional L2 model checks it when confidence is low."""

    def __init__(self, model: LinearModel | None = None) -> None:
        self._model = model  # None: the shipped weights, loaded on first use

    @property
    def model(self) -> LinearModel:
        return self._model or shipped_model()

    def classify(self, req: ChatRequest, shape: PromptShape | None = None) -> Classification:
        """Classify `req`; pass the request's `measure()` when routing will need it anyway."""
        reading = read_request(req, shape)
        model = self.model
        pred = model.predict_features(features(reading))
        probs = pred.probs
        signals: list[str] = []
        if reading.prev and "follow_up" in reading.flags and max(probs) < FOLLOW_UP_OWN:
            thread = model.predict_features(features(_alone(reading.prev)))
            probs = [(a + b) / 2 for a, b in zip(probs, thread.probs, strict=True)]
            thread_task = TASKS[thread.probs.index(max(thread.probs))]
            signals.append(f"short follow-up: keeps the thread's task ({thread_task})")
        order = sorted(range(len(probs)), key=probs.__getitem__, reverse=True)
        top, second = order[0], order[1]
        task = TASKS[top]
        confidence = float(probs[top])
        if not reading.has_user:
            confidence = min(confidence, 0.4)
            signals.append("no user text")
        signals.extend(model.explain(pred, top, second))
        logged = dict(reading.log_features)
        logged["p_second"] = round(float(probs[second]), 3)
        return Classification(
            task=task,
            confidence=round(confidence, 3),
            complexity=round(pred.complexity, 3),
            tier="l1",
            signals=signals,
            features=logged,
        )


def _alone(text: str) -> Reading:
    """A previous turn read as a request of its own (words only, no structure)."""
    win = text[:HEAD_WIN]
    return Reading(prose=win, instruction=win, code="", prev="", system="", flags=(),
                   log_features={}, has_user=True)  # fmt: skip
