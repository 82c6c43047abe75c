"""Fitting the L1 classifier: corpus -> features -> two linear models, and their evaluation.

Shared by training/train.py (which writes the shipped weights) and
benchmarks/eval_classifier.py (which reports leave-one-source-out figures). Every
function is a pure function of its inputs and `SETTINGS`: fixed seeds, sorted
vocabularies, no clock.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from routerdesk.core.classify_features import feature_names, read_request
from routerdesk.core.openai_format import parse_messages, parse_response_format, parse_tools
from routerdesk.core.types import TASKS, ChatRequest, Message, TextPart, ToolChoice

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "training" / "data" / "corpus.jsonl.gz"
LOCK = ROOT / "training" / "corpus.lock.json"

# min_df: a feature seen in fewer training rows is dropped; task_C, complexity_C: inverse
# L2 strengths; cell_alpha: row weight ~ 1 / max(count(source, task), cell_floor) ** alpha,
# then tasks balanced. In a file of its own so tests can check the weights against it without sklearn.
SETTINGS: dict[str, Any] = json.loads((ROOT / "training" / "settings.json").read_text())


@dataclass
class Corpus:
    rows: list[dict[str, Any]]
    feats: list[list[str]]
    y: np.ndarray  # task index per row
    difficulty: np.ndarray  # P(small model wrong) per row, NaN where unknown
    sources: np.ndarray
    sha256: str


def to_request(row: dict[str, Any]) -> ChatRequest:
    if "messages" in row:
        msgs = parse_messages(row["messages"])
    else:
        msgs = [Message("user", [TextPart(row["prompt"])])]
    tools = parse_tools(row["tools"]) if row.get("tools") else []
    rf = parse_response_format(row["response_format"]) if row.get("response_format") else None
    choice = row.get("tool_choice")
    tool_choice = None
    if isinstance(choice, dict):
        tool_choice = ToolChoice("tool", choice["function"]["name"])
    elif choice in ("required", "auto", "none"):
        tool_choice = ToolChoice(choice)
    return ChatRequest(messages=msgs, tools=tools, response_format=rf, tool_choice=tool_choice)


def load_corpus(path: Path = CORPUS) -> Corpus:
    raw = gzip.decompress(path.read_bytes())
    rows = [json.loads(line) for line in raw.decode().split("\n") if line.strip()]
    feats = [feature_names(read_request(to_request(r))) for r in rows]
    y = np.array([TASKS.index(r["task"]) for r in rows])
    diff = np.array([np.nan if r.get("difficulty") is None else r["difficulty"] for r in rows])
    return Corpus(rows, feats, y, diff, np.array([r["source"] for r in rows]),
                  hashlib.sha256(raw).hexdigest())  # fmt: skip


def build_vocab(feats: Sequence[list[str]], settings: dict[str, Any] = SETTINGS) -> list[str]:
    df: Counter[str] = Counter()
    for f in feats:
        df.update(set(f))
    kept = [(n, name) for name, n in df.items() if n >= settings["min_df"]]
    kept.sort(key=lambda t: (-t[0], t[1]))
    return sorted(name for _, name in kept[: settings["max_features"]])


def matrix(feats: Sequence[list[str]], vocab: dict[str, int]) -> sparse.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    for f in feats:
        idx = sorted({vocab[name] for name in f if name in vocab})
        indices.extend(idx)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float64)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(feats), len(vocab)))


def row_weights(y: np.ndarray, sources: np.ndarray, alpha: float, floor: int = 1) -> np.ndarray:
    """Each (source, task) cell weighs ~max(count, floor)**(1-alpha); then every task weighs
    the same. The floor keeps a cell of a few rows (two arithmetic questions among people's
    chat openers) from weighing as much as a whole dataset of that task."""
    cells = Counter(zip(sources.tolist(), y.tolist(), strict=True))
    w = np.array([max(cells[(s, t)], floor) ** -alpha for s, t in zip(sources, y, strict=True)])
    for t in np.unique(y):
        w[y == t] /= w[y == t].sum()
    return w * len(y) / w.sum()


@dataclass
class Fitted:
    vocab: list[str]
    W: np.ndarray  # (features, tasks)
    b: np.ndarray  # (tasks,)
    wc: np.ndarray  # (features,) complexity
    bc: float
    task_ids: list[int]  # which TASKS the columns are (all of them when every task is present)


def fit(c: Corpus, mask: np.ndarray, settings: dict[str, Any] = SETTINGS) -> Fitted:
    feats = [f for f, m in zip(c.feats, mask, strict=True) if m]
    vocab = build_vocab(feats, settings)
    index = {name: i for i, name in enumerate(vocab)}
    # Feature groups are scaled before the L2-penalised fit (a larger scale = a weaker
    # penalty): cue families and structure generalise across sources better than words.
    # The scale is folded back into the weights, so inference sums binary features.
    scale = np.array([settings["group_scale"].get(name.split(":", 1)[0], 1.0) for name in vocab])
    X = matrix(feats, index) @ sparse.diags(scale)
    X = X.tocsr()
    y = c.y[mask]
    w = row_weights(y, c.sources[mask], settings["cell_alpha"], settings["cell_floor"])
    task = LogisticRegression(C=settings["task_C"], max_iter=settings["max_iter"], tol=1e-4)
    task.fit(X, y, sample_weight=w)
    W = task.coef_.T * scale[:, None]
    b = task.intercept_
    # complexity: soft labels as two weighted copies of each row with a known difficulty
    d = c.difficulty[mask]
    known = ~np.isnan(d)
    Xk = X[known]
    dk = d[known]
    wk = row_weights(
        y[known], c.sources[mask][known], settings["cell_alpha"], settings["cell_floor"]
    )
    X2 = sparse.vstack([Xk, Xk]).tocsr()
    y2 = np.r_[np.ones(len(dk)), np.zeros(len(dk))]
    w2 = np.r_[wk * dk, wk * (1 - dk)]
    comp = LogisticRegression(C=settings["complexity_C"], max_iter=settings["max_iter"], tol=1e-4)
    comp.fit(X2, y2, sample_weight=w2)
    return Fitted(vocab, W, b, comp.coef_[0] * scale, float(comp.intercept_[0]),
                  [int(t) for t in task.classes_])  # fmt: skip


def scores(f: Fitted, feats: Sequence[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """(task logits over all TASKS, complexity logit) per row."""
    index = {name: i for i, name in enumerate(f.vocab)}
    X = matrix(feats, index)
    logits = np.full((len(feats), len(TASKS)), -1e9)
    logits[:, f.task_ids] = X @ f.W + f.b
    return logits, X @ f.wc + f.bc


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood (grid, then refined)."""

    def nll(t: float) -> float:
        p = softmax(logits / t)
        return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)).mean())

    grid = np.exp(np.linspace(np.log(0.2), np.log(10), 60))
    best = min(grid, key=nll)
    fine = np.linspace(best * 0.85, best * 1.15, 31)
    return float(min(fine, key=nll))


