"""What an isolated sandbox sees: its mount layout, as bubblewrap options.

```
/usr                       the host's, read-only; /bin /sbin /lib /lib64 link into it
/etc                       only what programs need: generated passwd, group, hosts,
                           hostname and nsswitch.conf (no other account, no
                           /etc/shadow), and the host's
                           resolv.conf, TLS certificates, dynamic-linker cache,
                           alternatives, npm and pip settings, Python's site settings
/proc /dev                 the sandbox's own (its processes only; null, zero, random, tty)
/tmp /dev/shm /home/user   private in-memory folders (charged to the memory limit); HOME
/home/user/app             the project folder: the only writable place on disk
/home/user/app/node_modules, .venv
                           the template's cached dependencies, read-only, while the
                           sandbox has not installed packages of its own (node_modules then
                           becomes a hard-linked copy it owns); node_modules/.vite and
                           .vite-temp are private in-memory folders
/opt/tessera/bridge.py     the forwarder (``bridge.py``), read-only
/opt/tessera/python, site-packages, src
                           Tessera's own interpreter, packages and code, read-only
                           (``python_runtime``; those under /usr are there already): the
                           E2B-compatible daemon (``tessera.envd``) runs from them
```

Nothing else of the host is there: not Tessera's data folder (database, settings, other
sandboxes), not the home folders, not the host's /tmp.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tessera.sandbox.local.python_runtime import python_runtime
from tessera.sandbox.local.users import SandboxUser

HOME = "/home/user"
APP_DIR = f"{HOME}/app"
BRIDGE = "/opt/tessera/bridge.py"
HOSTNAME = "sandbox"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PYTHON = "/usr/bin/python3"
SETPRIV = "/usr/bin/setpriv"

IDENTITY_FILES = ("passwd", "group", "hosts", "hostname", "nsswitch.conf")
BRIDGE_SOURCE = Path(__file__).resolve().with_name("bridge.py")

_SYSTEM_ETC = (
    "alternatives",
    "ca-certificates",
    "ca-certificates.conf",
    "gai.conf",
    "host.conf",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "mime.types",
    "npmrc",
    "os-release",
    "pip.conf",
    "protocols",
    "resolv.conf",
    "services",
    "ssl",
    "timezone",
)
"""Host ``/etc`` entries bound read-only when they exist (no secrets among them)."""

_WRITABLE_IN_DEPENDENCIES = {"node_modules": (".vite", ".vite-temp")}
"""Folders a tool writes inside a read-only dependency folder: private tmpfs there."""


@functools.cache
def system_etc() -> tuple[str, ...]:
    """The host ``/etc`` entries a sandbox gets (``python3*`` for Python's site settings)."""
    pythons = sorted(p.name for p in Path("/etc").glob("python3*"))
    return (*_SYSTEM_ETC, *pythons)


def writable_inside(target: str) -> tuple[str, ...]:
    """Subfolders of the shared dependency folder ``target`` that stay writable."""
    return _WRITABLE_IN_DEPENDENCIES.get(Path(target).name, ())


def write_identity_files(folder: Path, user: SandboxUser) -> None:
    """The generated ``/etc`` files of every sandbox: one account, ``user``, at ``HOME``."""
    folder.mkdir(parents=True, exist_ok=True)
    if user.dedicated:
        accounts = (
            "root:x:0:0:root:/root:/usr/sbin/nologin\n"
            f"user:x:{user.uid}:{user.gid}:Sandbox user:{HOME}:/bin/bash\n"
        )
        groups = f"root:x:0:\nuser:x:{user.gid}:\n"
    else:  # Tessera's own user, root in the sandbox's user namespace
        accounts = f"root:x:0:0:Sandbox user:{HOME}:/bin/bash\n"
        groups = "root:x:0:\n"
    files = {
        "passwd": accounts + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
        "group": groups + "nogroup:x:65534:\n",
        "hosts": (
            f"127.0.0.1\tlocalhost\n127.0.1.1\t{HOSTNAME}\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
        ),
        "hostname": f"{HOSTNAME}\n",
        "nsswitch.conf": (
            "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
            "networks: files\nprotocols: files\nservices: files\n"
        ),
    }
    for name, text in files.items():
        path = folder / name
        if not path.is_file() or path.read_text() != text:
            staging = path.with_name(f".{name}.tmp")
            staging.write_text(text)
            staging.chmod(0o644)
            staging.replace(path)


@dataclass(frozen=True, slots=True)
class Layout:
    """Everything bubblewrap needs to build one sandbox's view of the machine."""

    folder: Path
    """The project folder on the host (bound read-write at ``APP_DIR``)."""
    identity_dir: Path
    """Where ``write_identity_files`` wrote the generated ``/etc`` files."""
    memory_bytes: int
    """Size cap of each in-memory folder (they are charged to the memory limit anyway)."""
    shared: Mapping[str, Path] = field(default_factory=dict)
    """Project path → cached dependency folder, bound read-only."""
    network: bool = False
    """Share the host's network (installs; apps allowed the internet)."""
    user_namespace: bool = False
    """Build the sandbox in a user namespace (Tessera is not root)."""
    python_runtime: bool = True
    """Bind Tessera's own Python (``python_runtime``) for the daemon it may run inside."""


def bwrap_options(layout: Layout) -> list[str]:
    """The bubblewrap options (no command) for ``layout``."""
    size = str(layout.memory_bytes)
    options = ["--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]
    if layout.user_namespace:
        # Root inside (mapped to Tessera's user, no capabilities left to its commands):
        # any other uid, or --disable-userns, would put the sandbox in a nested user
        # namespace, which commands entering with nsenter could not use to join the rest.
        options += ["--unshare-user", "--uid", "0", "--gid", "0"]
    if not layout.network:
        options.append("--unshare-net")
    options += ["--die-with-parent", "--new-session", "--hostname", HOSTNAME]
    options += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib64", "lib32", "libx32"):
        if Path(f"/usr/{name}").is_dir():
            options += ["--symlink", f"usr/{name}", f"/{name}"]
    options += ["--dir", "/etc"]
    for name in system_etc():
        options += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for name in IDENTITY_FILES:
        options += ["--ro-bind", str(layout.identity_dir / name), f"/etc/{name}"]
    options += ["--proc", "/proc", "--dev", "/dev"]
    for folder in ("/dev/shm", "/tmp", HOME):
        options += ["--perms", "1777", "--size", size, "--tmpfs", folder]
    options += ["--dir", "/var", "--symlink", "../tmp", "/var/tmp"]
    options += ["--perms", "0700", "--dir", "/root"]  # root's home (E2B's `user="root"`)
    options += ["--bind", str(layout.folder), APP_DIR]
    for target, cached in layout.shared.items():
        inside = f"{APP_DIR}/{target}"
        options += ["--ro-bind", str(cached), inside]
        for name in writable_inside(target):
            options += ["--perms", "1777", "--size", size, "--tmpfs", f"{inside}/{name}"]
    # Parents of a bound file would be made private to root: made readable first.
    options += ["--dir", "/opt", "--dir", "/opt/tessera"]
    options += ["--ro-bind", str(BRIDGE_SOURCE), BRIDGE]
    if layout.python_runtime:
        for host, inside in python_runtime().binds:
            options += ["--dir", inside, "--ro-bind", host, inside]
    options += ["--chdir", APP_DIR]
    return options


def drop_privileges(user: SandboxUser) -> list[str]:
    """The command prefix that becomes ``user`` for good (no capabilities, no way back).
    Without a user of its own (Tessera is not root) the sandbox keeps Tessera's user,
    root inside its user namespace, with every capability dropped all the same."""
    identity = (
        [f"--reuid={user.uid}", f"--regid={user.gid}", "--clear-groups"] if user.dedicated else []
    )
    return [
        SETPRIV,
        *identity,
        "--no-new-privs",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--",
    ]


DAEMON_CAPABILITIES = ("setuid", "setgid", "setpcap", "chown", "dac_override", "fowner", "kill")
"""What Tessera's daemon in a sandbox keeps of root's capabilities: enough to run commands
as the sandbox's users and to manage their files; nothing that reaches past the sandbox's
namespaces (no sys_admin, no dac_read_search, no net_admin, no mknod, no sys_ptrace)."""


def daemon_privileges() -> list[str]:
    """The command prefix of Tessera's daemon in a sandbox: root there, with only
    ``DAEMON_CAPABILITIES`` (and no way to gain others)."""
    keep = ",".join(f"+{name}" for name in DAEMON_CAPABILITIES)
    return [SETPRIV, "--no-new-privs", "--inh-caps=-all", f"--bounding-set=-all,{keep}", "--"]


def inside_path(relative: str) -> str:
    """Where the project path ``relative`` (``.`` for the folder) is inside the sandbox."""
    return APP_DIR if relative in ("", ".") else f"{APP_DIR}/{relative}"
