"""``FakeE2BSdk``: E2B's cloud as a stand-in on this machine, for tests.

It implements ``E2BSdk`` with the semantics of E2B's SDK — the same calls, results and
exception classes — so the ``e2b`` provider runs unchanged against it (as httpx ships a
``MockTransport``): a sandbox's file system is a folder under ``root`` (the E2B template's
files copied into ``/home/user/app``), its commands and terminals (``pty``) are real
processes, its timeout kills it, ``pause`` freezes its processes (SIGSTOP) and ``connect``
resumes them. Sandboxes share this machine's network, so ``url`` of a host
``{port}-{id}.{domain}`` is ``http://127.0.0.1:{port}``.

The fake keeps its sandboxes across provider instances (it plays the cloud); ``aclose``
kills them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from e2b import SandboxException, SandboxNotFoundException, SandboxNotRunningException

from tessera.sandbox.e2b.fake_commands import MARKER, FakeCommands
from tessera.sandbox.e2b.fake_files import HOME, FakeFiles
from tessera.sandbox.e2b.fake_pty import FakePty
from tessera.sandbox.e2b.sdk import SdkCommands, SdkFiles, SdkPty
from tessera.sandbox.sessions import kill_processes_with_env, processes_with_env, signal_session
from tessera.sandbox.templates.e2b_templates import PROJECT_DIR, default_template_ids
from tessera.sandbox.templates.registry import get_template

State = Literal["running", "paused", "killed"]

_ID_ALPHABET = string.ascii_lowercase + string.digits
_HOST = re.compile(r"(\d+)-[^.]+\..+")
_SYSTEM_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


@dataclass(frozen=True, slots=True)
class FakeTemplate:
    """What a sandbox of one E2B template starts with: ``files`` copied into the project
    folder, and ``installed`` (project path → folder of this machine, such as a cached
    ``node_modules``) as its installed dependencies, copied in as hard links where the file
    system allows (so leave the files in them unchanged)."""

    files: Path
    installed: Mapping[str, Path] = field(default_factory=dict)


def registry_templates(
    installed: Mapping[str, Mapping[str, Path]] | None = None,
) -> dict[str, FakeTemplate]:
    """The E2B templates of Tessera's templates (``tessera-react``…) with their starter
    files; ``installed`` adds dependency folders by Tessera template name (for instance
    ``{"react": TemplateCache.dependency_dirs("react")}``)."""
    return {
        e2b_name: FakeTemplate(get_template(name).files_dir, dict((installed or {}).get(name, {})))
        for name, e2b_name in default_template_ids().items()
    }


@dataclass(frozen=True, slots=True)
class FakeSandboxInfo:
    """``e2b.SandboxInfo``."""

    sandbox_id: str
    template_id: str
    metadata: dict[str, str]
    state: Literal["running", "paused"]
    sandbox_domain: str | None


@dataclass(eq=False)
class _Record:
    """One sandbox, as the cloud knows it."""

    sandbox_id: str
    template: str
    metadata: dict[str, str]
    timeout: float
    root: Path
    files: FakeFiles
    commands: FakeCommands
    pty: FakePty
    state: State = "running"
    timer: asyncio.TimerHandle | None = None


class FakeSandbox:
    """``e2b.AsyncSandbox`` of a fake sandbox."""

    def __init__(self, sdk: FakeE2BSdk, record: _Record) -> None:
        self._sdk = sdk
        self._record = record

    @property
    def sandbox_id(self) -> str:
        return self._record.sandbox_id

    @property
    def files(self) -> SdkFiles:
        return self._record.files

    @property
    def commands(self) -> SdkCommands:
        return self._record.commands

    @property
    def pty(self) -> SdkPty:
        return self._record.pty

    def get_host(self, port: int) -> str:
        return f"{port}-{self.sandbox_id}.{self._sdk.domain}"

    async def is_running(self) -> bool:
        return self._record.state == "running"

    async def set_timeout(self, timeout: int) -> None:  # noqa: ASYNC109 (E2B's signature)
        self._sdk.check(self.sandbox_id)
        self._record.timeout = timeout
        self._sdk.arm(self._record)

    async def pause(self) -> bool:
        return await self._sdk.pause(self.sandbox_id)

    async def kill(self) -> bool:
        return await self._sdk.kill(self.sandbox_id)

    async def get_info(self) -> FakeSandboxInfo:
        return self._sdk.info(self._record)


class FakeE2BSdk:
    """E2B's cloud on this machine: sandboxes are folders under ``root`` and processes.

    ``templates`` maps E2B template names to ``FakeTemplate`` (default: Tessera's templates,
    ``registry_templates()``). ``created`` records the arguments of every ``create``.
    """

    def __init__(
        self,
        root: Path,
        *,
        templates: Mapping[str, FakeTemplate] | None = None,
        domain: str = "e2b.test",
    ) -> None:
        self.root = root
        self.domain = domain
        self.created: list[dict[str, object]] = []
        self._templates = dict(templates) if templates is not None else None
        self._records: dict[str, _Record] = {}
        self._expiries: set[asyncio.Task[bool]] = set()

    @property
    def templates(self) -> dict[str, FakeTemplate]:
        if self._templates is None:
            self._templates = registry_templates()
        return self._templates

    # --- E2BSdk ----------------------------------------------------------------------------
    async def create(
        self,
        template: str,
        *,
        timeout: int,  # noqa: ASYNC109 (E2B's signature)
        envs: Mapping[str, str] | None,
        metadata: Mapping[str, str],
    ) -> FakeSandbox:
        self.created.append(
            {"template": template, "timeout": timeout, "envs": envs, "metadata": dict(metadata)}
        )
        spec = self.templates.get(template)
        if spec is None:
            raise SandboxException(f"404: template '{template}' not found", status_code=404)
        sandbox_id, root = await asyncio.to_thread(self._claim)
        await asyncio.to_thread(_install, spec, root)
        record = self._record(sandbox_id, template, dict(metadata), envs or {}, timeout, root)
        self._records[sandbox_id] = record
        self.arm(record)
        return FakeSandbox(self, record)

    async def connect(self, sandbox_id: str) -> FakeSandbox:
        record = self._records.get(sandbox_id)
        if record is None:
            raise SandboxNotFoundException(f"Sandbox {sandbox_id} not found")
        if record.state == "paused":
            await _signal_all(record, signal.SIGCONT)
            record.state = "running"
            self.arm(record)
        return FakeSandbox(self, record)

    async def list(self, metadata: Mapping[str, str] | None = None) -> list[FakeSandboxInfo]:
        wanted = dict(metadata or {}).items()
        return [
            self.info(record)
            for record in self._records.values()
            if wanted <= record.metadata.items()
        ]

    async def kill(self, sandbox_id: str) -> bool:
        record = self._records.pop(sandbox_id, None)
        if record is None:
            return False
        record.state = "killed"
        self._disarm(record)
        record.commands.sandbox_gone()
        record.pty.sandbox_gone()
        await kill_processes_with_env(MARKER, sandbox_id)
        await asyncio.to_thread(shutil.rmtree, record.root, True)
        return True

    def url(self, host: str) -> str:
        match = _HOST.fullmatch(host)
        if match is None:
            raise ValueError(f"{host!r} is not a host of a fake sandbox")
        return f"http://127.0.0.1:{match.group(1)}"

    # --- the fake cloud ------------------------------------------------------------------
    async def pause(self, sandbox_id: str) -> bool:
        record = self._records.get(sandbox_id)
        if record is None:
            raise SandboxNotFoundException(f"Sandbox {sandbox_id} not found")
        if record.state == "paused":
            return False
        record.state = "paused"
        self._disarm(record)
        await _signal_all(record, signal.SIGSTOP)
        return True

    def state(self, sandbox_id: str) -> State:
        record = self._records.get(sandbox_id)
        return "killed" if record is None else record.state

    def info(self, record: _Record) -> FakeSandboxInfo:
        state: Literal["running", "paused"] = "paused" if record.state == "paused" else "running"
        return FakeSandboxInfo(
            sandbox_id=record.sandbox_id,
            template_id=record.template,
            metadata=dict(record.metadata),
            state=state,
            sandbox_domain=self.domain,
        )

    def check(self, sandbox_id: str) -> None:
        """E2B's answer to a request for a sandbox that is not running."""
        if self.state(sandbox_id) != "running":
            raise SandboxNotRunningException(
                f"Sandbox {sandbox_id} was not found: the sandbox was killed, paused "
                "or reached its timeout."
            )

    def arm(self, record: _Record) -> None:
        """Kills the sandbox ``record.timeout`` seconds from now."""
        self._disarm(record)
        loop = asyncio.get_running_loop()
        record.timer = loop.call_later(record.timeout, self._expire, record.sandbox_id)

    async def aclose(self) -> None:
        """Kills every sandbox."""
        await asyncio.gather(*(self.kill(sandbox_id) for sandbox_id in list(self._records)))
        for task in list(self._expiries):
            with contextlib.suppress(Exception):
                await task

    def _disarm(self, record: _Record) -> None:
        if record.timer is not None:
            record.timer.cancel()
            record.timer = None

    def _expire(self, sandbox_id: str) -> None:
        task = asyncio.create_task(self.kill(sandbox_id))
        self._expiries.add(task)
        task.add_done_callback(self._expiries.discard)

    def _claim(self) -> tuple[str, Path]:
        self.root.mkdir(parents=True, exist_ok=True)
        while True:
            sandbox_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))
            folder = self.root / sandbox_id
            with contextlib.suppress(FileExistsError):
                folder.mkdir()
                return sandbox_id, folder.resolve()

    def _record(
        self,
        sandbox_id: str,
        template: str,
        metadata: dict[str, str],
        envs: Mapping[str, str],
        timeout: float,
        root: Path,
    ) -> _Record:
        def check() -> None:
            self.check(sandbox_id)

        files = FakeFiles(root, check)
        home = root / HOME.lstrip("/")
        commands = FakeCommands(
            sandbox_id=sandbox_id,
            host_path=files.host_path,
            home=home,
            envs=envs,
            check=check,
            path=_path(),
        )
        pty = FakePty(
            sandbox_id=sandbox_id,
            host_path=files.host_path,
            home=home,
            envs=envs,
            check=check,
            path=_path(),
        )
        return _Record(sandbox_id, template, metadata, timeout, root, files, commands, pty)


