"""One turn's conversation with the model, as AG-UI events.

A turn is one request, plus the follow-ups the agent makes on its own:

- continuations: an answer cut off by the model's output limit is continued where it
  stopped (at most ``MAX_CONTINUATIONS`` times), fed to the same parser, so a file cut in
  the middle is completed, not lost;
- repairs: edits that could not be placed are reported back to the model once with the
  reasons; those still failing are then asked for as whole files (``MAX_REPAIRS`` rounds).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

from ag_ui.core import BaseEvent

from tessera import events
from tessera.agent.applier import ActionApplier
from tessera.agent.prompts import CONTINUE_PROMPT, edit_failures_prompt
from tessera.errors import ProviderStreamBroken
from tessera.events import CustomName
from tessera.llm.base import ChatMessage, CompletionRequest, Provider, StreamEnd
from tessera.llm.pricing import estimate_cost
from tessera.protocol.format import render_file
from tessera.protocol.parser import StreamParser

MAX_CONTINUATIONS = 2
MAX_REPAIRS = 2


class Generation:
    """Streams ``request`` (and its follow-ups) from ``provider`` into ``applier``."""

    def __init__(self, provider: Provider, request: CompletionRequest, applier: ActionApplier):
        self.provider = provider
        self.request = request
        self.applier = applier
        self.model = request.model or str(getattr(provider, "model", provider.name))

    async def run(self) -> AsyncIterator[BaseEvent]:
        messages = list(self.request.messages)
        whole_files: set[str] = set()
        for repair in range(MAX_REPAIRS + 1):
            self.applier.start_round()
            output: list[str] = []
            async for event in self._answer(messages, output):
                yield event
            failures = self.applier.failures
            if not failures or repair == MAX_REPAIRS:
                return
            paths = sorted({failure.path for failure in failures})
            if repair == 1:
                whole_files = set(paths)
            yield events.custom(
                CustomName.NOTICE,
                message=(
                    f"{len(failures)} change(s) to {', '.join(paths)} could not be applied; "
                    + (
                        "asking the model for the whole file."
                        if whole_files
                        else "asking the model to correct them."
                    )
                ),
            )
            current = "\n".join(
                render_file(path, self.applier.workspace.files[path])
                for path in paths
                if path in self.applier.workspace.files
            )
            follow_up = edit_failures_prompt(
                [f"{f.path}: {f.message}" for f in failures], whole_files=whole_files
            )
            if current:
                follow_up += "\n\nThe current content of these files:\n" + current
            messages = [
                *messages,
                ChatMessage("assistant", "".join(output)),
                ChatMessage("user", follow_up),
            ]

    async def _answer(
        self, messages: list[ChatMessage], output: list[str]
    ) -> AsyncIterator[BaseEvent]:
        """One answer, continued while it stops at the output limit; parsed as it comes."""
        parser = StreamParser()
        base = list(messages)
        for continuation in range(MAX_CONTINUATIONS + 1):
            end: StreamEnd | None = None
            request = replace(self.request, messages=messages)
            async for item in self.provider.stream(request):
                if isinstance(item, StreamEnd):
                    end = item
                    continue
                output.append(item.text)
                for action in parser.feed(item.text):
                    async for event in self.applier.apply(action):
                        yield event
            if end is None:
                for action in parser.close():
                    async for event in self.applier.apply(action):
                        yield event
                raise ProviderStreamBroken("The model's answer broke off before it was complete.")
            if end.usage is not None:
                yield events.custom(
                    CustomName.USAGE,
                    input_tokens=end.usage.input_tokens,
                    output_tokens=end.usage.output_tokens,
                    provider=self.provider.name,
                    model=self.model,
                    cost_usd=estimate_cost(
                        self.provider.name,
                        self.model,
                        end.usage,
                        base_url=getattr(self.provider, "base_url", None),
                    ),
                )
            if end.finish_reason != "length":
                break
            if continuation == MAX_CONTINUATIONS:
                message = (
                    f"The model reached its output limit {MAX_CONTINUATIONS + 1} times; "
                    "the answer is incomplete."
                )
                self.applier.refused.append(message)
                yield events.custom(CustomName.NOTICE, message=message)
                break
            yield events.custom(
                CustomName.NOTICE,
                message=(
                    "The model reached its output limit; continuing "
                    f"({continuation + 1}/{MAX_CONTINUATIONS})."
                ),
            )
            messages = [
                *base,
                ChatMessage("assistant", "".join(output)),
                ChatMessage("user", CONTINUE_PROMPT),
            ]
        for action in parser.close():
            async for event in self.applier.apply(action):
                yield event