def fit_platt(z: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """(a, b) so that sigmoid(a z + b) fits soft targets (cross-entropy, Newton steps)."""
    a, b = 1.0, 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-(a * z + b)))
        g = p - target
        ga, gb = float((g * z).mean()), float(g.mean())
        s = p * (1 - p)
        haa, hab, hbb = (
            float((s * z * z).mean()) + 1e-9,
            float((s * z).mean()),
            float(s.mean()) + 1e-9,
        )
        det = haa * hbb - hab * hab
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        a, b = a - da, b - db
        if abs(da) + abs(db) < 1e-8:
            break
    return float(a), float(b)


def leave_one_source_out(c: Corpus, settings: dict[str, Any] = SETTINGS
                         ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Out-of-source task logits and complexity logits for every row."""
    logits = np.zeros((len(c.rows), len(TASKS)))
    comp = np.zeros(len(c.rows))
    for s in sorted(set(c.sources.tolist())):
        held = c.sources == s
        f = fit(c, ~held, settings)
        lg, cz = scores(f, [x for x, h in zip(c.feats, held, strict=True) if h])
        logits[held] = lg
        comp[held] = cz
    return logits, comp


# A held-out source's macro accuracy leaves out the tasks it has fewer rows of than this:
# the recall of two rows (two sums among 2,178 chat openers) is noise, not a figure.
MIN_TASK_ROWS = 20


def macro_accuracy(y: np.ndarray, pred: np.ndarray, min_rows: int = 1) -> float:
    """Mean recall over the tasks in `y` with at least `min_rows` rows (all, if none has)."""
    tasks, counts = np.unique(y, return_counts=True)
    kept = tasks[counts >= min_rows] if (counts >= min_rows).any() else tasks
    return float(np.mean([float((pred[y == t] == t).mean()) for t in kept]))


def apgr(complexity: np.ndarray, weak: np.ndarray, strong: np.ndarray, steps: int = 100) -> float:
    """Average performance gap recovered (RouteLLM): route the most complex share x of the
    prompts to the strong model, x from 0 to 1; PGR(x) = (perf(x) - weak) / (strong - weak);
    the area under PGR over x. Ties in complexity are broken at random (seeded)."""
    rng = np.random.default_rng(0)
    order = np.lexsort((rng.random(len(complexity)), -complexity))
    w, s = float(weak.mean()), float(strong.mean())
    if s - w <= 0:
        return float("nan")
    gain = np.r_[0.0, np.cumsum((strong - weak)[order])] / len(order)
    xs = np.linspace(0, 1, steps + 1)
    perf = w + np.interp(xs * len(order), np.arange(len(order) + 1), gain)
    pgr = (perf - w) / (s - w)
    return float(np.trapezoid(pgr, xs))
