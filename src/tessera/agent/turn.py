"""A run: the user's message → the model's turn → a version → a deployment → a check for
the app's errors → capped autofix turns. Streamed as AG-UI events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from ag_ui.core import BaseEvent

from tessera import events
from tessera.agent.applier import ActionApplier
from tessera.agent.deploying import DeployOutcome, deploy_with_logs
from tessera.agent.generation import Generation
from tessera.agent.prompts import build_messages, enhance_messages, fix_errors_prompt
from tessera.agent.recent import recent_paths
from tessera.agent.workspace import TurnWorkspace
from tessera.diagnostics.model import AppError
from tessera.errors import InvalidInput, TesseraError
from tessera.events import CustomName, Step
from tessera.llm.base import ChatMessage, CompletionRequest, ProjectContext, Provider, StreamEnd
from tessera.llm.models import context_window, max_output_tokens
from tessera.preferences import AgentPreferences
from tessera.protocol import actions as act
from tessera.sandbox.detect import detect_app_type
from tessera.sandbox.manager import SandboxManager
from tessera.store import ProjectRecord, Store

log = logging.getLogger(__name__)

Mode = Literal["build", "chat"]
RunAction = Literal["message", "fix"]

DEFAULT_CHECK_WINDOW = 2.5
"""Seconds to wait after a deploy for the running app (and the preview page) to report
errors before a run is called done."""


FIX_REQUEST_TEXT = "Fix the errors in the console"
"""The user's message of a fix run, as the chat shows it (the web UI uses the same words)."""

PARSE_WAIT = 0.6
"""Seconds a failed deploy waits for the console to finish reading the server's last
report (it completes a report 0.25 s after the output goes quiet)."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    prompt: str = ""
    mode: Mode = "build"
    action: RunAction = "message"
    """"fix": ask the model to fix the app's current errors (``prompt`` adds to it)."""
    active_file: str | None = None
    """The file open in the user's editor: sent to the model first."""


@runtime_checkable
class ProviderSource(Protocol):
    async def for_project(self, project_id: str) -> Provider: ...


class PreferenceSource(Protocol):
    async def for_project(self, project_id: str) -> AgentPreferences: ...


class ErrorSource(Protocol):
    """What the agent needs of ``tessera.diagnostics.Diagnostics``."""

    def errors(self, project_id: str) -> list[AppError]: ...

    def report(self, project_id: str, error: AppError) -> None: ...

    def clear(self, project_id: str) -> None: ...

    # The hub's own deadline, not a cancel scope: hence a timeout parameter.
    async def wait_for_errors(
        self,
        project_id: str,
        *,
        since: float,
        timeout: float,  # noqa: ASYNC109
        settle: float = ...,
    ) -> list[AppError]: ...


