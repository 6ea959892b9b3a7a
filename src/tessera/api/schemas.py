"""Request bodies of the HTTP API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

MAX_PROMPT_CHARS = 20_000


class ProjectCreate(BaseModel):
    """``template``: start from its starter files (None: an empty project). Other fields,
    such as the ``prompt`` the UI sends next, are ignored."""

    name: str | None = Field(default=None, max_length=1_000)
    template: str | None = Field(default=None, max_length=50)


class ProjectUpdate(BaseModel):
    name: str | None = Field(default=None, max_length=1_000)
    """Trimmed and checked (1 to 200 characters) by the catalog."""


class ProjectDuplicate(BaseModel):
    name: str | None = Field(default=None, max_length=1_000)


class FileContent(BaseModel):
    content: str = Field(max_length=5_000_000)


class DeployRequest(BaseModel):
    files: dict[str, str] = Field(default_factory=dict)


class RunRequest(BaseModel):
    prompt: str = Field(default="", max_length=MAX_PROMPT_CHARS)
    mode: Literal["build", "chat"] = "build"
    """build: the model changes the app; chat: it only answers."""
    action: Literal["message", "fix"] = "message"
    """fix: the model is asked to fix the app's current errors (the prompt may be empty)."""
    active_file: str | None = Field(default=None, max_length=1_000)

    @field_validator("prompt")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @model_validator(mode="after")
    def _prompt_unless_fixing(self) -> RunRequest:
        if self.action == "message" and not self.prompt:
            raise ValueError("The prompt is empty: describe the app or the change you want.")
        return self


class EnhanceRequest(BaseModel):
    prompt: str = Field(max_length=MAX_PROMPT_CHARS)
