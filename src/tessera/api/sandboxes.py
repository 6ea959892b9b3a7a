"""The sandboxes of this server: listing them, killing one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from tessera.api.deps import Lifecycle

router = APIRouter(prefix="/api/sandboxes", tags=["sandboxes"])


@router.get("")
async def list_sandboxes(lifecycle: Lifecycle) -> list[dict[str, Any]]:
    return [summary.to_dict() for summary in await lifecycle.sandboxes()]


@router.delete("/{sandbox_id}", status_code=204)
async def kill_sandbox(sandbox_id: str, lifecycle: Lifecycle) -> Response:
    await lifecycle.kill(sandbox_id)
    return Response(status_code=204)
