"""The settings page: the model, automatic fixing and API keys, global and per project.

``PUT`` changes only the fields it names (null clears one). Values are checked by
``tessera.preferences``, so every way in gets the same messages; the bodies here only
refuse what is not JSON of the right shape. API keys, global or a project's own, can be
written but never read back: the views give a masked hint and the layer a key comes from.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from tessera.api.deps import Prefs

router = APIRouter(tags=["settings"])


class GlobalSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str | None = Field(default=None, max_length=50)
    model: str | None = Field(default=None, max_length=500)
    base_url: str | None = Field(default=None, max_length=1000)
    autofix: StrictBool | None = None
    autofix_attempts: StrictInt | None = None
    openai_api_key: str | None = Field(default=None, max_length=1000)
    anthropic_api_key: str | None = Field(default=None, max_length=1000)


class ProjectSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str | None = Field(default=None, max_length=50)
    model: str | None = Field(default=None, max_length=500)
    base_url: str | None = Field(default=None, max_length=1000)
    autofix_attempts: StrictInt | None = None
    locked_files: list[str] | None = Field(default=None, max_length=1000)
    openai_api_key: str | None = Field(default=None, max_length=1000)
    anthropic_api_key: str | None = Field(default=None, max_length=1000)


@router.get("/api/settings")
async def read_settings(preferences: Prefs) -> dict[str, Any]:
    return await preferences.global_view()


@router.put("/api/settings")
async def update_settings(body: GlobalSettingsUpdate, preferences: Prefs) -> dict[str, Any]:
    return await preferences.update_global(body.model_dump(exclude_unset=True))


@router.get("/api/projects/{project_id}/settings")
async def read_project_settings(project_id: str, preferences: Prefs) -> dict[str, Any]:
    return await preferences.project_view(project_id)


@router.put("/api/projects/{project_id}/settings")
async def update_project_settings(
    project_id: str, body: ProjectSettingsUpdate, preferences: Prefs
) -> dict[str, Any]:
    return await preferences.update_project(project_id, body.model_dump(exclude_unset=True))
