"""The processes envd started: spawning, output fan-out, input, signals and reaping.

Each process is a ``ManagedProcess``. Its output (stdout and stderr pipes, or a PTY's
master) is read as it comes — no line buffering — and fanned out to the streams watching
it (the ``Start`` stream that launched it and any ``Connect`` streams), each through a
``Subscription``: a small bounded queue.

Memory stays bounded whatever a command prints. The reader of a process waits for room
in every subscriber's queue before it reads on (backpressure: a slow client slows the
command down through the pipe, exactly like envd's unbuffered Go channels), and when no
stream is watching, output is read and dropped — a command nobody listens to neither
blocks on a full pipe nor piles up in the daemon. (envd likewise drops the output of a
process without subscribers; a later ``Connect`` sees the output from then on.)

Children are reaped the moment they exit, through a ``pidfd`` watched by the event loop
(no thread, no ``SIGCHLD`` handler that could take another component's children): a
zombie still answers ``kill -0``, so a process the SDK killed must really be gone by the
time the call returns. An exited process leaves the table at once (``List`` and the
RPCs by pid no longer see it); its streams still receive the last output and the end.

Each process runs in a session of its own (``setsid``), so signals and the time limit
reach its whole process group — the children of ``bash -c`` included — and never the
daemon's own group.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from protobuf import Oneof

from tessera.envd import pty
from tessera.envd.proto.process.process_pb import ProcessConfig, ProcessEvent, ProcessSelector

logger = logging.getLogger(__name__)

OutputKind = Literal["stdout", "stderr", "pty"]
InputKind = Literal["stdin", "pty"]

PIPE_CHUNK = 64 * 1024
"""Bytes read from a pipe at once (a Linux pipe holds 64 KiB by default)."""
PTY_CHUNK = 16 * 1024
SUBSCRIBER_QUEUE = 16
"""Events a stream may lag behind its process: at most ``16 * 64 KiB`` per stream."""
DRAIN_AFTER_EXIT = 1024 * 1024
"""Bytes still read from an output after the process exited: what it left in the pipe. A
background child that inherited the pipe and keeps writing does not hold the end back."""
REAP_WAIT = 2.0
"""Seconds a kill waits for the process to be reaped."""


@dataclass(frozen=True, slots=True)
class SpawnSpec:
    """What to run and how (already resolved by the RPC layer)."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    config: ProcessConfig
    """The configuration as requested: what ``List`` reports."""
    tag: str | None = None
    stdin: bool = False
    """Keep a pipe to the process's stdin (else it reads ``/dev/null``)."""
    pty_size: tuple[int, int] | None = None
    """``(cols, rows)`` of a pseudo-terminal to run in, or None for plain pipes."""


class Subscription:
    """One stream's view of a process: its events from subscription on, through a bounded
    queue. ``close()`` (when the stream ends) unsubscribes and releases a reader waiting
    for room in this queue."""

    def __init__(self, owner: ManagedProcess) -> None:
        self._owner = owner
        self._queue: asyncio.Queue[ProcessEvent] = asyncio.Queue(maxsize=SUBSCRIBER_QUEUE)
        self.closed = False

    async def get(self, within: float | None) -> ProcessEvent | None:
        """The next event, or None when none came within ``within`` seconds."""
        with contextlib.suppress(asyncio.QueueEmpty):
            return self._queue.get_nowait()
        if within is None:
            return await self._queue.get()
        try:
            return await asyncio.wait_for(self._queue.get(), max(within, 0.0))
        except TimeoutError:
            return None

    async def put(self, event: ProcessEvent) -> None:
        if not self.closed:
            await self._queue.put(event)

    def put_nowait(self, event: ProcessEvent) -> None:
        self._queue.put_nowait(event)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._owner.unsubscribe(self)
        # Emptying the queue wakes a reader blocked on ``put`` (its event lands in this
        # dead queue and is dropped with it).
        while not self._queue.empty():
            self._queue.get_nowait()


