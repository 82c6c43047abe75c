"""A `Backend` over plain core objects, for page tests that need no server."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

from gui.helpers import record, small_registry
from routerdesk.core.audit import AuditResult
from routerdesk.core.budget import BudgetStatus, SpendTotals, budget_status
from routerdesk.core.errors import ConfigError, NoUsableModel, TeamDatabaseError
from routerdesk.core.events import REGISTRY_CHANGED, REQUEST_FINISHED, SETTINGS_CHANGED, EventBus
from routerdesk.core.l2 import Agreement, L2Status, agreement_from_rows
from routerdesk.core.quality import Judged, suggestions, summarize
from routerdesk.core.registry import Registry
from routerdesk.core.replay import PastRequest, project
from routerdesk.core.settings import Settings
from routerdesk.core.types import Candidate, ChatRequest, Classification, Decision, UsageRecord
from routerdesk.gui.backend import HealthView, KeyView, PersonTotals, QualityView, WhatIf
from routerdesk.samples import SAMPLES, SampleRun
from routerdesk.storage.usage import COLUMNS, JSON_COLUMNS, record_row


class FakeBackend:
    def __init__(self, registry: Registry | None = None) -> None:
        self.events = EventBus()
        self.registry = registry or small_registry()
        self.saved_registry = self.registry
        self.settings = Settings()
        self.settings_error: ConfigError | None = None
        self.registry_error: ConfigError | None = None
        self.paused = False
        self.keys: dict[str, str] = {}
        self.records: list[UsageRecord] = []
        self.server_url = "http://127.0.0.1:8787"
        self.access_token = "rd-test-token"
        self.config_dir = Path("/tmp/routerdesk-test-config")
        self.today = 0.0  # real spend, fed by request_finished like the engine's tracker
        self.l2: L2Status | None = L2Status(
            False, "inline", "", "L2 off: no provider key for a JSON-capable model", Agreement(0, 0)
        )
        self.usage_rows: list[dict[str, object]] = []  # what `what_if` re-routes
        self.health_views: dict[str, HealthView] = {}  # what `health` says (default: healthy)
        self.audits: list[AuditResult] = []  # what `quality` sums up
        self.dismissed: set[str] = set()
        self.audit_skip = ""  # the auditor's last_skip
        self.team_database = ""  # a team database to show instead of `records`
        self.team_rows: list[UsageRecord] = []  # what it holds
        self.team_error = ""  # why it cannot be read ("" : it can)
        self.events.subscribe(REQUEST_FINISHED, self._count)

    def _count(self, record: UsageRecord, *_: object) -> None:
        if not record.demo:
            self.today += record.cost

    @property
    def demo(self) -> bool:
        return self.settings.demo

    def spend(self) -> SpendTotals:
        return SpendTotals(self.today, self.today)

    def budget_status(self) -> BudgetStatus:
        return budget_status(self.settings.budgets, self.spend())

    def l2_status(self) -> L2Status | None:
        return self.l2

    def add_usage(self, records: list[UsageRecord]) -> None:
        """Store records as usage-log rows (the shape `UsageStore.rows()` yields)."""
        for rec in records:
            row = dict(zip(COLUMNS, record_row(rec), strict=True))
            for col in JSON_COLUMNS:
                if isinstance(row[col], str):
                    row[col] = json.loads(row[col])
            self.usage_rows.append(row)

    async def what_if(
        self,
        strategy: str,
        registry: Registry | None = None,
        *,
        current: Registry | None = None,
        days: int = 7,
    ) -> WhatIf:
        rows = [r for r in self.usage_rows if bool(r["demo"]) == self.demo]
        past = [dataclasses.replace(PastRequest.from_row(r), demo=False) for r in rows]
        proj = project(
            past,
            registry or self.registry,
            self.settings,
            strategy,
            current=current or self.registry,
        )
        return WhatIf(proj, days, self.demo, agreement_from_rows(rows))

    def apply_registry(self, registry: Registry) -> None:
        self.registry = registry
        self.events.publish(REGISTRY_CHANGED, registry)

    def save_registry(self, registry: Registry) -> None:
        self.saved_registry = registry

    def load_registry(self) -> Registry:
        self.apply_registry(self.saved_registry)
        return self.saved_registry

    def refresh_prices(self, registry: Registry) -> tuple[Registry, list[str]]:
        return registry, []

    def save_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.events.publish(SETTINGS_CHANGED, settings)

    def decide(
        self, req: ChatRequest, *, all_providers: bool = False
    ) -> tuple[Classification, Decision]:
        strategy = req.model.split(":", 1)[1] if req.model.startswith("auto:") else "balanced"
        usable = set(self.keys) | {"local"} if not (all_providers or self.demo) else None
        enabled = [m for m in self.registry.enabled() if usable is None or m.provider in usable]
        if not enabled:
            raise NoUsableModel("no enabled model")
        ranked = sorted(enabled, key=lambda m: m.prices.input, reverse=strategy == "best")
        primary = ranked[0].id
        cands = [Candidate(m.id, True, "ok", 1.0, m.prices.input / 1e6) for m in ranked]
        return Classification("code_generation", 0.9, 0.4, "l1", ["code cue"]), Decision(
            strategy, primary, [m.id for m in ranked[1:]], cands, why=f"{strategy} pick"
        )

    def parse_openai(self, body: object) -> ChatRequest:
        from routerdesk.server.openai_api import parse_chat_request

        return parse_chat_request(
            body if isinstance(body, dict) else {"model": "auto", "messages": body}
        )

    def set_demo(self, on: bool) -> None:
        self.save_settings(self.settings.model_copy(update={"demo": on}))

    def set_paused(self, paused: bool) -> None:
        self.paused = paused

    def key(self, provider: str) -> KeyView:
        return KeyView(provider in self.keys, "keyring" if provider in self.keys else "")

    async def set_key(self, provider: str, key: str) -> None:
        self.keys[provider] = key

    async def clear_key(self, provider: str) -> None:
        self.keys.pop(provider, None)

    def health(self, provider: str) -> HealthView:
        return self.health_views.get(provider, HealthView())

    def usable_providers(self) -> list[str]:
        """As the engine: a provider whose key was rejected is left out (for its back-off)."""
        return sorted(p for p in self.keys if not self.health(p).key_rejected)

    async def test_connection(self, provider: str) -> tuple[bool, str]:
        return True, "ok"

    async def regenerate_token(self) -> str:
        self.access_token = "rd-new-token"
        return self.access_token

    async def send_samples(
        self, on_progress: Callable[[SampleRun], None] | None = None
    ) -> SampleRun:
        """No server here: one finished demo record per sample (test_app sends real ones)."""
        run = SampleRun(total=len(SAMPLES))
        for _ in SAMPLES:
            rec = record(cost=0.0001)
            rec.demo = True
            self.events.publish(REQUEST_FINISHED, rec)
            run.sent += 1
            run.ok += 1
            if on_progress is not None:
                on_progress(run)
        return run

    async def log_entry(self, request_id: str) -> dict[str, object] | None:
        return next((r for r in self.usage_rows if r["request_id"] == request_id), None)

    async def recent_records(self, limit: int) -> list[UsageRecord]:
        return self.records[:limit]

    async def people_totals(self, since: float | None, *, demo: bool) -> list[PersonTotals]:
        """As the store's GROUP BY person: one line per name ("" : the local token)."""
        shown = self.team_rows if self.team_database else self.records
        people: dict[str, list[UsageRecord]] = {}
        for r in shown:
            if r.demo == demo and r.started_at >= (since or 0.0):
                people.setdefault(r.person, []).append(r)
        lines = [
            PersonTotals(name, len(rs), sum(r.status != "ok" for r in rs),
                         sum(r.cost for r in rs), sum(r.baseline_cost for r in rs))
            for name, rs in people.items()
        ]  # fmt: skip
        return sorted(lines, key=lambda t: (-t.cost, -t.requests))

    async def team_records(self, since: float | None, limit: int) -> list[UsageRecord]:
        if self.team_error:
            raise TeamDatabaseError(self.team_error)
        rows = sorted(self.team_rows, key=lambda r: r.started_at, reverse=True)
        return [r for r in rows if since is None or r.started_at >= since][:limit]

    async def quality(self, since: float | None) -> QualityView:
        audits = [a for a in self.audits if a.demo == self.demo and a.started_at >= (since or 0)]
        summary = summarize(Judged(a.task, a.routed_model, a.verdict or "", a.cost) for a in audits)
        found = suggestions(summary, self.registry, dismissed=self.dismissed)
        on = self.settings.audit.enabled or self.demo
        cap = self.settings.audit.daily_cap_usd
        return QualityView(summary, found, self.demo, on, 0.0, cap, self.audit_skip)

    async def audit(self, request_id: str) -> AuditResult | None:
        return next((a for a in self.audits if a.request_id == request_id), None)

    async def dismiss_suggestion(self, key: str) -> None:
        self.dismissed.add(key)
