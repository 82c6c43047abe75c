"""A columnar (numpy) store of finished requests and the aggregates the dashboard draws.

Appending is amortised O(1) and every aggregate is a vectorised pass over the
selected time window, so a redraw stays cheap even with 100k rows in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from routerdesk.gui.models.request_row import RequestRow

FloatArray = npt.NDArray[np.float64]
_COLUMNS = ("t", "cost", "baseline", "latency", "overhead", "model", "task", "ok", "req")
CLASSIFIER_TASK = "l2"  # rows of the L2 classifier's own calls: spend, but not requests


@dataclass(slots=True, frozen=True)
class Summary:
    requests: int
    spend: float
    baseline: float
    errors: int
    median_overhead_ms: float | None

    @property
    def savings(self) -> float:
        return self.baseline - self.spend

    @property
    def savings_pct(self) -> float | None:
        return 100.0 * self.savings / self.baseline if self.baseline > 0 else None


@dataclass(slots=True, frozen=True)
class Window:
    """Everything the dashboard shows for one time range."""

    summary: Summary
    by_model: list[tuple[str, int]]  # most used first
    by_task: list[tuple[str, int]]
    cum_t: FloatArray  # unix seconds, ascending
    cum_spend: FloatArray
    cum_baseline: FloatArray
    lat_t: FloatArray  # bucket centres
    lat_p50: FloatArray
    lat_p95: FloatArray
    lat_bucket_s: float = 0.0  # bucket width: centres further apart than this had idle buckets


class UsageSeries:
    """Finished requests as growable numpy columns; codes index `models` and `tasks`."""

    def __init__(self, capacity: int = 1024) -> None:
        self._n = 0
        self._cols: dict[str, FloatArray] = {c: np.zeros(capacity) for c in _COLUMNS}
        self.models: list[str] = []
        self.tasks: list[str] = []
        self._model_code: dict[str, int] = {}
        self._task_code: dict[str, int] = {}

    def __len__(self) -> int:
        return self._n

    def clear(self) -> None:
        self._n = 0

    def extend(self, records: Iterable[RequestRow]) -> None:
        rows = list(records)
        need = self._n + len(rows)
        if need > len(self._cols["t"]):
            size = max(need, 2 * len(self._cols["t"]))
            for name, col in self._cols.items():
                grown = np.zeros(size)
                grown[: self._n] = col[: self._n]
                self._cols[name] = grown
        i = self._n
        c = self._cols
        for r in rows:
            c["t"][i] = r.started_at
            c["cost"][i] = r.cost
            c["baseline"][i] = r.baseline_cost
            c["latency"][i] = r.latency_ms
            c["overhead"][i] = r.overhead_ms
            c["model"][i] = self._code(self._model_code, self.models, r.model_id or "(none)")
            c["task"][i] = self._code(self._task_code, self.tasks, r.task or "(unknown)")
            c["ok"][i] = 1.0 if r.status == "ok" else 0.0
            c["req"][i] = 0.0 if r.task == CLASSIFIER_TASK else 1.0
            i += 1
        self._n = i

    @staticmethod
    def _code(index: dict[str, int], names: list[str], name: str) -> int:
        code = index.get(name)
        if code is None:
            code = index[name] = len(names)
            names.append(name)
        return code

    def summary(self, since: float | None = None) -> Summary:
        return self._summary(self._mask(since))

    def window(self, since: float | None = None, buckets: int | None = None) -> Window:
        """Aggregates since `since`; latency in `buckets` time buckets (default: up to 60,
        with about three requests each, so a few dozen requests still draw a line, not dots)."""
        sel = self._mask(since)
        # Charts show client requests; the classifier's own calls only add to spend.
        req = sel & (self._cols["req"][: self._n] > 0)
        c = {k: v[: self._n][req] for k, v in self._cols.items()}
        order = np.argsort(c["t"], kind="stable")
        t = c["t"][order]
        if buckets is None:
            buckets = max(1, min(60, max(len(t) // 3, min(len(t), 8))))
        lat_t, p50, p95 = _latency_buckets(t, c["latency"][order], buckets)
        width = (float(t[-1]) - float(t[0])) / buckets if len(t) else 0.0
        every = {k: v[: self._n][sel] for k, v in self._cols.items()}
        spend_order = np.argsort(every["t"], kind="stable")
        return Window(
            summary=self._summary(sel),
            by_model=_counts(c["model"], self.models),
            by_task=_counts(c["task"], self.tasks),
            cum_t=every["t"][spend_order],
            cum_spend=np.cumsum(every["cost"][spend_order]),
            cum_baseline=np.cumsum(every["baseline"][spend_order]),
            lat_t=lat_t,
            lat_p50=p50,
            lat_p95=p95,
            lat_bucket_s=width,
        )

    def _mask(self, since: float | None) -> npt.NDArray[np.bool_]:
        t = self._cols["t"][: self._n]
        if since is None:
            return np.ones(self._n, dtype=bool)
        mask: npt.NDArray[np.bool_] = t >= since
        return mask

    def _summary(self, sel: npt.NDArray[np.bool_]) -> Summary:
        c = self._cols
        req = sel & (c["req"][: self._n] > 0)
        n = int(req.sum())
        overhead = c["overhead"][: self._n][req]
        return Summary(
            requests=n,
            spend=float(c["cost"][: self._n][sel].sum()),
            baseline=float(c["baseline"][: self._n][sel].sum()),
            errors=int(n - c["ok"][: self._n][req].sum()),
            median_overhead_ms=float(np.median(overhead)) if n else None,
        )


def _counts(codes: FloatArray, names: list[str]) -> list[tuple[str, int]]:
    if not len(codes):
        return []
    counts = np.bincount(codes.astype(np.int64), minlength=len(names))
    pairs = [(names[i], int(n)) for i, n in enumerate(counts) if n]
    pairs.sort(key=lambda p: (-p[1], p[0]))
    return pairs


def _latency_buckets(
    t: FloatArray, latency: FloatArray, buckets: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """p50 and p95 latency per time bucket (nearest rank); empty buckets are left out.

    Vectorised: one lexsort by (bucket, latency), then each bucket's percentiles
    are read at fixed offsets into its sorted slice.
    """
    if not len(t):
        empty = np.zeros(0)
        return empty, empty, empty
    lo, hi = float(t.min()), float(t.max())
    span = max(hi - lo, 1e-9)
    idx = np.minimum(((t - lo) / span * buckets).astype(np.int64), buckets - 1)
    order = np.lexsort((latency, idx))
    sorted_lat, sorted_idx = latency[order], idx[order]
    present, starts, counts = np.unique(sorted_idx, return_index=True, return_counts=True)
    p50 = sorted_lat[starts + ((counts - 1) * 0.5).astype(np.int64)]
    p95 = sorted_lat[starts + ((counts - 1) * 0.95).round().astype(np.int64)]
    centres = lo + (present + 0.5) * span / buckets
    return centres.astype(np.float64), p50, p95
