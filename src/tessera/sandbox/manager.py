"""The sandbox service: one sandbox per project, its files, dependencies and servers.

``deploy`` is idempotent and serialised per project: it creates the project's sandbox if
needed (from the template its files call for), writes only the files that changed since
the last deployment and removes the ones that are gone, installs dependencies the sandbox
does not have, restarts the template's processes a change calls for (a Python server when
a ``.py`` file changed; Vite hot-reloads by itself), starts every process that is not
running, and waits until all of them answer (``processes.ProcessGroup``). ``upstream``
tells the preview proxy where a public preview host leads — only ever to a server this
manager started: the preview's port, and the other processes' ports (a full-stack app's
API can be opened on its own preview host).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import shlex
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tessera.errors import (
    CommandFailed,
    CommandTimeout,
    DependencyInstallFailed,
    DevServerFailed,
    FileNotFound,
    InvalidPath,
    SandboxError,
    SandboxNotFound,
    TesseraError,
)
from tessera.protocol.paths import validate_path
from tessera.sandbox.base import CommandHandle, Sandbox, SandboxProvider, WriteEntry
from tessera.sandbox.deployment import Deployment, DeploymentStatus
from tessera.sandbox.detect import detect_app_type
from tessera.sandbox.installs import InstallCommand, installer_for
from tessera.sandbox.output import call_back
from tessera.sandbox.processes import ProcessGroup
from tessera.sandbox.snapshot import file_hashes
from tessera.sandbox.summary import SandboxStatus, SandboxSummary
from tessera.sandbox.suspend import suspend
from tessera.sandbox.templates import Template, get_template

log = logging.getLogger(__name__)

LogCallback = Callable[[str], Awaitable[None] | None]
StartHook = Callable[[str], Awaitable[None]]

PROJECT_KEY = "project_id"
"""Sandbox metadata naming the project a sandbox belongs to."""

INSTALL_TIMEOUT_SECONDS = 300.0
LOG_LINES = 500
DEPLOY_LOG_LINES = 200
ERROR_OUTPUT_LINES = 40
REPLACED_REMEMBERED = 256
"""Replaced sandboxes remembered for ``successor_url``."""


@dataclass(eq=False)
class _Project:
    project_id: str
    sandbox: Sandbox
    template: Template
    written: dict[str, str]
    """sha256 of every file as last written by the manager (the starter files at first)."""
    installed: dict[str, dict[str, str]]
    """By manifest path: the dependency specs known to be installed in the sandbox."""
    log: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_LINES))
    status: DeploymentStatus = "starting"
    error: str | None = None
    files: list[str] = field(default_factory=list)
    listener: Callable[[str], Awaitable[None]] | None = None
    output: Callable[[str, str], None] | None = None
    """Called with (project id, line) for every output line, deploying or not."""
    paused: bool = False
    """Processes stopped, files kept; the next deploy resumes the sandbox."""
    lockfiles: dict[str, str] = field(default_factory=dict)
    """Lock files an install of this deployment wrote (path → content), for the store."""
    last_active: float = field(default_factory=time.time)
    """When it was last deployed to, previewed or edited (``time.time()``)."""
    processes: ProcessGroup = field(init=False)
    """The template's servers (``processes.py``)."""

    def __post_init__(self) -> None:
        self.processes = ProcessGroup(
            lambda: self.sandbox, self.template, emit=self.emit, say=self.say
        )

    @property
    def server(self) -> CommandHandle | None:
        """The preview's process (None when it is not started)."""
        return self.processes.preview_handle

    @property
    def port(self) -> int | None:
        """The preview's port (None before the first start)."""
        return self.processes.preview_port

    async def emit(self, line: str) -> None:
        self.log.append(line)
        if self.output is not None:
            self.output(self.project_id, line)
        if self.listener is not None:
            await self.listener(line)

    async def say(self, message: str) -> None:
        await self.emit(f"[tessera] {message}")


