"""Access to the services the lifespan wired onto ``app.state``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tessera.agent.runs import RunRegistry
from tessera.config import Settings
from tessera.preferences import Preferences
from tessera.projects import ProjectService
from tessera.sandbox.lifecycle import SandboxLifecycle


def _projects(request: Request) -> ProjectService:
    service: ProjectService = request.app.state.projects
    return service


def _runs(request: Request) -> RunRegistry:
    runs: RunRegistry = request.app.state.runs
    return runs


def _lifecycle(request: Request) -> SandboxLifecycle:
    lifecycle: SandboxLifecycle = request.app.state.lifecycle
    return lifecycle


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Projects = Annotated[ProjectService, Depends(_projects)]
Runs = Annotated[RunRegistry, Depends(_runs)]
Lifecycle = Annotated[SandboxLifecycle, Depends(_lifecycle)]
AppSettings = Annotated[Settings, Depends(_settings)]


def _preferences(request: Request) -> Preferences:
    preferences: Preferences = request.app.state.preferences
    return preferences


Prefs = Annotated[Preferences, Depends(_preferences)]
