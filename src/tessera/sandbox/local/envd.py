"""E2B's protocol served from a local sandbox: ``tessera.envd`` started inside it.

The daemon runs in the sandbox's namespaces and limits (``IsolatedRuntime.start_daemon``)
and listens on the sandbox's own ``127.0.0.1:49983``; Tessera reaches it the way it reaches
any server in the sandbox (``upstream``: a unix socket through the sandbox's forwarder).
Plain sandboxes (no isolation) cannot serve it: the daemon's paths are the sandbox's, and
only the sandbox's mount namespace makes ``/home/user`` the sandbox's folder and nothing of
the host reachable.
"""

from __future__ import annotations

from dataclasses import dataclass

from tessera.envd import ENVD_PORT
from tessera.errors import SandboxError
from tessera.sandbox.local.isolated import IsolatedRuntime
from tessera.sandbox.local.layout import HOME, PATH
from tessera.sandbox.local.python_runtime import python_runtime
from tessera.sandbox.local.sandbox import LocalSandbox
from tessera.sandbox.process import ManagedProcess
from tessera.sandbox.readiness import wait_until_answering

ROOT_HOME = "/root"
START_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class EnvdServer:
    """A running daemon: ``upstream`` is where Tessera reaches it (``unix:…`` or HTTP)."""

    sandbox: LocalSandbox
    process: ManagedProcess
    upstream: str

    async def stop(self) -> None:
        await self.process.kill()


def envd_command(runtime: IsolatedRuntime, envs: dict[str, str] | None = None) -> list[str]:
    """The daemon's command line: Tessera's Python, the sandbox's two users."""
    owner = runtime.file_owner()
    uid, gid = owner if owner is not None else (0, 0)
    argv = [*python_runtime().boot_argv("tessera.envd.__main__"), "--host", "127.0.0.1"]
    argv += ["--port", str(ENVD_PORT), "--path", PATH]
    argv += ["--user", f"user:{uid}:{gid}:{HOME}", "--user", f"root:0:0:{ROOT_HOME}"]
    for name, value in (envs or {}).items():
        argv += ["--env", f"{name}={value}"]
    return argv


async def start_envd(
    sandbox: LocalSandbox,
    *,
    envs: dict[str, str] | None = None,
    within: float = START_TIMEOUT_SECONDS,
) -> EnvdServer:
    """Starts the daemon in ``sandbox`` and waits until it answers ``/health``. Raises
    ``SandboxError`` for a sandbox without isolation, ``DevServerFailed`` (with its output)
    when the daemon does not come up."""
    runtime = sandbox.runtime
    if not isinstance(runtime, IsolatedRuntime):
        raise SandboxError(
            "E2B-compatible sandboxes need Tessera's isolated sandboxes (bubblewrap); "
            "they cannot be served with TESSERA_SANDBOX_ISOLATION=none."
        )
    env = {
        "PATH": PATH,
        "HOME": ROOT_HOME,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        **python_runtime().env(),
    }
    process = await runtime.start_daemon(envd_command(runtime, envs), env=env, on_output=None)
    try:
        port = await sandbox.allocate_port(ENVD_PORT)
        upstream = sandbox.upstream_url(port)
        await wait_until_answering(
            upstream.rstrip("/") + "/health", process, within=within, label="envd daemon"
        )
    except BaseException:
        await process.kill()
        raise
    return EnvdServer(sandbox, process, upstream)
