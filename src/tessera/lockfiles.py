"""Lock files written by dependency installs belong to the project: the store keeps them
(in the working copy, so the next version holds them), and the next install in a new
sandbox resolves the same versions."""

from __future__ import annotations

from tessera.sandbox.deployment import Deployment
from tessera.store import Store


async def keep_lockfiles(store: Store, project_id: str, deployment: Deployment) -> None:
    for path, content in deployment.lockfiles.items():
        await store.write_file(project_id, path, content)
