"""What the sandbox listing shows about one project's sandbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

SandboxStatus = Literal["running", "paused", "starting", "error"]
"""``running``: the dev server answers; ``paused``: processes stopped, files kept (the next
preview request or edit resumes it); ``starting``: being created, resumed or deployed;
``error``: the dev server is not running (the next deploy restarts it)."""


@dataclass(frozen=True, slots=True)
class SandboxSummary:
    sandbox_id: str
    project_id: str
    template: str
    status: SandboxStatus
    preview_url: str
    last_active: datetime
    """The last deploy, preview request or edit (timezone-aware, UTC)."""
    ports: tuple[int, ...]
    """The ports its servers were started on (the preview's, a full-stack app's API);
    none while paused."""

    def to_dict(self) -> dict[str, object]:
        return {
            "sandbox_id": self.sandbox_id,
            "project_id": self.project_id,
            "template": self.template,
            "status": self.status,
            "preview_url": self.preview_url,
            "last_active": self.last_active.isoformat(),
            "ports": list(self.ports),
        }
