"""What each project's running app said and what went wrong in it, kept for the console and
the autofix.

Per project: the last output lines (a ring buffer), the current errors grouped by
signature, and the console's subscribers. Output arrives through ``log`` from the sandbox
manager's output hook, which runs inside the sandboxes' output callbacks: it never blocks
and never raises (a fault here must not stop a dev server's output from being read).
Browser reports arrive through ``report_browser``, other findings (a failed deploy)
through ``report``.

A report that spans many lines is complete only when a later line shows that it ended;
when the output goes quiet instead, the open report is completed ``flush_after`` seconds
after the last line (a timer on the event loop, never a polling loop).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tessera.diagnostics.browser import browser_error
from tessera.diagnostics.logparse import LogScanner
from tessera.diagnostics.model import AppError
from tessera.diagnostics.text import clean_line

log = logging.getLogger(__name__)

MAX_LINES = 500
MAX_ERRORS = 50
SUBSCRIBER_QUEUE = 256
FLUSH_AFTER = 0.25
LINE_LIMIT = 4000
"""Characters of one output line kept (a minified bundle printed whole is cut)."""

Entry = dict[str, Any]


class _Subscriber:
    """One console reader's queue: bounded, the oldest entries dropped (and counted) when
    the reader falls behind, so that a slow reader never holds up the output."""

    def __init__(self, limit: int) -> None:
        self.entries: deque[Entry] = deque()
        self.limit = limit
        self.dropped = 0
        self.closed = False
        self.ready = asyncio.Event()

    def push(self, entry: Entry) -> None:
        if len(self.entries) >= self.limit:
            self.entries.popleft()
            self.dropped += 1
        self.entries.append(entry)
        self.ready.set()

    def close(self) -> None:
        self.closed = True
        self.ready.set()

    async def entries_as_they_come(self) -> AsyncIterator[Entry]:
        while True:
            if self.dropped:
                dropped, self.dropped = self.dropped, 0
                yield {"type": "dropped", "count": dropped}
            elif self.entries:
                yield self.entries.popleft()
            elif self.closed:
                return
            else:
                self.ready.clear()
                await self.ready.wait()


@dataclass(eq=False)
class _Project:
    max_lines: int
    lines: deque[tuple[float, str]] = field(init=False)
    errors: OrderedDict[str, AppError] = field(default_factory=OrderedDict)
    """By signature, least recently seen first."""
    scanner: LogScanner = field(default_factory=LogScanner)
    subscribers: set[_Subscriber] = field(default_factory=set)
    waiters: set[asyncio.Future[None]] = field(default_factory=set)
    flush_timer: asyncio.TimerHandle | None = None

    def __post_init__(self) -> None:
        self.lines = deque(maxlen=self.max_lines)

    def publish(self, entry: Entry) -> None:
        for subscriber in self.subscribers:
            subscriber.push(entry)


class Diagnostics:
    """The errors and output of every project's running app."""

    def __init__(
        self,
        *,
        max_lines: int = MAX_LINES,
        max_errors: int = MAX_ERRORS,
        subscriber_queue: int = SUBSCRIBER_QUEUE,
        flush_after: float = FLUSH_AFTER,
    ) -> None:
        self.max_lines = max_lines
        self.max_errors = max_errors
        self.subscriber_queue = subscriber_queue
        self.flush_after = flush_after
        self._projects: dict[str, _Project] = {}

    # --- input ----------------------------------------------------------------------------
    def log(self, project_id: str, line: str) -> None:
        """One output line of the project's sandbox (``SandboxManager.on_output``)."""
        try:
            self._log(project_id, line)
        except Exception:  # never let a parsing fault stop the sandbox's output
            log.exception("diagnostics could not read an output line of %s", project_id)

    def report_browser(self, project_id: str, payload: Mapping[str, object]) -> AppError | None:
        """A report of the preview page's script; junk (not a report) is ignored (None)."""
        error = browser_error(payload)
        return None if error is None else self._record(self._project(project_id), error)

    def report(self, project_id: str, error: AppError) -> None:
        """An error found elsewhere (a failed deploy, an install). A copy is kept: repeats
        update the kept error, never the caller's."""
        self._record(self._project(project_id), replace(error))

    # --- reading --------------------------------------------------------------------------
    def errors(self, project_id: str) -> list[AppError]:
        """The project's current errors, grouped, oldest first."""
        state = self._projects.get(project_id)
        if state is None:
            return []
        return sorted(state.errors.values(), key=lambda error: error.first_seen)

    def errors_since(self, project_id: str, since: float) -> list[AppError]:
        """The current errors seen (first or again) at ``since`` (``time.time()``) or later."""
        return [error for error in self.errors(project_id) if error.last_seen >= since]

    def lines(self, project_id: str) -> list[str]:
        """The project's last output lines, oldest first."""
        state = self._projects.get(project_id)
        return [] if state is None else [line for _, line in state.lines]

    def readers(self, project_id: str) -> int:
        """How many consoles are following the project now."""
        state = self._projects.get(project_id)
        return 0 if state is None else len(state.subscribers)

    async def wait_for_errors(
        self,
        project_id: str,
        *,
        since: float,
        timeout: float,  # noqa: ASYNC109 (a deadline the autofix passes along)
        settle: float = 0.5,
    ) -> list[AppError]:
        """Waits up to ``timeout`` seconds for an error seen at ``since`` or later; once one
        is there, ``settle`` seconds more for the errors that come with it (a traceback and
        the failed request's proxy error, a module and the modules importing it). Returns
        the errors seen since ``since``; [] when none came in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        state = self._project(project_id)
        while not self.errors_since(project_id, since):
            remaining = deadline - loop.time()
            if remaining <= 0 or self._projects.get(project_id) is not state:
                return []
            arrived: asyncio.Future[None] = loop.create_future()
            state.waiters.add(arrived)
            try:
                await asyncio.wait_for(arrived, remaining)
            except TimeoutError:
                return []
            finally:
                state.waiters.discard(arrived)
        if settle > 0:
            await asyncio.sleep(settle)
        return self.errors_since(project_id, since)

    async def subscribe(self, project_id: str) -> AsyncGenerator[Entry, None]:
        """The project's console: the backlog (buffered lines, then current errors), then
        entries as they come: ``{"type": "log", "line", "at"}``, ``{"type": "error",
        "error"}`` (a new error, or a repeat with its new count), ``{"type": "cleared"}``,
        and ``{"type": "dropped", "count"}`` when this reader fell behind. Ends when the
        project is forgotten."""
        state = self._project(project_id)
        subscriber = _Subscriber(self.subscriber_queue)
        backlog: list[Entry] = [_log_entry(at, line) for at, line in state.lines]
        backlog += [_error_entry(error) for error in self.errors(project_id)]
        state.subscribers.add(subscriber)
        try:
            for entry in backlog:
                yield entry
            async for entry in subscriber.entries_as_they_come():
                yield entry
        finally:
            state.subscribers.discard(subscriber)

    # --- changes --------------------------------------------------------------------------
    def clear(self, project_id: str) -> None:
        """Forgets the project's current errors (its output stays), and any report still
        being collected: it belongs to the code being replaced."""
        state = self._projects.get(project_id)
        if state is not None:
            if state.flush_timer is not None:
                state.flush_timer.cancel()
                state.flush_timer = None
            state.scanner.flush()
            state.errors.clear()
            state.publish({"type": "cleared"})

    def forget(self, project_id: str) -> None:
        """Drops everything about the project (deleted); its console readers' streams end."""
        state = self._projects.pop(project_id, None)
        if state is None:
            return
        if state.flush_timer is not None:
            state.flush_timer.cancel()
        for subscriber in state.subscribers:
            subscriber.close()
        for waiter in state.waiters:
            if not waiter.done():
                waiter.set_result(None)

    # --- inside ---------------------------------------------------------------------------
    def _project(self, project_id: str) -> _Project:
        state = self._projects.get(project_id)
        if state is None:
            state = self._projects[project_id] = _Project(self.max_lines)
        return state

    def _log(self, project_id: str, line: str) -> None:
        state = self._project(project_id)
        text = clean_line(line)[:LINE_LIMIT]
        at = time.time()
        state.lines.append((at, text))
        state.publish(_log_entry(at, text))
        for error in state.scanner.feed(line):
            self._record(state, error)
        self._schedule_flush(project_id, state)

    def _schedule_flush(self, project_id: str, state: _Project) -> None:
        if state.flush_timer is not None:
            state.flush_timer.cancel()
            state.flush_timer = None
        if not state.scanner.pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop: the next line or flush completes the report
            return
        state.flush_timer = loop.call_later(self.flush_after, self._flush, project_id)

    def _flush(self, project_id: str) -> None:
        state = self._projects.get(project_id)
        if state is None:
            return
        state.flush_timer = None
        try:
            for error in state.scanner.flush():
                self._record(state, error)
        except Exception:
            log.exception("diagnostics could not complete a report of %s", project_id)

    def _record(self, state: _Project, error: AppError) -> AppError:
        known = state.errors.get(error.signature)
        if known is not None:
            known.absorb(error)
            state.errors.move_to_end(error.signature)
            error = known
        else:
            state.errors[error.signature] = error
            while len(state.errors) > self.max_errors:
                state.errors.popitem(last=False)
        state.publish(_error_entry(error))
        for waiter in state.waiters:
            if not waiter.done():
                waiter.set_result(None)
        return error


def _log_entry(at: float, line: str) -> Entry:
    return {"type": "log", "line": line, "at": at}


def _error_entry(error: AppError) -> Entry:
    return {"type": "error", "error": error.to_dict()}
