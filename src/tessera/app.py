"""The application factory. Nothing is created at import time: ``create_app`` builds the
app, and its lifespan opens the store and starts the sandbox manager."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from tessera import __version__
from tessera.agent.runs import RunRegistry
from tessera.agent.turn import Agent
from tessera.api import meta, projects, runs
from tessera.api.web import mount_web
from tessera.config import Settings
from tessera.errors import TesseraError
from tessera.llm.base import Provider
from tessera.llm.factory import create_provider
from tessera.preview.proxy import PreviewProxy
from tessera.preview.storage import PreviewStorage
from tessera.projects import ProjectService
from tessera.sandbox.base import SandboxProvider
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.templates import TemplateCache
from tessera.store import Store


def create_app(
    settings: Settings | None = None,
    *,
    provider: Provider | None = None,
    sandbox_provider: SandboxProvider | None = None,
) -> FastAPI:
    """Builds Tessera. ``provider`` and ``sandbox_provider`` replace the configured ones
    (tests pass fakes here)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = await Store.open(settings.database)
        llm = provider or create_provider(settings)
        sandboxes_backend = sandbox_provider or LocalSandboxProvider(
            settings.sandboxes_dir,
            TemplateCache(settings.templates_cache_dir),
            preview_domain=settings.preview_base_domain,
        )
        sandboxes = SandboxManager(
            sandboxes_backend, dev_server_timeout=settings.dev_server_timeout
        )
        agent = Agent(store=store, provider=llm, sandboxes=sandboxes)
        app.state.settings = settings
        app.state.store = store
        app.state.sandboxes = sandboxes
        app.state.runs = RunRegistry(agent)
        app.state.projects = ProjectService(store=store, sandboxes=sandboxes, provider=llm)
        try:
            yield
        finally:
            await app.state.runs.aclose()
            await sandboxes.aclose()
            await sandboxes_backend.aclose()
            if provider is None:
                await llm.aclose()
            await store.close()

    app = FastAPI(title="Tessera", version=__version__, lifespan=lifespan)

    @app.exception_handler(TesseraError)
    async def tessera_error(_: Request, exc: TesseraError) -> JSONResponse:
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        messages = [str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors()]
        return JSONResponse(
            {"error": {"code": "invalid_input", "message": "; ".join(messages)}},
            status_code=422,
        )

    async def resolve_preview(sandbox_id: str, port: int) -> str | None:
        manager: SandboxManager | None = getattr(app.state, "sandboxes", None)
        return None if manager is None else await manager.upstream(sandbox_id, port)

    app.include_router(meta.router)
    app.include_router(projects.router)
    app.include_router(runs.router)
    mount_web(app)
    app.add_middleware(
        PreviewProxy,
        domain=settings.preview_base_domain,
        resolve=resolve_preview,
        storage=PreviewStorage(settings.data_dir / "preview-storage"),
    )
    return app
