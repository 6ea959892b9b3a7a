"""``POST /api/projects/{id}/runs``: one assistant turn, streamed as AG-UI events (SSE)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ag_ui.encoder import EventEncoder
from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from tessera.agent.turn import RunOptions
from tessera.api.deps import Projects, Runs
from tessera.api.schemas import EnhanceRequest, RunRequest
from tessera.protocol.paths import validate_path

router = APIRouter(prefix="/api/projects", tags=["runs"])


@router.post("/{project_id}/runs")
async def start_run(
    project_id: str, body: RunRequest, projects: Projects, runs: Runs
) -> StreamingResponse:
    await projects.store.get_project(project_id)
    active_file = validate_path(body.active_file) if body.active_file else None
    options = RunOptions(
        prompt=body.prompt, mode=body.mode, action=body.action, active_file=active_file
    )
    stream = runs.start(project_id, options)
    encoder = EventEncoder()

    async def sse() -> AsyncIterator[str]:
        async for event in stream:
            yield str(encoder.encode(event))

    return StreamingResponse(
        sse(),
        media_type=encoder.get_content_type(),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post("/{project_id}/enhance")
async def enhance(project_id: str, body: EnhanceRequest, runs: Runs) -> dict[str, str]:
    """The prompt rewritten by the model into a fuller specification of the app."""
    return {"prompt": await runs.enhance(project_id, body.prompt)}
