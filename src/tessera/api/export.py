"""Downloads of a project (its files as a zip, its history as a git repository) and its
publication at ``/apps/{slug}/``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from tessera.export import ExportArchive, Exporter
from tessera.publish import Publisher

router = APIRouter(prefix="/api/projects", tags=["export"])


class PublishRequest(BaseModel):
    slug: str | None = Field(default=None, max_length=200)
    """The address's last part (``/apps/{slug}/``); default: the current one, or one made
    from the project's name."""


def _exporter(request: Request) -> Exporter:
    return Exporter(request.app.state.store)


def _publisher(request: Request) -> Publisher:
    publisher: Publisher = request.app.state.publisher
    return publisher


Exports = Annotated[Exporter, Depends(_exporter)]
Publishing = Annotated[Publisher, Depends(_publisher)]


def _download(archive: ExportArchive) -> Response:
    return Response(
        content=archive.data,
        media_type=archive.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{archive.filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/{project_id}/export.zip")
async def export_zip(project_id: str, exporter: Exports) -> Response:
    return _download(await exporter.working_copy_zip(project_id))


@router.get("/{project_id}/export.git.zip")
async def export_git_zip(project_id: str, exporter: Exports) -> Response:
    return _download(await exporter.git_zip(project_id))


@router.post("/{project_id}/publish")
async def publish(
    project_id: str, publisher: Publishing, body: PublishRequest | None = None
) -> dict[str, Any]:
    slug = body.slug if body is not None else None
    return (await publisher.publish(project_id, slug)).to_dict()


@router.get("/{project_id}/publish")
async def publication(project_id: str, publisher: Publishing) -> dict[str, Any]:
    return (await publisher.current(project_id)).to_dict()


@router.delete("/{project_id}/publish", status_code=204)
async def unpublish(project_id: str, publisher: Publishing) -> Response:
    await publisher.unpublish(project_id)
    return Response(status_code=204)
