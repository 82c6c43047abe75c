"""The `Backend` the app uses: the running `Runtime` (engine, key store, usage log) plus the files.

Blocking work (keyring over D-Bus, SQLite reads) runs in worker threads so the
event loop, which also serves HTTP, never waits on it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

from routerdesk.core.errors import ConfigError, RouterError
from routerdesk.core.events import EventBus
from routerdesk.core.prices import refresh_prices
from routerdesk.core.registry import LOCAL_PROVIDERS, Registry
from routerdesk.core.registry_file import RegistryDocument, load_registry, save_registry
from routerdesk.core.settings import Settings
from routerdesk.core.settings_file import save_settings
from routerdesk.core.types import (
    ChatRequest,
    Classification,
    Decision,
    Message,
    TextPart,
    UsageRecord,
)
from routerdesk.engine import Engine
from routerdesk.gui.backend import HealthView, KeyView
from routerdesk.gui.models.usage_rows import record_from_row
from routerdesk.providers.demo import DemoAdapter
from routerdesk.runtime import Runtime
from routerdesk.server.openai_api import parse_chat_request
from routerdesk.storage import paths


class RuntimeBackend:
    """Adapts a started `Runtime` to the GUI's `Backend` interface."""

    def __init__(self, runtime: Runtime, *, demo_latency_scale: float = 1.0) -> None:
        self.rt = runtime
        self._demo_latency = demo_latency_scale
        self._forced_demo = runtime.engine.demo and not runtime.engine.settings.demo
        self._l2 = runtime.engine.l2  # parked while demo mode is on

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
        # The engine only ever switches demo on from settings; the app's switch goes both ways.
        engine = self.engine
        if on and engine.demo_adapter is None:
            engine.demo_adapter = DemoAdapter(latency_scale=self._demo_latency)
        engine.demo = on or self._forced_demo
        # The demo provider cannot classify: no L2 calls while it answers.
        if engine.demo and engine.l2 is not None:
            self._l2, engine.l2 = engine.l2, None
        elif not engine.demo and engine.l2 is None:
            engine.l2 = self._l2

    # --- routing -----------------------------------------------------------------

    def decide(self, req: ChatRequest) -> tuple[Classification, Decision]:
        return self.engine.decide(req)

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
        return HealthView(str(getattr(h.state, "value", h.state)), h.last_error, h.key_rejected)

    def usable_providers(self) -> list[str]:
        return self.engine.usable_providers()

    async def test_connection(self, provider: str) -> tuple[bool, str]:
        """Ask the provider's cheapest enabled model for one token."""
        models = sorted(
            (m for m in self.registry if m.provider == provider),
            key=lambda m: (not m.enabled, m.prices.output),
        )
        if not models:
            return False, f"the registry has no {provider} model to test with"
        if provider not in LOCAL_PROVIDERS and not self.key(provider).present:
            return False, "no key set"
        probe = ChatRequest(messages=[Message("user", [TextPart("ping")])], max_tokens=1)
        try:
            resp = await self.engine.ask(dataclasses.replace(probe, model=models[0].id), models[0])
        except RouterError as exc:
            return False, self.engine.clean(exc.message)
        demo = " (demo mode is on: the demo provider answered)" if self.engine.demo else ""
        return True, f"{models[0].id} answered as {resp.model}{demo}"

    # --- server and usage --------------------------------------------------------

    @property
    def server_url(self) -> str:
        return self.rt.url or f"http://127.0.0.1:{self.settings.server.port}"

    @property
    def access_token(self) -> str:
        return self.rt.token.value if self.rt.token else ""

    async def regenerate_token(self) -> str:
        return await asyncio.to_thread(self.rt.regenerate_token)

    async def recent_records(self, limit: int) -> list[UsageRecord]:
        usage = self.rt.usage
        if usage is None:
            return []
        rows = await asyncio.to_thread(usage.recent, limit)
        return [record_from_row(r) for r in rows]
