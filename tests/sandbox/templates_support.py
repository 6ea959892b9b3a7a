"""Helpers of the python and fullstack template tests: warm caches, process lookups,
wheels built by hand (no build tool, no network)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import zipfile
from pathlib import Path

import httpx

from tessera.sandbox.deployment import Deployment
from tessera.sandbox.local import LocalSandbox, LocalSandboxProvider
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.templates import TemplateCache


def warm(cache: TemplateCache, *names: str) -> TemplateCache:
    """``cache`` with the templates ``names`` installed (once per machine)."""
    for name in names:
        if not cache.is_ready(name):
            asyncio.run(cache.warm(name))
    return cache


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        return await client.get(url)


def preview_port(deployment: Deployment) -> int:
    return int(deployment.preview_url.removeprefix("http://").split("-", 1)[0])


async def preview_upstream(manager: SandboxManager, deployment: Deployment) -> str:
    url = await manager.upstream(deployment.sandbox_id, preview_port(deployment))
    assert url is not None
    return url


async def sandbox_of(provider: LocalSandboxProvider, deployment: Deployment) -> LocalSandbox:
    return await provider.connect(deployment.sandbox_id)


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def pids_by_role(sandbox: LocalSandbox) -> dict[str, int]:
    """The sandbox's server processes by what they run: ``flask`` and ``vite``."""
    found: dict[str, int] = {}
    for pid in sandbox.running_processes():
        line = command_line(pid)
        for role in ("flask", "vite"):
            if role in line:
                assert role not in found, f"two {role} processes"
                found[role] = pid
    return found


def wheel(name: str, version: str, source: str) -> tuple[str, bytes]:
    """A pure-Python wheel of the package ``name`` whose ``__init__.py`` is ``source``:
    its file name and its bytes."""
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": source,
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: tessera-tests\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ),
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return f"{name}-{version}-py3-none-any.whl", buffer.getvalue()
