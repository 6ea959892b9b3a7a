"""Providers under the sandbox contract. A provider joins by adding a ``kit`` param."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sandbox_contract_kit import ProviderKit, host_process_alive, processes_in

from tessera.sandbox.base import Sandbox, SandboxProvider
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.templates import TemplateCache

PREVIEW_DOMAIN = "localhost:8000"


@pytest.fixture(autouse=True)
def no_leftover_processes(tmp_path: Path) -> Iterator[None]:
    yield
    assert processes_in(tmp_path) == [], "a process started by the test outlived it"


@pytest.fixture(params=["local"])
def kit(
    request: pytest.FixtureRequest, tmp_path: Path, template_cache: TemplateCache
) -> ProviderKit:
    if request.param == "local":
        root = tmp_path / "sandboxes"
        return ProviderKit(
            name="local",
            make=lambda: LocalSandboxProvider(root, template_cache, preview_domain=PREVIEW_DOMAIN),
            alive=host_process_alive,
        )
    raise AssertionError(f"no kit for provider {request.param}")


@pytest.fixture
async def provider(kit: ProviderKit) -> AsyncIterator[SandboxProvider]:
    instance = kit.make()
    yield instance
    await instance.aclose()


@pytest.fixture
async def sandbox(provider: SandboxProvider) -> AsyncIterator[Sandbox]:
    created = await provider.create("react", metadata={"suite": "contract"})
    yield created
    await created.kill()
