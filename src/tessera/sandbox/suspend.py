"""Pausing a sandbox whatever its provider: its processes stop, its files stay.

A provider with a pause of its own (E2B: ``pause()``, resumed by ``connect``) uses it; the
local provider's sandbox stops its processes (``stop_processes()``), which is all a pause
is for a folder on the host.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from tessera.sandbox.base import Sandbox


@runtime_checkable
class PausableSandbox(Protocol):
    async def pause(self) -> None:
        """Stops the sandbox keeping its files; ``SandboxProvider.connect`` resumes it."""


@runtime_checkable
class ProcessStoppingSandbox(Protocol):
    async def stop_processes(self) -> None:
        """Ends every process of the sandbox; its files stay."""


async def suspend(sandbox: Sandbox) -> None:
    """Pauses ``sandbox``: its provider's pause when it has one, else ends its processes."""
    if isinstance(sandbox, PausableSandbox):
        await sandbox.pause()
    elif isinstance(sandbox, ProcessStoppingSandbox):
        await sandbox.stop_processes()
