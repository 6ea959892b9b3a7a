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
    return {"llm": projects.llm_info(), "sandbox": settings.sandbox, "version": __version__}
