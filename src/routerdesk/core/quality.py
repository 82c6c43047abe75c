"""Quality kept: audit verdicts summed up with a Wilson interval, and the registry suggestions they back.

"Quality kept" is the share of judged audits whose routed answer was at least as
good as the baseline model's (`audit_judge.kept`). With n audits and k kept the
95% interval is Wilson's score interval, which stays inside 0..1 and behaves at
small n and at shares near 0 or 1, where the normal approximation does not.

A registry suggestion is made for a (model, task) pair only when the interval
says so: with at least `MIN_SAMPLES` judged audits, a model whose loss share is
above `LOSS_THRESHOLD` even at the interval's lower end should score lower for
that task; one whose win share is above `WIN_THRESHOLD` at the lower end may
score higher. The user accepts or dismisses; nothing here changes the registry.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Literal

from routerdesk.core.registry import Registry

Z95 = 1.959963984540054
MIN_SAMPLES = 20
LOSS_THRESHOLD = 0.15
WIN_THRESHOLD = 0.25


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials; (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class Judged:
    """What the summary needs from one audit (storage rows are turned into these)."""

    task: str
    model_id: str  # the routed model
    verdict: str  # better | as_good | worse; "" when the audit failed
    cost: float = 0.0


@dataclass(slots=True)
class Share:
    """Verdict counts of a group of judged audits."""

    better: int = 0
    as_good: int = 0
    worse: int = 0

    def add(self, verdict: str) -> None:
        if verdict == "better":
            self.better += 1
        elif verdict == "as_good":
            self.as_good += 1
        elif verdict == "worse":
            self.worse += 1

    @property
    def n(self) -> int:
        return self.better + self.as_good + self.worse

    @property
    def kept(self) -> int:
        return self.better + self.as_good

    @property
    def rate(self) -> float | None:
        return self.kept / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.kept, self.n)

    def describe(self) -> str:
        """ "94% (88-97%, 120 audits)", or "no audits yet"."""
        if not self.n:
            return "no audits yet"
        lo, hi = self.interval
        word = "audit" if self.n == 1 else "audits"
        return f"{self.rate:.0%} ({lo * 100:.0f}-{hi * 100:.0f}%, {self.n} {word})"


@dataclass(slots=True)
class QualitySummary:
    overall: Share = field(default_factory=Share)
    by_task: dict[str, Share] = field(default_factory=dict)
    by_model: dict[str, Share] = field(default_factory=dict)
    by_model_task: dict[tuple[str, str], Share] = field(default_factory=dict)
    failed: int = 0  # audits without a verdict (judge malformed/refused, a call failed)
    cost: float = 0.0  # USD, every audit call


def summarize(audits: Iterable[Judged]) -> QualitySummary:
    s = QualitySummary()
    for a in audits:
        s.cost += a.cost
        if not a.verdict:
            s.failed += 1
            continue
        s.overall.add(a.verdict)
        s.by_task.setdefault(a.task, Share()).add(a.verdict)
        s.by_model.setdefault(a.model_id, Share()).add(a.verdict)
        s.by_model_task.setdefault((a.model_id, a.task), Share()).add(a.verdict)
    return s


# --- registry suggestions -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Change one model's score for one task, with the evidence."""

    model_id: str
    task: str
    direction: Literal["lower", "raise"]
    current: int
    proposed: int
    evidence: str

    @property
    def key(self) -> str:
        """Identifies the suggestion for dismissal; a new score makes a new suggestion."""
        return f"{self.model_id}|{self.task}|{self.current}->{self.proposed}"


def suggestions(
    summary: QualitySummary,
    registry: Registry,
    *,
    baseline_id: str = "",
    dismissed: Collection[str] = (),
    min_samples: int = MIN_SAMPLES,
) -> list[Suggestion]:
    """Score changes the audits back with enough samples, worst losses first."""
    out: list[tuple[float, Suggestion]] = []
    for (model_id, task), share in summary.by_model_task.items():
        spec = registry.get(model_id)
        if spec is None or share.n < min_samples or task not in spec.capabilities:
            continue
        score = spec.capabilities[task]
        vs = f" than the baseline ({baseline_id})" if baseline_id else " than the baseline"
        lo_loss, hi_loss = wilson(share.worse, share.n)
        lo_win, hi_win = wilson(share.better, share.n)
        made: Suggestion | None = None
        if lo_loss > LOSS_THRESHOLD and score > 1:
            made = Suggestion(
                model_id, task, "lower", score, score - 1,
                f"judged worse{vs} in {share.worse} of {share.n} audited {task} requests "
                f"({share.worse / share.n:.0%}, 95% interval {lo_loss:.0%}-{hi_loss:.0%})",
            )  # fmt: skip
            rank = -lo_loss
        elif lo_win > WIN_THRESHOLD and score < 5:
            made = Suggestion(
                model_id, task, "raise", score, score + 1,
                f"judged better{vs} in {share.better} of {share.n} audited {task} requests "
                f"({share.better / share.n:.0%}, 95% interval {lo_win:.0%}-{hi_win:.0%})",
            )  # fmt: skip
            rank = 1 - lo_win
        if made is not None and made.key not in dismissed:
            out.append((rank, made))
    return [s for _, s in sorted(out, key=lambda x: (x[0], x[1].key))]
