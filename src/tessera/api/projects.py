"""Projects, their files, deploys and previews."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse

from tessera.api.deps import Projects
from tessera.api.schemas import DeployRequest, ProjectCreate, ProjectDuplicate, ProjectUpdate
from tessera.catalog import ProjectCatalog
from tessera.importing import read_import_form, upload_form

router = APIRouter(prefix="/api/projects", tags=["projects"])


def _catalog(request: Request) -> ProjectCatalog:
    catalog: ProjectCatalog = request.app.state.catalog
    return catalog


Catalog = Annotated[ProjectCatalog, Depends(_catalog)]


@router.get("")
async def list_projects(catalog: Catalog) -> list[dict[str, Any]]:
    return await catalog.list_projects()


@router.post("", status_code=201)
async def create_project(body: ProjectCreate, catalog: Catalog) -> dict[str, Any]:
    return catalog.view(await catalog.create(name=body.name, template=body.template))


@router.get("/{project_id}")
async def get_project(project_id: str, projects: Projects, catalog: Catalog) -> dict[str, Any]:
    detail = await projects.detail(project_id)
    return {**detail, "thumbnail_url": catalog.thumbnail_url(project_id)}


@router.delete("/{project_id}", status_code=204)
async def delete_project(project_id: str, projects: Projects, catalog: Catalog) -> Response:
    await projects.delete(project_id)
    catalog.forget(project_id)
    return Response(status_code=204)


@router.post("/{project_id}/deploy")
async def deploy(project_id: str, body: DeployRequest, projects: Projects) -> dict[str, Any]:
    return (await projects.deploy(project_id, body.files)).to_dict()


@router.get("/{project_id}/preview")
async def preview(project_id: str, projects: Projects) -> dict[str, Any]:
    return (await projects.preview(project_id)).to_dict()


# --- the project list: rename, duplicate, import, thumbnails ----------------------------
@router.patch("/{project_id}")
async def update_project(project_id: str, body: ProjectUpdate, catalog: Catalog) -> dict[str, Any]:
    return catalog.view(await catalog.rename(project_id, body.name))


@router.post("/{project_id}/duplicate", status_code=201)
async def duplicate_project(
    project_id: str, catalog: Catalog, body: ProjectDuplicate | None = None
) -> dict[str, Any]:
    name = body.name if body is not None else None
    return catalog.view(await catalog.duplicate(project_id, name=name))


@router.post("/import", status_code=201)
async def import_project(request: Request, catalog: Catalog) -> dict[str, Any]:
    """multipart: one ``zip`` file, or ``files`` named by their relative paths; ``name``."""
    async with upload_form(request) as form:
        outcome = await catalog.import_project(await read_import_form(form))
    skipped = [entry.to_dict() for entry in outcome.skipped]
    return {**catalog.view(outcome.project), "skipped": skipped}


@router.get("/{project_id}/thumbnail.png")
async def thumbnail(project_id: str, catalog: Catalog) -> FileResponse:
    path = await catalog.thumbnail(project_id)
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "no-cache"})
