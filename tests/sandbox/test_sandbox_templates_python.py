"""The python template's cache: a virtual environment made from the system's Python, with
Flask and without watchdog, that sandboxes use without writing to it."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from templates_support import warm

from tessera.sandbox.base import CommandResult
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.templates import TemplateCache

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def python_cache(template_cache: TemplateCache) -> TemplateCache:
    return warm(template_cache, "python", "fullstack")


def test_the_venv_is_made_from_the_system_python(python_cache: TemplateCache) -> None:
    for name in ("python", "fullstack"):
        venv = python_cache.dependency_dirs(name)[".venv"]
        assert (venv / "pyvenv.cfg").read_text().count("home = /usr/bin") == 1
        assert os.path.realpath(venv / "bin" / "python").startswith("/usr/bin/python3")
        found = subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import flask, sys; print(sys.prefix)"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert found.stdout.strip() == str(venv)
        absent = subprocess.run([str(venv / "bin" / "python"), "-c", "import watchdog"])
        assert absent.returncode != 0, "watchdog must not be in the cache (it breaks reloads)"


async def test_warming_again_is_a_no_op(python_cache: TemplateCache) -> None:
    progress: list[str] = []
    started = time.monotonic()
    await python_cache.warm("python", on_progress=progress.append)
    assert time.monotonic() - started < 2
    assert progress == ["python: dependencies already installed"]
    assert python_cache.is_ready("fullstack")


async def test_a_sandbox_gets_the_venv_and_runs_the_system_python(
    python_cache: TemplateCache, tmp_path: Path
) -> None:
    provider = LocalSandboxProvider(tmp_path / "sandboxes", python_cache, preview_domain="x")
    try:
        sandbox = await provider.create("python")
        assert await sandbox.files.exists(".venv/pyvenv.cfg")
        assert await sandbox.files.exists("app.py")
        result = await sandbox.commands.run(
            ".venv/bin/python -c 'import flask, os, sys; print(sys.prefix); "
            "print(os.path.realpath(sys.executable))'"
        )
        assert isinstance(result, CommandResult)
        prefix, executable = result.stdout.split()
        assert prefix == str(sandbox.folder / ".venv")
        assert executable.startswith("/usr/bin/python3")
        # The sandbox's copy shares the cache's files without being the cache's folder.
        cached = python_cache.dependency_dirs("python")[".venv"] / "pyvenv.cfg"
        assert (sandbox.folder / ".venv" / "pyvenv.cfg").samefile(cached)
        assert not (sandbox.folder / ".venv").is_symlink()
        await sandbox.kill()
    finally:
        await provider.aclose()


async def test_a_fullstack_sandbox_gets_both_dependency_folders(
    python_cache: TemplateCache, tmp_path: Path
) -> None:
    provider = LocalSandboxProvider(tmp_path / "sandboxes", python_cache, preview_domain="x")
    try:
        sandbox = await provider.create("fullstack")
        for path in (".venv/pyvenv.cfg", "node_modules/vite/package.json", "api/app.py"):
            assert await sandbox.files.exists(path), path
        await sandbox.kill()
    finally:
        await provider.aclose()