class ManagedProcess:
    """A process envd spawned, from launch until it was reaped and its streams ended."""

    def __init__(
        self,
        spec: SpawnSpec,
        popen: subprocess.Popen[bytes],
        *,
        outputs: Iterable[tuple[int, OutputKind]],
        stdin_fd: int | None,
        master_fd: int | None,
        on_exit: Callable[[ManagedProcess], None],
    ) -> None:
        self.pid = popen.pid
        self.tag = spec.tag
        self.config = spec.config
        self.has_pty = master_fd is not None
        self.timed_out = False
        """Killed by its time limit (its ``Start`` stream then ends ``deadline_exceeded``)."""
        self._popen = popen
        self._loop = asyncio.get_running_loop()
        self._on_exit = on_exit
        self._stdin_fd = stdin_fd
        self._master_fd = master_fd
        self._output_fds = list(outputs)
        self._input_lock = asyncio.Lock()
        self._subscribers: set[Subscription] = set()
        self._end: ProcessEvent | None = None
        self._exited: asyncio.Future[int] = self._loop.create_future()
        self._finished = asyncio.Event()
        self._deadline: asyncio.TimerHandle | None = None
        self._pidfd = os.pidfd_open(self.pid)
        self._loop.add_reader(self._pidfd, self._reap)
        self._tasks: list[asyncio.Task[None]] = []

    def launch(self) -> None:
        """Starts reading output. Separate from construction so the first stream can
        subscribe before a single byte is read."""
        self._tasks = [
            self._loop.create_task(self._pump(fd, kind), name=f"envd-{kind}-{self.pid}")
            for fd, kind in self._output_fds
        ]
        self._tasks.append(self._loop.create_task(self._supervise(), name=f"envd-{self.pid}"))

    @property
    def running(self) -> bool:
        return not self._exited.done()

    # --- streams -------------------------------------------------------------------

    def subscribe(self) -> Subscription:
        """A subscription to the events from now on (just the end, once it happened)."""
        subscription = Subscription(self)
        if self._end is not None:
            subscription.put_nowait(self._end)
        else:
            self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    async def _publish(self, event: ProcessEvent) -> None:
        for subscription in tuple(self._subscribers):
            await subscription.put(event)

    # --- output --------------------------------------------------------------------

    async def _pump(self, fd: int, kind: OutputKind) -> None:
        size = PTY_CHUNK if kind == "pty" else PIPE_CHUNK
        drained = 0
        while drained < DRAIN_AFTER_EXIT:
            try:
                chunk = os.read(fd, size)
            except BlockingIOError:
                if self._exited.done():
                    return
                await self._until_ready(fd, write=False)
                continue
            except OSError:  # EIO: every slave side of the PTY is closed
                return
            if not chunk:
                return
            if self._exited.done():
                drained += len(chunk)
            await self._publish(data_event(kind, chunk))

    async def _until_ready(self, fd: int, *, write: bool) -> None:
        """Waits until ``fd`` is readable (writable), or the process exited."""
        ready: asyncio.Future[None] = self._loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        add, remove = (
            (self._loop.add_writer, self._loop.remove_writer)
            if write
            else (self._loop.add_reader, self._loop.remove_reader)
        )
        add(fd, wake)
        try:
            await asyncio.wait((ready, self._exited), return_when=asyncio.FIRST_COMPLETED)
        finally:
            remove(fd)
            ready.cancel()

    # --- exit ----------------------------------------------------------------------

    def _reap(self) -> None:
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere: nothing left to learn
            pid, status = self.pid, 255 << 8
        if pid == 0:
            return
        self._loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        # Popen must not try to reap (or warn about) a child that is gone.
        self._popen.returncode = os.waitstatus_to_exitcode(status)
        if self._deadline is not None:
            self._deadline.cancel()
        self._exited.set_result(status)
        self._on_exit(self)

    async def _supervise(self) -> None:
        status = await self._exited
        outcomes = await asyncio.gather(*self._tasks[:-1], return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                logger.error("envd: reading the output of %d failed", self.pid, exc_info=outcome)
        # Every descriptor leaves the event loop before it is closed: pumps are done, and
        # a writer (woken by the exit) gives the lock back before it could wait again.
        async with self._input_lock:
            self._close_fds()
        self._end = end_event(status)
        try:
            await self._publish(self._end)
        finally:
            self._finished.set()

    def _close_fds(self) -> None:
        fds = [fd for fd, _ in self._output_fds]
        self._output_fds = []
        for attribute in ("_stdin_fd", "_master_fd"):
            fd = getattr(self, attribute)
            setattr(self, attribute, None)
            if fd is not None and fd not in fds:
                fds.append(fd)
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)

    async def wait_exited(self, within: float) -> bool:
        """Whether the process was reaped within ``within`` seconds."""
        if not self._exited.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._exited), within)
        return self._exited.done()

    async def wait_finished(self, within: float) -> bool:
        """Whether the end was delivered within ``within`` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._finished.wait(), within)
        return self._finished.is_set()

    # --- control -------------------------------------------------------------------

    def signal(self, sig: int) -> None:
        """Sends ``sig`` to the process and to its process group (its session's)."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)
        signal_group(self.pid, sig)

    def limit(self, seconds: float) -> None:
        """Kills the process (its whole group) ``seconds`` from now, whoever is watching:
        a command's time limit outlives a client that went away."""
        self._deadline = self._loop.call_later(max(seconds, 0.0), self.expire)

    def expire(self) -> None:
        """The time limit is reached: kill now (once)."""
        if self.running and not self.timed_out:
            self.timed_out = True
            self.signal(signal.SIGKILL)

    def resize(self, cols: int, rows: int) -> None:
        if self._master_fd is None:
            raise ConnectError(Code.FAILED_PRECONDITION, f"process {self.pid} has no PTY")
        pty.set_size(self._master_fd, cols, rows)

    async def close_stdin(self) -> None:
        """Closes the stdin pipe (the process reads EOF), after the input already sent."""
        if self.has_pty:
            raise ConnectError(
                Code.FAILED_PRECONDITION,
                f"process {self.pid} runs in a PTY: send Ctrl+D (0x04) to end its input",
            )
        async with self._input_lock:
            fd, self._stdin_fd = self._stdin_fd, None
            if fd is not None:
                os.close(fd)

    async def write_input(self, kind: InputKind, data: bytes) -> None:
        """Writes ``data`` to the process's stdin pipe or PTY, in order with other input."""
        self._input_fd(kind)  # fails early when this input does not exist
        async with self._input_lock:
            view = memoryview(data)
            while view:
                # Looked up again after every wait: the descriptor may have been closed.
                fd = self._input_fd(kind)
                try:
                    written = os.write(fd, view)
                except BlockingIOError:
                    if not self.running:
                        raise ConnectError(
                            Code.FAILED_PRECONDITION, f"process {self.pid} has exited"
                        ) from None
                    await self._until_ready(fd, write=True)
                    continue
                except OSError as error:
                    raise ConnectError(
                        Code.FAILED_PRECONDITION,
                        f"cannot write to {kind} of process {self.pid}: {error.strerror}",
                    ) from error
                view = view[written:]

    def _input_fd(self, kind: InputKind) -> int:
        if kind == "pty":
            if self._master_fd is None:
                raise ConnectError(Code.FAILED_PRECONDITION, f"process {self.pid} has no PTY")
            return self._master_fd
        if self.has_pty:
            raise ConnectError(
                Code.FAILED_PRECONDITION,
                f"process {self.pid} runs in a PTY: send its input as pty input",
            )
        if self._stdin_fd is None:
            raise ConnectError(Code.FAILED_PRECONDITION, f"stdin of process {self.pid} is not open")
        return self._stdin_fd


class ProcessTable:
    """The running processes, by pid; and the sessions they left behind."""

    def __init__(self) -> None:
        self._running: dict[int, ManagedProcess] = {}
        self._sessions: set[int] = set()
        """Process groups of exited processes that still had members (background
        children): what ``kill_all`` must still end."""

    def spawn(self, spec: SpawnSpec) -> tuple[ManagedProcess, Subscription]:
        """Starts a process and subscribes to it before any output is read. Raises
        ``OSError`` when it cannot be started."""
        popen, outputs, stdin_fd, master_fd = _launch(spec)
        try:
            process = ManagedProcess(
                spec,
                popen,
                outputs=outputs,
                stdin_fd=stdin_fd,
                master_fd=master_fd,
                on_exit=self._exited,
            )
        except BaseException:
            popen.kill()
            popen.wait()
            for fd in [*(fd for fd, _ in outputs), stdin_fd, master_fd]:
                if fd is not None:
                    os.close(fd)
            raise
        self._running[process.pid] = process
        self._sessions.add(process.pid)
        subscription = process.subscribe()
        process.launch()
        return process, subscription

    def _exited(self, process: ManagedProcess) -> None:
        self._running.pop(process.pid, None)
        if not group_alive(process.pid):
            self._sessions.discard(process.pid)

    def running(self) -> list[ManagedProcess]:
        return list(self._running.values())

    def get(self, selector: ProcessSelector | None) -> ManagedProcess:
        """The running process ``selector`` names; ``not_found`` when there is none."""
        chosen = selector.selector if selector is not None else None
        if chosen is None:
            raise ConnectError(Code.INVALID_ARGUMENT, "a process pid or tag is required")
        if chosen.field == "pid" and isinstance(chosen.value, int):
            found = self._running.get(chosen.value)
            if found is None:
                raise ConnectError(Code.NOT_FOUND, f"process with pid {chosen.value} not found")
            return found
        for process in self._running.values():
            if process.tag is not None and process.tag == chosen.value:
                return process
        raise ConnectError(Code.NOT_FOUND, f"process with tag {chosen.value} not found")

    async def kill_all(self) -> None:
        """Kills every process started (and what they left running), and waits for
        them to be reaped and their streams to end."""
        processes = self.running()
        for process in processes:
            process.signal(signal.SIGKILL)
        for session in self._sessions:
            signal_group(session, signal.SIGKILL)
        self._sessions.clear()
        await asyncio.gather(*(process.wait_exited(REAP_WAIT) for process in processes))
        await asyncio.gather(*(process.wait_finished(REAP_WAIT) for process in processes))


def signal_group(pgid: int, sig: int) -> None:
    """Signals the process group ``pgid`` — never the daemon's own."""
    if pgid <= 1 or pgid == os.getpgrp():
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _launch(
    spec: SpawnSpec,
) -> tuple[subprocess.Popen[bytes], list[tuple[int, OutputKind]], int | None, int | None]:
    """Spawns the process: ``(popen, output fds, stdin fd, PTY master fd)``, the daemon's
    ends non-blocking."""
    parent_fds: list[int] = []
    child_fds: list[int] = []
    try:
        if spec.pty_size is not None:
            master, slave = pty.open_pty(*spec.pty_size)
            parent_fds.append(master)
            child_fds.append(slave)
            popen = subprocess.Popen(
                [*pty.controlling_terminal_prefix(), *spec.argv],
                stdin=slave,
                stdout=slave,
                stderr=slave,
                cwd=spec.cwd,
                env=spec.env,
                close_fds=True,
            )
            outputs: list[tuple[int, OutputKind]] = [(master, "pty")]
            stdin_fd, master_fd = None, master
        else:
            out_read, out_write = os.pipe()
            err_read, err_write = os.pipe()
            parent_fds += [out_read, err_read]
            child_fds += [out_write, err_write]
            stdin_read: int = subprocess.DEVNULL
            stdin_fd = None
            if spec.stdin:
                stdin_read, stdin_fd = os.pipe()
                parent_fds.append(stdin_fd)
                child_fds.append(stdin_read)
            popen = subprocess.Popen(
                spec.argv,
                stdin=stdin_read,
                stdout=out_write,
                stderr=err_write,
                cwd=spec.cwd,
                env=spec.env,
                close_fds=True,
                start_new_session=True,
            )
            outputs = [(out_read, "stdout"), (err_read, "stderr")]
            master_fd = None
    except BaseException:
        for fd in parent_fds:
            os.close(fd)
        raise
    finally:
        for fd in child_fds:
            os.close(fd)
    for fd in parent_fds:
        os.set_blocking(fd, False)
    return popen, outputs, stdin_fd, master_fd


def data_event(kind: OutputKind, chunk: bytes) -> ProcessEvent:
    if kind == "stdout":
        stdout: Oneof[Literal["stdout"], bytes] = Oneof("stdout", chunk)
        output = ProcessEvent.DataEvent(output=stdout)
    elif kind == "stderr":
        stderr: Oneof[Literal["stderr"], bytes] = Oneof("stderr", chunk)
        output = ProcessEvent.DataEvent(output=stderr)
    else:
        terminal: Oneof[Literal["pty"], bytes] = Oneof("pty", chunk)
        output = ProcessEvent.DataEvent(output=terminal)
    data: Oneof[Literal["data"], ProcessEvent.DataEvent] = Oneof("data", output)
    return ProcessEvent(event=data)


def end_event(status: int) -> ProcessEvent:
    """The end of a process from its wait status, worded as envd (Go's ``ProcessState``)
    words it: ``exit status 1``, ``signal: killed``; a process ended by a signal has exit
    code -1, and ``error`` is set unless it exited with 0."""
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
        text = f"exit status {code}"
        end = ProcessEvent.EndEvent(
            exit_code=code, exited=True, status=text, error=text if code else None
        )
    else:
        number = os.WTERMSIG(status)
        name = (signal.strsignal(number) or f"signal {number}").lower()
        text = f"signal: {name}" + (" (core dumped)" if os.WCOREDUMP(status) else "")
        end = ProcessEvent.EndEvent(exit_code=-1, exited=False, status=text, error=text)
    event: Oneof[Literal["end"], ProcessEvent.EndEvent] = Oneof("end", end)
    return ProcessEvent(event=event)
