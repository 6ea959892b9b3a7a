"""Builders for the AG-UI events Tessera emits on a run's SSE stream.

Standard AG-UI events come from ``ag_ui.core``; Tessera's own are ``CUSTOM`` events whose
``name`` is one of ``CustomName`` and whose ``value`` is a JSON object described here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from ag_ui.core import (
    BaseEvent,
    CustomEvent,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
    StepFinishedEvent,
    StepStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
)
from ag_ui.encoder import EventEncoder


class CustomName(StrEnum):
    FILE_STARTED = "file_started"  # {path}
    FILE_DELTA = "file_delta"  # {path, delta}
    FILE_ENDED = "file_ended"  # {path, size}
    FILE_DELETED = "file_deleted"  # {path}
    FILE_RENAMED = "file_renamed"  # {from, to}
    ACTION_ERROR = "action_error"  # {path, message}: one refused action; the run goes on
    PROJECT_UPDATED = "project_updated"  # {title, description}
    VERSION_CREATED = "version_created"  # {id, number, message, kind}
    E2B_DEPLOYMENT = "e2b_deployment"  # {sandbox_id, sandbox_url, status, files}
    E2B_PREVIEW = "e2b_preview"  # {sandbox_id, preview_url, ready}
    SANDBOX_LOG = "sandbox_log"  # {line}
    USAGE = "usage"  # {input_tokens, output_tokens, provider, model, cost_usd (None: unknown)}
    CONTEXT = "context"  # {files, summarised, tokens, budget}: what the model was sent
    NOTICE = "notice"  # {message}: the agent tells the user what it does (continuing, retrying)
    APP_ERROR = "app_error"  # {errors: [AppError.to_dict()]}: the running app's errors
    AUTOFIX = "autofix"  # {attempt, max, status: "started"|"gave_up"|"fixed", errors}


class Step(StrEnum):
    GENERATING = "generating"
    SAVING = "saving"
    DEPLOYING = "deploying"
    CHECKING = "checking"  # waiting briefly for the running app to report errors


def encoder() -> EventEncoder:
    return EventEncoder()


def encode(event: BaseEvent) -> str:
    return str(EventEncoder().encode(event))


def run_started(thread_id: str, run_id: str) -> RunStartedEvent:
    return RunStartedEvent(thread_id=thread_id, run_id=run_id)


def run_finished(thread_id: str, run_id: str) -> RunFinishedEvent:
    return RunFinishedEvent(thread_id=thread_id, run_id=run_id)


def run_error(message: str, code: str | None = None) -> RunErrorEvent:
    return RunErrorEvent(message=message, code=code)


def step_started(step: Step) -> StepStartedEvent:
    return StepStartedEvent(step_name=step.value)


def step_finished(step: Step) -> StepFinishedEvent:
    return StepFinishedEvent(step_name=step.value)


def text_start(message_id: str) -> TextMessageStartEvent:
    return TextMessageStartEvent(message_id=message_id, role="assistant")


def text_content(message_id: str, delta: str) -> TextMessageContentEvent:
    return TextMessageContentEvent(message_id=message_id, delta=delta)


def text_end(message_id: str) -> TextMessageEndEvent:
    return TextMessageEndEvent(message_id=message_id)


def custom(name: CustomName, **value: Any) -> CustomEvent:
    return CustomEvent(name=name.value, value=value)
