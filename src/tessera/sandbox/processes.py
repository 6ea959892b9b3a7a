"""The servers of one sandbox: a template's processes, each on its own port.

``ProcessGroup`` starts every process of the template that is not running (each on a port
from ``Sandbox.allocate_port``, the one it had before when possible), restarts the ones a
change calls for, waits until every one answers, and stops them. A process keeps its port
across restarts; when a restart has to move it, the processes whose command names that
port are restarted too. A process that crashed stays down until the next deployment
starts it again.
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass

from tessera.errors import DevServerFailed, SandboxError
from tessera.sandbox.base import CommandHandle, CommandResult, Sandbox
from tessera.sandbox.readiness import answers, probe_client, wait_until_answering
from tessera.sandbox.templates import Process, Template

OutputSink = Callable[[str], Awaitable[None]]

_PORT_ATTEMPTS = 5
_ANSI_STYLE = re.compile(r"\x1b\[[0-9;]*m")
"""Colour codes some servers write even to a pipe (Werkzeug's banner): kept out of logs."""


@dataclass(eq=False)
class _Slot:
    spec: Process
    handle: CommandHandle | None = None
    port: int | None = None

    @property
    def running(self) -> bool:
        return self.handle is not None and self.handle.exit_code is None


class ProcessGroup:
    """The processes of ``template`` in the sandbox ``sandbox()`` returns (the sandbox
    object may be replaced, when a paused one is connected to again); output lines go to
    ``emit`` (prefixed with the process's name when there are several), messages to ``say``.
    """

    def __init__(
        self,
        sandbox: Callable[[], Sandbox],
        template: Template,
        *,
        emit: OutputSink,
        say: OutputSink,
    ) -> None:
        self._sandbox_of = sandbox
        self._slots = [_Slot(spec) for spec in template.processes]
        self._emit = emit
        self._say = say

    # --- what is known ------------------------------------------------------------------------
    @property
    def _sandbox(self) -> Sandbox:
        return self._sandbox_of()

    @property
    def _preview(self) -> _Slot:
        return next(slot for slot in self._slots if slot.spec.preview)

    @property
    def preview_port(self) -> int | None:
        """The preview's port (None before the first start)."""
        return self._preview.port

    @property
    def preview_handle(self) -> CommandHandle | None:
        """The preview process (None when it is not started)."""
        return self._preview.handle

    def served_ports(self) -> set[int]:
        """Ports of the processes started here (a crashed one's too, until it is stopped)."""
        return {slot.port for slot in self._slots if slot.handle is not None and slot.port}

    def failure(self) -> str | None:
        """Why the group is not up (a process not running), or None."""
        for slot in self._slots:
            if not slot.running:
                code = "" if slot.handle is None else f" (exit code {slot.handle.exit_code})"
                return f"The {slot.spec.label} is not running{code}; deploy again to restart it."
        return None

    # --- starting and stopping ----------------------------------------------------------------
    async def restart_for(self, changed: Sequence[str], installed: Collection[str]) -> None:
        """Stops the running processes that the ``changed`` paths (their ``restart_on``) or
        installs into the dependency folders ``installed`` (their ``uses``) call to restart;
        ``start_stopped`` starts them again."""
        for slot in self._slots:
            if not slot.running:
                continue
            if set(slot.spec.uses) & set(installed):
                reason = "new packages"
            else:
                matched = [
                    path
                    for path in changed
                    if any(fnmatch.fnmatchcase(path, rule) for rule in slot.spec.restart_on)
                ]
                if not matched:
                    continue
                more = "…" if len(matched) > 3 else ""
                reason = f"changed {', '.join(matched[:3])}{more}"
            await self._say(f"Restarting the {slot.spec.label}: {reason}")
            await self._stop(slot)

    async def start_stopped(self) -> bool:
        """Starts every process that is not running, in the template's order; True if any
        was started. Ports are assigned first: a process whose port moved has the processes
        whose command names that port restarted with it."""
        stopped = [slot for slot in self._slots if not slot.running]
        if not stopped:
            return False
        for slot in stopped:
            await self._stop(slot)  # the remains of a crashed one
            if await self._assign_port(slot):
                for other in self._slots:
                    if other is not slot and other.spec.needs_port_of(slot.spec.name):
                        await self._stop(other)
        for slot in self._slots:
            if not slot.running:
                await self._start(slot)
        return True

    async def stop_all(self) -> None:
        for slot in self._slots:
            await self._stop(slot)

    async def _assign_port(self, slot: _Slot) -> bool:
        """Gives ``slot`` a port (its previous one when possible); True when it moved."""
        previous = slot.port
        taken = {other.port for other in self._slots if other is not slot and other.port}
        preferred = previous or slot.spec.default_port
        for _ in range(_PORT_ATTEMPTS):
            port = await self._sandbox.allocate_port(preferred)
            if port not in taken:
                slot.port = port
                return previous is not None and port != previous
        raise SandboxError(
            f"No free port for the {slot.spec.label}; stop other servers of this app and "
            "deploy again."
        )

    async def _start(self, slot: _Slot) -> None:
        ports = {other.spec.name: other.port or other.spec.default_port for other in self._slots}
        cmd = slot.spec.command(ports)
        await self._say(f"Starting the {slot.spec.label}: {cmd}")
        prefix = f"{slot.spec.name} | " if len(self._slots) > 1 else ""

        async def emit(line: str) -> None:
            await self._emit(prefix + _ANSI_STYLE.sub("", line))

        handle = await self._sandbox.commands.run(
            cmd, background=True, timeout=None, on_stdout=emit, on_stderr=emit
        )
        assert not isinstance(handle, CommandResult)
        slot.handle = handle

    async def _stop(self, slot: _Slot) -> None:
        if slot.handle is not None:
            handle, slot.handle = slot.handle, None
            await handle.kill()

    # --- readiness ----------------------------------------------------------------------------
    async def wait_ready(self, within: float) -> None:
        """Waits until every process answers, at most ``within`` seconds each (they start
        together). Raises ``DevServerFailed`` for the first one that fails."""
        try:
            async with asyncio.TaskGroup() as group:
                for slot in self._slots:
                    assert slot.handle is not None and slot.port is not None
                    group.create_task(
                        wait_until_answering(
                            self._url(slot),
                            slot.handle,
                            within=within,
                            label=slot.spec.label,
                            any_status=slot.spec.errors_are_answers,
                        )
                    )
        except ExceptionGroup as failures:
            failed = [e for e in failures.exceptions if isinstance(e, DevServerFailed)]
            if failed:
                raise failed[0] from None
            raise

    async def answering(self) -> bool:
        """One probe of every process: True when all answer."""
        async with probe_client(timeout=1.0) as client:
            for slot in self._slots:
                if slot.port is None or not await answers(
                    client, self._url(slot), any_status=slot.spec.errors_are_answers
                ):
                    return False
        return True

    def _url(self, slot: _Slot) -> str:
        assert slot.port is not None
        return self._sandbox.upstream_url(slot.port) + slot.spec.probe
