"""The sandbox service: one sandbox per project, its files, dependencies and dev server.

``deploy`` is idempotent and serialised per project: it creates the project's sandbox if
needed (from the template its files call for), writes only the files that changed since
the last deployment and removes the ones that are gone, installs dependencies the sandbox
does not have, (re)starts the dev server when it is not running, and waits until it
answers. ``upstream`` tells the preview proxy where a public preview host leads — only ever
to a dev server this manager started.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from tessera.errors import (
    CommandFailed,
    CommandTimeout,
    DependencyInstallFailed,
    DevServerFailed,
    FileNotFound,
    InvalidPath,
    TesseraError,
)
from tessera.protocol.paths import validate_path
from tessera.sandbox.base import CommandHandle, CommandResult, Sandbox, SandboxProvider, WriteEntry
from tessera.sandbox.deployment import Deployment, DeploymentStatus
from tessera.sandbox.deps import declared_dependencies, satisfies
from tessera.sandbox.detect import detect_app_type
from tessera.sandbox.output import call_back
from tessera.sandbox.readiness import answers, probe_client, wait_until_answering
from tessera.sandbox.templates import Template, get_template

log = logging.getLogger(__name__)

LogCallback = Callable[[str], Awaitable[None] | None]

PROJECT_KEY = "project_id"
"""Sandbox metadata naming the project a sandbox belongs to."""

INSTALL_TIMEOUT_SECONDS = 300.0
LOG_LINES = 500
DEPLOY_LOG_LINES = 200
ERROR_OUTPUT_LINES = 40
_INSTALL_ENVS = {"npm_config_update_notifier": "false"}
_OWN_DEPENDENCIES = (
    'if [ -L node_modules ]; then shared="$(readlink -f node_modules)" '
    '&& rm node_modules && cp -a "$shared" node_modules; fi'
)
"""A dependency folder shared through a symlink is copied before anything is installed into
it, so that an install never changes the shared cache."""


@dataclass(eq=False)
class _Project:
    project_id: str
    sandbox: Sandbox
    template: Template
    written: dict[str, str]
    """sha256 of every file as last written by the manager (the starter files at first)."""
    installed: dict[str, str]
    """Dependency specs known to be installed in the sandbox."""
    log: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_LINES))
    server: CommandHandle | None = None
    port: int | None = None
    status: DeploymentStatus = "starting"
    error: str | None = None
    files: list[str] = field(default_factory=list)
    listener: Callable[[str], Awaitable[None]] | None = None


class SandboxManager:
    def __init__(self, provider: SandboxProvider, *, dev_server_timeout: float = 60.0) -> None:
        self.provider = provider
        self.dev_server_timeout = dev_server_timeout
        self._projects: dict[str, _Project] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def deploy(
        self,
        project_id: str,
        files: Mapping[str, str],
        *,
        on_log: LogCallback | None = None,
        wait: bool = True,
    ) -> Deployment:
        """Brings the project's sandbox up to date with ``files`` and its dev server up.

        Empty ``files`` change nothing (a new sandbox shows the template's starter app),
        which lets a sandbox start while the project is still being written. Raises
        ``DevServerFailed`` (with the last output lines) when ``wait`` and the server does
        not come up, ``DependencyInstallFailed`` when installing dependencies fails.
        """
        checked = {validate_path(path): content for path, content in files.items()}
        template = get_template(detect_app_type(checked))
        async with self._lock(project_id):
            state = await self._project(project_id, template)
            lines: deque[str] = deque(maxlen=DEPLOY_LOG_LINES)

            async def listen(line: str) -> None:
                lines.append(line)
                if on_log is not None:
                    await call_back(on_log, line)

            state.listener = listen
            try:
                state.files = await self._sync(state, checked)
                if await self._install_dependencies(state, checked):
                    await self._stop_server(state)  # restarted below with the new packages
                if not _running(state.server):
                    await self._start_server(state)
                if wait:
                    await self._wait_ready(state)
                else:
                    await self._refresh(state)
            except DevServerFailed as exc:
                state.status, state.error = "error", exc.message
                raise
            finally:
                state.listener = None
            return self._deployment(state, log="\n".join(lines))

    async def status(self, project_id: str) -> Deployment | None:
        """The project's deployment as it is now; None when it has no sandbox."""
        state = self._projects.get(project_id)
        if state is None:
            return None
        await self._refresh(state)
        return self._deployment(state, log="\n".join(list(state.log)[-ERROR_OUTPUT_LINES:]))

    async def upstream(self, sandbox_id: str, port: int) -> str | None:
        """Where the preview of ``port`` in ``sandbox_id`` is served from, or None.

        Only a dev server this manager started answers; any other sandbox or port (another
        local service, Tessera itself) is refused.
        """
        for state in self._projects.values():
            if state.sandbox.sandbox_id == sandbox_id:
                if state.server is not None and state.port == port:
                    return state.sandbox.upstream_url(port)
                return None
        return None

    def logs(self, project_id: str) -> str:
        """The last output lines of the project's sandbox (dev server, installs)."""
        state = self._projects.get(project_id)
        return "" if state is None else "\n".join(state.log)

    async def stop(self, project_id: str) -> None:
        """Stops the dev server and removes the project's sandbox."""
        async with self._lock(project_id):
            state = self._projects.pop(project_id, None)
            if state is not None:
                await self._discard(state)

    async def aclose(self) -> None:
        """Stops every project's sandbox (each can be rebuilt from the project's files)."""
        await asyncio.gather(*(self.stop(project_id) for project_id in list(self._projects)))

    # --- sandbox -------------------------------------------------------------------------
    def _lock(self, project_id: str) -> asyncio.Lock:
        return self._locks.setdefault(project_id, asyncio.Lock())

    async def _project(self, project_id: str, template: Template) -> _Project:
        state = self._projects.get(project_id)
        if state is not None:
            if state.template.name == template.name and await state.sandbox.is_running():
                return state
            del self._projects[project_id]
            await self._discard(state)
        await self._reclaim(project_id)
        sandbox = await self.provider.create(template.name, metadata={PROJECT_KEY: project_id})
        state = _Project(
            project_id=project_id,
            sandbox=sandbox,
            template=template,
            written=await asyncio.to_thread(_starter_hashes, template),
            installed=await asyncio.to_thread(_template_dependencies, template),
        )
        self._projects[project_id] = state
        return state

    async def _reclaim(self, project_id: str) -> None:
        """Removes sandboxes a previous run of Tessera left for this project."""
        try:
            for sandbox in await self.provider.list():
                if sandbox.metadata.get(PROJECT_KEY) == project_id:
                    await sandbox.kill()
        except TesseraError as exc:
            log.warning("could not remove old sandboxes of %s: %s", project_id, exc.message)

    async def _discard(self, state: _Project) -> None:
        try:
            await self._stop_server(state)
            await state.sandbox.kill()
        except TesseraError as exc:
            log.warning("could not remove sandbox %s: %s", state.sandbox.sandbox_id, exc.message)

    # --- files ---------------------------------------------------------------------------
    async def _sync(self, state: _Project, files: Mapping[str, str]) -> list[str]:
        """Writes what changed and removes what the manager wrote that is gone; the
        template's starter files count as written, so the first sync removes those the
        project does not have. Returns the paths written or removed."""
        if not files:
            return []
        hashes = {path: _sha(content) for path, content in files.items()}
        writes = [
            WriteEntry(path, files[path])
            for path, digest in hashes.items()
            if state.written.get(path) != digest
        ]
        if writes:
            await state.sandbox.files.write_files(writes)
            state.written.update({entry.path: hashes[entry.path] for entry in writes})
        removed = sorted(path for path in state.written if path not in files)
        for path in removed:
            with contextlib.suppress(FileNotFound):
                await state.sandbox.files.remove(path)
            del state.written[path]
        return sorted([entry.path for entry in writes] + removed)

    # --- dependencies --------------------------------------------------------------------
    async def _install_dependencies(self, state: _Project, files: Mapping[str, str]) -> bool:
        """Installs when package.json asks for packages the sandbox lacks; True if it did."""
        manifest = files.get("package.json")
        if manifest is None:
            return False
        wanted = declared_dependencies(manifest)
        unknown = {name: spec for name, spec in wanted.items() if state.installed.get(name) != spec}
        missing = [
            name for name, spec in unknown.items() if not await _has(state.sandbox, name, spec)
        ]
        if not missing:
            state.installed.update(unknown)
            return False
        await self._say(state, f"Installing dependencies: {', '.join(sorted(missing))}")
        emit = functools.partial(self._emit, state)
        try:
            await state.sandbox.commands.run(
                f"{_OWN_DEPENDENCIES} && {state.template.install_command}",
                envs=_INSTALL_ENVS,
                on_stdout=emit,
                on_stderr=emit,
                timeout=INSTALL_TIMEOUT_SECONDS,
            )
        except (CommandFailed, CommandTimeout) as exc:
            raise DependencyInstallFailed(
                f"Installing the app's dependencies failed ({exc.message}); check the "
                "package names and versions in package.json.",
                output=self._tail(state),
            ) from None
        state.installed.update(wanted)
        return True

    # --- dev server ----------------------------------------------------------------------
    async def _start_server(self, state: _Project) -> None:
        template = state.template
        port = await state.sandbox.allocate_port(state.port or template.default_port)
        state.port = port
        cmd = template.dev_command(port)
        await self._say(state, f"Starting the dev server: {cmd}")
        emit = functools.partial(self._emit, state)
        handle = await state.sandbox.commands.run(
            cmd, background=True, timeout=None, on_stdout=emit, on_stderr=emit
        )
        assert not isinstance(handle, CommandResult)
        state.server = handle
        state.status, state.error = "starting", None

    async def _stop_server(self, state: _Project) -> None:
        if state.server is not None:
            server, state.server = state.server, None
            await server.kill()

    async def _wait_ready(self, state: _Project) -> None:
        assert state.server is not None and state.port is not None
        await wait_until_answering(
            state.sandbox.upstream_url(state.port), state.server, within=self.dev_server_timeout
        )
        state.status, state.error = "ready", None

    async def _refresh(self, state: _Project) -> None:
        """Updates the status from the server's process and one probe."""
        server = state.server
        if server is None or server.exit_code is not None:
            code = "" if server is None else f" (exit code {server.exit_code})"
            state.status = "error"
            state.error = f"The dev server is not running{code}; deploy again to restart it."
        elif state.status != "ready" and state.port is not None:
            async with probe_client(timeout=1.0) as client:
                if await answers(client, state.sandbox.upstream_url(state.port)):
                    state.status, state.error = "ready", None

    # --- output --------------------------------------------------------------------------
    async def _emit(self, state: _Project, line: str) -> None:
        state.log.append(line)
        if state.listener is not None:
            await state.listener(line)

    async def _say(self, state: _Project, message: str) -> None:
        await self._emit(state, f"[tessera] {message}")

    def _tail(self, state: _Project) -> str:
        return "\n".join(list(state.log)[-ERROR_OUTPUT_LINES:])

    def _deployment(self, state: _Project, *, log: str) -> Deployment:
        host = state.sandbox.get_host(state.port or state.template.default_port)
        return Deployment(
            sandbox_id=state.sandbox.sandbox_id,
            sandbox_url=f"http://{host}",
            preview_url=f"http://{host}/",
            status=state.status,
            files=list(state.files),
            error=state.error,
            log=log,
        )


def _running(server: CommandHandle | None) -> bool:
    return server is not None and server.exit_code is None


async def _has(sandbox: Sandbox, name: str, spec: str) -> bool:
    """True when the sandbox's node_modules holds ``name`` in a version satisfying ``spec``."""
    try:
        manifest = json.loads(await sandbox.files.read(f"node_modules/{name}/package.json"))
    except (FileNotFound, InvalidPath, ValueError):
        return False
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return isinstance(version, str) and satisfies(version, spec)


def _sha(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def _starter_hashes(template: Template) -> dict[str, str]:
    return {
        path: hashlib.sha256((template.files_dir / path).read_bytes()).hexdigest()
        for path in template.starter_files()
    }


def _template_dependencies(template: Template) -> dict[str, str]:
    manifest = template.files_dir / "package.json"
    return declared_dependencies(manifest.read_text()) if manifest.is_file() else {}


__all__ = ["Deployment", "SandboxManager"]
