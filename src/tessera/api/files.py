"""A project's files: list, read, save (with edit-conflict detection), rename, delete and
upload. Each change is one version; see ``tessera.files.FileService``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from tessera.errors import InvalidInput
from tessera.files import FileService, content_sha
from tessera.importing import upload_form

router = APIRouter(prefix="/api/projects", tags=["files"])


def _files(request: Request) -> FileService:
    service: FileService = request.app.state.files
    return service


Files = Annotated[FileService, Depends(_files)]


class FileSave(BaseModel):
    content: str = Field(max_length=5_000_000)
    base_sha: str | None = Field(default=None, max_length=64)
    """The sha the editor loaded ("" for a new file); omitted: overwrite without checking."""


class Rename(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    source: str = Field(alias="from", min_length=1, max_length=1_024)
    target: str = Field(alias="to", min_length=1, max_length=1_024)


@router.get("/{project_id}/files")
async def list_files(project_id: str, files: Files) -> list[dict[str, Any]]:
    return [{"path": f.path, "size": f.size} for f in await files.list_files(project_id)]


@router.post("/{project_id}/files/rename")
async def rename(project_id: str, body: Rename, files: Files) -> dict[str, Any]:
    renamed = await files.rename(project_id, body.source, body.target)
    return {"files": [{"path": f.path, "size": f.size} for f in renamed]}


@router.post("/{project_id}/files/upload")
async def upload(project_id: str, request: Request, files: Files) -> dict[str, Any]:
    """multipart: ``files`` parts (file name = path inside the folder) and ``folder``."""
    async with upload_form(request, limits=files.upload_limits) as form:
        parts: list[Any] = form.getlist("files")
        uploads = [part for part in parts if isinstance(part, UploadFile)]
        if len(uploads) != len(parts):
            raise InvalidInput("The form field 'files' must hold files, not text.")
        if not uploads:
            raise InvalidInput("Nothing was uploaded: choose the files or the folder to add.")
        folder = form.get("folder")
        if folder is not None and not isinstance(folder, str):
            raise InvalidInput("The form field 'folder' must be a folder path, not a file.")
        result = await files.upload(project_id, uploads, folder=folder)
    return result.to_dict()


@router.get("/{project_id}/files/{path:path}")
async def read_file(project_id: str, path: str, files: Files) -> dict[str, str]:
    content = await files.read(project_id, path)
    return {"path": path, "content": content, "sha": content_sha(content)}


@router.put("/{project_id}/files/{path:path}")
async def write_file(project_id: str, path: str, body: FileSave, files: Files) -> dict[str, Any]:
    record = await files.save(project_id, path, body.content, base_sha=body.base_sha)
    return {"path": record.path, "size": record.size, "sha": record.sha}


@router.delete("/{project_id}/files/{path:path}", status_code=204)
async def delete_file(project_id: str, path: str, files: Files) -> Response:
    await files.delete(project_id, path)
    return Response(status_code=204)
