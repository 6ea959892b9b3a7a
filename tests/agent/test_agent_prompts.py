from __future__ import annotations

from tessera.agent.prompts import (
    CHAT_SYSTEM_PROMPT,
    SYSTEM_PROMPT,
    build_messages,
    edit_failures_prompt,
    fix_errors_prompt,
)
from tessera.llm.base import ChatMessage


def test_messages_hold_system_files_history_and_the_request_in_order() -> None:
    history = [ChatMessage("user", f"u{i}") for i in range(30)]
    prompt = build_messages(files={"src/App.tsx": "app"}, history=history, prompt="make it green")
    messages = prompt.messages
    assert messages[0] == ChatMessage("system", SYSTEM_PROMPT)
    assert '<tessera-file path="src/App.tsx">\napp\n</tessera-file>' in messages[1].content
    assert messages[-1] == ChatMessage("user", "make it green")
    assert messages[-2].content == "u29"
    assert prompt.context.included == ["src/App.tsx"]


def test_old_history_is_condensed_not_dropped() -> None:
    history = [ChatMessage("user", f"request number {i}") for i in range(30)]
    messages = build_messages(files={}, history=history, prompt="next").messages
    joined = "\n".join(m.content for m in messages)
    assert "request number 0" in joined  # summarised
    assert len(messages) < 2 + 30 + 1


def test_files_beyond_the_budget_are_summarised_not_sent() -> None:
    files = {"src/a.ts": "export const a = 1\n", "src/big.ts": "export const b = 2\n" * 20_000}
    prompt = build_messages(files=files, history=[], prompt="x", budget_tokens=8_000)
    assert "src/big.ts" in prompt.context.summarised
    assert "export const b = 2\nexport const b = 2" not in prompt.messages[1].content
    assert "src/a.ts" in prompt.context.included


def test_chat_mode_has_its_own_system_prompt_and_locked_files_are_named() -> None:
    prompt = build_messages(
        files={"src/App.tsx": "x"}, history=[], prompt="why?", mode="chat", locked={"src/App.tsx"}
    )
    assert prompt.messages[0].content == CHAT_SYSTEM_PROMPT
    assert "locked" in prompt.messages[1].content


def test_empty_project_asks_for_a_new_app() -> None:
    assert "empty" in build_messages(files={}, history=[], prompt="x").messages[1].content


def test_repair_prompts_quote_the_failures() -> None:
    first = edit_failures_prompt(["src/a.ts: SEARCH not found"])
    assert "src/a.ts: SEARCH not found" in first and "<tessera-edit>" in first
    second = edit_failures_prompt(["src/a.ts: again"], whole_files={"src/a.ts"})
    assert "complete new content of src/a.ts" in second


def test_fix_prompt_lists_each_error_with_place_and_repeats() -> None:
    text = fix_errors_prompt(
        [
            {
                "source": "browser",
                "message": "x is not defined",
                "file": "src/App.tsx",
                "line": 4,
                "count": 3,
                "detail": "at App (src/App.tsx:4:3)",
            },
            {
                "source": "build",
                "message": "Unexpected token",
                "file": None,
                "line": None,
                "count": 1,
                "detail": None,
            },
        ]
    )
    assert "1. [browser] x is not defined (src/App.tsx:4) (seen 3 times)" in text
    assert "at App (src/App.tsx:4:3)" in text
    assert "2. [build] Unexpected token" in text
