"""The learned part of the L1 classifier: two linear models over sparse binary features.

Weights ship in ``resources/classifier.bin`` (written by training/train.py from the
corpus described in training/SOURCES.md; training/MODEL_CARD.md says what they are
good and bad at). Inference: look the request's features up in the vocabulary (per
kind: ``features(reading)`` gives (kind, keys) groups, `kinds` maps each kind's keys
to rows, so no ``w:word`` string is built or hashed per request; `predict(names)` is
the by-name path, for training names and tests), sum those rows of the weight matrix, then

    task probabilities  softmax((x W + b) / T)      T fitted on out-of-source predictions
    complexity          sigmoid(a (x w_c + b_c) + c)  P(a small model gets it wrong)

An explicit vocabulary rather than the hashing trick: it is as fast (one dict lookup
per feature), has no collisions, is smaller at this size, and lets every decision
be explained by the names of the features that pushed it.

Plain Python and the standard library's `array`, no numpy: a request fires about a
hundred features, and at that size gathering them from one array per column (an
`itemgetter` of the fired rows, called once per column) and summing with
`map(sum, ...)`, all in C, costs what numpy's call overhead does, while importing
numpy would add 80-400 ms to the start-up of `serve`. The gathered columns stay in
the prediction, so `explain` ranks features without looking a weight up again.

File format (little-endian): ``RDCLF1\n``, a u32 length and that much UTF-8 JSON
(meta, biases, temperature, Platt scaling, number of features), a u32 length and the
vocabulary (names joined by newlines), then features x (tasks + 1) float32 weights,
row by row: the task weights followed by the complexity weight.
"""

from __future__ import annotations

import functools
import json
import math
import struct
import sys
import threading
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from importlib import resources
from operator import itemgetter, sub
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from routerdesk.core.types import TASKS

if TYPE_CHECKING:
    from routerdesk.core.classify_features import FeatureGroup

WEIGHTS_FILE = "classifier.bin"
MAGIC = b"RDCLF1\n"
WIDTH = len(TASKS) + 1  # task weights, then the complexity weight


class Prediction(NamedTuple):
    probs: list[float]  # calibrated task probabilities, in TASKS order
    complexity: float  # calibrated P(a small model gets it wrong)
    rows: list[int]  # vocabulary rows that fired (for explanations)
    # columns[j][i]: the weight of row rows[i] for task j (the last column: complexity)
    columns: list[tuple[float, ...]]


def write_weights(
    path: Path, header: dict[str, Any], vocab: list[str], rows: list[list[float]]
) -> None:
    """Write a weights file (training/train.py); `rows[i]` = task weights + complexity weight."""
    head = json.dumps(header, sort_keys=True).encode("utf-8")
    names = "\n".join(vocab).encode("utf-8")
    flat = array("f", [v for row in rows for v in row])
    if sys.byteorder != "little":
        flat.byteswap()
    with path.open("wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<I", len(head)) + head)
        f.write(struct.pack("<I", len(names)) + names)
        f.write(flat.tobytes())


