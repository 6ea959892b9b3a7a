"""Fixtures of the sandbox tests: a local provider over the warm react template cache, and
a check that no process outlives a test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sandbox_test_support import processes_in

from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.templates import TemplateCache

PREVIEW_DOMAIN = "localhost:8000"


@pytest.fixture(autouse=True)
def no_leftover_processes(tmp_path: Path) -> Iterator[None]:
    yield
    assert processes_in(tmp_path) == [], "a process started by the test outlived it"


@pytest.fixture
async def provider(
    tmp_path: Path, template_cache: TemplateCache
) -> AsyncIterator[LocalSandboxProvider]:
    instance = LocalSandboxProvider(
        tmp_path / "sandboxes", template_cache, preview_domain=PREVIEW_DOMAIN
    )
    yield instance
    await instance.aclose()
