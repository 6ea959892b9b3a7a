from __future__ import annotations

from tessera.agent.prompts import SYSTEM_PROMPT, build_messages, render_files
from tessera.llm.base import ChatMessage


def test_messages_hold_system_files_history_and_the_request_in_order() -> None:
    history = [ChatMessage("user", f"u{i}") for i in range(30)]
    messages = build_messages(files={"src/App.tsx": "app"}, history=history, prompt="make it green")
    assert messages[0] == ChatMessage("system", SYSTEM_PROMPT)
    assert '<tessera-file path="src/App.tsx">\napp\n</tessera-file>' in messages[1].content
    assert messages[-1] == ChatMessage("user", "make it green")
    assert messages[-2].content == "u29"
    assert len(messages) == 2 + 12 + 1


def test_files_over_the_budget_are_named_not_sent() -> None:
    text = render_files({"a.txt": "x" * 50, "b.txt": "y" * 500}, budget=200)
    assert "x" * 50 in text
    assert "y" * 500 not in text
    assert "Files not shown (too large for the context): b.txt" in text


def test_empty_project_asks_for_a_new_app() -> None:
    assert "empty" in render_files({})
