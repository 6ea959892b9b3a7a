"""Runs in the background: a turn goes on (and its work is saved) even when the browser
that started it disconnects. One run per project at a time."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

from ag_ui.core import BaseEvent

from tessera import events
from tessera.agent.turn import Agent, RunOptions
from tessera.errors import RunInProgress, TesseraError

log = logging.getLogger(__name__)

_END = None


class RunRegistry:
    def __init__(self, agent: Agent) -> None:
        self._agent = agent
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def is_running(self, project_id: str) -> bool:
        task = self._tasks.get(project_id)
        return task is not None and not task.done()

    def start(self, project_id: str, prompt: str | RunOptions) -> AsyncIterator[BaseEvent]:
        """Starts a run and returns its events. Raises ``RunInProgress`` at once if the
        project already has one."""
        if self.is_running(project_id):
            raise RunInProgress("This project is already generating; wait for it to finish.")
        queue: asyncio.Queue[BaseEvent | None] = asyncio.Queue()
        run_id = uuid.uuid4().hex
        self._tasks[project_id] = asyncio.create_task(
            self._run(project_id, prompt, run_id, queue), name=f"run-{run_id}"
        )
        return _drain(queue)

    async def enhance(self, project_id: str, prompt: str) -> str:
        """The prompt rewritten into a fuller specification (no run, no files changed)."""
        return await self._agent.enhance(project_id, prompt)

    async def _run(
        self,
        project_id: str,
        prompt: str | RunOptions,
        run_id: str,
        queue: asyncio.Queue[BaseEvent | None],
    ) -> None:
        try:
            async for event in self._agent.run_turn(project_id, prompt, run_id):
                queue.put_nowait(event)
        except TesseraError as exc:
            queue.put_nowait(events.run_error(exc.message, exc.code))
        except Exception as exc:  # a bug must end the stream with an error, not hang it
            log.exception("run %s of project %s failed", run_id, project_id)
            queue.put_nowait(events.run_error(f"Internal error: {exc}", "internal_error"))
        finally:
            queue.put_nowait(_END)

    async def aclose(self) -> None:
        tasks = [t for t in self._tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _drain(queue: asyncio.Queue[BaseEvent | None]) -> AsyncIterator[BaseEvent]:
    while (event := await queue.get()) is not _END:
        yield event
