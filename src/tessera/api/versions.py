"""A project's history: versions, their files, diffs, restore and undo. See
``tessera.history.HistoryService``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from tessera.errors import InvalidInput
from tessera.history import HistoryService

router = APIRouter(prefix="/api/projects", tags=["versions"])

CURRENT = "current"
"""Names the working copy where a version id is expected."""


def _history(request: Request) -> HistoryService:
    service: HistoryService = request.app.state.history
    return service


History = Annotated[HistoryService, Depends(_history)]


def _version_ref(value: str, name: str) -> int | None:
    """A version id, or None for "current" (the working copy)."""
    if value == CURRENT:
        return None
    if value.isdigit():
        return int(value)
    raise InvalidInput(f"'{name}' must be a version id or \"{CURRENT}\", not {value!r}.")


@router.get("/{project_id}/versions")
async def list_versions(project_id: str, history: History) -> list[dict[str, Any]]:
    return [view.to_dict() for view in await history.versions(project_id)]


@router.get("/{project_id}/versions/{version_id}/files")
async def version_files(project_id: str, version_id: int, history: History) -> dict[str, Any]:
    return {"files": await history.snapshot(project_id, version_id)}


@router.get("/{project_id}/versions/{version_id}/files/{path:path}")
async def version_file(
    project_id: str, version_id: int, path: str, history: History
) -> dict[str, str]:
    return {"path": path, "content": await history.snapshot_file(project_id, version_id, path)}


@router.get("/{project_id}/diff")
async def diff(
    project_id: str,
    history: History,
    before: Annotated[str, Query(alias="from", max_length=20)],
    after: Annotated[str, Query(alias="to", max_length=20)] = CURRENT,
) -> dict[str, Any]:
    changed = await history.diff(
        project_id, _version_ref(before, "from"), _version_ref(after, "to")
    )
    return {"files": [d.to_dict() for d in changed]}


@router.post("/{project_id}/versions/{version_id}/restore", status_code=201)
async def restore(project_id: str, version_id: int, history: History) -> dict[str, Any]:
    return {"version": (await history.restore(project_id, version_id)).to_dict()}


@router.post("/{project_id}/undo")
async def undo(project_id: str, history: History) -> dict[str, Any]:
    return {"version": (await history.undo(project_id)).to_dict()}
