"""Shared fixtures: a warm react template cache (once per machine) and isolated settings."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tessera.config import Settings
from tessera.sandbox.templates import TemplateCache
from tessera.store import Store


def shared_test_cache() -> Path:
    """Machine-level cache for tests, shared across runs (template node_modules)."""
    configured = os.environ.get("TESSERA_TEST_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "tessera-test"


MODEL_ENVIRONMENT = (
    "OPENAI_API_KEY",
    "TESSERA_OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "TESSERA_ANTHROPIC_API_KEY",
    "TESSERA_LLM_PROVIDER",
    "TESSERA_LLM_MODEL",
    "TESSERA_LLM_BASE_URL",
    "TESSERA_OFFLINE_PACE",
    "TESSERA_AUTOFIX",
    "TESSERA_AUTOFIX_ATTEMPTS",
)
"""Variables that choose the model: tests of that choice start without any of them."""


@pytest.fixture
def model_environment_cleared(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in MODEL_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def template_cache() -> TemplateCache:
    cache = TemplateCache(shared_test_cache() / "templates")
    if not cache.is_ready("react"):
        asyncio.run(cache.warm("react"))
    return cache


@pytest.fixture
def settings(tmp_path: Path, template_cache: TemplateCache) -> Iterator[Settings]:
    port = free_port()
    yield Settings(
        data_dir=tmp_path / "data",
        cache_dir=shared_test_cache(),
        port=port,
        offline_pace=0.0,
        llm_provider="offline",
        dev_server_timeout=30.0,
        autofix_window=0.3,
        thumbnails=False,
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A real store on a SQLite file of the test's own."""
    opened = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'tessera.db'}")
    try:
        yield opened
    finally:
        await opened.close()


class RunsStandIn:
    """Stands for the run registry: the projects whose run is streaming."""

    def __init__(self) -> None:
        self.running: set[str] = set()

    def is_running(self, project_id: str) -> bool:
        return project_id in self.running


class WaitingAgent:
    """A turn that streams until ``finish`` is set: a run in progress for as long as a
    test needs one."""

    def __init__(self) -> None:
        self.finish = asyncio.Event()

    async def run_turn(self, project_id: str, prompt: object, run_id: str) -> AsyncIterator[Any]:
        await self.finish.wait()
        return
        yield
