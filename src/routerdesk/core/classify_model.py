"""The learned part of the L1 classifier: two linear models over sparse binary features.

Weights ship in ``resources/classifier.npz`` (written by training/train.py from the
corpus described in training/SOURCES.md; training/MODEL_CARD.md says what they are
good and bad at). Inference is numpy only: look the request's feature names up in
the vocabulary, sum those rows of the weight matrix, then

    task probabilities  softmax((x W + b) / T)      T fitted on out-of-source predictions
    complexity          sigmoid(a (x w_c + b_c) + c)  P(a small model gets it wrong)

An explicit vocabulary rather than the hashing trick: it is as fast (one dict lookup
per feature), has no collisions, is smaller at this size, and lets every decision
be explained by the names of the features that pushed it.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from routerdesk.core.types import TASKS

WEIGHTS_FILE = "classifier.npz"


class Prediction(NamedTuple):
    probs: list[float]  # calibrated task probabilities, in TASKS order
    complexity: float  # calibrated P(a small model gets it wrong)
    rows: list[int]  # vocabulary rows that fired (for explanations)
    weights: np.ndarray  # (len(rows), len(TASKS) + 1): their task and complexity weights


class LinearModel:
    """Loaded weights; `predict(names)` scores one request's feature names."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            ref = resources.files("routerdesk") / "resources" / WEIGHTS_FILE
            with resources.as_file(ref) as p, np.load(p) as z:
                self._load(z)
        else:
            with np.load(path) as z:
                self._load(z)

    def _load(self, z: Any) -> None:
        # Row 0 is an empty feature (zero weights), so every real row number is truthy and
        # `predict` can drop unknown names with a C-level filter(None, ...).
        self.vocab: list[str] = ["", *bytes(z["vocab"]).decode("utf-8").split("\n")]
        self.index: dict[str, int] = {name: i for i, name in enumerate(self.vocab) if i}
        # Task and complexity weights side by side: one gather serves both models.
        self.Wx = np.vstack(
            [np.zeros((1, len(TASKS) + 1)), np.hstack([z["W"], z["wc"][:, None]])]
        ).astype(np.float32)
        self.W = self.Wx[:, : len(TASKS)]
        self.wc = self.Wx[:, len(TASKS)]
        self.b = [float(v) for v in z["b"]]
        self.bc = float(z["bc"])
        self.temperature = float(z["temperature"])
        self.platt_a, self.platt_b = (float(v) for v in z["platt"])
        self._phrases: dict[int, str] = {}  # explanation phrases, filled as rows are used
        self.meta: dict[str, Any] = json.loads(bytes(z["meta"]).decode("utf-8"))
        if tuple(self.meta.get("tasks", ())) != TASKS:
            raise ValueError(
                f"{WEIGHTS_FILE}: trained for tasks {self.meta.get('tasks')}, not {TASKS}"
            )

    def predict(self, names: list[str]) -> Prediction:
        # map, filter and dict.fromkeys run in C: known names, once each, in order.
        rows = list(dict.fromkeys(filter(None, map(self.index.get, names))))
        # Eight logits and one complexity score: plain floats beat numpy at this size.
        if rows:
            g = self.Wx[rows]
            z = g.sum(axis=0).tolist()
        else:
            g = self.Wx[:0]
            z = [0.0] * (len(TASKS) + 1)
        t = self.temperature
        logits = [(a + b) / t for a, b in zip(z, self.b, strict=False)]
        top = max(logits)
        e = [math.exp(v - top) for v in logits]
        total = sum(e)
        probs = [v / total for v in e]
        zc = z[-1] + self.bc
        complexity = 1.0 / (1.0 + math.exp(-(self.platt_a * zc + self.platt_b)))
        return Prediction(probs, complexity, rows, g)

    def _top(self, values: np.ndarray, n: int) -> list[int]:
        """Positions of the n largest values, largest first (argpartition: linear time)."""
        if len(values) > n:
            idx = np.argpartition(values, -n)[-n:]
            return sorted(idx.tolist(), key=lambda i: -values.item(i))
        return sorted(range(len(values)), key=lambda i: -values.item(i))

    def _phrase(self, row: int) -> str:
        text = self._phrases.get(row)
        if text is None:
            text = self._phrases[row] = describe(self.vocab[row])
        return text

    def explain(self, pred: Prediction, task: int, against: int, n: int = 3) -> list[str]:
        """The features that pushed `task` over `against` most, as readable phrases."""
        if not pred.rows:
            return []
        push = pred.weights[:, task] - pred.weights[:, against]
        return [
            f"{self._phrase(pred.rows[i])} ({push.item(i):+.2f})"
            for i in self._top(push, n)
            if push.item(i) > 0
        ]

    def explain_complexity(self, pred: Prediction, n: int = 2) -> list[str]:
        """The features that moved complexity most, either way."""
        if not pred.rows:
            return []
        w = pred.weights[:, len(TASKS)]
        out = []
        for i in self._top(np.abs(w), n):
            v = w.item(i)
            out.append(f"{self._phrase(pred.rows[i])} ({'harder' if v > 0 else 'easier'} {v:+.2f})")
        return out


_KINDS = {
    "w": "word", "b": "words", "h": "opening word", "x": "stem", "c": "code word",
    "p": "previous turn", "s": "system prompt", "kh": "cue (instruction)", "Kh": "strong cue (instruction)",
    "km": "cue (body)", "Km": "strong cue (body)", "kp": "cue (previous turn)",
    "Kp": "strong cue (previous turn)", "ks": "cue (system prompt)", "Ks": "strong cue (system prompt)",
}  # fmt: skip
_FLAGS = {
    "fenced": "fenced code", "trace": "stack trace", "diff": "diff", "unfenced_code": "unfenced code",
    "images": "images", "coding_tools": "coding tools offered", "extract_tool": "extraction tool",
    "json_object": "JSON mode", "json_schema": "JSON schema", "agent_loop": "agent loop",
    "follow_up": "short follow-up", "later_turn": "later turn", "system": "system prompt",
    "ends_q": "ends with a question mark", "no_user": "no user text",
}  # fmt: skip


def describe(name: str) -> str:
    """A feature name as a phrase: ``w:translate`` -> ``word "translate"``."""
    kind, _, value = name.partition(":")
    if kind == "f":
        base = value.rstrip("0123456789")
        if base in _FLAGS:
            return _FLAGS[base]
        return f"{base} level {value[len(base) :]}"
    if kind.lower().startswith("k"):
        return f"{_KINDS.get(kind, kind)} {value}"
    return f'{_KINDS.get(kind, kind)} "{value}"'


@cache
def shipped_model() -> LinearModel:
    """The weights in the package, loaded once per process."""
    return LinearModel()
