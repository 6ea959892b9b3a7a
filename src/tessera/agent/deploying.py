"""The deploy step of a run: the sandbox brought up to date, its log streamed as events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

from ag_ui.core import BaseEvent

from tessera import events
from tessera.errors import DevServerFailed, TesseraError
from tessera.events import CustomName
from tessera.lockfiles import keep_lockfiles
from tessera.sandbox.manager import SandboxManager
from tessera.store import Store


@dataclass
class DeployOutcome:
    """How the deploy went. ``failure`` is the message a user sees when the app did not
    start; ``output`` the dev server's last lines; ``started`` when the deploy began."""

    started: float = field(default_factory=time.time)
    failure: str | None = None
    code: str | None = None
    output: str = ""


async def deploy_with_logs(
    sandboxes: SandboxManager,
    store: Store,
    project_id: str,
    files: Mapping[str, str],
    outcome: DeployOutcome,
    *,
    reload: bool = False,
) -> AsyncIterator[BaseEvent]:
    """Deploys ``files``, streaming the sandbox's log lines while it starts; ends with the
    ``e2b_deployment`` / ``e2b_preview`` events. A failure is put in ``outcome``.

    ``reload`` asks an open preview to reload even where the dev server hot-reloads: a page
    whose modules failed to load (the error being fixed) cannot be hot-updated."""
    outcome.started = time.time()
    lines: asyncio.Queue[str] = asyncio.Queue()
    task = asyncio.create_task(
        sandboxes.deploy(project_id, files, on_log=lines.put_nowait, wait=True)
    )
    while not task.done() or not lines.empty():
        getter = asyncio.create_task(lines.get())
        await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            yield events.custom(CustomName.SANDBOX_LOG, line=getter.result())
        else:
            getter.cancel()
    try:
        deployment = task.result()
        await keep_lockfiles(store, project_id, deployment)
    except DevServerFailed as exc:
        tail = f"\n{exc.output}" if exc.output else ""
        outcome.failure = f"The app did not start: {exc.message}{tail}"
        outcome.code, outcome.output = exc.code, exc.output
        return
    except TesseraError as exc:
        outcome.failure = f"The sandbox failed: {exc.message}"
        outcome.code = exc.code
        return
    yield events.custom(
        CustomName.E2B_DEPLOYMENT,
        sandbox_id=deployment.sandbox_id,
        sandbox_url=deployment.sandbox_url,
        status=deployment.status,
        files=deployment.files,
        reload=deployment.reload or reload,
    )
    yield events.custom(
        CustomName.E2B_PREVIEW,
        sandbox_id=deployment.sandbox_id,
        preview_url=deployment.preview_url,
        ready=deployment.status == "ready",
    )
    if deployment.status == "error":
        outcome.failure = f"The app did not start: {deployment.error}"
        outcome.code = "dev_server_failed"
        outcome.output = deployment.error or ""