class SingleProvider:
    """A ``ProviderSource`` answering every project with one provider."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    async def for_project(self, project_id: str) -> Provider:
        return self.provider


@dataclass
class _TurnOutcome:
    files: dict[str, str] = field(default_factory=dict)
    changed: bool = False
    failure: TesseraError | None = None


class Agent:
    """Runs turns for projects. One run per project at a time (``RunRegistry`` serialises)."""

    def __init__(
        self,
        *,
        store: Store,
        provider: Provider | ProviderSource,
        sandboxes: SandboxManager,
        diagnostics: ErrorSource | None = None,
        preferences: PreferenceSource | None = None,
        check_window: float = DEFAULT_CHECK_WINDOW,
    ) -> None:
        self.store = store
        self.providers: ProviderSource = (
            provider if isinstance(provider, ProviderSource) else SingleProvider(provider)
        )
        self.sandboxes = sandboxes
        self.diagnostics = diagnostics
        self.preferences = preferences
        self.check_window = check_window

    async def run_turn(
        self, project_id: str, prompt: str | RunOptions, run_id: str
    ) -> AsyncIterator[BaseEvent]:
        """The events of one run. ``prompt`` is the user's message or the full options."""
        options = prompt if isinstance(prompt, RunOptions) else RunOptions(prompt=prompt)
        project = await self.store.get_project(project_id)
        yield events.run_started(project_id, run_id)
        preferences = await self._preferences(project_id)
        provider = await self.providers.for_project(project_id)

        request_text, shown = options.prompt, options.prompt
        if options.action == "fix":
            errors = self.diagnostics.errors(project_id) if self.diagnostics else []
            if not errors:
                yield events.run_error(
                    "There are no errors to fix: the app has reported none since it last changed.",
                    InvalidInput.code,
                )
                return
            request_text = fix_errors_prompt([error.to_dict() for error in errors])
            if options.prompt:
                request_text += f"\n\nThe user adds: {options.prompt}"
            shown = FIX_REQUEST_TEXT + (f": {options.prompt}" if options.prompt else "")

        outcome = _TurnOutcome()
        async for event in self._turn(
            project, provider, options, preferences, outcome, request=request_text, shown=shown
        ):
            yield event
        if outcome.failure is not None:
            yield events.run_error(outcome.failure.message, outcome.failure.code)
            return
        if options.mode == "chat":
            yield events.run_finished(project_id, run_id)
            return

        attempts_allowed = preferences.autofix_attempts if preferences.autofix else 0
        attempt = 0
        while True:
            deployed = DeployOutcome()
            fixing = attempt > 0 or options.action == "fix"
            if outcome.changed and self.diagnostics is not None:
                fixing = fixing or bool(self.diagnostics.errors(project_id))
                self.diagnostics.clear(project_id)
            yield events.step_started(Step.DEPLOYING)
            async for event in deploy_with_logs(
                self.sandboxes, self.store, project_id, outcome.files, deployed, reload=fixing
            ):
                yield event
            yield events.step_finished(Step.DEPLOYING)

            errors = await self._deploy_errors(project_id, deployed)
            if not errors and attempts_allowed > 0 and self.diagnostics is not None:
                yield events.step_started(Step.CHECKING)
                errors = await self.diagnostics.wait_for_errors(
                    project_id, since=deployed.started, timeout=self.check_window
                )
                yield events.step_finished(Step.CHECKING)
            if errors:
                yield events.custom(CustomName.APP_ERROR, errors=[e.to_dict() for e in errors])
            if not errors:
                if attempt:
                    yield _autofix(attempt, attempts_allowed, "fixed", [])
                yield events.run_finished(project_id, run_id)
                return
            if attempt >= attempts_allowed:
                if attempt:
                    yield _autofix(attempt, attempts_allowed, "gave_up", errors)
                if deployed.failure is not None:
                    yield events.run_error(deployed.failure, deployed.code)
                else:
                    yield events.run_finished(project_id, run_id)
                return

            attempt += 1
            yield _autofix(attempt, attempts_allowed, "started", errors)
            fix = fix_errors_prompt([error.to_dict() for error in errors])
            outcome = _TurnOutcome()
            async for event in self._turn(
                project,
                provider,
                RunOptions(mode="build", active_file=options.active_file),
                preferences,
                outcome,
                request=fix,
                shown=f"Fix the app's errors automatically (attempt {attempt} of "
                f"{attempts_allowed}).",
            ):
                yield event
            if outcome.failure is not None:
                yield events.run_error(outcome.failure.message, outcome.failure.code)
                return
            if not outcome.changed:
                yield _autofix(attempt, attempts_allowed, "gave_up", errors)
                yield events.custom(
                    CustomName.NOTICE,
                    message="The model changed nothing, so autofix stopped. See the console.",
                )
                if deployed.failure is not None:
                    yield events.run_error(deployed.failure, deployed.code)
                else:
                    yield events.run_finished(project_id, run_id)
                return

    async def enhance(self, project_id: str, prompt: str) -> str:
        """``prompt`` rewritten by the model into a fuller specification."""
        project = await self.store.get_project(project_id)
        if not prompt.strip():
            raise InvalidInput("Write a short request first; Enhance makes it fuller.")
        provider = await self.providers.for_project(project_id)
        files = await self.store.read_files(project_id)
        request = CompletionRequest(
            messages=enhance_messages(prompt, title=project.title, files=files),
            context=ProjectContext(files=files, title=project.title, template=project.template),
            purpose="enhance",
        )
        parts: list[str] = []
        async for item in provider.stream(request):
            if not isinstance(item, StreamEnd):
                parts.append(item.text)
        text = "".join(parts).strip()
        if not text:
            raise InvalidInput("The model returned an empty text; try again.")
        return text

    # --- one model turn ------------------------------------------------------------------
    async def _turn(
        self,
        project: ProjectRecord,
        provider: Provider,
        options: RunOptions,
        preferences: AgentPreferences,
        outcome: _TurnOutcome,
        *,
        request: str,
        shown: str,
    ) -> AsyncIterator[BaseEvent]:
        project_id = project.id
        history = [
            ChatMessage("user" if m.role == "user" else "assistant", m.content)
            for m in await self.store.list_messages(project_id)
        ]
        await self.store.add_message(project_id, role="user", content=shown or request)
        files = await self.store.read_files(project_id)
        early: asyncio.Task[None] | None = None
        if options.mode == "build":
            early = asyncio.create_task(self._start_early(project_id, files))

        model = str(getattr(provider, "model", provider.name))
        budget = context_window(provider.name, model) - max_output_tokens(provider.name, model)
        prompt = build_messages(
            files=files,
            history=history,
            prompt=request,
            budget_tokens=budget,
            mode=options.mode,
            active_file=options.active_file,
            recent=await recent_paths(self.store, project_id),
            locked=preferences.locked_files,
        )
        yield events.custom(
            CustomName.CONTEXT,
            files=prompt.context.included,
            summarised=prompt.context.summarised,
            tokens=prompt.context.tokens,
            budget=budget,
        )
        workspace = TurnWorkspace(
            files,
            locked=preferences.locked_files,
            read_only=options.mode == "chat",
            template=project.template,
        )
        applier = ActionApplier(
            workspace,
            on_meta=lambda meta: self._meta(project_id, meta),
            message_id=uuid.uuid4().hex,
        )
        completion = CompletionRequest(
            messages=prompt.messages,
            context=ProjectContext(files=files, title=project.title, template=project.template),
            purpose=options.mode,
        )
        yield events.step_started(Step.GENERATING)
        try:
            async for event in Generation(provider, completion, applier).run():
                yield event
        except TesseraError as exc:
            outcome.failure = exc
        text_end = applier.text_end()
        if text_end is not None:
            yield text_end
        yield events.step_finished(Step.GENERATING)

        async for event in self._save(project, request, shown, workspace.changes, applier, outcome):
            yield event
        outcome.files = workspace.files
        outcome.changed = bool(workspace.changes)
        if early is not None:
            if outcome.failure is not None:
                early.cancel()
            await _settle(early)

    async def _meta(self, project_id: str, meta: act.ProjectMeta) -> BaseEvent | None:
        if not (meta.title or meta.description):
            return None
        project = await self.store.update_project(
            project_id, title=meta.title, description=meta.description
        )
        return events.custom(
            CustomName.PROJECT_UPDATED, title=project.title, description=project.description
        )

    async def _save(
        self,
        project: ProjectRecord,
        request: str,
        shown: str,
        changes: Mapping[str, str | None],
        applier: ActionApplier,
        outcome: _TurnOutcome,
    ) -> AsyncIterator[BaseEvent]:
        """One version for the turn's changes (partial work too), then the assistant message."""
        yield events.step_started(Step.SAVING)
        version_id: int | None = None
        failure = outcome.failure
        if changes:
            version = await self.store.commit_version(
                project.id,
                changes=dict(changes),
                message=_version_message(shown or request, failure),
                kind="assistant",
            )
            version_id = version.id
            yield events.custom(
                CustomName.VERSION_CREATED,
                id=version.id,
                number=version.number,
                message=version.message,
                kind=version.kind,
            )
        files = applier.workspace.files
        template = detect_app_type(files)
        if files and template != project.template:
            await self.store.update_project(project.id, template=template)
        answer = "".join(applier.chat).strip()
        if failure is not None:
            answer = f"{answer}\n\n{failure.message}".strip()
        if answer or version_id is not None:
            await self.store.add_message(
                project.id,
                role="assistant",
                content=answer or "(files updated)",
                version_id=version_id,
            )
        yield events.step_finished(Step.SAVING)

    # --- helpers -------------------------------------------------------------------------
    async def _preferences(self, project_id: str) -> AgentPreferences:
        if self.preferences is None:
            return AgentPreferences.defaults()
        return await self.preferences.for_project(project_id)

    async def _start_early(self, project_id: str, files: Mapping[str, str]) -> None:
        """Create the sandbox and start its dev server while the model is still writing."""
        try:
            await self.sandboxes.deploy(project_id, files, wait=False)
        except TesseraError as exc:
            log.info("early sandbox start for %s failed: %s", project_id, exc.message)

    async def _deploy_errors(self, project_id: str, deployed: DeployOutcome) -> list[AppError]:
        """A failed deploy's errors: those the console read from the dev server's output
        (a traceback, parsed: file, line, message), else the failure as one error."""
        if deployed.failure is None:
            return []
        if self.diagnostics is not None:
            parsed = await self.diagnostics.wait_for_errors(
                project_id, since=deployed.started, timeout=PARSE_WAIT, settle=0.1
            )
            if parsed:
                return parsed
        error = AppError.create(
            source="server", message=deployed.failure.splitlines()[0], detail=deployed.output
        )
        if self.diagnostics is not None:
            self.diagnostics.report(project_id, error)
        return [error]


def _autofix(attempt: int, limit: int, status: str, errors: Sequence[AppError]) -> BaseEvent:
    return events.custom(
        CustomName.AUTOFIX,
        attempt=attempt,
        max=limit,
        status=status,
        errors=[error.to_dict() for error in errors],
    )


def _version_message(prompt: str, failure: TesseraError | None) -> str:
    summary = " ".join(prompt.split())
    if len(summary) > 72:
        summary = summary[:69] + "..."
    return f"{summary} (incomplete: {failure.message})" if failure else summary


async def _settle(task: asyncio.Task[None]) -> None:
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


__all__ = ["Agent", "RunOptions", "SingleProvider"]
