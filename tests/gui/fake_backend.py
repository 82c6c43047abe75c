"""A `Backend` over plain core objects, for page tests that need no server."""

from __future__ import annotations

from gui.helpers import small_registry
from routerdesk.core.errors import ConfigError, NoUsableModel
from routerdesk.core.events import REGISTRY_CHANGED, SETTINGS_CHANGED, EventBus
from routerdesk.core.registry import Registry
from routerdesk.core.settings import Settings
from routerdesk.core.types import Candidate, ChatRequest, Classification, Decision, UsageRecord
from routerdesk.gui.backend import HealthView, KeyView


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

    def decide(self, req: ChatRequest) -> tuple[Classification, Decision]:
        strategy = req.model.split(":", 1)[1] if req.model.startswith("auto:") else "balanced"
        enabled = self.registry.enabled()
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
        return HealthView()

    def usable_providers(self) -> list[str]:
        return sorted(self.keys)

    async def test_connection(self, provider: str) -> tuple[bool, str]:
        return True, "ok"

    async def regenerate_token(self) -> str:
        self.access_token = "rd-new-token"
        return self.access_token

    async def recent_records(self, limit: int) -> list[UsageRecord]:
        return self.records[:limit]
