"""envd's ``process.Process`` service: commands and PTYs run in the sandbox.

The RPC layer over ``process_table``: it resolves who a request acts as and what to run,
and turns a process's events into the ``Start`` / ``Connect`` streams the SDK reads.

Stream semantics follow envd, which the SDK was written against:

- events come as ``start{pid}``, then ``data`` chunks as the process prints them, then
  ``end``; ``keepalive`` events fill silences longer than the ``Keepalive-Ping-Interval``
  request header (seconds).
- ``Connect-Timeout-Ms`` on ``Start`` is the command's time limit. At that deadline the
  process (its whole group) is killed and the stream ends with ``deadline_exceeded``
  *instead of* an end event — the SDK raises ``TimeoutException`` only for the error, so
  the deadline has to win over the end that the kill itself causes. On ``Connect`` the
  timeout only bounds that stream.
- A client that goes away ends its stream only: the process keeps running (background
  commands) and ``Connect`` reattaches to it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any, Literal

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.request import RequestContext
from protobuf import Oneof

from tessera.envd.identity import EnvdConfig, EnvdUser, UnknownUser, become
from tessera.envd.process_table import (
    REAP_WAIT,
    ManagedProcess,
    ProcessTable,
    SpawnSpec,
    Subscription,
)
from tessera.envd.proto.process.process_connect import Process
from tessera.envd.proto.process.process_pb import (
    PTY,
    CloseStdinRequest,
    CloseStdinResponse,
    ConnectRequest,
    ConnectResponse,
    ListRequest,
    ListResponse,
    ProcessConfig,
    ProcessEvent,
    ProcessInfo,
    ProcessInput,
    SendInputRequest,
    SendInputResponse,
    SendSignalRequest,
    SendSignalResponse,
    Signal,
    StartRequest,
    StartResponse,
    StreamInputRequest,
    StreamInputResponse,
    UpdateRequest,
    UpdateResponse,
)

logger = logging.getLogger(__name__)

KEEPALIVE_HEADER = "keepalive-ping-interval"
SIGNALS = {Signal.SIGKILL: signal.SIGKILL, Signal.SIGTERM: signal.SIGTERM}


class ProcessService(Process):
    """Implements the generated ``Process`` protocol (serve it with
    ``ProcessASGIApplication(ProcessService(config))``)."""

    def __init__(self, config: EnvdConfig) -> None:
        self._config = config
        self._table = ProcessTable()

    # --- lifecycle -----------------------------------------------------------------

    async def reset(self) -> None:
        """Kills every process this service started (and what they left running)."""
        await self._table.kill_all()

    async def aclose(self) -> None:
        await self._table.kill_all()

    # --- streams -------------------------------------------------------------------

    async def start(
        self, request: StartRequest, ctx: RequestContext[Any, Any], /
    ) -> AsyncGenerator[StartResponse, None]:
        with _unexpected_errors("start process"):
            spec = self._spawn_spec(request, self._acting_user(ctx))
            timeout = _timeout_seconds(ctx)
            try:
                process, subscription = self._table.spawn(spec)
            except OSError as error:
                raise ConnectError(
                    Code.INVALID_ARGUMENT,
                    f"error starting process '{_command_line(spec.config)}': {error}",
                ) from error
            if timeout is not None:
                process.limit(timeout)
            events = _events(
                process,
                subscription,
                limit=timeout,
                keepalive=_keepalive_seconds(ctx),
                kills_at_deadline=True,
            )
            async with contextlib.aclosing(events):
                async for event in events:
                    yield StartResponse(event=event)

    async def connect(
        self, request: ConnectRequest, ctx: RequestContext[Any, Any], /
    ) -> AsyncGenerator[ConnectResponse, None]:
        with _unexpected_errors("connect to process"):
            process = self._table.get(request.process)
            events = _events(
                process,
                process.subscribe(),
                limit=_timeout_seconds(ctx),
                keepalive=_keepalive_seconds(ctx),
                kills_at_deadline=False,
            )
            async with contextlib.aclosing(events):
                async for event in events:
                    yield ConnectResponse(event=event)

    # --- unary ---------------------------------------------------------------------

    async def list(self, request: ListRequest, ctx: RequestContext[Any, Any], /) -> ListResponse:
        with _unexpected_errors("list processes"):
            return ListResponse(
                processes=[
                    ProcessInfo(config=process.config, pid=process.pid, tag=process.tag)
                    for process in self._table.running()
                ]
            )

    async def send_signal(
        self, request: SendSignalRequest, ctx: RequestContext[Any, Any], /
    ) -> SendSignalResponse:
        with _unexpected_errors("send signal"):
            process = self._table.get(request.process)
            number = SIGNALS.get(request.signal)
            if number is None:
                raise ConnectError(Code.UNIMPLEMENTED, f"invalid signal: {request.signal}")
            process.signal(number)
            if number == signal.SIGKILL:
                # Answer once it is reaped: a zombie would still pass ``kill -0``.
                await process.wait_exited(REAP_WAIT)
            return SendSignalResponse()

    async def send_input(
        self, request: SendInputRequest, ctx: RequestContext[Any, Any], /
    ) -> SendInputResponse:
        with _unexpected_errors("send input"):
            await _write_input(self._table.get(request.process), request.input)
            return SendInputResponse()

    async def stream_input(
        self, request: AsyncIterator[StreamInputRequest], ctx: RequestContext[Any, Any], /
    ) -> StreamInputResponse:
        with _unexpected_errors("stream input"):
            process: ManagedProcess | None = None
            async for message in request:
                event = message.event.value if message.event is not None else None
                if isinstance(event, StreamInputRequest.StartEvent):
                    process = self._table.get(event.process)
                elif isinstance(event, StreamInputRequest.DataEvent):
                    if process is None:
                        raise ConnectError(
                            Code.FAILED_PRECONDITION, "input came before the start event"
                        )
                    await _write_input(process, event.input)
                elif event is None:
                    raise ConnectError(Code.INVALID_ARGUMENT, "empty input stream event")
            return StreamInputResponse()

    async def close_stdin(
        self, request: CloseStdinRequest, ctx: RequestContext[Any, Any], /
    ) -> CloseStdinResponse:
        with _unexpected_errors("close stdin"):
            await self._table.get(request.process).close_stdin()
            return CloseStdinResponse()

    async def update(
        self, request: UpdateRequest, ctx: RequestContext[Any, Any], /
    ) -> UpdateResponse:
        with _unexpected_errors("update process"):
            process = self._table.get(request.process)
            size = request.pty.size if request.pty is not None else None
            if size is not None:
                process.resize(size.cols, size.rows)
            return UpdateResponse()

    # --- helpers -------------------------------------------------------------------

    def _acting_user(self, ctx: RequestContext[Any, Any]) -> EnvdUser:
        try:
            return self._config.user_from_headers(ctx.request_headers)
        except UnknownUser as error:
            raise ConnectError(Code.UNAUTHENTICATED, str(error)) from error

    def _spawn_spec(self, request: StartRequest, user: EnvdUser) -> SpawnSpec:
        config = request.process
        if config is None or not config.cmd:
            raise ConnectError(Code.INVALID_ARGUMENT, "a command to run is required")
        pty_size = None
        if request.pty is not None:
            size = request.pty.size or PTY.Size()
            pty_size = (size.cols, size.rows)
        # An unset ``stdin`` keeps a pipe open, as envd does for clients older than the
        # field; the SDK always sets it.
        stdin = request.stdin if request.has_field("stdin") else True
        env = {**self._config.base_env(user), **config.envs}
        cwd = _working_directory(config.cwd if config.has_field("cwd") else None, user)
        _check_executable(config.cmd, env, cwd)
        return SpawnSpec(
            argv=[*become(user), config.cmd, *config.args],
            env=env,
            cwd=cwd,
            config=config,
            tag=request.tag if request.has_field("tag") else None,
            stdin=stdin and pty_size is None,
            pty_size=pty_size,
        )


async def _events(
    process: ManagedProcess,
    subscription: Subscription,
    *,
    limit: float | None,
    keepalive: float | None,
    kills_at_deadline: bool,
) -> AsyncGenerator[ProcessEvent, None]:
    """A process's stream: start, then its events until the end, the deadline, or the
    client leaving (the stream is closed: only the subscription goes)."""
    deadline = time.monotonic() + limit if limit is not None else None

    def expired() -> ConnectError:
        if kills_at_deadline:
            process.expire()
        return ConnectError(Code.DEADLINE_EXCEEDED, "the command's deadline was exceeded")

    try:
        start: Oneof[Literal["start"], ProcessEvent.StartEvent]
        start = Oneof("start", ProcessEvent.StartEvent(pid=process.pid))
        yield ProcessEvent(event=start)
        while True:
            wait = keepalive
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise expired()
                wait = left if wait is None else min(wait, left)
            event = await subscription.get(wait)
            if event is None:
                if deadline is not None and time.monotonic() >= deadline:
                    raise expired()
                ping: Oneof[Literal["keepalive"], ProcessEvent.KeepAlive]
                ping = Oneof("keepalive", ProcessEvent.KeepAlive())
                yield ProcessEvent(event=ping)
                continue
            is_end = isinstance(event.event, Oneof) and event.event.field == "end"
            if is_end and kills_at_deadline and process.timed_out:
                raise expired()
            yield event
            if is_end:
                return
    finally:
        subscription.close()


async def _write_input(process: ManagedProcess, data: ProcessInput | None) -> None:
    match data.input if data is not None else None:
        case Oneof(field="stdin", value=payload):
            await process.write_input("stdin", payload)
        case Oneof(field="pty", value=payload):
            await process.write_input("pty", payload)
        case _:
            raise ConnectError(Code.INVALID_ARGUMENT, "input must be stdin or pty data")


def _working_directory(requested: str | None, user: EnvdUser) -> str:
    """The process's cwd: the user's home by default; ``~`` and relative paths are the
    user's home's. A missing directory is ``invalid_argument``, as in envd."""
    if not requested:
        path = user.home
    elif requested == "~" or requested.startswith("~/"):
        path = user.home + requested[1:]
    else:
        path = os.path.join(user.home, requested)
    path = os.path.normpath(path)
    if not os.path.exists(path):
        raise ConnectError(Code.INVALID_ARGUMENT, f"cwd '{path}' does not exist")
    return path


def _check_executable(command: str, env: dict[str, str], cwd: str) -> None:
    """Fails with ``invalid_argument`` when ``command`` is not an executable file (on the
    process's ``PATH``, or relative to its cwd when it names a path). Checked here
    because the user switch execs the command only after the daemon's spawn succeeded:
    a command that does not exist is still the request's fault, as in envd."""
    if "/" in command:
        path = os.path.join(cwd, command)
        found = os.path.isfile(path) and os.access(path, os.X_OK)
    else:
        found = shutil.which(command, path=env.get("PATH", os.defpath)) is not None
    if not found:
        raise ConnectError(
            Code.INVALID_ARGUMENT,
            f"error starting process '{command}': executable file not found",
        )


def _timeout_seconds(ctx: RequestContext[Any, Any]) -> float | None:
    remaining = ctx.timeout_ms
    return None if remaining is None else max(remaining, 0.0) / 1000.0


def _keepalive_seconds(ctx: RequestContext[Any, Any]) -> float | None:
    value = ctx.request_headers.get(KEEPALIVE_HEADER)
    try:
        seconds = float(value) if value else 0.0
    except ValueError:
        return None
    return seconds if seconds > 0 else None


def _command_line(config: ProcessConfig) -> str:
    return " ".join([config.cmd, *config.args])


@contextlib.contextmanager
def _unexpected_errors(action: str) -> Iterator[None]:
    """Anything but a ``ConnectError`` is a fault of ours: logged, and answered as
    ``internal`` without internals."""
    try:
        yield
    except ConnectError:
        raise
    except Exception as error:
        logger.exception("envd: %s failed", action)
        raise ConnectError(Code.INTERNAL, f"{action} failed") from error
