"""Publishing the ports a sandbox's servers listen on, at the same port on this machine.

E2B's SDK in debug mode expects a sandbox's port ``N`` at ``localhost:N``
(``sandbox.get_host(N)``). ``PortPublisher`` watches which TCP ports are listening inside
the sandbox (its network namespace's ``/proc/net/tcp``), makes each one reachable through
the sandbox's forwarder (``allocate_port``) and relays ``host:N`` to it. A port that is
taken on this machine is reported once and left alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from tessera.envd import ENVD_PORT
from tessera.sandbox.local.envd_endpoint import EnvdEndpoint
from tessera.sandbox.local.isolated import IsolatedRuntime
from tessera.sandbox.local.sandbox import LocalSandbox

log = logging.getLogger(__name__)

LISTEN = "0A"
_LOCAL_ADDRESSES = {"00000000", "0100007F", "0" * 32, "0" * 24 + "01000000"}
"""0.0.0.0, 127.0.0.1, :: and ::1 as /proc/net/tcp{,6} writes them."""


def listening_ports(pid: int) -> set[int]:
    """TCP ports listening on a local or any address in ``pid``'s network namespace."""
    ports: set[int] = set()
    for name in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 4 or fields[3] != LISTEN:
                continue
            address, _, port = fields[1].partition(":")
            if address in _LOCAL_ADDRESSES:
                ports.add(int(port, 16))
    return ports


class PortPublisher:
    """Publishes the ports of ``current()``'s sandbox (it may be replaced: a reset) on
    ``host``, except ``skip`` (the envd daemon's own, which ``EnvdEndpoint`` serves);
    ``say`` gets one line per port published or refused."""

    def __init__(
        self,
        current: Callable[[], LocalSandbox],
        host: str,
        *,
        skip: frozenset[int] = frozenset({ENVD_PORT}),
        interval: float = 0.5,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self._current = current
        self._host = host
        self._skip = skip
        self._interval = interval
        self._say = say
        self._endpoints: dict[int, EnvdEndpoint] = {}
        self._refused: set[int] = set()
        self._exposed: dict[str, set[int]] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def published(self) -> set[int]:
        return set(self._endpoints)

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch())

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for endpoint in self._endpoints.values():
            await endpoint.aclose()
        self._endpoints.clear()

    async def check(self) -> None:
        """One look at the sandbox's listening ports."""
        try:
            sandbox = self._current()
        except Exception:  # being replaced
            return
        runtime = sandbox.runtime
        pid = runtime.init_pid if isinstance(runtime, IsolatedRuntime) else None
        if pid is None:
            return
        exposed = self._exposed.setdefault(sandbox.sandbox_id, set())
        for port in sorted(await asyncio.to_thread(listening_ports, pid) - self._skip):
            if port not in exposed:
                await sandbox.allocate_port(port)
                exposed.add(port)
            if port not in self._endpoints and port not in self._refused:
                await self._publish(port)

    async def _publish(self, port: int) -> None:
        endpoint = EnvdEndpoint(lambda: self._current().upstream_url(port))
        try:
            await endpoint.start(self._host, port)
        except OSError as exc:
            self._refused.add(port)
            self._tell(f"port {port} of the sandbox: {self._host}:{port} is taken here ({exc})")
            return
        self._endpoints[port] = endpoint
        self._tell(f"port {port} of the sandbox: http://{self._host}:{port}")

    async def _watch(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:
                log.exception("watching the sandbox's ports failed")
            await asyncio.sleep(self._interval)

    def _tell(self, line: str) -> None:
        if self._say is not None:
            self._say(line)
