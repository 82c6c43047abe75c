"""Composition root for a running router, shared by `routerdesk serve` and the desktop app.

    rt = Runtime(demo=False)
    await rt.open()                 # settings, registry, keys, token, usage log, client, engine
    url = await rt.start(host, port)  # the aiohttp server; port 0 picks a free one
    ...
    await rt.stop()                 # server down, upstream client closed, usage log flushed

`open()` does the blocking parts (keyring over D-Bus, SQLite) in worker threads,
so it is safe to await from the GUI's event loop. A settings.toml or
registry.toml that fails validation is not fatal: defaults (or the shipped
registry) are used, the file is left alone, and `settings_error` /
`registry_error` say what is wrong. No keyring and no ``ROUTERDESK_TOKEN`` is
fatal (`SecretStoreError`): the server would have no token to check.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

import httpx
from aiohttp import web

from routerdesk.core.audit import AUDIT_TASK, Auditor, AuditResult
from routerdesk.core.budget import day_start, local_now, month_start
from routerdesk.core.classify import L1Classifier
from routerdesk.core.classify_model import preload_shipped_model
from routerdesk.core.errors import ConfigError
from routerdesk.core.events import EventBus
from routerdesk.core.l2 import L2Call, L2Classifier, L2Outcome, l2_usage_record
from routerdesk.core.redact import install_log_redaction
from routerdesk.core.registry import ModelSpec, Registry
from routerdesk.core.registry_file import RegistryDocument, ensure_registry, load_shipped_registry
from routerdesk.core.settings import Settings
from routerdesk.core.settings_file import load_settings
from routerdesk.core.types import ChatRequest, ChatResponse
from routerdesk.engine import Engine
from routerdesk.providers.catalog import all_adapters
from routerdesk.providers.demo import DemoAdapter
from routerdesk.providers.http import build_client
from routerdesk.server.app import CONFIG_KEY, ServerConfig, build_app
from routerdesk.server.guard import Guard, is_loopback
from routerdesk.server.upstream_transport import AiohttpTransport
from routerdesk.storage import paths
from routerdesk.storage.audits import AuditStore
from routerdesk.storage.people import PersonTokens
from routerdesk.storage.pins import PinStore
from routerdesk.storage.secrets import AccessToken, KeyStore, access_token, regenerate_access_token
from routerdesk.storage.usage import UsageStore
from routerdesk.storage.usage_open import open_person_tokens, open_pin_store, open_usage_store

if TYPE_CHECKING:  # psycopg is loaded only for a [storage] url
    from routerdesk.storage.people_pg import PgPersonTokens

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 6 * 3600.0
SHARED_SPEND_REFRESH_S = 2.0
# How often the keyring and the environment are read again, so a key set in another
# shell (`routerdesk keys set`) or the keyring's own UI is used without a restart.
# A timer, not a per-request read: a keyring read may cross D-Bus.
KEY_REFRESH_S = 30.0
T = TypeVar("T")


def _without_gc(fn: Callable[[], T]) -> T:
    """Run `fn` (on a worker thread) with the cyclic garbage collector paused.

    A collection runs on whichever thread happens to allocate; loading the
    registry and talking to the keyring allocate a lot, and in the desktop app
    a collection there would destroy Qt objects off the GUI thread ("Timers
    cannot be stopped from another thread"). Start-up only, so the pause is short.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return fn()
    finally:
        if was_enabled:
            gc.enable()


# A request allocates a few thousand container objects, nearly all freed by reference
# counting when it ends; at the default threshold (700) the young generation is
# collected several times per request to find the rare cycle, and every tenth of those
# goes on to the older generations. Measured with bench_server.py: +4% requests/s at
# 16 clients.
REQUEST_GC_THRESHOLDS = (20_000, 20, 20)


def settle_gc() -> None:
    """Call once the server is up: what exists now lives until exit, so move it out of
    the collector's scans (a full collection on the request path drops from ~35 ms to a
    few), and collect the young generation per many requests rather than several times
    in each."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*REQUEST_GC_THRESHOLDS)


def _shared_spend(usage: UsageStore, now: datetime) -> tuple[float, float, dict[str, float]]:
    day = day_start(now).timestamp()
    return (
        usage.spend_since(day),
        usage.spend_since(month_start(now).timestamp()),
        usage.spend_by_person_since(day),
    )


class Runtime:
    """Owns every long-lived object of a running router; see the module docstring."""

    def __init__(
        self,
        *,
        demo: bool = False,
        demo_latency_scale: float = 1.0,
        settings: Settings | None = None,
        registry: Registry | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        shared_usage: bool = False,
        key_refresh_s: float = KEY_REFRESH_S,
    ) -> None:
        install_log_redaction()  # before anything can log a key
        self._demo = demo
        self._demo_latency_scale = demo_latency_scale
        self._given_settings = settings
        self._given_registry = registry
        self._transport = transport
        # other processes write the same usage log (serve --workers): budgets re-read it
        self._shared_usage = shared_usage
        self.events = EventBus()
        self.settings_error: ConfigError | None = None
        self.registry_error: ConfigError | None = None
        self.registry_doc: RegistryDocument | None = None
        self.keys = KeyStore()
        self.token: AccessToken | None = None
        self.usage: UsageStore | None = None
        self.people: PersonTokens | PgPersonTokens | None = None  # a team server's tokens
        self.audits: AuditStore | None = None  # quality audits (core/audit.py)
        self.pin_store: PinStore | None = None  # conversation pins shared with other processes
        self.auditor: Auditor | None = None
        self.client: httpx.AsyncClient | None = None
        self._engine: Engine | None = None
        self._runner: web.AppRunner | None = None
        self._upkeep: asyncio.Task[None] | None = None
        self._spend_refresh: asyncio.Task[None] | None = None
        self._key_watch: asyncio.Task[None] | None = None
        self.key_refresh_s = key_refresh_s
        self.host = ""
        self.port = 0

    # --- building --------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("Runtime.open() has not run yet")
        return self._engine

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}" if self.port else ""

    def _load_settings(self) -> Settings:
        if self._given_settings is not None:
            return self._given_settings
        try:
            return load_settings(paths.settings_path())
        except ConfigError as exc:
            log.error("%s; using default settings (the file is left as it is)", exc)
            self.settings_error = exc
            return Settings()

    def _load_registry(self) -> Registry:
        if self._given_registry is not None:
            return self._given_registry
        try:
            self.registry_doc = ensure_registry(paths.registry_path())
        except ConfigError as exc:
            log.error("%s; using the shipped registry (the file is left as it is)", exc)
            self.registry_error = exc
            self.registry_doc = load_shipped_registry()
        return self.registry_doc.registry

    def _open_blocking(self) -> tuple[Settings, Registry]:
        settings = self._load_settings()
        registry = self._load_registry()
        self.keys.load()
        if self.keys.keyring_error:
            log.warning(
                "%s Provider keys come only from environment variables.", self.keys.keyring_error
            )
        self.token = access_token()
        self.people = open_person_tokens(settings.storage.url)
        self.usage = open_usage_store(settings.storage.url)
        pruned = self.usage.prune(settings.privacy.retention_days)
        if pruned:
            log.info(
                "pruned %d usage rows older than %d days", pruned, settings.privacy.retention_days
            )
        self.audits = AuditStore(paths.audits_db_path())
        self.audits.prune(settings.privacy.retention_days)
        # other processes route the same conversations (workers, or instances behind a
        # load balancer): a conversation keeps its model whichever of them gets a turn
        routing = settings.routing
        if routing.pinning and (settings.storage.url or self._shared_usage):
            self.pin_store = open_pin_store(settings.storage.url, window_s=routing.pin_window_s)
        return settings, registry

    async def open(self) -> Engine:
        """Build everything but the listening socket; returns the engine."""
        if self._engine is not None:
            return self._engine
        settings, registry = await asyncio.to_thread(_without_gc, self._open_blocking)
        assert self.usage is not None
        demo = self._demo or settings.demo
        # httpx API for the adapters, aiohttp underneath (see server/upstream_transport.py)
        self.client = build_client(transport=self._transport or AiohttpTransport())
        engine = Engine(
            settings,
            registry,
            adapters=all_adapters(self.client),
            keys=self.keys,
            events=self.events,
            classifier=L1Classifier(),
            usage_sink=self.usage,
            demo=demo,
            demo_adapter=DemoAdapter(latency_scale=self._demo_latency_scale) if demo else None,
        )
        engine.pins.shared = self.pin_store
        now = local_now()
        engine.spend.seed(
            await asyncio.to_thread(self.usage.spend_since, day_start(now).timestamp()),
            await asyncio.to_thread(self.usage.spend_since, month_start(now).timestamp()),
            now,
        )
        engine.person_spend.seed(
            await asyncio.to_thread(self.usage.spend_by_person_since, day_start(now).timestamp()),
            now,
        )
        loop = asyncio.get_running_loop()
        self._upkeep = loop.create_task(self._prune_daily(), name="usage-prune")
        self._key_watch = loop.create_task(self._watch_keys(), name="key-refresh")
        # other workers or instances write the same log: budgets must see their spend
        if self._shared_usage or settings.storage.url:
            self._spend_refresh = loop.create_task(self._refresh_spend(), name="spend-refresh")
        # Made even in demo mode: the engine skips L2 while demo is on, and the
        # GUI can switch demo off at run time.
        engine.l2 = L2Classifier(
            self._l2_ask, settings.routing.l2, on_call_finished=self._l2_finished
        )
        self.auditor = engine.auditor = Auditor(
            engine, on_call=engine.record_external, on_result=self._store_audit
        )
        audit_today = await asyncio.to_thread(self.usage.totals, "task", day_start(now).timestamp())
        self.auditor.seed_spend(sum(t.cost for t in audit_today if t.key == AUDIT_TASK))
        self._engine = engine
        return engine

    async def _store_audit(self, result: AuditResult) -> None:
        if self.audits is not None:
            await asyncio.to_thread(self.audits.add, result)

    async def _prune_daily(self) -> None:
        """Apply privacy.retention_days while the app stays open for days."""
        while True:
            await asyncio.sleep(PRUNE_EVERY_S)
            usage, engine = self.usage, self._engine
            if usage is None or engine is None:
                return
            try:
                await asyncio.to_thread(usage.prune, engine.settings.privacy.retention_days)
                if self.audits is not None:
                    await asyncio.to_thread(
                        self.audits.prune, engine.settings.privacy.retention_days
                    )
            except Exception:  # a busy database must not stop the upkeep
                log.exception("pruning the usage log failed")

    async def _refresh_spend(self) -> None:
        """With several workers, take the others' spend from the shared log every
        `SHARED_SPEND_REFRESH_S`; our own not-yet-written costs are kept (the larger wins)."""
        while True:
            await asyncio.sleep(SHARED_SPEND_REFRESH_S)
            usage, engine = self.usage, self._engine
            if usage is None or engine is None:
                return
            now = local_now()
            try:
                today, month, people = await asyncio.to_thread(_shared_spend, usage, now)
                if self.people is not None:  # revocations and budgets from other instances
                    await asyncio.to_thread(self.people.refresh)
            except Exception:  # a busy database must not stop the refresh
                log.exception("reading spend or tokens from the shared database failed")
                continue
            ours = engine.spend.totals(now)
            engine.spend.seed(max(today, ours.today), max(month, ours.month), now)
            engine.person_spend.seed(people, now)

    async def refresh_keys(self) -> list[str]:
        """Read the keyring and environment again; a changed key un-benches its provider."""
        changed = await asyncio.to_thread(_without_gc, self.keys.refresh)
        engine = self._engine
        for provider in changed:
            log.info("the %s key changed; using the new one", provider)
            if engine is not None:
                engine.provider_key_changed(provider)
        return changed

    async def _watch_keys(self) -> None:
        while True:
            await asyncio.sleep(self.key_refresh_s)
            try:
                await self.refresh_keys()
            except Exception:  # a keyring hiccup must not stop the watch
                log.exception("re-reading the keys failed")

    async def _l2_ask(self, req: ChatRequest, model: ModelSpec) -> ChatResponse:
        return await self.engine.ask(req, model)

    def _l2_finished(self, call: L2Call, outcome: L2Outcome) -> None:
        self.engine.record_external(l2_usage_record(call, outcome))

    # --- serving ---------------------------------------------------------------------

    async def start(
        self,
        host: str | None = None,
        port: int | None = None,
        *,
        allow_remote: bool = False,
        reuse_port: bool = False,
    ) -> str:
        """Listen on host:port (settings by default; port 0 picks a free port); returns the URL.

        `reuse_port` joins other processes listening on the same port (SO_REUSEPORT).
        """
        engine = await self.open()
        server = engine.settings.server
        host = host if host is not None else server.host
        port = port if port is not None else server.port
        if not is_loopback(host) and not (allow_remote or server.allow_remote):
            raise ConfigError(
                str(paths.settings_path()),
                "server.allow_remote",
                f"binding to {host} would expose routerdesk to the network; pass --allow-remote "
                "(or set server.allow_remote = true) if you mean it. The access token is always required.",
            )
        assert self.token is not None
        config = ServerConfig(
            guard=Guard(
                self.token.value,
                host,
                frozenset(o.rstrip("/") for o in server.allowed_origins),
                people=self.people,
            ),
            max_body_bytes=int(server.max_body_mb * 1024 * 1024),
        )
        runner = web.AppRunner(
            build_app(engine, config),
            handler_cancellation=True,
            access_log=None,
            shutdown_timeout=2.0,
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port, backlog=1024, reuse_port=reuse_port or None)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        preload_shipped_model()  # the classifier's weights load while clients connect
        sockets = runner.addresses
        self.host = host
        self.port = int(sockets[0][1]) if sockets else port
        return self.url

    async def stop(self) -> None:
        """Stop listening, close upstream connections, flush the usage log."""
        for task in (self._upkeep, self._spend_refresh, self._key_watch):
            if task is not None:
                task.cancel()
        self._upkeep = self._spend_refresh = self._key_watch = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.auditor is not None:
            await self.auditor.aclose()  # a half-done audit is dropped; its calls stay logged
            self.auditor = None
        if self.client is not None:
            await self.client.aclose()
            self.client = None
        if self.usage is not None:
            await asyncio.to_thread(self.usage.close)
            self.usage = None
        if self.audits is not None:
            await asyncio.to_thread(self.audits.close)
            self.audits = None
        if self.pin_store is not None:
            if self._engine is not None:
                self._engine.pins.shared = None
            await asyncio.to_thread(self.pin_store.close)
            self.pin_store = None
        self._engine = None

    # --- keys and token (blocking: call through asyncio.to_thread from the loop) -----------

    def set_key(self, provider: str, key: str) -> None:
        self.keys.set(provider, key)
        if self._engine is not None:
            self._engine.provider_key_changed(provider)

    def delete_key(self, provider: str) -> bool:
        existed = self.keys.delete(provider)
        if self._engine is not None:
            self._engine.provider_key_changed(provider)
        return existed

    def regenerate_token(self) -> str:
        """A fresh access token in the keyring; the running server accepts only it from now on."""
        self.token = regenerate_access_token()
        if self._runner is not None:
            config = self._runner.app[CONFIG_KEY]
            config.guard = dataclasses.replace(config.guard, token=self.token.value)
        return self.token.value
