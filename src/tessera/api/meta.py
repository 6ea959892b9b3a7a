"""Health and configuration."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tessera import __version__
from tessera.api.deps import AppSettings, Projects

router = APIRouter(prefix="/api", tags=["meta"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/config")
async def config(settings: AppSettings, projects: Projects) -> dict[str, Any]:
    # "none": local sandboxes run unisolated (the UI warns); E2B sandboxes are virtual machines.
    isolation = settings.sandbox_isolation if settings.sandbox != "e2b" else "e2b"
    return {
        "llm": await projects.llm_info(),
        "sandbox": settings.sandbox,
        "isolation": isolation,
        "version": __version__,
    }
