"""Isolated sandboxes: bubblewrap, an unprivileged user, resource limits, no network.

Per provider, ``prepare`` checks once that bubblewrap works here, creates the sandbox user
(as root), writes the generated ``/etc`` files and finds the control groups to use.

Per sandbox, ``IsolatedRuntime`` starts the sandbox's namespaces on first use (see
``namespace``: the forwarder is its first process) and runs every command inside them:

```
sh -c 'echo $$ > cgroup.procs …; exec "$@"'     join the sandbox's control groups
  prlimit --fsize=DISK --core=0                   file size limit, no core dumps
    nsenter -t INIT -m -u -i -n -p -C -r -w       enter the sandbox (as root, for now)
      setpriv --reuid=USER … --no-new-privs       become the sandbox's user for good
        env -C /home/user/app/WORKDIR bash -c CMD
```

Installs run in a sandbox of their own built the same way (same folder, same control
groups, same user) that shares the host's network, so that the registries are reachable;
the first install makes the sandbox's ``node_modules`` its own (a hard-linked copy of the
cache: the cache's files stay root's and read-only to the sandbox).

Tessera reaches servers in the sandbox through unix sockets it creates in a folder of its
own (``/run/tessera/{sandbox_id}/{port}.sock``, not visible in the sandbox) and hands to the
forwarder (``allocate_port``). A sandbox created with ``{"network": "allow"}`` shares the
host's network instead: its servers listen on a free port of the host's 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tessera.errors import CommandFailed, SandboxError
from tessera.sandbox.base import OutputCallback
from tessera.sandbox.local.cgroups import CGROUP_ROOT, CgroupLimiter, SandboxCgroup, detect
from tessera.sandbox.local.firewall import shield_loopback
from tessera.sandbox.local.isolation import Isolation, sandbox_env, start
from tessera.sandbox.local.layout import (
    HOME,
    PATH,
    Layout,
    bwrap_options,
    daemon_privileges,
    drop_privileges,
    inside_path,
    write_identity_files,
)
from tessera.sandbox.local.limits import Breach, SandboxLimits
from tessera.sandbox.local.monitor import LimitWatch
from tessera.sandbox.local.namespace import (
    Control,
    Namespace,
    bridge_command,
    read_info,
    wait_ready,
)
from tessera.sandbox.local.plain import free_port, is_free
from tessera.sandbox.local.probe import bubblewrap_problem
from tessera.sandbox.local.pty import (
    Pty,
    PtyTerminal,
    open_host_pty,
    open_pty_under,
    spawn_terminal,
)
from tessera.sandbox.local.users import SandboxUser, ensure_user
from tessera.sandbox.process import ExitExplainer, ManagedProcess
from tessera.sandbox.upstream import unix_upstream

log = logging.getLogger(__name__)

PRLIMIT = "/usr/bin/prlimit"
_JOIN_CGROUPS = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'
_KILL_WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.02
_PRIVATE_ON_INSTALL = ("node_modules",)
"""Shared dependency folders an install writes into: they become the sandbox's own."""

BreachHandler = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Backend:
    """What every isolated sandbox of a provider shares (see ``prepare``)."""

    bwrap: str
    user: SandboxUser
    limiter: CgroupLimiter | None
    cgroups: str
    """What ``detect`` found, in words."""
    identity_dir: Path
    socket_root: Path
    options: Isolation

    @property
    def limits(self) -> SandboxLimits:
        return self.options.limits


def default_socket_root() -> Path:
    if os.geteuid() == 0:
        return Path("/run/tessera")
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(runtime) if runtime else Path(tempfile.gettempdir())
    return base / f"tessera-{os.geteuid()}"


def _cannot_isolate(reason: str, fix: str) -> SandboxError:
    return SandboxError(
        f"Sandboxes cannot be isolated on this machine: {reason}. {fix}, or set "
        "TESSERA_SANDBOX_ISOLATION=none to run them without isolation (only for code you "
        "trust)."
    )


