"""Request bodies of the HTTP API."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

MAX_PROMPT_CHARS = 20_000


class ProjectCreate(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    template: str = Field(default="react", max_length=50)


class FileContent(BaseModel):
    content: str = Field(max_length=5_000_000)


class DeployRequest(BaseModel):
    files: dict[str, str] = Field(default_factory=dict)


class RunRequest(BaseModel):
    prompt: str = Field(max_length=MAX_PROMPT_CHARS)

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("The prompt is empty: describe the app or the change you want.")
        return value.strip()
