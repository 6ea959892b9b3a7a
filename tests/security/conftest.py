"""Fixtures of the security battery: a running Tessera (whose health is watched during
every attack) and an isolated provider with small limits whose sandboxes attack."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.local.isolation import Isolation
from tessera.sandbox.templates import TemplateCache
from tests.conftest import free_port, shared_test_cache
from tests.security.security_support import (
    LIMITS,
    Tessera,
    processes_under,
    remove_cgroup_parent,
    unique_cgroup_parent,
)

_SERVE = (
    "import uvicorn\n"
    "from tessera.app import create_app\n"
    "uvicorn.run(create_app(), host='127.0.0.1', port={port}, log_level='warning')\n"
)


@pytest.fixture(scope="module")
def tessera(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tessera]:
    """Tessera as it runs (default settings: isolated sandboxes), in a process of its own."""
    data_dir = tmp_path_factory.mktemp("tessera") / "data"
    port = free_port()
    env = {
        **os.environ,
        "TESSERA_DATA_DIR": str(data_dir),
        "TESSERA_CACHE_DIR": str(shared_test_cache()),
        "TESSERA_LLM_PROVIDER": "offline",
        "TESSERA_PORT": str(port),
    }
    log = data_dir.parent / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", _SERVE.format(port=port)], env=env, stdout=output, stderr=output
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield Tessera(url=url, port=port, data_dir=data_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def cgroup_parent() -> Iterator[str]:
    parent = unique_cgroup_parent()
    yield parent
    assert processes_under(parent) == [], "a sandbox process outlived the test"
    assert remove_cgroup_parent(parent) == [], "a sandbox's control group was left"


@pytest.fixture
async def provider(
    tmp_path: Path, cgroup_parent: str, template_cache: TemplateCache
) -> AsyncIterator[LocalSandboxProvider]:
    instance = LocalSandboxProvider(
        tmp_path / "sandboxes",
        template_cache,
        preview_domain="localhost:8000",
        isolation=Isolation(
            limits=LIMITS, cgroup_parent=cgroup_parent, check_interval=0.1, disk_interval=0.5
        ),
    )
    yield instance
    await instance.aclose()
