"""The `Backend` the app uses: the running `Runtime` (engine, key store, usage log) plus the files.

Blocking work (keyring over D-Bus, SQLite reads) runs in worker threads so the
event loop, which also serves HTTP, never waits on it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from routerdesk.core.audit import AuditResult
from routerdesk.core.budget import BudgetStatus, SpendTotals, budget_status
from routerdesk.core.errors import ConfigError, RouterError, TeamDatabaseError
from routerdesk.core.events import EventBus
from routerdesk.core.l2 import Agreement, L2Status, agreement_from_rows
from routerdesk.core.prices import refresh_prices
from routerdesk.core.quality import suggestions, summarize
from routerdesk.core.registry import LOCAL_PROVIDERS, Registry
from routerdesk.core.registry_file import RegistryDocument, load_registry, save_registry
from routerdesk.core.replay import PastRequest, project
from routerdesk.core.settings import Settings
from routerdesk.core.settings_file import save_settings
from routerdesk.core.tokens import measure
from routerdesk.core.types import ChatRequest, Classification, Decision, UsageRecord
from routerdesk.engine import Engine
from routerdesk.gui.backend import HealthView, KeyView, PersonTotals, QualityView, WhatIf
from routerdesk.gui.models.usage_rows import record_from_row
from routerdesk.runtime import Runtime, _without_gc
from routerdesk.samples import SPREAD_S, SampleRun, send_samples
from routerdesk.server.openai_api import parse_chat_request
from routerdesk.storage import paths
from routerdesk.storage.usage import UsageStore
from routerdesk.storage.usage_open import describe_database, open_team_usage

ROWS_TTL_S = 30.0  # a what-if re-reads the usage log at most this often
L2_OFF_IN_DEMO = "L2 off while demo mode is on: the demo provider cannot classify"

PastRows = tuple[list[PastRequest], Agreement]
_T = TypeVar("_T")


def load_past(usage: UsageStore, since: float, demo: bool) -> PastRows:
    """Usage rows since `since` of one kind (real or demo) as `PastRequest`s, plus L2 agreement.

    Demo rows carry simulated list-price costs; they are marked real here so
    `project` prices them instead of skipping them (the caller labels the result).
    """
    rows = [r for r in usage.rows(since) if bool(r.get("demo")) == demo]
    past = [PastRequest.from_row(r) for r in rows]
    if demo:
        past = [dataclasses.replace(p, demo=False) for p in past]
    return past, agreement_from_rows(rows)


class RuntimeBackend:
    """Adapts a started `Runtime` to the GUI's `Backend` interface."""

    def __init__(self, runtime: Runtime, *, demo_latency_scale: float = 1.0) -> None:
        self.rt = runtime
        self._demo_latency = demo_latency_scale
        self._forced_demo = runtime.engine.demo and not runtime.engine.settings.demo
        self._past: tuple[float, bool, int, PastRows] | None = None  # loaded at, demo, days, rows
        self._team: UsageStore | None = None  # the team database's read-only reader, once open
        self._team_lock = asyncio.Lock()

    @property
    def engine(self) -> Engine:
        return self.rt.engine

    @property
    def events(self) -> EventBus:
        return self.rt.events

    # --- registry ----------------------------------------------------------------

    @property
    def registry(self) -> Registry:
        return self.engine.registry

    @property
    def registry_error(self) -> ConfigError | None:
        return self.rt.registry_error

    def apply_registry(self, registry: Registry) -> None:
        self.engine.set_registry(registry)

    def save_registry(self, registry: Registry) -> None:
        as_of = self.rt.registry_doc.prices_as_of if self.rt.registry_doc else None
        doc = RegistryDocument(registry, as_of)
        save_registry(paths.registry_path(), doc)
        self.rt.registry_doc = doc
        self.rt.registry_error = None
        self.engine.set_registry(registry)

    def load_registry(self) -> Registry:
        doc = load_registry(paths.registry_path())
        self.rt.registry_doc = doc
        self.rt.registry_error = None
        self.engine.set_registry(doc.registry)
        return doc.registry

    def refresh_prices(self, registry: Registry) -> tuple[Registry, list[str]]:
        fresh, changes, problems = refresh_prices(registry, datetime.now(UTC).date())
        notes = [f"{c.model_id} {c.field}: {c.old} → {c.new}" for c in changes]
        return fresh, notes + [f"warning: {p}" for p in problems]

    # --- settings ----------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self.engine.settings

    @property
    def settings_error(self) -> ConfigError | None:
        return self.rt.settings_error

    def save_settings(self, settings: Settings) -> None:
        save_settings(paths.settings_path(), settings)
        self.rt.settings_error = None
        self.engine.set_settings(settings)
        self._sync_demo(settings.demo)

    def set_demo(self, on: bool) -> None:
        self.save_settings(self.settings.model_copy(update={"demo": on}))

    def _sync_demo(self, on: bool) -> None:
        # set_settings only ever switches demo on; the app's switch goes both ways.
        # `routerdesk --demo` keeps it on whatever the settings say.
        self.engine.set_demo(on or self._forced_demo, latency_scale=self._demo_latency)

    @property
    def demo(self) -> bool:
        return self.engine.demo

    def l2_status(self) -> L2Status | None:
        l2 = self.engine.l2
        if l2 is None:
            return None
        status: L2Status = l2.status(self.registry, self.usable_providers())
        if self.engine.demo:
            status = dataclasses.replace(status, enabled=False, reason=L2_OFF_IN_DEMO)
        return status

    async def what_if(
        self,
        strategy: str,
        registry: Registry | None = None,
        *,
        current: Registry | None = None,
        days: int = 7,
    ) -> WhatIf:
        """Worker threads read and re-route the rows; the loop only waits (GC paused there)."""
        demo = self.engine.demo
        past, agreement = await self._recent_past(days, demo)
        run = partial(
            project,
            past,
            registry or self.registry,
            self.settings,
            strategy,
            current=current or self.registry,
            usable_providers=None if demo else self.usable_providers(),
            since=time.time() - days * 86400,
        )
        projection = await asyncio.to_thread(_without_gc, run)
        return WhatIf(projection, days, demo, agreement)

    async def _recent_past(self, days: int, demo: bool) -> PastRows:
        usage = self.rt.usage
        if usage is None:
            return [], Agreement(0, 0)
        now = time.monotonic()
        cached = self._past
        if cached is not None and cached[1:3] == (demo, days) and now - cached[0] < ROWS_TTL_S:
            return cached[3]
        rows = await asyncio.to_thread(
            _without_gc, partial(load_past, usage, time.time() - days * 86400, demo)
        )
        self._past = (now, demo, days, rows)
        return rows

    # --- routing -----------------------------------------------------------------

    def decide(
        self, req: ChatRequest, *, all_providers: bool = False
    ) -> tuple[Classification, Decision]:
        if not all_providers:
            return self.engine.decide(req)
        # As `routerdesk route` does without keys: the router with no provider filter.
        shape = measure(req)
        classification = self.engine.classifier.classify(req, shape)
        decision = self.engine.router.decide(
            req, classification, settings=self.settings, usable_providers=None, shape=shape
        )
        return classification, decision

    def parse_openai(self, body: object) -> ChatRequest:
        if isinstance(body, list):
            body = {"model": "auto", "messages": body}
        if isinstance(body, dict):
            body = {"model": "auto", **body}
        return parse_chat_request(body)

    @property
    def paused(self) -> bool:
        return self.engine.paused

    def set_paused(self, paused: bool) -> None:
        self.engine.set_paused(paused)

    # --- providers ---------------------------------------------------------------

    def key(self, provider: str) -> KeyView:
        if provider in LOCAL_PROVIDERS:
            return KeyView(True, "local")
        source = self.rt.keys.info(provider).source
        if source.startswith("env:"):
            return KeyView(True, source.replace("env:", "environment variable "))
        return KeyView(source == "keyring", "keyring" if source == "keyring" else "")

    async def set_key(self, provider: str, key: str) -> None:
        await asyncio.to_thread(self.rt.set_key, provider, key)

    async def clear_key(self, provider: str) -> None:
        await asyncio.to_thread(self.rt.delete_key, provider)

    def health(self, provider: str) -> HealthView:
        h = self.engine.health.get(provider)
        if h is None:
            return HealthView()
        return HealthView(
            str(getattr(h.state, "value", h.state)),
            h.last_error,
            h.key_rejected,
            h.consecutive_failures,
            h.rejected_message() if h.key_rejected else "",
        )

    def usable_providers(self) -> list[str]:
        return self.engine.usable_providers()

    async def test_connection(self, provider: str) -> tuple[bool, str]:
        """List the provider's models with its key: proves key and endpoint, spends nothing.

        Talks to the real provider even in demo mode (a listing is free).
        """
        if provider not in LOCAL_PROVIDERS and not self.key(provider).present:
            return False, "no key set"
        try:
            return True, await self.engine.test_connection(provider)
        except RouterError as exc:
            return False, self.engine.clean(exc.message)

    # --- server and usage --------------------------------------------------------

    def spend(self) -> SpendTotals:
        return self.engine.spend.totals()

    def budget_status(self) -> BudgetStatus:
        return budget_status(self.settings.budgets, self.engine.spend.totals())

    @property
    def config_dir(self) -> Path:
        return paths.state_dir()

    @property
    def server_url(self) -> str:
        return self.rt.url or f"http://127.0.0.1:{self.settings.server.port}"

    @property
    def access_token(self) -> str:
        return self.rt.token.value if self.rt.token else ""

    async def regenerate_token(self) -> str:
        return await asyncio.to_thread(self.rt.regenerate_token)

    async def send_samples(
        self, on_progress: Callable[[SampleRun], None] | None = None
    ) -> SampleRun:
        if not self.engine.demo:  # real providers would bill the sample mix
            raise RouterError("sample requests are sent in demo mode only")
        return await send_samples(
            self.server_url,
            self.access_token,
            spread_s=self.sample_spread_s,
            on_progress=on_progress,
        )

    sample_spread_s = SPREAD_S  # tests and screenshots send the mix faster

    async def recent_records(self, limit: int) -> list[UsageRecord]:
        usage = self.rt.usage
        if usage is None:
            return []
        rows = await asyncio.to_thread(usage.recent, limit)
        return [record_from_row(r) for r in rows]

    async def log_entry(self, request_id: str) -> dict[str, Any] | None:
        usage = await self._shown_usage()
        if usage is None:
            return None
        return await self._read(usage, usage.get, request_id)

    async def people_totals(self, since: float | None, *, demo: bool) -> list[PersonTotals]:
        usage = await self._shown_usage()
        if usage is None:
            return []
        lines = await self._read(usage, partial(usage.totals, "person", since, demo=demo))
        return [PersonTotals(t.key, t.requests, t.errors, t.cost, t.baseline_cost) for t in lines]

    # --- a team's usage, shown read-only ----------------------------------------------

    @property
    def team_database(self) -> str:
        url = self.settings.storage.team_url
        return describe_database(url) if url else ""

    async def team_records(self, since: float | None, limit: int) -> list[UsageRecord]:
        team = await self._team_usage()
        if since is None:
            rows = await self._read(team, team.recent, limit)
        else:
            rows = await self._read(team, lambda: list(team.rows(since))[-limit:][::-1])
        return [record_from_row(r) for r in rows]

    async def _shown_usage(self) -> UsageStore | None:
        """The usage log the pages show: the team database's reader when one is set."""
        return await self._team_usage() if self.settings.storage.team_url else self.rt.usage

    async def _team_usage(self) -> UsageStore:
        """The reader of `[storage] team_url`, opened (off the loop) on first use, again when the
        setting changes or after a failed read. Raises TeamDatabaseError."""
        url = self.settings.storage.team_url
        async with self._team_lock:
            team = self._team
            if team is not None and getattr(team, "url", "") == url:
                return team
            await self.close_team()
            if not url:
                raise TeamDatabaseError("no team database is set ([storage] team_url)")
            self._team = await asyncio.to_thread(open_team_usage, url)
            return self._team

    async def _read(self, usage: UsageStore, read: Callable[..., _T], *args: Any) -> _T:
        """`read(*args)` in a worker thread; a failed team read drops the reader (the next
        read opens a new connection: the server may be back)."""
        try:
            return await asyncio.to_thread(read, *args)
        except TeamDatabaseError:
            if usage is self._team:
                self._team = None
                await asyncio.to_thread(usage.close)
            raise

    async def close_team(self) -> None:
        """Close the team database's connection (the app is quitting, or the setting changed)."""
        team, self._team = self._team, None
        if team is not None:
            await asyncio.to_thread(team.close)

    # --- quality audits ----------------------------------------------------------

    async def quality(self, since: float | None) -> QualityView:
        engine, store, auditor = self.engine, self.rt.audits, self.rt.auditor
        demo = engine.demo
        judged, dismissed = [], set()
        if store is not None:
            judged = await asyncio.to_thread(store.judged, since or 0.0, demo=demo)
            dismissed = await asyncio.to_thread(store.dismissed)
        summary = summarize(judged)
        baseline = engine.baseline.id if engine.baseline is not None else ""
        found = suggestions(summary, self.registry, baseline_id=baseline, dismissed=dismissed)
        audit = self.settings.audit
        return QualityView(
            summary,
            found,
            simulated=demo,
            enabled=audit.enabled or demo,
            spent_today=auditor.spent_today if auditor is not None else 0.0,
            cap_usd=audit.daily_cap_usd,
            last_skip=auditor.last_skip if auditor is not None else "",
        )

    async def audit(self, request_id: str) -> AuditResult | None:
        store = self.rt.audits
        return None if store is None else await asyncio.to_thread(store.get, request_id)

    async def dismiss_suggestion(self, key: str) -> None:
        store = self.rt.audits
        if store is not None:
            await asyncio.to_thread(store.dismiss, key)
