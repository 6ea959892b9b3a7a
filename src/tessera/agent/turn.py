"""One assistant turn: prompt → model stream → actions → events → version → deployment."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

from ag_ui.core import BaseEvent, RunErrorEvent

from tessera import events
from tessera.agent.prompts import build_messages
from tessera.agent.workspace import TurnWorkspace
from tessera.errors import DevServerFailed, ProviderStreamBroken, TesseraError
from tessera.events import CustomName, Step
from tessera.llm.base import ChatMessage, CompletionRequest, ProjectContext, Provider, StreamEnd
from tessera.lockfiles import keep_lockfiles
from tessera.protocol import actions as act
from tessera.protocol.parser import StreamParser
from tessera.sandbox.detect import detect_app_type
from tessera.sandbox.manager import SandboxManager
from tessera.store import Store

log = logging.getLogger(__name__)


@dataclass
class _TurnState:
    workspace: TurnWorkspace
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    chat: list[str] = field(default_factory=list)
    text_started: bool = False
    refused: list[str] = field(default_factory=list)


class Agent:
    """Runs turns for projects. One turn per project at a time (callers serialise)."""

    def __init__(self, *, store: Store, provider: Provider, sandboxes: SandboxManager) -> None:
        self.store = store
        self.provider = provider
        self.sandboxes = sandboxes

    async def run_turn(self, project_id: str, prompt: str, run_id: str) -> AsyncIterator[BaseEvent]:
        project = await self.store.get_project(project_id)
        yield events.run_started(project_id, run_id)
        history = [
            ChatMessage("user" if m.role == "user" else "assistant", m.content)
            for m in await self.store.list_messages(project_id)
        ]
        await self.store.add_message(project_id, role="user", content=prompt)
        files = await self.store.read_files(project_id)
        early = asyncio.create_task(self._start_early(project_id, files))

        state = _TurnState(TurnWorkspace(files))
        request = CompletionRequest(
            messages=build_messages(files=files, history=history, prompt=prompt),
            context=ProjectContext(files=files, title=project.title, template=project.template),
        )
        failure: TesseraError | None = None
        yield events.step_started(Step.GENERATING)
        try:
            async for event in self._generate(project_id, request, state):
                yield event
        except TesseraError as exc:
            failure = exc
        if state.text_started:
            yield events.text_end(state.message_id)
        yield events.step_finished(Step.GENERATING)

        async for event in self._save(project_id, project.template, prompt, state, failure):
            yield event
        if failure is not None:
            early.cancel()
            yield events.run_error(failure.message, failure.code)
            return

        await _settle(early)
        yield events.step_started(Step.DEPLOYING)
        error: RunErrorEvent | None = None
        async for item in self._deploy(project_id, state.workspace.files):
            if isinstance(item, RunErrorEvent):
                error = item
            else:
                yield item
        yield events.step_finished(Step.DEPLOYING)
        yield error or events.run_finished(project_id, run_id)

    async def _start_early(self, project_id: str, files: Mapping[str, str]) -> None:
        """Create the sandbox and start its dev server while the model is still writing."""
        try:
            await self.sandboxes.deploy(project_id, files, wait=False)
        except TesseraError as exc:
            log.info("early sandbox start for %s failed: %s", project_id, exc.message)

    async def _generate(
        self, project_id: str, request: CompletionRequest, state: _TurnState
    ) -> AsyncIterator[BaseEvent]:
        parser = StreamParser()
        ended = False
        async for item in self.provider.stream(request):
            if isinstance(item, StreamEnd):
                ended = True
                if item.usage is not None:
                    yield events.custom(
                        CustomName.USAGE,
                        input_tokens=item.usage.input_tokens,
                        output_tokens=item.usage.output_tokens,
                        provider=self.provider.name,
                        model=request.model or self.provider.label,
                    )
                if item.finish_reason == "length":
                    state.refused.append("the model reached its output limit")
                continue
            for action in parser.feed(item.text):
                async for event in self._apply(project_id, action, state):
                    yield event
        for action in parser.close():
            async for event in self._apply(project_id, action, state):
                yield event
        if not ended:
            raise ProviderStreamBroken("The model's answer broke off before it was complete.")

    async def _apply(
        self, project_id: str, action: act.Action, state: _TurnState
    ) -> AsyncIterator[BaseEvent]:
        workspace = state.workspace
        try:
            match action:
                case act.ChatText(text=text):
                    if not state.text_started:
                        state.text_started = True
                        yield events.text_start(state.message_id)
                    state.chat.append(text)
                    yield events.text_content(state.message_id, text)
                case act.FileStarted(path=path):
                    yield events.custom(CustomName.FILE_STARTED, path=path)
                case act.FileDelta(path=path, delta=delta):
                    yield events.custom(CustomName.FILE_DELTA, path=path, delta=delta)
                case act.FileEnded(path=path, content=content):
                    workspace.write(path, content)
                    yield _file_ended(path, content)
                case act.FileEdit(path=path, search=search, replace=replace):
                    content = workspace.edit(path, search, replace)
                    yield events.custom(CustomName.FILE_STARTED, path=path)
                    yield _file_ended(path, content)
                case act.FileDeleted(path=path):
                    workspace.delete(path)
                    yield events.custom(CustomName.FILE_DELETED, path=path)
                case act.FileRenamed(source=source, target=target):
                    content = workspace.rename(source, target)
                    yield events.custom(CustomName.FILE_RENAMED, **{"from": source, "to": target})
                    yield _file_ended(target, content)
                case act.DependencyAdded(name=name, version=version):
                    content = workspace.add_dependency(name, version)
                    yield _file_ended("package.json", content)
                case act.ProjectMeta(title=title, description=description):
                    if title or description:
                        project = await self.store.update_project(
                            project_id, title=title, description=description
                        )
                        yield events.custom(
                            CustomName.PROJECT_UPDATED,
                            title=project.title,
                            description=project.description,
                        )
                case act.ActionRefused(path=path, reason=reason):
                    state.refused.append(reason)
                    yield events.custom(CustomName.ACTION_ERROR, path=path, message=reason)
        except TesseraError as exc:
            path = getattr(action, "path", None)
            state.refused.append(exc.message)
            yield events.custom(CustomName.ACTION_ERROR, path=path, message=exc.message)

    async def _save(
        self,
        project_id: str,
        project_template: str,
        prompt: str,
        state: _TurnState,
        failure: TesseraError | None,
    ) -> AsyncIterator[BaseEvent]:
        """One version for the turn's changes (partial work too), then the assistant message."""
        yield events.step_started(Step.SAVING)
        version_id: int | None = None
        changes = state.workspace.changes
        if changes:
            message = _version_message(prompt, failure)
            version = await self.store.commit_version(
                project_id, changes=changes, message=message, kind="assistant"
            )
            version_id = version.id
            yield events.custom(
                CustomName.VERSION_CREATED,
                id=version.id,
                number=version.number,
                message=version.message,
                kind=version.kind,
            )
        template = detect_app_type(state.workspace.files)
        if state.workspace.files and template != project_template:
            await self.store.update_project(project_id, template=template)
        answer = "".join(state.chat).strip()
        if failure is not None:
            answer = f"{answer}\n\n{failure.message}".strip()
        if answer or version_id is not None:
            await self.store.add_message(
                project_id,
                role="assistant",
                content=answer or "(files updated)",
                version_id=version_id,
            )
        yield events.step_finished(Step.SAVING)

    async def _deploy(self, project_id: str, files: Mapping[str, str]) -> AsyncIterator[BaseEvent]:
        """Deploys, streaming the sandbox's log lines while it starts; ends with the preview
        events, or with a RUN_ERROR event carrying the dev server's last output lines."""
        lines: asyncio.Queue[str] = asyncio.Queue()
        task = asyncio.create_task(
            self.sandboxes.deploy(project_id, files, on_log=lines.put_nowait, wait=True)
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
            await keep_lockfiles(self.store, project_id, deployment)
        except DevServerFailed as exc:
            tail = f"\n{exc.output}" if exc.output else ""
            yield events.run_error(f"The app did not start: {exc.message}{tail}", exc.code)
            return
        except TesseraError as exc:
            yield events.run_error(f"The sandbox failed: {exc.message}", exc.code)
            return
        yield events.custom(
            CustomName.E2B_DEPLOYMENT,
            sandbox_id=deployment.sandbox_id,
            sandbox_url=deployment.sandbox_url,
            status=deployment.status,
            files=deployment.files,
            reload=deployment.reload,
        )
        yield events.custom(
            CustomName.E2B_PREVIEW,
            sandbox_id=deployment.sandbox_id,
            preview_url=deployment.preview_url,
            ready=deployment.status == "ready",
        )
        if deployment.status == "error":
            yield events.run_error(
                f"The app did not start: {deployment.error}", "dev_server_failed"
            )


def _file_ended(path: str, content: str) -> BaseEvent:
    return events.custom(
        CustomName.FILE_ENDED, path=path, size=len(content.encode()), content=content
    )


def _version_message(prompt: str, failure: TesseraError | None) -> str:
    summary = " ".join(prompt.split())
    if len(summary) > 72:
        summary = summary[:69] + "..."
    return f"{summary} (incomplete: {failure.message})" if failure else summary


async def _settle(task: asyncio.Task[None]) -> None:
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
