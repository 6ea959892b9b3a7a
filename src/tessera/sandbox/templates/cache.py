"""The machine-level cache of template dependencies.

``warm`` installs a template's dependency sets once per machine into ``{cache_dir}/{name}/``
(``node_modules`` for npm packages, ``.venv`` for a Python virtual environment); sandboxes
then reuse those folders instead of installing. The install runs in a temporary folder
that replaces the cached one only when every set installed, so an interrupted install
never leaves a half cache. A stamp records a fingerprint of the dependency files: warming
again is a no-op until they change. A lock file serialises warms across processes.

A virtual environment made in the temporary folder keeps working once moved: it is only
ever run as ``.venv/bin/python`` (its scripts' ``#!`` lines name the old place).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from tessera.errors import CommandFailed, TemplateNotFound, TemplateNotReady
from tessera.sandbox.process import ManagedProcess, spawn
from tessera.sandbox.templates.registry import Dependencies, Ecosystem, Template, get_template

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str], None]

STAMP_NAME = ".tessera-stamp.json"
INSTALL_TIMEOUT_SECONDS = 600.0
_LOCK_POLL_SECONDS = 0.1
_REGISTRIES: dict[Ecosystem, str] = {"npm": "the npm registry", "pip": "PyPI"}


class TemplateCache:
    """Template dependencies cached under ``cache_dir`` (``Settings.templates_cache_dir``).

    Holds no event-loop state, so one instance may serve several event loops.
    ``templates`` replaces the built-in registry (templates of tests, plugins).
    """

    def __init__(self, cache_dir: Path, *, templates: Mapping[str, Template] | None = None) -> None:
        self.cache_dir = cache_dir
        self._templates = dict(templates) if templates is not None else None

    def template(self, name: str) -> Template:
        """The template called ``name``; raises ``TemplateNotFound`` listing the known ones."""
        if self._templates is None:
            return get_template(name)
        try:
            return self._templates[name]
        except KeyError:
            known = ", ".join(self._templates)
            raise TemplateNotFound(
                f"There is no template called {name!r}; known: {known}."
            ) from None

    def template_dir(self, name: str) -> Path:
        return self.cache_dir / self.template(name).name

    def is_ready(self, name: str) -> bool:
        """True when the template's dependencies are installed for its current files."""
        template = self.template(name)
        folder = self.cache_dir / template.name
        return all((folder / cached).is_dir() for cached in template.cached_dirs) and (
            _read_stamp(folder) == _fingerprint(template)
        )

    def dependency_dirs(self, name: str) -> dict[str, Path]:
        """The cached dependency folders, by the path each has in a sandbox
        (``{"node_modules": …, ".venv": …}``); raises ``TemplateNotReady`` if not warm."""
        template = self.template(name)
        if not self.is_ready(name):
            registries = " and ".join(
                dict.fromkeys(_REGISTRIES[d.ecosystem] for d in template.dependencies)
            )
            raise TemplateNotReady(
                f"The {template.name} template's dependencies are not installed on this "
                f"machine: run `tessera templates warm {template.name}` (needs {registries} "
                "once)."
            )
        folder = self.cache_dir / template.name
        return {cached: folder / cached for cached in template.cached_dirs}

    def node_modules(self, name: str) -> Path:
        """The cached ``node_modules``; raises ``TemplateNotReady`` if it is not warm."""
        dirs = self.dependency_dirs(name)
        if "node_modules" not in dirs:
            raise TemplateNotFound(f"The {name} template has no npm packages.")
        return dirs["node_modules"]

    def installed_packages(self, name: str) -> set[str]:
        """Names of the npm packages in the cache (``@scope/name`` for scoped ones)."""
        return _package_names(self.node_modules(name))

    async def warm(self, name: str, on_progress: ProgressCallback | None = None) -> None:
        """Installs the template's dependencies unless the cache is already current."""
        template = self.template(name)
        report = on_progress or (lambda line: None)
        if self.is_ready(name):
            report(f"{template.name}: dependencies already installed")
            return
        await asyncio.to_thread(self.cache_dir.mkdir, parents=True, exist_ok=True)
        async with _file_lock(self.cache_dir / f".{template.name}.lock"):
            if self.is_ready(name):  # another process warmed it while we waited
                report(f"{template.name}: dependencies already installed")
                return
            await asyncio.to_thread(_remove_leftovers, self.cache_dir, template.name)
            staging = self.cache_dir / f".{template.name}.tmp-{secrets.token_hex(4)}"
            try:
                await asyncio.to_thread(_stage, template, staging)
                for dependencies in template.dependencies:
                    report(f"{template.name}: {dependencies.install}")
                    await _install(template, dependencies, staging, report)
                await asyncio.to_thread(_write_stamp, staging, _fingerprint(template))
                await asyncio.to_thread(_swap_in, staging, self.cache_dir / template.name)
            finally:
                await asyncio.to_thread(shutil.rmtree, staging, True)
        report(f"{template.name}: dependencies installed")


