"""A "what if" panel: recent traffic re-routed under a changed strategy or registry, before it applies.

The backend reads the last days of the usage log and runs `core.replay.project`
in worker threads; the panel debounces requests, shows a line while it waits,
and drops answers that a newer request has overtaken.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from routerdesk.core.registry import Registry
from routerdesk.gui.backend import Backend, WhatIf
from routerdesk.gui.tasks import spawn
from routerdesk.gui.widgets import Banner

log = logging.getLogger(__name__)
DEBOUNCE_MS = 250
TOP_MODELS = 3


def _usd(v: float) -> str:
    return f"${v:,.2f}" if abs(v) >= 0.995 or v == 0 else f"${v:,.4f}"


def describe(w: WhatIf, what: str) -> str:
    """One short paragraph: projected spend vs actual, savings, model mix, caveats."""
    p = w.projection
    kind = "demo requests (simulated costs)" if w.simulated else "requests"
    if not p.requests:
        return f"No {kind} in the last {w.days} days to project {what} from."
    if not p.changed and abs(p.savings) < 5e-7:
        return (
            f"Last {w.days} days {what}: no request would change model and the cost stays "
            f"{_usd(p.current_cost)}; the {p.requests:,} {kind} were re-routed both ways."
        )
    head = (
        f"Last {w.days} days {what}: {_usd(p.projected_cost)} "
        f"(as set up now {_usd(p.current_cost)})"
    )
    share = p.savings_share
    if share is None:
        change = ""
    elif abs(share) < 0.005:
        change = ", about the same"
    elif share > 0:
        change = f", saves {share:.0%}"
    else:
        change = f", costs {-share:.0%} more"
    mix = [s for s in p.mix() if s.projected_requests][:TOP_MODELS]
    top = ", ".join(f"{s.model_id} {s.projected_requests / p.requests:.0%}" for s in mix)
    lines = [f"{head}{change}; top models: {top or 'none'}."]
    notes = [f"{p.changed:,} of {p.requests:,} {kind} would change model"]
    if p.current_strategy != p.strategy:
        notes.append("requests that asked for auto:<strategy> keep it")
    if p.unroutable:
        notes.append(f"{p.unroutable:,} could not be routed and are counted as they were")
    if p.explicit:
        notes.append(f"{p.explicit:,} named a model and stay as they were")
    if p.l2_calls:
        notes.append(f"L2 calls ({_usd(p.l2_cost)}) are the same either way")
    lines.append("; ".join(notes) + ". Same tokens repriced: a projection, not an invoice.")
    return "\n".join(lines)


class WhatIfPanel(QWidget):
    """Shows `describe(...)` for the latest request; hidden until asked.

    Signals: none (tests await `pending`).
    """

    def __init__(
        self, backend: Backend, parent: QWidget | None = None, *, idle_hint: str = ""
    ) -> None:
        super().__init__(parent)
        self.backend = backend
        # With a hint, the panel keeps its place while idle (the page must not jump
        # when a projection appears); without, it hides.
        self.idle_hint = idle_hint
        self.banner = Banner(reserve_lines=2 if idle_hint else 0)
        self.banner.setToolTip(
            "Past requests re-routed with the new setting and priced on their actual tokens. "
            "Nothing is applied until you save."
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        self.pending: asyncio.Task[None] | None = None
        self._generation = 0
        self._args: tuple[str, Registry | None, Registry | None, str] = (
            "balanced",
            None,
            None,
            "",
        )
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.start_now)
        self.clear()

    def text(self) -> str:
        return self.banner.text()

    def request(
        self,
        strategy: str,
        registry: Registry | None = None,
        *,
        current: Registry | None = None,
        what: str = "",
    ) -> None:
        """Project soon (debounced): `strategy` as the default, with `registry` if given.

        Compared with `current` (default: the registry in use) and today's default strategy.
        """
        self._args = (strategy, registry, current, what or f"under {strategy}")
        self._generation += 1
        self.banner.show_message(f"Projecting the last 7 days {self._args[3]}…", "info")
        self.show()
        self._timer.start()

    def clear(self) -> None:
        self._generation += 1
        self._timer.stop()
        if self.idle_hint:
            self.banner.show_hint(self.idle_hint)
        else:
            self.banner.clear_message()
            self.hide()

    def start_now(self) -> None:
        self._timer.stop()
        try:
            asyncio.get_running_loop()
        except (
            RuntimeError
        ):  # widgets driven without the app's loop (some tests): nothing to run on
            return
        self._generation += 1
        strategy, registry, current, what = self._args
        self.banner.show_message(f"Projecting the last 7 days {what}…", "info")
        self.show()
        self.pending = spawn(self._run(self._generation, strategy, registry, current, what))

    async def _run(
        self,
        generation: int,
        strategy: str,
        registry: Registry | None,
        current: Registry | None,
        what: str,
    ) -> None:
        try:
            result = await self.backend.what_if(strategy, registry, current=current)
        except Exception as exc:  # shown, never raised into the loop
            log.debug("what-if projection failed", exc_info=True)
            if generation == self._generation:
                self.banner.show_message(f"Could not project: {exc}", "error")
            return
        if generation == self._generation:
            self.banner.show_message(describe(result, what), "info")
