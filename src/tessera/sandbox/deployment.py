"""What a deployment of a project into its sandbox looks like to the API and the agent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DeploymentStatus = Literal["starting", "ready", "error"]


@dataclass(frozen=True, slots=True)
class Deployment:
    """One project's sandbox and dev server.

    ``sandbox_url`` is the origin of the app's dev server, ``preview_url`` the page to load
    (``Sandbox.preview_url``: ``http://{port}-{sandbox_id}.{preview_domain}/`` through
    Tessera's preview proxy, ``https://{port}-{sandbox_id}.e2b.app/`` on E2B); ``files`` the
    paths written or removed by this deployment; ``log`` the sandbox's output lines during it;
    ``reload`` whether an open preview must be reloaded to show them (the preview's server
    has no hot reload, as Flask's pages); ``lockfiles`` the lock files a dependency install
    of this deployment wrote (path → content), which the project keeps.
    """

    sandbox_id: str
    sandbox_url: str
    preview_url: str
    status: DeploymentStatus
    files: list[str] = field(default_factory=list)
    error: str | None = None
    log: str = ""
    reload: bool = False
    lockfiles: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.status == "ready"

    def to_dict(self) -> dict[str, object]:
        return {
            "sandbox_id": self.sandbox_id,
            "sandbox_url": self.sandbox_url,
            "preview_url": self.preview_url,
            "status": self.status,
            "ready": self.ready,
            "files": list(self.files),
            "error": self.error,
            "log": self.log,
            "reload": self.reload,
            "lockfiles": sorted(self.lockfiles),
        }