async def prepare(options: Isolation, root_dir: Path) -> Backend:
    """Checks that isolated sandboxes can run here and sets up what they share; raises
    ``SandboxError`` naming the fix when they cannot."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise _cannot_isolate(
            "bubblewrap is not installed", "Install it (`apt-get install bubblewrap`)"
        )
    for tool in (PRLIMIT, "/usr/bin/nsenter", "/usr/bin/setpriv", "/usr/bin/python3"):
        if not await asyncio.to_thread(os.access, tool, os.X_OK):
            raise _cannot_isolate(f"{tool} is missing", "Install util-linux and python3")
    user = await ensure_user(options.user)
    identity_dir = root_dir / ".etc"
    await asyncio.to_thread(write_identity_files, identity_dir, user)
    detection = await asyncio.to_thread(detect, CGROUP_ROOT, options.cgroup_parent)
    if detection.limiter is None:
        log.warning(
            "sandboxes run without memory and CPU limits: %s (see `tessera doctor`)",
            detection.detail,
        )
    socket_root = options.socket_dir or default_socket_root()
    await asyncio.to_thread(_make_private_dir, socket_root, 0o711)
    backend = Backend(
        bwrap=bwrap,
        user=user,
        limiter=detection.limiter,
        cgroups=detection.detail,
        identity_dir=identity_dir,
        socket_root=socket_root,
        options=options,
    )
    await _probe(backend)
    if user.dedicated:
        log.info("sandbox network: %s", await shield_loopback(user.uid))
    return backend


async def _probe(backend: Backend) -> None:
    problem = await bubblewrap_problem(backend.bwrap, backend.user)
    if problem is not None:
        raise _cannot_isolate(
            f"bubblewrap fails ({problem})",
            "Check that bubblewrap runs as root here"
            if backend.user.dedicated
            else "Allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)",
        )


def _make_private_dir(folder: Path, mode: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if folder.is_symlink() or folder.stat().st_uid != os.geteuid():
        raise SandboxError(
            f"{folder} belongs to another user; remove it so that Tessera can make its own."
        )
    folder.chmod(mode)


def shared_now(folder: Path, dependencies: Mapping[str, Path]) -> dict[str, Path]:
    """The dependency folders the sandbox still shares: their place in the project folder
    is an empty mount point (an own copy is never empty). Blocking."""
    shared: dict[str, Path] = {}
    for target, cached in dependencies.items():
        place = folder / target
        if place.is_symlink() or (place.exists() and not place.is_dir()):
            continue
        with contextlib.suppress(FileNotFoundError), os.scandir(place) as entries:
            if next(entries, None) is not None:
                continue
        shared[target] = cached
    return shared


class IsolatedRuntime:
    def __init__(
        self,
        backend: Backend,
        *,
        sandbox_id: str,
        folder: Path,
        shared: Mapping[str, Path],
        network: bool,
        on_breach: BreachHandler,
    ) -> None:
        self._backend = backend
        self._id = sandbox_id
        self._folder = folder
        self._shared = dict(shared)
        self._network = network
        self._on_breach = on_breach
        self._socket_dir = backend.socket_root / sandbox_id
        self._namespace: Namespace | None = None
        self._cgroup: SandboxCgroup | None = None
        self._watch: LimitWatch | None = None
        self._ports: set[int] = set()
        self._lock = asyncio.Lock()

    # --- the protocol ---------------------------------------------------------------------
    def env(self, *layers: Mapping[str, str] | None) -> dict[str, str]:
        return sandbox_env(HOME, PATH, *layers)

    async def run(
        self,
        cmd: str,
        *,
        workdir: str,
        env: Mapping[str, str],
        on_stdout: OutputCallback | None,
        on_stderr: OutputCallback | None,
        timeout: float | None,  # noqa: ASYNC109 (E2B's signature)
    ) -> ManagedProcess:
        namespace = await self._running()
        argv = [*self._prelude(), *namespace.enter(inside_path(workdir)), "bash", "-c", cmd]
        explain = await self._explainer()
        process = await start(argv, cwd=Path("/"), env=env)
        return ManagedProcess(
            process,
            cmd=cmd,
            on_stdout=on_stdout,
            on_stderr=on_stderr,
            timeout=timeout,
            explain_exit=explain,
        )

    async def start_daemon(
        self, argv: Sequence[str], *, env: Mapping[str, str], on_output: OutputCallback | None
    ) -> ManagedProcess:
        """Starts a daemon of Tessera's own inside the sandbox (the E2B-compatible
        ``tessera.envd``): in its namespaces and limits like every command, but as the
        sandbox's root with ``DAEMON_CAPABILITIES`` only, so that it can run commands as the
        sandbox's users and own files for them."""
        namespace = await self._running()
        command = [*self._prelude(), *namespace.enter("/", privileges=daemon_privileges())]
        process = await start([*command, *argv], cwd=Path("/"), env=env)
        return ManagedProcess(
            process,
            cmd=" ".join(argv),
            on_stdout=on_output,
            on_stderr=on_output,
            timeout=None,
            explain_exit=await self._explainer(),
        )

    async def install(
        self,
        cmd: str,
        *,
        env: Mapping[str, str],
        on_output: OutputCallback | None,
        timeout: float | None,  # noqa: ASYNC109 (E2B's signature)
    ) -> ManagedProcess:
        await self._running()  # its limits watch covers the install too
        async with self._lock:
            await self._own_dependencies()
        layout = self._layout(network=True)
        command = [*drop_privileges(self._backend.user), "bash", "-c", cmd]
        process = await self._start_bwrap(bwrap_options(layout), command, env)
        return ManagedProcess(
            process,
            cmd=cmd,
            on_stdout=on_output,
            on_stderr=on_output,
            timeout=timeout,
            explain_exit=await self._explainer(),
        )

    async def open_terminal(
        self,
        argv: Sequence[str],
        *,
        workdir: str,
        env: Mapping[str, str],
        cols: int,
        rows: int,
    ) -> PtyTerminal:
        namespace = await self._running()
        command = [*self._prelude(), *namespace.enter(inside_path(workdir)), *argv]
        pty = await asyncio.to_thread(self._sandbox_pty, namespace.init_pid)
        return await spawn_terminal(command, pty=pty, cwd=Path("/"), env=env, cols=cols, rows=rows)

    def _sandbox_pty(self, init_pid: int) -> Pty:
        """A pseudo-terminal of the sandbox's own ``/dev/pts`` (so ``tty`` inside names a
        device the sandbox sees), its slave given to the sandbox's user; one of the host's
        where that cannot be done. Blocking."""
        try:
            return open_pty_under(Path(f"/proc/{init_pid}/root"), self.file_owner())
        except OSError as exc:
            log.warning("sandbox %s: terminal on the host's /dev/pts (%s)", self._id, exc)
            return open_host_pty()

    def upstream_url(self, port: int) -> str:
        if self._network:
            return f"http://127.0.0.1:{port}"
        return unix_upstream(self._socket_dir / f"{port}.sock")

    async def allocate_port(self, preferred: int) -> int:
        """``preferred`` (the sandbox has its own 127.0.0.1), made reachable from Tessera;
        with the host's network, a free host port as for unisolated sandboxes."""
        if self._network:
            if preferred in self._ports and is_free(preferred):
                return preferred
            port = free_port()
            self._ports.add(port)
            return port
        namespace = await self._running()
        await self._listen(namespace, preferred)
        self._ports.add(preferred)
        return preferred

    def shared_dependencies(self) -> Mapping[str, Path]:
        return dict(self._shared)

    def file_owner(self) -> tuple[int, int] | None:
        user = self._backend.user
        return (user.uid, user.gid) if user.dedicated else None

    async def end_all(self, handles: Sequence[ManagedProcess]) -> None:
        # Under the lock: no command can start the sandbox again (into the control group
        # being emptied) before everything of it has ended.
        async with self._lock:
            if self._watch is not None:
                watch, self._watch = self._watch, None
                await watch.stop()
            if self._cgroup is not None:
                await self._kill_group(self._cgroup)
            if self._namespace is not None:
                namespace, self._namespace = self._namespace, None
                await namespace.kill()
            await asyncio.gather(*(handle.kill() for handle in handles))

    async def remove(self) -> None:
        """Removes the sandbox's control group and socket folder (also those an earlier
        run of Tessera left, when this one never started the sandbox)."""
        limiter = self._backend.limiter
        if self._cgroup is None and limiter is not None:
            self._cgroup = limiter.group(self._id)
        if self._cgroup is not None:
            cgroup, self._cgroup = self._cgroup, None
            loop = asyncio.get_running_loop()
            deadline = loop.time() + _KILL_WAIT_SECONDS
            # Removable once the kernel has finished tearing the processes down.
            while not await asyncio.to_thread(cgroup.remove):
                if loop.time() >= deadline:
                    log.warning("the control group of sandbox %s could not be removed", self._id)
                    break
                await asyncio.sleep(_POLL_SECONDS)
        await asyncio.to_thread(shutil.rmtree, self._socket_dir, True)

    # --- what tests and benchmarks look at ------------------------------------------------
    @property
    def cgroup(self) -> SandboxCgroup | None:
        return self._cgroup

    @property
    def init_pid(self) -> int | None:
        """Host pid of the sandbox's init while it runs."""
        namespace = self._namespace
        return namespace.init_pid if namespace is not None and namespace.alive else None

    # --- the namespaces -------------------------------------------------------------------
    async def _running(self) -> Namespace:
        async with self._lock:
            if self._namespace is not None and self._namespace.alive:
                return self._namespace
            if self._namespace is not None:  # it died (out of memory, killed from outside)
                await self._namespace.kill()
            self._namespace = await self._start_namespace()
            return self._namespace

    async def _start_namespace(self) -> Namespace:
        cgroup = await self._ensure_cgroup()
        await asyncio.to_thread(_make_private_dir, self._socket_dir, 0o700)
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        info_read, info_write = os.pipe()
        try:
            options = [*bwrap_options(self._layout(network=self._network))]
            options += ["--info-fd", str(info_write)]
            command = bridge_command(self._backend.user, child.fileno())
            process = await self._start_bwrap(
                options, command, self.env(), keep=(info_write, child.fileno())
            )
        except BaseException:
            parent.close()
            os.close(info_read)
            raise
        finally:
            child.close()
            os.close(info_write)
        handle = ManagedProcess(process, cmd="sandbox forwarder")
        control = Control(parent)
        try:
            init_pid = await read_info(info_read, handle)
            await wait_ready(control, handle)
        except BaseException:
            control.close()
            raise
        namespace = Namespace(handle, init_pid=init_pid, control=control, user=self._backend.user)
        user = self._backend.user
        if user.dedicated:  # the home folder is the user's own, as on E2B's images
            await self._copy([*namespace.admin(), "chown", f"{user.uid}:{user.gid}", HOME])
        for port in sorted(self._ports):
            await self._listen(namespace, port)
        self._watch = LimitWatch(
            folder=self._folder,
            uid=self._backend.user.uid,
            limits=self._backend.limits,
            cgroup=cgroup,
            on_breach=self._breached,
            interval=self._backend.options.check_interval,
            disk_interval=self._backend.options.disk_interval,
        )
        self._watch.start()
        return namespace

    async def _start_bwrap(
        self,
        options: list[str],
        command: list[str],
        env: Mapping[str, str],
        *,
        keep: Sequence[int] = (),
    ) -> asyncio.subprocess.Process:
        """Starts bubblewrap with ``options`` passed through a pipe (``--args``: the
        sandbox's processes do not see the host paths in its command line)."""
        args_read, args_write = os.pipe()
        try:
            os.write(args_write, b"".join(option.encode() + b"\0" for option in options))
        finally:
            os.close(args_write)
        try:
            argv = [*self._prelude(), self._backend.bwrap, "--args", str(args_read), "--"]
            return await start(
                [*argv, *command], cwd=Path("/"), env=env, pass_fds=(args_read, *keep)
            )
        finally:
            os.close(args_read)

    def _layout(self, *, network: bool) -> Layout:
        return Layout(
            folder=self._folder,
            identity_dir=self._backend.identity_dir,
            memory_bytes=self._backend.limits.memory_bytes,
            shared=self._shared,
            network=network,
            user_namespace=not self._backend.user.dedicated,
        )

    async def _listen(self, namespace: Namespace, port: int) -> None:
        listener = await asyncio.to_thread(_unix_listener, self._socket_dir / f"{port}.sock")
        try:
            await namespace.listen(port, listener)
        finally:
            listener.close()

    # --- limits ---------------------------------------------------------------------------
    def _prelude(self) -> list[str]:
        """Joins the sandbox's control groups and sets its resource limits, then runs the
        rest of the command line."""
        limits = self._backend.limits
        argv: list[str] = []
        if self._cgroup is not None:
            procs = [str(path) for path in self._cgroup.procs_files]
            argv += ["/bin/sh", "-c", _JOIN_CGROUPS, "tessera-join", *procs, "--"]
        rlimits = [f"--fsize={limits.disk_bytes}:{limits.disk_bytes}", "--core=0:0"]
        if self._cgroup is None and self._backend.user.dedicated:
            # No pids controller: the per-user limit (shared by all sandboxes) is the fallback.
            rlimits.append(f"--nproc={limits.processes}:{limits.processes}")
        return [*argv, PRLIMIT, *rlimits, "--"]

    async def _ensure_cgroup(self) -> SandboxCgroup | None:
        limiter = self._backend.limiter
        if limiter is not None and self._cgroup is None:
            self._cgroup = await asyncio.to_thread(limiter.create, self._id, self._backend.limits)
        return self._cgroup

    async def _explainer(self) -> ExitExplainer:
        cgroup = self._cgroup
        baseline = 0 if cgroup is None else await asyncio.to_thread(cgroup.oom_kills)
        limits = self._backend.limits

        async def explain(code: int) -> str | None:
            if code in (-signal.SIGXFSZ, 128 + signal.SIGXFSZ):
                return Breach.FILE_SIZE.reason(limits)
            if cgroup is not None and await asyncio.to_thread(cgroup.oom_kills) > baseline:
                return Breach.MEMORY.reason(limits)
            return None

        return explain

    async def _breached(self, breach: Breach) -> None:
        log.info("sandbox %s went past its %s limit; stopping it", self._id, breach.value)
        await self._on_breach(breach.reason(self._backend.limits))

    async def _kill_group(self, cgroup: SandboxCgroup) -> None:
        """SIGKILLs every process in the group (frozen first: none can fork away)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _KILL_WAIT_SECONDS
        while await asyncio.to_thread(cgroup.pids) and loop.time() < deadline:
            try:
                await asyncio.to_thread(cgroup.kill_all)
            finally:
                await asyncio.to_thread(cgroup.thaw)
            await asyncio.sleep(_POLL_SECONDS)

    # --- dependencies ---------------------------------------------------------------------
    async def _own_dependencies(self) -> None:
        """Replaces each shared folder an install writes into with a hard-linked copy the
        sandbox owns (the cache's files stay root's, read-only to the sandbox)."""
        for target in [t for t in self._shared if Path(t).name in _PRIVATE_ON_INSTALL]:
            cached = self._shared[target]
            staging = self._folder.parent / f".{self._id}.{Path(target).name}.tmp"
            await asyncio.to_thread(shutil.rmtree, staging, True)
            # Hard links only when the sandbox's user differs from the cache's owner: they
            # share the cache's files, which must stay read-only to the sandbox.
            linked = self._backend.user.dedicated and await self._copy(
                ["cp", "-al", str(cached), str(staging)]
            )
            if not linked:  # another file system, or no user of its own: a real copy
                await asyncio.to_thread(shutil.rmtree, staging, True)
                await self._copy(["cp", "-a", str(cached), str(staging)], required=True)
            await asyncio.to_thread(_adopt_copy, staging, self._backend.user, linked)
            if self._namespace is not None:
                await self._unmount(self._namespace, inside_path(target))
            await asyncio.to_thread(_swap_in, staging, self._folder / target)
            del self._shared[target]

    async def _copy(self, argv: list[str], *, required: bool = False) -> bool:
        process = await start(argv, cwd=Path("/"), env={"PATH": PATH})
        handle = ManagedProcess(process, cmd=" ".join(argv), timeout=300)
        try:
            await handle.wait()
        except CommandFailed as exc:
            if required:
                raise SandboxError(
                    f"The sandbox's dependencies could not be copied: {exc.message}"
                ) from None
            return False
        return True

    async def _unmount(self, namespace: Namespace, inside: str) -> None:
        """Takes the read-only dependency folder (and its private subfolders) away in the
        running sandbox, so that it sees the folder of its project folder instead."""
        argv = [*namespace.admin(), "/usr/bin/umount", "--lazy", inside]
        process = await start(argv, cwd=Path("/"), env={"PATH": PATH})
        handle = ManagedProcess(process, cmd="umount", timeout=30)
        with contextlib.suppress(CommandFailed):
            await handle.wait()


def _unix_listener(path: Path) -> socket.socket:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(path))
        path.chmod(0o600)
        listener.listen(128)
    except BaseException:
        listener.close()
        raise
    return listener


def _adopt_copy(folder: Path, user: SandboxUser, linked: bool) -> None:
    """Gives the sandbox's user its copy: the folders (hard-linked files stay root's and
    read-only), or everything of a real copy; files npm rewrites in place are unshared."""
    if not user.dedicated:
        return
    for current, dirs, files in os.walk(folder):
        os.lchown(current, user.uid, user.gid)
        if not linked:
            for name in [*dirs, *files]:
                os.lchown(os.path.join(current, name), user.uid, user.gid)
    lock = folder / ".package-lock.json"
    if linked and lock.is_file():
        data = lock.read_bytes()
        lock.unlink()
        lock.write_bytes(data)
        os.lchown(lock, user.uid, user.gid)


def _swap_in(staging: Path, place: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        place.rmdir()  # the empty mount point
    staging.rename(place)


__all__ = ["Backend", "IsolatedRuntime", "prepare", "shared_now"]
