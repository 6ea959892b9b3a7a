"""The application factory. Nothing is created at import time: ``create_app`` builds the
app, and its lifespan opens the store and starts the sandbox manager."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tessera import __version__
from tessera.agent.runs import RunRegistry
from tessera.agent.turn import Agent
from tessera.api import console, meta, projects, runs, sandboxes
from tessera.api import export as export_api
from tessera.api import files as files_api
from tessera.api import published as published_api
from tessera.api import settings as settings_api
from tessera.api import terminal as terminal_api
from tessera.api import versions as versions_api
from tessera.api.errors import install_error_handlers
from tessera.api.web import mount_web
from tessera.catalog import ProjectCatalog
from tessera.config import Settings
from tessera.diagnostics import Diagnostics
from tessera.files import FileService
from tessera.history import HistoryService
from tessera.llm.base import Provider
from tessera.llm.pool import ProviderPool
from tessera.preferences import Preferences
from tessera.preview.proxy import PreviewProxy
from tessera.preview.storage import PreviewStorage
from tessera.projects import ProjectService
from tessera.publish import Publisher
from tessera.sandbox.base import SandboxProvider
from tessera.sandbox.factory import (
    check_sandbox_settings,
    create_e2b_provider,
    create_sandbox_provider,
)
from tessera.sandbox.lifecycle import SandboxLifecycle
from tessera.sandbox.manager import SandboxManager
from tessera.store import Store
from tessera.thumbnails import Thumbnailer


def create_app(
    settings: Settings | None = None,
    *,
    provider: Provider | None = None,
    sandbox_provider: SandboxProvider | None = None,
) -> FastAPI:
    """Builds Tessera. ``provider`` and ``sandbox_provider`` replace the configured ones
    (tests pass fakes here)."""
    settings = settings or Settings()
    if sandbox_provider is None:
        check_sandbox_settings(settings)  # a missing E2B_API_KEY fails here, at startup

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = await Store.open(settings.database)
        preferences = Preferences(store, settings)
        llm = ProviderPool(settings, preferences, fixed=provider)
        sandboxes_backend: SandboxProvider
        if sandbox_provider is not None:
            sandboxes_backend = sandbox_provider
        elif settings.sandbox == "e2b":
            sandboxes_backend = create_e2b_provider(settings)
        else:  # local, or local-e2b (the E2B code path over local sandboxes)
            sandboxes_backend = create_sandbox_provider(settings)
        sandboxes = SandboxManager(
            sandboxes_backend, dev_server_timeout=settings.dev_server_timeout
        )
        diagnostics = Diagnostics()
        sandboxes.on_output = diagnostics.log
        thumbnails_dir = settings.data_dir / "thumbnails"
        thumbnails = (
            Thumbnailer.detect(thumbnails_dir)
            if settings.thumbnails
            else Thumbnailer(thumbnails_dir, chromium=None)
        )
        sandboxes.on_ready = thumbnails.deployment_ready
        lifecycle = SandboxLifecycle(
            sandboxes,
            files_of=store.read_files,
            idle_timeout=settings.sandbox_idle_timeout,
            max_running=settings.max_running_sandboxes,
            sweep_interval=settings.sandbox_sweep_interval,
        )
        await lifecycle.start()
        agent = Agent(
            store=store,
            provider=llm,
            sandboxes=sandboxes,
            preferences=preferences,
            diagnostics=diagnostics,
            check_window=settings.autofix_window,
        )
        app.state.settings = settings
        app.state.store = store
        app.state.sandboxes = sandboxes
        app.state.lifecycle = lifecycle
        app.state.preferences = preferences
        app.state.diagnostics = diagnostics
        app.state.thumbnails = thumbnails
        app.state.catalog = ProjectCatalog(store=store, thumbnails=thumbnails)
        app.state.llm = llm
        app.state.runs = RunRegistry(agent)
        app.state.files = FileService(
            store=store, sandboxes=sandboxes, is_running=app.state.runs.is_running
        )
        app.state.history = HistoryService(
            store=store, sandboxes=sandboxes, is_running=app.state.runs.is_running
        )
        publisher = Publisher(
            store=store, sandboxes=sandboxes, published_dir=settings.data_dir / "published"
        )
        app.state.publisher = publisher
        app.state.projects = ProjectService(
            store=store,
            sandboxes=sandboxes,
            llm=llm,
            diagnostics=diagnostics,
            publisher=publisher,
        )
        try:
            yield
        finally:
            await app.state.runs.aclose()
            await lifecycle.aclose()  # sandboxes are paused, kept for the next start
            await sandboxes_backend.aclose()
            await llm.aclose()
            await thumbnails.aclose()
            await store.close()

    app = FastAPI(title="Tessera", version=__version__, lifespan=lifespan)

    install_error_handlers(app)

    async def resolve_preview(sandbox_id: str, port: int) -> str | None:
        lifecycle: SandboxLifecycle | None = getattr(app.state, "lifecycle", None)
        return None if lifecycle is None else await lifecycle.resolve(sandbox_id, port)

    def moved_preview(sandbox_id: str) -> str | None:
        manager: SandboxManager | None = getattr(app.state, "sandboxes", None)
        return None if manager is None else manager.successor_url(sandbox_id)

    def report_preview_error(sandbox_id: str, report: Mapping[str, object]) -> None:
        manager: SandboxManager | None = getattr(app.state, "sandboxes", None)
        diagnostics: Diagnostics | None = getattr(app.state, "diagnostics", None)
        project_id = manager.project_of(sandbox_id) if manager is not None else None
        if diagnostics is not None and project_id is not None:
            diagnostics.report_browser(project_id, report)

    app.include_router(meta.router)
    app.include_router(console.router)
    app.include_router(projects.router)
    app.include_router(runs.router)
    app.include_router(sandboxes.router)
    app.include_router(settings_api.router)
    app.include_router(files_api.router)
    app.include_router(versions_api.router)
    app.include_router(export_api.router)
    app.include_router(published_api.router)
    app.include_router(terminal_api.router)
    mount_web(app)
    app.add_middleware(
        PreviewProxy,
        domain=settings.preview_base_domain,
        resolve=resolve_preview,
        moved=moved_preview,
        storage=PreviewStorage(settings.data_dir / "preview-storage"),
        report=report_preview_error,
    )
    return app
