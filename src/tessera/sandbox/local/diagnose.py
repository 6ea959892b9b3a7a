"""What ``tessera doctor`` says about local sandbox isolation on this machine.

Read-only: nothing is created (the sandbox user is made at the first sandbox, not here).
Each finding is ``(name, ok, detail, fix)``; the limits line shows the fallback chain
(cgroup v1 → cgroup v2 → a per-user process limit without memory or CPU limits).
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
from dataclasses import dataclass

from tessera.config import Settings
from tessera.sandbox.local.cgroups import CGROUP_ROOT, detect
from tessera.sandbox.local.layout import PYTHON
from tessera.sandbox.local.limits import format_bytes
from tessera.sandbox.local.probe import bubblewrap_problem
from tessera.sandbox.local.users import SandboxUser


@dataclass(frozen=True, slots=True)
class Finding:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _existing_user(name: str) -> SandboxUser | None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return SandboxUser(name=name, uid=entry.pw_uid, gid=entry.pw_gid)


async def diagnose(settings: Settings) -> list[Finding]:
    if settings.sandbox not in ("local", "local-e2b"):
        return []
    if settings.sandbox_isolation == "none":
        return [
            Finding(
                "sandbox isolation",
                False,
                "OFF (TESSERA_SANDBOX_ISOLATION=none): generated code runs as Tessera's user, "
                "with this machine's files and network and no resource limits",
                "unset TESSERA_SANDBOX_ISOLATION to isolate sandboxes with bubblewrap",
            )
        ]
    findings = [await _bubblewrap(settings), _user(settings)]
    findings.append(await _limits(settings))
    findings.append(_network())
    return findings


async def _bubblewrap(settings: Settings) -> Finding:
    name = "sandbox isolation"
    bwrap = shutil.which("bwrap")
    fix = "apt-get install bubblewrap, or TESSERA_SANDBOX_ISOLATION=none (trusted code only)"
    if bwrap is None:
        return Finding(name, False, "bubblewrap is not installed: sandboxes cannot start", fix)
    missing = [
        tool
        for tool in ("/usr/bin/nsenter", "/usr/bin/setpriv", "/usr/bin/prlimit", PYTHON)
        if not os.access(tool, os.X_OK)
    ]
    if missing:
        return Finding(name, False, f"missing {', '.join(missing)}", "install util-linux, python3")
    user = _existing_user(settings.sandbox_user) if os.geteuid() == 0 else None
    problem = await bubblewrap_problem(bwrap, user)
    if problem is not None:
        return Finding(name, False, f"bubblewrap fails here: {problem}", fix)
    return Finding(
        name,
        True,
        "bubblewrap: own pid/ipc/uts/network namespaces, read-only system, no host secrets",
    )


def _user(settings: Settings) -> Finding:
    name = "sandbox user"
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid()).pw_name
        return Finding(
            name,
            True,
            f"sandboxes run as {me} (Tessera is not root) in a user namespace",
            "run Tessera as root for a dedicated unprivileged user and resource limits",
        )
    user = _existing_user(settings.sandbox_user)
    if user is None:
        return Finding(name, True, f"{settings.sandbox_user} (created at the first sandbox)")
    return Finding(name, True, f"{user.name} (uid {user.uid})")


async def _limits(settings: Settings) -> Finding:
    name = "sandbox limits"
    wanted = (
        f"{format_bytes(settings.sandbox_memory_mb * 1024 * 1024)} memory, "
        f"{settings.sandbox_max_processes} processes, {settings.sandbox_cpus:g} CPU, "
        f"{format_bytes(settings.sandbox_disk_mb * 1024 * 1024)} disk"
    )
    detection = await asyncio.to_thread(detect, CGROUP_ROOT)
    if detection.limiter is not None:
        return Finding(
            name,
            True,
            f"{wanted} via {detection.detail} (fallbacks: cgroup v2, then a per-user process "
            "limit without memory or CPU limits)",
        )
    fallback = "processes per user with prlimit" if os.geteuid() == 0 else "none"
    return Finding(
        name,
        False,
        f"cgroup v1 ✗, cgroup v2 ✗ ({detection.detail}); fallback: {fallback}, no memory or "
        f"CPU limit; disk {format_bytes(settings.sandbox_disk_mb * 1024 * 1024)} (watched)",
        "run Tessera as root where cgroup v1 memory/pids/cpu or cgroup v2 controllers exist",
    )


def _network() -> Finding:
    name = "sandbox network"
    detail = "none (servers reached through unix sockets); installs reach the registries"
    if shutil.which("iptables") is None:
        return Finding(
            name,
            True,
            f"{detail}; iptables not found, so installs and apps allowed the internet can "
            "reach this machine's 127.0.0.1",
            "apt-get install iptables to keep them away from local services",
        )
    return Finding(name, True, f"{detail}; their access to 127.0.0.1 is rejected (iptables)")
