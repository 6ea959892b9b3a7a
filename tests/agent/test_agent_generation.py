from __future__ import annotations

from typing import Any

from ag_ui.core import BaseEvent, CustomEvent

from tessera.agent.applier import ActionApplier
from tessera.agent.generation import MAX_CONTINUATIONS, Generation
from tessera.agent.prompts import CONTINUE_PROMPT
from tessera.agent.workspace import TurnWorkspace
from tessera.llm.base import ChatMessage, CompletionRequest
from tessera.protocol.actions import ProjectMeta
from tests.agent.agent_support import Answer, SequenceProvider


async def _no_meta(_: ProjectMeta) -> None:
    return None


async def _run(
    provider: SequenceProvider, files: dict[str, str]
) -> tuple[ActionApplier, list[BaseEvent]]:
    applier = ActionApplier(TurnWorkspace(files), on_meta=_no_meta, message_id="m1")
    request = CompletionRequest(messages=[ChatMessage("user", "do it")])
    seen = [event async for event in Generation(provider, request, applier).run()]
    return applier, seen


def _custom(seen: list[BaseEvent], name: str) -> list[dict[str, Any]]:
    return [e.value for e in seen if isinstance(e, CustomEvent) and e.name == name]


async def test_an_answer_cut_at_the_output_limit_is_continued_into_the_same_file() -> None:
    provider = SequenceProvider(
        Answer('Here it is.\n<tessera-file path="src/App.tsx">\nline one\nline t', "length"),
        Answer("wo\nline three\n</tessera-file>\nDone."),
    )
    applier, seen = await _run(provider, {})
    assert applier.workspace.files["src/App.tsx"] == "line one\nline two\nline three"
    second = provider.requests[1].messages
    assert second[-1] == ChatMessage("user", CONTINUE_PROMPT)
    assert second[-2].role == "assistant"
    assert second[-2].content.endswith("line t")
    assert any("continuing (1/2)" in n["message"] for n in _custom(seen, "notice"))
    assert len(_custom(seen, "usage")) == 2


async def test_continuations_are_bounded() -> None:
    answers = [Answer('<tessera-file path="a.txt">\nxx', "length")] + [
        Answer("yy", "length") for _ in range(MAX_CONTINUATIONS)
    ]
    provider = SequenceProvider(*answers)
    applier, _ = await _run(provider, {})
    assert len(provider.requests) == MAX_CONTINUATIONS + 1
    assert any("output limit" in r for r in applier.refused)
    assert "a.txt" not in applier.workspace.changes or applier.workspace.files["a.txt"]


async def test_a_failed_edit_is_reported_back_once_then_the_whole_file_is_asked_for() -> None:
    files = {"src/App.tsx": "function App() {\n  return <h1>Hello</h1>\n}\n"}
    wrong = (
        '<tessera-edit path="src/App.tsx">\n<<<<<<< SEARCH\nreturn <h2>Nope, not here at all</h2>\n'
        "=======\nreturn <h2>Bye</h2>\n>>>>>>> REPLACE\n</tessera-edit>"
    )
    whole = (
        '<tessera-file path="src/App.tsx">\n'
        "function App() {\n  return <h1>Bye</h1>\n}\n</tessera-file>"
    )
    provider = SequenceProvider(Answer(wrong), Answer(wrong), Answer(whole))
    applier, seen = await _run(provider, files)
    assert applier.workspace.files["src/App.tsx"] == "function App() {\n  return <h1>Bye</h1>\n}"
    first_repair = provider.requests[1].messages[-1].content
    assert "could not be applied" in first_repair
    assert "<tessera-edit>" in first_repair
    assert "function App()" in first_repair  # the current file is shown again
    second_repair = provider.requests[2].messages[-1].content
    assert "complete new content of src/App.tsx" in second_repair
    notices = [n["message"] for n in _custom(seen, "notice")]
    assert any("correct them" in n for n in notices)
    assert any("whole file" in n for n in notices)


async def test_repairs_stop_after_the_last_round() -> None:
    files = {"a.txt": "alpha\n"}
    wrong = (
        '<tessera-edit path="a.txt">\n<<<<<<< SEARCH\nzzzz qqqq\n=======\nb\n'
        ">>>>>>> REPLACE\n</tessera-edit>"
    )
    provider = SequenceProvider(wrong, wrong, wrong)
    applier, _ = await _run(provider, files)
    assert len(provider.requests) == 3
    assert applier.workspace.files == files
    assert applier.failures


async def test_an_oversized_file_streams_no_further_and_is_refused() -> None:
    body = "x" * 1_200_000
    provider = SequenceProvider(
        f'<tessera-file path="big.txt">\n{body}\n</tessera-file>ok', chunk=50_000
    )
    applier, seen = await _run(provider, {"small.txt": "s"})
    deltas = sum(len(d["delta"]) for d in _custom(seen, "file_delta"))
    assert deltas <= 1_000_000
    assert "big.txt" not in applier.workspace.files
    assert any("MB" in e["message"] for e in _custom(seen, "action_error"))
    assert applier.workspace.files == {"small.txt": "s"}
