"""``POST /api/projects/{id}/runs``: one assistant turn, streamed as AG-UI events (SSE)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ag_ui.encoder import EventEncoder
from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from tessera.api.deps import Projects, Runs
from tessera.api.schemas import RunRequest

router = APIRouter(prefix="/api/projects", tags=["runs"])


@router.post("/{project_id}/runs")
async def start_run(
    project_id: str, body: RunRequest, projects: Projects, runs: Runs
) -> StreamingResponse:
    await projects.store.get_project(project_id)
    stream = runs.start(project_id, body.prompt)
    encoder = EventEncoder()

    async def sse() -> AsyncIterator[str]:
        async for event in stream:
            yield str(encoder.encode(event))

    return StreamingResponse(
        sse(),
        media_type=encoder.get_content_type(),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
