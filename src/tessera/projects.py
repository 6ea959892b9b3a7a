"""Project operations behind the HTTP API: hand edits, deploys, previews.

Route handlers call these; they hold no logic of their own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tessera.diagnostics import Diagnostics
from tessera.errors import DevServerFailed
from tessera.llm.pool import ProviderPool
from tessera.lockfiles import keep_lockfiles
from tessera.protocol.paths import validate_path
from tessera.publish import Publisher
from tessera.sandbox.manager import Deployment, SandboxManager
from tessera.store import Store


class ProjectService:
    def __init__(
        self,
        *,
        store: Store,
        sandboxes: SandboxManager,
        llm: ProviderPool,
        diagnostics: Diagnostics | None = None,
        publisher: Publisher | None = None,
    ) -> None:
        self.store = store
        self.sandboxes = sandboxes
        self.llm = llm
        self.diagnostics = diagnostics
        self.publisher = publisher

    async def llm_info(self, project_id: str | None = None) -> dict[str, Any]:
        """The model a project's turns use (the global one without a project)."""
        if project_id is not None:
            return await self.llm.label_for(project_id)
        provider = await self.llm.for_global()
        return {
            "provider": provider.name,
            "model": getattr(provider, "model", provider.name),
            "label": provider.label,
        }

    async def detail(self, project_id: str) -> dict[str, Any]:
        project = await self.store.get_project(project_id)
        files = await self.store.list_files(project_id)
        messages = await self.store.list_messages(project_id)
        versions = await self.store.list_versions(project_id)
        return {
            **project.to_dict(),
            "files": [{"path": f.path, "size": f.size} for f in files],
            "messages": [m.to_dict() for m in messages],
            "versions": [v.to_dict() for v in versions],
            "llm": await self.llm_info(project_id),
        }

    async def deploy(self, project_id: str, edits: Mapping[str, str]) -> Deployment:
        """Hand edits become one version; the sandbox gets the changed files and reloads.
        An app that does not start with them is answered as a deployment in error."""
        await self.store.get_project(project_id)
        checked = {validate_path(path): content for path, content in edits.items()}
        current = await self.store.read_files(project_id)
        changes: dict[str, str | None] = {
            path: content for path, content in checked.items() if current.get(path) != content
        }
        had_errors = False
        if changes:
            if self.diagnostics is not None:
                had_errors = bool(self.diagnostics.errors(project_id))
                self.diagnostics.clear(project_id)  # new code: the old errors may be gone
            names = ", ".join(sorted(changes)[:3]) + ("…" if len(changes) > 3 else "")
            await self.store.commit_version(
                project_id, changes=changes, message=f"Hand edits: {names}", kind="edit"
            )
        files = await self.store.read_files(project_id)
        try:
            deployment = await self._deploy(project_id, files)
        except DevServerFailed as failure:
            # The edits are a version already: the answer says the app failed with them
            # rather than failing the request, which would leave the page taking them for
            # unsaved (and its own next edit of the file for someone else's).
            return await self._failed(project_id, failure)
        if had_errors:  # a page whose modules failed to load cannot be hot-updated
            deployment = dataclasses.replace(deployment, reload=True)
        return deployment

    async def preview(self, project_id: str) -> Deployment:
        """Starts (or finds) the project's sandbox with its current files."""
        await self.store.get_project(project_id)
        files = await self.store.read_files(project_id)
        return await self._deploy(project_id, files)

    async def _deploy(self, project_id: str, files: Mapping[str, str]) -> Deployment:
        deployment = await self.sandboxes.deploy(project_id, files)
        await keep_lockfiles(self.store, project_id, deployment)
        return deployment

    async def _failed(self, project_id: str, failure: DevServerFailed) -> Deployment:
        """The project's deployment in error after ``failure`` (its sandbox's URLs, the
        failure's message and output lines)."""
        current = await self.sandboxes.status(project_id)
        if current is None:
            raise failure
        return dataclasses.replace(
            current, status="error", error=failure.message, log=failure.output or current.log
        )

    async def delete(self, project_id: str) -> None:
        await self.store.get_project(project_id)
        await self.sandboxes.stop(project_id)
        await self.store.delete_project(project_id)
        if self.diagnostics is not None:
            self.diagnostics.forget(project_id)
        if self.publisher is not None:
            await self.publisher.forget(project_id)  # a deleted project's app goes offline

    async def _sync_if_running(self, project_id: str) -> None:
        if await self.sandboxes.status(project_id) is None:
            return
        files = await self.store.read_files(project_id)
        deployment = await self.sandboxes.deploy(project_id, files, wait=False)
        await keep_lockfiles(self.store, project_id, deployment)


__all__ = ["ProjectService"]
