"""Applying the parser's actions to a turn's workspace, as AG-UI events.

A refused action never ends the turn: it becomes an ``action_error`` event and the rest of
the answer goes on. Edits that could not be placed are remembered (``failures``) so the
turn can ask the model to correct them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from ag_ui.core import BaseEvent

from tessera import events
from tessera.agent.workspace import MAX_FILE_BYTES, TurnWorkspace
from tessera.errors import EditNotApplied, TesseraError
from tessera.events import CustomName
from tessera.protocol import actions as act

MetaHandler = Callable[[act.ProjectMeta], Awaitable[BaseEvent | None]]


@dataclass(frozen=True, slots=True)
class EditFailure:
    path: str
    message: str


@dataclass
class ActionApplier:
    """Applies actions to ``workspace``; chat text goes to the message ``message_id``."""

    workspace: TurnWorkspace
    on_meta: MetaHandler
    message_id: str
    chat: list[str] = field(default_factory=list)
    text_started: bool = False
    refused: list[str] = field(default_factory=list)
    failures: list[EditFailure] = field(default_factory=list)
    _streamed: dict[str, int] = field(default_factory=dict)
    _oversized: set[str] = field(default_factory=set)

    def start_round(self) -> None:
        """A new request to the model: its edit failures are counted afresh."""
        self.failures = []

    async def apply(self, action: act.Action) -> AsyncIterator[BaseEvent]:
        try:
            async for event in self._apply(action):
                yield event
        except EditNotApplied as exc:
            path = exc.path or getattr(action, "path", None) or "?"
            self.failures.append(EditFailure(path, exc.message))
            self.refused.append(exc.message)
            yield events.custom(CustomName.ACTION_ERROR, path=path, message=exc.message)
        except TesseraError as exc:
            path = getattr(action, "path", None) or getattr(action, "source", None)
            self.refused.append(exc.message)
            yield events.custom(CustomName.ACTION_ERROR, path=path, message=exc.message)

    def text_end(self) -> BaseEvent | None:
        if not self.text_started:
            return None
        self.text_started = False
        return events.text_end(self.message_id)

    async def _apply(self, action: act.Action) -> AsyncIterator[BaseEvent]:
        workspace = self.workspace
        match action:
            case act.ChatText(text=text):
                if not self.text_started:
                    self.text_started = True
                    yield events.text_start(self.message_id)
                self.chat.append(text)
                yield events.text_content(self.message_id, text)
            case act.FileStarted(path=path):
                self._streamed[path] = 0
                self._oversized.discard(path)
                if not workspace.read_only:
                    yield events.custom(CustomName.FILE_STARTED, path=path)
            case act.FileDelta(path=path, delta=delta):
                if workspace.read_only or path in self._oversized:
                    return
                self._streamed[path] = self._streamed.get(path, 0) + len(delta)
                if self._streamed[path] > MAX_FILE_BYTES:
                    self._oversized.add(path)
                    return
                yield events.custom(CustomName.FILE_DELTA, path=path, delta=delta)
            case act.FileEnded(path=path, content=content):
                workspace.write(path, content)
                yield _file_ended(path, content)
            case act.FileEdit(path=path, search=search, replace=replace):
                content = workspace.edit(path, search, replace)
                yield events.custom(CustomName.FILE_STARTED, path=path)
                yield _file_ended(path, content)
            case act.FilePatch(path=path, patch=patch):
                content = workspace.patch(path, patch)
                yield events.custom(CustomName.FILE_STARTED, path=path)
                yield _file_ended(path, content)
            case act.FileDeleted(path=path):
                workspace.delete(path)
                yield events.custom(CustomName.FILE_DELETED, path=path)
            case act.FileRenamed(source=source, target=target):
                content = workspace.rename(source, target)
                yield events.custom(CustomName.FILE_RENAMED, **{"from": source, "to": target})
                yield _file_ended(target, content)
            case act.DependencyAdded(name=name, version=version, manager=manager):
                manifest = workspace.add_dependency(name, version, manager)
                yield _file_ended(manifest, workspace.files[manifest])
            case act.ProjectMeta():
                if not workspace.read_only:
                    event = await self.on_meta(action)
                    if event is not None:
                        yield event
            case act.ActionRefused(path=path, reason=reason):
                self.refused.append(reason)
                yield events.custom(CustomName.ACTION_ERROR, path=path, message=reason)


def _file_ended(path: str, content: str) -> BaseEvent:
    return events.custom(
        CustomName.FILE_ENDED, path=path, size=len(content.encode()), content=content
    )
