"""The console of a project's running app: its current errors, and its output and errors
as they come (server-sent events)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse

from tessera.diagnostics import Diagnostics
from tessera.store import Store

router = APIRouter(prefix="/api/projects", tags=["console"])

KEEPALIVE_SECONDS = 15.0
"""A comment line this often keeps proxies and browsers from closing a quiet stream."""


def _diagnostics(request: Request) -> Diagnostics:
    diagnostics: Diagnostics = request.app.state.diagnostics
    return diagnostics


async def _known_project(project_id: str, request: Request) -> str:
    """``project_id`` when the project exists; ``ProjectNotFound`` (404) otherwise."""
    store: Store = request.app.state.store
    await store.get_project(project_id)
    return project_id


Hub = Annotated[Diagnostics, Depends(_diagnostics)]
KnownProject = Annotated[str, Depends(_known_project)]


@router.get("/{project_id}/errors")
async def list_errors(project_id: KnownProject, diagnostics: Hub) -> dict[str, Any]:
    return {"errors": [error.to_dict() for error in diagnostics.errors(project_id)]}


@router.delete("/{project_id}/errors", status_code=204)
async def clear_errors(project_id: KnownProject, diagnostics: Hub) -> Response:
    diagnostics.clear(project_id)
    return Response(status_code=204)


@router.get("/{project_id}/console")
async def console(project_id: KnownProject, diagnostics: Hub) -> StreamingResponse:
    return StreamingResponse(
        _events(diagnostics, project_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(diagnostics: Diagnostics, project_id: str) -> AsyncIterator[str]:
    """Each console entry as ``data: <json>``; ``: keepalive`` while nothing happens."""
    entries = diagnostics.subscribe(project_id)
    upcoming: asyncio.Task[dict[str, Any]] | None = None
    try:
        while True:
            if upcoming is None:
                upcoming = asyncio.ensure_future(anext(entries))
            done, _ = await asyncio.wait({upcoming}, timeout=KEEPALIVE_SECONDS)
            if not done:
                yield ": keepalive\n\n"
                continue
            try:
                entry = upcoming.result()
            except StopAsyncIteration:
                return
            upcoming = None
            yield f"data: {json.dumps(entry)}\n\n"
    finally:
        if upcoming is not None:
            upcoming.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await upcoming
        await entries.aclose()
