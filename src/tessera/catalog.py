"""The project catalog: making projects (empty, from a template's starter files, as a copy of
another, from an uploaded zip or folder), naming them, and how each one looks in the project
list — with its thumbnail when it has one.

Every new project is made in one store transaction with its first version, so a failure
leaves nothing behind; an upload is read and checked completely before that.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tessera.errors import InvalidInput, NotFound
from tessera.importing import ProjectUpload, Skipped
from tessera.preferences import PROJECT_SETTINGS
from tessera.sandbox.detect import detect_app_type
from tessera.sandbox.templates import get_template, template_files
from tessera.store import ProjectRecord, Store
from tessera.thumbnails import Thumbnailer

MAX_NAME_CHARS: Final = 200
DEFAULT_NAME: Final = "Untitled app"
IMPORTED_NAME: Final = "Imported app"
EMPTY_PROJECT_TEMPLATE: Final = "react"
"""What a project made without a template records (as ``detect_app_type`` does for no
files): its sandbox shows the react starter until its files say otherwise."""
COPY_SUFFIX: Final = " (copy)"


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    project: ProjectRecord
    skipped: list[Skipped]


def clean_name(name: str) -> str:
    """``name`` with its white space tidied (trimmed; runs, tabs and line breaks made one
    space); ``InvalidInput`` when nothing is left or it is over ``MAX_NAME_CHARS``."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("A project needs a name: type at least one character.")
    if len(cleaned) > MAX_NAME_CHARS:
        raise InvalidInput(
            f"That name has {len(cleaned)} characters; a project name has at most {MAX_NAME_CHARS}."
        )
    return cleaned


class ProjectCatalog:
    """What the project list's routes call."""

    def __init__(self, *, store: Store, thumbnails: Thumbnailer | None = None) -> None:
        self.store = store
        self.thumbnails = thumbnails

    # --- views -----------------------------------------------------------------------------
    def view(self, project: ProjectRecord) -> dict[str, Any]:
        """The API's ``Project``: the record and its thumbnail's URL (or null)."""
        return {**project.to_dict(), "thumbnail_url": self.thumbnail_url(project.id)}

    async def list_projects(self) -> list[dict[str, Any]]:
        """Every project, the most recently changed first."""
        return [self.view(project) for project in await self.store.list_projects()]

    def thumbnail_url(self, project_id: str) -> str | None:
        """The thumbnail's URL, which changes whenever the picture does (so a browser may
        keep it as long as it likes)."""
        path = self._thumbnail_path(project_id)
        if path is None:
            return None
        try:
            version = path.stat().st_mtime_ns // 1_000_000
        except OSError:  # removed meanwhile
            return None
        return f"/api/projects/{project_id}/thumbnail.png?v={version}"

    async def thumbnail(self, project_id: str) -> Path:
        """The project's thumbnail file; ``NotFound`` while it has none."""
        await self.store.get_project(project_id)
        path = self._thumbnail_path(project_id)
        if path is None:
            raise NotFound(
                "This project has no thumbnail yet; one is taken a few seconds after its app runs."
            )
        return path

    def forget(self, project_id: str) -> None:
        """Drop what the catalog keeps beside the store (the thumbnail) of a deleted project."""
        if self.thumbnails is not None:
            self.thumbnails.forget(project_id)

    # --- making projects -------------------------------------------------------------------
    async def create(
        self, *, name: str | None = None, template: str | None = None
    ) -> ProjectRecord:
        """An empty project, or with ``template`` one that starts with the template's starter
        files as version 1."""
        project_name = clean_name(name) if name and name.strip() else DEFAULT_NAME
        if template is None:
            return await self.store.create_project(
                name=project_name, template=EMPTY_PROJECT_TEMPLATE
            )
        get_template(template)  # TemplateNotFound names the known ones
        files = await asyncio.to_thread(template_files, template)
        return await self.store.create_project_with_files(
            name=project_name,
            template=template,
            files=files,
            message=f"Started from the {template} template",
        )

    async def rename(self, project_id: str, name: str | None) -> ProjectRecord:
        """Give the project another name (None leaves it as it is)."""
        if name is None:
            return await self.store.get_project(project_id)
        return await self.store.update_project(project_id, name=clean_name(name))

    async def duplicate(self, project_id: str, *, name: str | None = None) -> ProjectRecord:
        """A copy with the same files (as one version), template, title, description and
        settings (locked files, model); the chat and the history are not copied."""
        source = await self.store.get_project(project_id)
        if name and name.strip():
            copy_name = clean_name(name)
        else:
            copy_name = source.name[: MAX_NAME_CHARS - len(COPY_SUFFIX)] + COPY_SUFFIX
        return await self.store.copy_project(
            project_id,
            name=copy_name,
            message=f"Duplicated from {source.name}",
            setting_keys=PROJECT_SETTINGS,
        )

    async def import_project(self, upload: ProjectUpload) -> ImportOutcome:
        """A project made of an upload's text files, as one version "Imported"; its
        template follows from its files."""
        imported = upload.imported
        if not imported.files:
            reasons = "; ".join(f"{s.path}: {s.reason}" for s in imported.skipped[:5])
            raise InvalidInput(
                "Nothing to import: the upload has no text files Tessera can keep"
                + (f" ({reasons})." if reasons else ".")
            )
        if upload.name and upload.name.strip():
            project_name = clean_name(upload.name)
        elif upload.name_hint and upload.name_hint.strip():
            project_name = " ".join(upload.name_hint.split())[:MAX_NAME_CHARS]
        else:
            project_name = IMPORTED_NAME
        project = await self.store.create_project_with_files(
            name=project_name,
            template=detect_app_type(imported.files),
            files=imported.files,
            message="Imported",
        )
        return ImportOutcome(project=project, skipped=list(imported.skipped))

    def _thumbnail_path(self, project_id: str) -> Path | None:
        return None if self.thumbnails is None else self.thumbnails.path_for(project_id)


__all__ = ["ImportOutcome", "ProjectCatalog", "clean_name"]