class SandboxManager:
    def __init__(self, provider: SandboxProvider, *, dev_server_timeout: float = 60.0) -> None:
        self.provider = provider
        self.dev_server_timeout = dev_server_timeout
        self._projects: dict[str, _Project] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._replaced: OrderedDict[str, str] = OrderedDict()
        """Sandbox id → project id of sandboxes replaced by a new one (another template, a
        rebuild): a preview still showing one is sent on (``successor_url``)."""
        self.on_output: Callable[[str, str], None] | None = None
        """Called with (project id, line) for every line any sandbox prints: the dev
        servers' output, installs, Tessera's own notes. Must not block."""
        self.on_ready: Callable[[str, Deployment], None] | None = None
        """Called with (project id, deployment) when a deploy returns a ready app (the
        thumbnails are taken then). Must not block."""
        self.on_starting: StartHook | None = None
        """Awaited with the project id, no lock held, before a deploy that starts the
        project's sandbox (new or paused) or its dev server; the lifecycle makes room there."""

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
        template = self._template_for(project_id, checked)
        if self.on_starting is not None and not self._serving(project_id):
            await self.on_starting(project_id)
        async with self._lock(project_id):
            state = await self._project(project_id, template)
            state.last_active = time.time()
            lines: deque[str] = deque(maxlen=DEPLOY_LOG_LINES)

            async def listen(line: str) -> None:
                lines.append(line)
                if on_log is not None:
                    await call_back(on_log, line)

            state.listener = listen
            try:
                state.files = await self._sync(state, checked)
                state.lockfiles = {}
                installed = await self._install_dependencies(state, checked)
                await self._start_servers(state, installed)
                if wait:
                    await self._wait_ready(state)
                else:
                    await self._refresh(state)
            except DevServerFailed as exc:
                state.status, state.error = "error", exc.message
                raise
            finally:
                state.listener = None
                state.last_active = time.time()
            deployment = self._deployment(state, log="\n".join(lines))
            if self.on_ready is not None and deployment.ready:
                self.on_ready(project_id, deployment)
            return deployment

    async def status(self, project_id: str) -> Deployment | None:
        """The project's deployment as it is now; None when it has no sandbox."""
        state = self._projects.get(project_id)
        if state is None:
            return None
        await self._refresh(state)
        return self._deployment(state, log="\n".join(list(state.log)[-ERROR_OUTPUT_LINES:]))

    @contextlib.asynccontextmanager
    async def sandbox_for(
        self, project_id: str, files: Mapping[str, str]
    ) -> AsyncIterator[Sandbox]:
        """The project's sandbox holding ``files`` (or newer ones a deploy wrote just
        after), for a command of the caller's own such as a production build: deployed as
        ``deploy`` does (dependencies installed, servers started but not awaited), then
        held — no deploy, pause or stop of the project runs until the ``async with`` block
        ends, so the files do not change under the command."""
        await self.deploy(project_id, files, wait=False)
        async with self._lock(project_id):
            state = self._projects.get(project_id)
            if state is None or state.paused:
                raise SandboxError("The app's sandbox was stopped meanwhile; try again.")
            state.last_active = time.time()
            try:
                yield state.sandbox
            finally:
                state.last_active = time.time()

    async def upstream(self, sandbox_id: str, port: int) -> str | None:
        """Where the preview of ``port`` in ``sandbox_id`` is served from, or None.

        Only a server this manager started answers (the preview's, and the other
        processes' of the template, such as a full-stack app's API); any other sandbox or
        port (another local service, Tessera itself) is refused.
        """
        for state in self._projects.values():
            if state.sandbox.sandbox_id == sandbox_id:
                if port in state.processes.served_ports():
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

    # --- lifecycle (pause, resume, take over, list; see ``lifecycle.py``) ----------------
    def touch(self, project_id: str) -> None:
        """Records activity of the project (a preview request) for the idle timeout."""
        state = self._projects.get(project_id)
        if state is not None:
            state.last_active = time.time()

    def project_of(self, sandbox_id: str) -> str | None:
        """The project whose sandbox is ``sandbox_id``, or None."""
        for state in self._projects.values():
            if state.sandbox.sandbox_id == sandbox_id:
                return state.project_id
        return None

    def successor_url(self, sandbox_id: str) -> str | None:
        """The preview URL of the sandbox that replaced ``sandbox_id`` (for another template,
        or rebuilt), while its project has one; None for any other sandbox."""
        project_id = self._replaced.get(sandbox_id)
        state = None if project_id is None else self._projects.get(project_id)
        if state is None or state.sandbox.sandbox_id == sandbox_id:
            return None
        return state.sandbox.preview_url(state.port or state.template.default_port)

    def _remember_replaced(self, state: _Project) -> None:
        self._replaced[state.sandbox.sandbox_id] = state.project_id
        while len(self._replaced) > REPLACED_REMEMBERED:
            self._replaced.popitem(last=False)

    def is_paused(self, project_id: str) -> bool:
        state = self._projects.get(project_id)
        return state is not None and state.paused

    def preview_port(self, project_id: str) -> int | None:
        """The port the project's preview was last served on (None before its first start)."""
        state = self._projects.get(project_id)
        return None if state is None else state.port

    def running(self) -> dict[str, float]:
        """The projects whose sandbox is not paused, with the time of their last activity."""
        return {pid: s.last_active for pid, s in self._projects.items() if not s.paused}

    def busy(self, project_id: str) -> bool:
        """True while the project's sandbox is being deployed to or paused."""
        lock = self._locks.get(project_id)
        return lock is not None and lock.locked()

    async def pause(self, project_id: str, *, idle_for: float | None = None) -> bool:
        """Stops the dev server and every process of the project's sandbox, keeping its
        files; the next deploy resumes it. With ``idle_for``, only a sandbox idle for that
        many seconds is paused. True when it was paused now."""
        async with self._lock(project_id):
            state = self._projects.get(project_id)
            if state is None or state.paused:
                return False
            if idle_for is not None and time.time() - state.last_active < idle_for:
                return False
            await self._stop_server(state)
            await suspend(state.sandbox)
            state.paused = True
            return True

    async def adopt(self, project_id: str, sandbox: Sandbox) -> bool:
        """Takes over ``sandbox``, left for the project by an earlier run of Tessera, as
        paused (processes stopped, files kept): the next deploy reuses its folder and writes
        only the files that differ. False when the project already has a sandbox here.
        Raises ``TemplateNotFound`` for a sandbox of an unknown template."""
        template = get_template(sandbox.template)
        async with self._lock(project_id):
            if project_id in self._projects:
                return False
            await suspend(sandbox)
            self._projects[project_id] = _Project(
                project_id=project_id,
                sandbox=sandbox,
                template=template,
                written=await file_hashes(sandbox),
                installed={},
                paused=True,
                output=self.on_output,
            )
            return True

    async def summaries(self) -> list[SandboxSummary]:
        """Every project's sandbox, in the order they were created."""
        return [await self._summary(state) for state in list(self._projects.values())]

    async def _summary(self, state: _Project) -> SandboxSummary:
        status: SandboxStatus
        if state.paused:
            status = "paused"
        elif state.server is None and self.busy(state.project_id):
            status = "starting"
        else:
            await self._refresh(state)
            status = "running" if state.status == "ready" else state.status
        deployment = self._deployment(state, log="")
        return SandboxSummary(
            sandbox_id=state.sandbox.sandbox_id,
            project_id=state.project_id,
            template=state.template.name,
            status=status,
            preview_url=deployment.preview_url,
            last_active=datetime.fromtimestamp(state.last_active, UTC),
            ports=tuple(sorted(state.processes.served_ports())),
        )

    def _serving(self, project_id: str) -> bool:
        state = self._projects.get(project_id)
        return state is not None and not state.paused and _running(state.server)

    async def _wake(self, state: _Project) -> None:
        """Connects to a paused sandbox again (which resumes a provider's paused sandbox);
        a sandbox that is gone is then replaced by the caller."""
        state.paused = False
        try:
            state.sandbox = await self.provider.connect(state.sandbox.sandbox_id)
        except SandboxNotFound:
            log.info(
                "sandbox %s of %s is gone; rebuilding it",
                state.sandbox.sandbox_id,
                state.project_id,
            )

    # --- sandbox -------------------------------------------------------------------------
    def _lock(self, project_id: str) -> asyncio.Lock:
        return self._locks.setdefault(project_id, asyncio.Lock())

    def _template_for(self, project_id: str, files: Mapping[str, str]) -> Template:
        """The template ``files`` call for; no files keep the sandbox's current one."""
        state = self._projects.get(project_id)
        if not files and state is not None:
            return state.template
        return get_template(detect_app_type(files))

    async def _project(self, project_id: str, template: Template) -> _Project:
        state = self._projects.get(project_id)
        if state is not None:
            if state.paused:
                await self._wake(state)
            if state.template.name == template.name and await state.sandbox.is_running():
                return state
            del self._projects[project_id]
            self._remember_replaced(state)
            await self._discard(state)
        await self._reclaim(project_id)
        sandbox = await self.provider.create(template.name, metadata={PROJECT_KEY: project_id})
        state = _Project(
            project_id=project_id,
            sandbox=sandbox,
            template=template,
            written=await asyncio.to_thread(_starter_hashes, template),
            installed=await asyncio.to_thread(_template_dependencies, template),
            output=self.on_output,
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
    async def _install_dependencies(self, state: _Project, files: Mapping[str, str]) -> set[str]:
        """Installs what the project's manifests ask for and the sandbox lacks; returns the
        dependency folders installed into."""
        installed: set[str] = set()
        for dependencies in state.template.dependencies:
            manifest = files.get(dependencies.manifest)
            if manifest is None:
                continue
            installer = installer_for(dependencies.ecosystem)
            known = state.installed.setdefault(dependencies.manifest, {})
            wanted = installer.wanted(manifest)
            unknown = {key: spec for key, spec in wanted.items() if known.get(key) != spec}
            missing = await installer.missing(state.sandbox, unknown) if unknown else []
            if not missing:
                known.update(unknown)
                continue
            await self._say(state, f"Installing dependencies: {', '.join(sorted(missing))}")
            command = installer.command(dependencies, missing)
            await self._say(state, f"$ {command.cmd}")
            emit = functools.partial(self._emit, state)
            try:
                # Through install(): the only way an isolated sandbox reaches the registries.
                await state.sandbox.install(
                    _install_script(command), on_output=emit, timeout=INSTALL_TIMEOUT_SECONDS
                )
            except (CommandFailed, CommandTimeout) as exc:
                raise DependencyInstallFailed(
                    f"Installing the app's dependencies failed ({exc.message}); "
                    f"{installer.advice(dependencies)}.",
                    output=self._tail(state),
                ) from None
            known.update(wanted)
            installed.add(dependencies.folder)
            await self._collect_lockfile(state, dependencies.manifest, files)
        return installed

    async def _collect_lockfile(
        self, state: _Project, manifest: str, files: Mapping[str, str]
    ) -> None:
        """Keeps the lock file an npm install wrote beside ``manifest``, so the project's
        next install resolves the same versions."""
        if not manifest.endswith("package.json"):
            return
        path = manifest.removesuffix("package.json") + "package-lock.json"
        try:
            content = await state.sandbox.files.read(path)
        except (FileNotFound, InvalidPath):
            return
        if files.get(path) != content:
            state.lockfiles[path] = content
            state.written[path] = _sha(content)

    # --- servers -------------------------------------------------------------------------
    async def _start_servers(self, state: _Project, installed: set[str]) -> None:
        """Restarts the processes the deployment's changes call for (``state.files``,
        installs into ``installed``), then starts every process that is not running."""
        await state.processes.restart_for(state.files, installed)
        if await state.processes.start_stopped():
            state.status, state.error = "starting", None

    async def _stop_server(self, state: _Project) -> None:
        """Stops every process of the project's sandbox."""
        await state.processes.stop_all()

    async def _wait_ready(self, state: _Project) -> None:
        await state.processes.wait_ready(self.dev_server_timeout)
        state.status, state.error = "ready", None

    async def _refresh(self, state: _Project) -> None:
        """Updates the status from the processes and one probe of each."""
        failure = state.processes.failure()
        if failure is not None:
            state.status, state.error = "error", failure
        elif state.status != "ready" and await state.processes.answering():
            state.status, state.error = "ready", None

    # --- output --------------------------------------------------------------------------
    async def _emit(self, state: _Project, line: str) -> None:
        await state.emit(line)

    async def _say(self, state: _Project, message: str) -> None:
        await state.say(message)

    def _tail(self, state: _Project) -> str:
        return "\n".join(list(state.log)[-ERROR_OUTPUT_LINES:])

    def _deployment(self, state: _Project, *, log: str) -> Deployment:
        preview_url = state.sandbox.preview_url(state.port or state.template.default_port)
        return Deployment(
            sandbox_id=state.sandbox.sandbox_id,
            sandbox_url=preview_url.removesuffix("/"),
            preview_url=preview_url,
            status=state.status,
            files=list(state.files),
            error=state.error,
            log=log,
            reload=bool(state.files) and not state.template.preview.hot_reload,
            lockfiles=dict(state.lockfiles),
        )


def _install_script(command: InstallCommand) -> str:
    """``command`` as one shell command run in the project folder (its folder and
    environment variables set first)."""
    steps = [f"export {name}={shlex.quote(value)}" for name, value in command.envs.items()]
    if command.cwd is not None:
        steps.append(f"cd {shlex.quote(command.cwd)}")
    return " && ".join([*steps, command.cmd])


def _running(server: CommandHandle | None) -> bool:
    return server is not None and server.exit_code is None


def _sha(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def _starter_hashes(template: Template) -> dict[str, str]:
    return {
        path: hashlib.sha256((template.files_dir / path).read_bytes()).hexdigest()
        for path in template.starter_files()
    }


def _template_dependencies(template: Template) -> dict[str, dict[str, str]]:
    """By manifest path: what the template's own manifests ask for (installed in the cache)."""
    return {
        dependencies.manifest: installer_for(dependencies.ecosystem).wanted(
            (template.files_dir / dependencies.manifest).read_text()
        )
        for dependencies in template.dependencies
    }


__all__ = ["Deployment", "SandboxManager"]