class LinearModel:
    """Loaded weights; `predict(names)` scores one request's feature names."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            data = (resources.files("routerdesk") / "resources" / WEIGHTS_FILE).read_bytes()
        else:
            data = path.read_bytes()
        self._load(data, str(path or WEIGHTS_FILE))

    def _load(self, data: bytes, where: str) -> None:
        if not data.startswith(MAGIC):
            raise ValueError(f"{where}: not a routerdesk classifier weights file")
        at = len(MAGIC)
        (n,) = struct.unpack_from("<I", data, at)
        header = json.loads(data[at + 4 : at + 4 + n])
        at += 4 + n
        (n,) = struct.unpack_from("<I", data, at)
        names = data[at + 4 : at + 4 + n].decode("utf-8").split("\n")
        at += 4 + n
        self.meta: dict[str, Any] = header["meta"]
        if tuple(self.meta.get("tasks", ())) != TASKS:
            raise ValueError(f"{where}: trained for tasks {self.meta.get('tasks')}, not {TASKS}")
        # Row 0 is an empty feature (zero weights), so every real row number is truthy and
        # `predict` can drop unknown names with a C-level filter(None, ...).
        self.vocab: list[str] = ["", *names]
        self.kinds = _kind_indexes(names)
        weights = array("f", bytes(4 * WIDTH))
        weights.frombytes(data[at : at + 4 * WIDTH * len(names)])
        if sys.byteorder != "little":
            weights.byteswap()
        if len(weights) != WIDTH * len(self.vocab):
            raise ValueError(
                f"{where}: truncated ({len(weights)} weights for {len(names)} features)"
            )
        # Kept column-major (one array per task, then complexity): `score` gathers the
        # fired rows of each column with one C-level itemgetter call instead of slicing
        # every row in a Python loop and transposing.
        self.columns: list[array[float]] = [weights[j::WIDTH] for j in range(WIDTH)]
        self.b: list[float] = [float(v) for v in header["bias"]]
        self.bc = float(header["complexity_bias"])
        self.temperature = float(header["temperature"])
        self.platt_a, self.platt_b = (float(v) for v in header["platt"])
        self._phrases: dict[int, str] = {}  # explanation phrases, filled as rows are used

    def row(self, i: int) -> list[float]:
        """Feature `i`'s task weights followed by its complexity weight."""
        return [col[i] for col in self.columns]

    @functools.cached_property
    def index(self) -> dict[str, int]:
        """Feature name -> row, built on first use (tests and tools; requests go through
        `kinds`, built at load)."""
        return dict(zip(self.vocab[1:], range(1, len(self.vocab)), strict=True))

    def rows(self, groups: Iterable[FeatureGroup]) -> list[int]:
        """The rows of the known features among `groups`, once each, in order."""
        found: list[int | None] = []
        kinds = self.kinds
        for kind, keys in groups:
            index = kinds.get(kind)
            if index is not None:
                found += map(index.get, keys)
        # filter and dict.fromkeys run in C: known features, once each, in order.
        return list(dict.fromkeys(filter(None, found)))

    def predict_features(self, groups: Iterable[FeatureGroup]) -> Prediction:
        """Score a request's features (`classify_features.features`): the run-time path."""
        return self.score(self.rows(groups))

    def predict(self, names: Iterable[str]) -> Prediction:
        """Score features given by name (as training names them)."""
        return self.score(list(dict.fromkeys(filter(None, map(self.index.get, names)))))

    def score(self, rows: list[int]) -> Prediction:
        """Probabilities and complexity from the rows of the features that fired."""
        columns: list[tuple[float, ...]]
        if len(rows) > 1:
            gather = itemgetter(*rows)  # a tuple of the fired rows' weights per column
            columns = [gather(col) for col in self.columns]
        else:  # itemgetter of one index returns the item, not a tuple
            columns = [(col[rows[0]],) for col in self.columns] if rows else []
        z = list(map(sum, columns)) if rows else [0.0] * WIDTH
        t = self.temperature
        logits = [(a + b) / t for a, b in zip(z, self.b, strict=False)]
        top = max(logits)
        e = [math.exp(v - top) for v in logits]
        total = sum(e)
        probs = [v / total for v in e]
        zc = z[-1] + self.bc
        complexity = 1.0 / (1.0 + math.exp(-(self.platt_a * zc + self.platt_b)))
        return Prediction(probs, complexity, rows, columns)

    def _phrase(self, row: int) -> str:
        text = self._phrases.get(row)
        if text is None:
            text = self._phrases[row] = describe(self.vocab[row])
        return text

    def explain(
        self, pred: Prediction, task: int, against: int, n: int = 3, m: int = 2
    ) -> list[str]:
        """The `n` features that pushed `task` over `against` most and the `m` that moved
        complexity most, as readable phrases with their weights."""
        rows, cols = pred.rows, pred.columns
        if not rows:
            return []
        push = list(map(sub, cols[task], cols[against]))
        order = sorted(range(len(rows)), key=push.__getitem__, reverse=True)[:n]
        out = [f"{self._phrase(rows[i])} ({push[i]:+.2f})" for i in order if push[i] > 0]
        hard = cols[-1]
        by_size = list(map(abs, hard))
        for i in sorted(range(len(rows)), key=by_size.__getitem__, reverse=True)[:m]:
            v = hard[i]
            out.append(f"{self._phrase(rows[i])} ({'harder' if v > 0 else 'easier'} {v:+.2f})")
        return out


def _kind_indexes(names: list[str]) -> dict[str, dict[str, int]]:
    """kind -> key -> row: the inverse of `classify_features.feature_name`.

    C-level passes over the names in sorted order, where each kind is one run, ended
    where ``kind;`` would sort. Training writes the vocabulary sorted; another file
    is read through a sorting permutation.
    """
    ordered = sorted(names)
    order = None if ordered == names else sorted(range(len(names)), key=names.__getitem__)
    kinds: dict[str, dict[str, int]] = {}
    start = 0
    while start < len(ordered):
        prefix = ordered[start].partition(":")[0] + ":"
        end = bisect_left(ordered, prefix[:-1] + ";", start)
        # the run's keys: strip every prefix at once, then split (faster than slicing each)
        block = "\n".join(ordered[start:end])
        keys = block[len(prefix) :].replace("\n" + prefix, "\n").split("\n")
        rows = range(start + 1, end + 1) if order is None else map((1).__add__, order[start:end])
        kinds[prefix[:-1]] = dict(zip(keys, rows, strict=True))
        start = end
    return kinds


_KINDS = {
    "w": "word", "b": "words", "h": "opening word", "x": "stem", "c": "code word",
    "p": "previous turn", "s": "system prompt", "kh": "cue (instruction)",
    "KH": "strong cue (instruction)", "kp": "cue (previous turn)",
    "KP": "strong cue (previous turn)", "ks": "cue (system prompt)", "KS": "strong cue (system prompt)",
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


_shipped: LinearModel | None = None
_loading = threading.Lock()


def shipped_model() -> LinearModel:
    """The weights in the package, loaded once per process (thread-safe: `serve` starts
    loading them in the background, and a request that comes first waits for it)."""
    global _shipped
    if _shipped is None:
        with _loading:
            if _shipped is None:
                _shipped = LinearModel()
    return _shipped


def preload_shipped_model() -> None:
    """Start loading the shipped weights on a daemon thread (about 100 ms of work that
    need not delay the server's start-up)."""
    if _shipped is None:
        threading.Thread(target=shipped_model, name="classifier-load", daemon=True).start()
