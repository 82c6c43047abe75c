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
    probs: np.ndarray  # (len(TASKS),) calibrated task probabilities
    complexity: float  # calibrated P(a small model gets it wrong)
    rows: list[int]  # vocabulary rows that fired (for explanations)


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
        self.vocab: list[str] = bytes(z["vocab"]).decode("utf-8").split("\n")
        self.index: dict[str, int] = {name: i for i, name in enumerate(self.vocab)}
        self.W = z["W"].astype(np.float32)
        self.b = z["b"].astype(np.float32)
        self.wc = z["wc"].astype(np.float32)
        self.bc = float(z["bc"])
        self.temperature = float(z["temperature"])
        self.platt_a, self.platt_b = (float(v) for v in z["platt"])
        self.meta: dict[str, Any] = json.loads(bytes(z["meta"]).decode("utf-8"))
        if tuple(self.meta.get("tasks", ())) != TASKS:
            raise ValueError(
                f"{WEIGHTS_FILE}: trained for tasks {self.meta.get('tasks')}, not {TASKS}"
            )

    def predict(self, names: list[str]) -> Prediction:
        get = self.index.get
        rows = list({i for n in names if (i := get(n)) is not None})
        z = self.W[rows].sum(axis=0) + self.b if rows else self.b.copy()
        z = z / self.temperature
        e = np.exp(z - z.max())
        probs = e / e.sum()
        zc = float(self.wc[rows].sum()) + self.bc if rows else self.bc
        complexity = 1.0 / (1.0 + math.exp(-(self.platt_a * zc + self.platt_b)))
        return Prediction(probs, complexity, rows)

    def explain(self, rows: list[int], task: int, against: int, n: int = 4) -> list[str]:
        """The features that pushed `task` over `against` most, as readable phrases."""
        if not rows:
            return []
        push = self.W[rows, task] - self.W[rows, against]
        top = np.argsort(-push)[:n]
        return [f"{describe(self.vocab[rows[i]])} ({push[i]:+.2f})" for i in top if push[i] > 0]

    def explain_complexity(self, rows: list[int], n: int = 3) -> list[str]:
        if not rows:
            return []
        w = self.wc[rows]
        out = []
        for i in np.argsort(-np.abs(w))[:n]:
            direction = "harder" if w[i] > 0 else "easier"
            out.append(f"{describe(self.vocab[rows[i]])} ({direction} {w[i]:+.2f})")
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