def _install(spec: FakeTemplate, root: Path) -> None:
    project = root / PROJECT_DIR.lstrip("/")
    shutil.copytree(spec.files, project, dirs_exist_ok=True)
    (root / "tmp").mkdir(exist_ok=True)
    for name, folder in spec.installed.items():
        shutil.copytree(folder, project / name, symlinks=True, copy_function=_link_or_copy)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _path() -> str:
    """``PATH`` of fake sandboxes: where node, npm and bash live, then the system's."""
    folders = [
        str(Path(found).parent) for tool in ("node", "npm", "bash") if (found := shutil.which(tool))
    ]
    return os.pathsep.join(dict.fromkeys([*folders, *_SYSTEM_PATH]))


async def _signal_all(record: _Record, sig: signal.Signals) -> None:
    """``sig`` to every process of the sandbox: the sessions it started, and whatever else
    carries its marker (a process forked a moment ago has its parent's environment until it
    execs, so the marker alone can miss it)."""
    sessions = [*record.commands.handles, *record.pty.handles]

    def send() -> None:
        for sid in sessions:
            signal_session(sid, sig)
        for pid in processes_with_env(MARKER, record.sandbox_id):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)

    await asyncio.to_thread(send)


if TYPE_CHECKING:
    from tessera.sandbox.e2b.sdk import E2BSdk, SdkSandbox

    def _implements_protocols(sdk: FakeE2BSdk, sandbox: FakeSandbox) -> None:
        _sdk: E2BSdk = sdk
        _sandbox: SdkSandbox = sandbox