def _fingerprint(template: Template) -> str:
    digest = hashlib.sha256(template.install_command.encode())
    for name in template.dependency_files:
        digest.update(b"\0" + name.encode() + b"\0")
        digest.update((template.files_dir / name).read_bytes())
    return digest.hexdigest()


def _read_stamp(folder: Path) -> str | None:
    try:
        stamp = json.loads((folder / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return None
    fingerprint = stamp.get("fingerprint") if isinstance(stamp, dict) else None
    return fingerprint if isinstance(fingerprint, str) else None


def _write_stamp(folder: Path, fingerprint: str) -> None:
    stamp = {"fingerprint": fingerprint, "installed_at": datetime.now(UTC).isoformat()}
    (folder / STAMP_NAME).write_text(json.dumps(stamp, indent=2) + "\n")


def _stage(template: Template, staging: Path) -> None:
    staging.mkdir(parents=True)
    for name in template.dependency_files:
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template.files_dir / name, staging / name)


async def _install(
    template: Template, dependencies: Dependencies, staging: Path, report: ProgressCallback
) -> None:
    # The dependency list is the template's own (trusted), so the install runs on the host,
    # with the host's npm and pip configuration; install scripts stay off all the same
    # (npm --ignore-scripts, pip --only-binary).
    env = {k: v for k, v in os.environ.items() if "API_KEY" not in k.upper()}
    env["npm_config_update_notifier"] = "false"
    env.pop("VIRTUAL_ENV", None)
    cmd = dependencies.install
    process = await spawn(["bash", "-c", cmd], cwd=staging, env=env)
    handle = ManagedProcess(
        process,
        cmd=cmd,
        on_stdout=report,
        on_stderr=report,
        timeout=INSTALL_TIMEOUT_SECONDS,
    )
    try:
        await handle.wait()
    except CommandFailed as exc:
        raise CommandFailed(
            f"Installing the {template.name} template's dependencies failed "
            f"(exit code {exc.exit_code}). Check that {_REGISTRIES[dependencies.ecosystem]} "
            "is reachable, then run "
            f"`tessera templates warm {template.name}` again.\n{handle.output_tail(20)}",
            exit_code=exc.exit_code,
            stdout=exc.stdout,
            stderr=exc.stderr,
        ) from None
    finally:
        if handle.exit_code is None or not handle.finished:
            await handle.kill()


def _swap_in(staging: Path, final: Path) -> None:
    old: Path | None = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{secrets.token_hex(4)}")
        final.rename(old)
    staging.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _remove_leftovers(cache_dir: Path, name: str) -> None:
    """Staging and replaced folders left by an install that was killed."""
    for pattern in (f".{name}.tmp-*", f".{name}.old-*"):
        for path in cache_dir.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)


def _package_names(node_modules: Path) -> set[str]:
    names: set[str] = set()
    for entry in _entries(node_modules):
        if entry.name.startswith("@"):
            names.update(f"{entry.name}/{sub.name}" for sub in _entries(entry))
        else:
            names.add(entry.name)
    return names


def _entries(folder: Path) -> Iterator[Path]:
    with contextlib.suppress(OSError):
        for entry in sorted(folder.iterdir()):
            if not entry.name.startswith(".") and entry.is_dir():
                yield entry


@contextlib.asynccontextmanager
async def _file_lock(path: Path) -> AsyncIterator[None]:
    fd = await asyncio.to_thread(os.open, path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(_LOCK_POLL_SECONDS)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
