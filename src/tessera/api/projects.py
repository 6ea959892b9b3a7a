"""Projects, their files, deploys and previews."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from tessera.api.deps import Projects
from tessera.api.schemas import DeployRequest, FileContent, ProjectCreate

router = APIRouter(prefix="/api/projects", tags=["projects"])


@router.get("")
async def list_projects(projects: Projects) -> list[dict[str, Any]]:
    return [p.to_dict() for p in await projects.store.list_projects()]


@router.post("", status_code=201)
async def create_project(body: ProjectCreate, projects: Projects) -> dict[str, Any]:
    project = await projects.create(name=body.name, template=body.template)
    return project.to_dict()


@router.get("/{project_id}")
async def get_project(project_id: str, projects: Projects) -> dict[str, Any]:
    return await projects.detail(project_id)


@router.delete("/{project_id}", status_code=204)
async def delete_project(project_id: str, projects: Projects) -> Response:
    await projects.delete(project_id)
    return Response(status_code=204)


@router.get("/{project_id}/files")
async def list_files(project_id: str, projects: Projects) -> list[dict[str, Any]]:
    await projects.store.get_project(project_id)
    return [{"path": f.path, "size": f.size} for f in await projects.store.list_files(project_id)]


@router.get("/{project_id}/files/{path:path}")
async def read_file(project_id: str, path: str, projects: Projects) -> dict[str, str]:
    return {"path": path, "content": await projects.read_file(project_id, path)}


@router.put("/{project_id}/files/{path:path}")
async def write_file(
    project_id: str, path: str, body: FileContent, projects: Projects
) -> dict[str, Any]:
    record = await projects.save_file(project_id, path, body.content)
    return {"path": record.path, "size": record.size}


@router.delete("/{project_id}/files/{path:path}", status_code=204)
async def delete_file(project_id: str, path: str, projects: Projects) -> Response:
    await projects.delete_file(project_id, path)
    return Response(status_code=204)


@router.post("/{project_id}/deploy")
async def deploy(project_id: str, body: DeployRequest, projects: Projects) -> dict[str, Any]:
    return (await projects.deploy(project_id, body.files)).to_dict()


@router.get("/{project_id}/preview")
async def preview(project_id: str, projects: Projects) -> dict[str, Any]:
    return (await projects.preview(project_id)).to_dict()
