"""Keeping sandboxes that share the host's network away from the host's own services.

Installs, and apps created with ``{"network": "allow"}``, share the host's network
namespace: they could connect to services listening on the host's 127.0.0.1 (Tessera
itself, databases). Where ``iptables`` exists, Tessera (as root) rejects new connections
from the sandbox user to 127.0.0.0/8, except DNS (a local resolver, 127.0.0.53 with
systemd-resolved); answers of a sandbox's own servers to Tessera still go out. The rules
are added once (checked with ``-C`` first) and stay until the machine restarts.
"""

from __future__ import annotations

import asyncio
import shutil

_LOOPBACK = "127.0.0.0/8"


def rules(uid: int) -> list[list[str]]:
    """The OUTPUT rules, in the order they must end up (each inserted at the top)."""
    owner = ["-m", "owner", "--uid-owner", str(uid), "-d", _LOOPBACK]
    return [
        [*owner, "-p", "udp", "--dport", "53", "-j", "ACCEPT"],
        [*owner, "-p", "tcp", "--dport", "53", "-j", "ACCEPT"],
        [*owner, "-m", "conntrack", "--ctstate", "NEW", "-j", "REJECT"],
    ]


async def _iptables(*args: str) -> int:
    process = await asyncio.create_subprocess_exec(
        "iptables",
        "-w",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await process.wait()


async def shield_loopback(uid: int) -> str:
    """Adds the rules for ``uid`` unless they are there; says what is in place."""
    if shutil.which("iptables") is None:
        return (
            "iptables not found: installs and apps allowed the internet can reach services "
            "on this machine's 127.0.0.1"
        )
    for rule in reversed(rules(uid)):
        if await _iptables("-C", "OUTPUT", *rule) != 0 and (
            await _iptables("-I", "OUTPUT", "1", *rule) != 0
        ):
            return "iptables refused the rules: sandboxes sharing the network reach 127.0.0.1"
    return "sandboxes sharing the network cannot connect to this machine's 127.0.0.1 (iptables)"
