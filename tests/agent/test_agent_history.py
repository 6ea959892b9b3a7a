from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tessera.agent.history import (
    MESSAGE_OVERHEAD_TOKENS,
    SUMMARY_HEADING,
    condense_history,
    first_sentence,
    message_tokens,
    shorten,
    summarise,
    written_paths,
)
from tessera.llm.base import ChatMessage


def user(text: str) -> ChatMessage:
    return ChatMessage("user", text)


def assistant(text: str) -> ChatMessage:
    return ChatMessage("assistant", text)


def conversation(turns: int) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    for turn in range(turns):
        messages.append(user(f"Request number {turn}: make the list sortable by date."))
        messages.append(
            assistant(
                f"Answer {turn} done. I added a sort button.\n"
                f'<tessera-file path="src/Sort{turn}.tsx">\nexport {{}}\n</tessera-file>'
            )
        )
    return messages


def total(messages: list[ChatMessage]) -> int:
    return sum(message_tokens(message) for message in messages)


def test_a_short_history_is_kept_as_it_is() -> None:
    history = conversation(2)
    assert condense_history(history, keep_last=4, budget_tokens=10_000) == history
    assert condense_history([], keep_last=4, budget_tokens=10_000) == []


def test_older_messages_become_one_summary_before_the_recent_ones() -> None:
    history = conversation(5)
    condensed = condense_history(history, keep_last=4, budget_tokens=10_000)
    assert condensed[1:] == history[-4:]
    summary = condensed[0]
    assert summary.role == "system"
    assert summary.content.splitlines()[0] == SUMMARY_HEADING
    for turn in range(3):
        assert f"- The user asked: Request number {turn}: make the list sortable" in summary.content
        assert f"Tessera answered: Answer {turn} done." in summary.content
        assert f"Files written: src/Sort{turn}.tsx" in summary.content
    assert "Request number 3" not in summary.content
    assert "I added a sort button" not in summary.content  # only the first sentence


def test_long_requests_are_clipped() -> None:
    history = [user("word " * 100), assistant("Sure."), user("next"), assistant("ok")]
    summary = condense_history(history, keep_last=2, budget_tokens=10_000)[0].content
    request = summary.splitlines()[1]
    assert request.startswith("- The user asked: word word")
    assert request.endswith("...")
    assert len(request.removeprefix("- The user asked: ")) <= 160


def test_written_paths_come_from_file_and_edit_tags() -> None:
    text = (
        "Done!\n<tessera-file path='src/a.tsx'>x</tessera-file>\n"
        '<tessera-edit path="src/b&amp;c.css">\n</tessera-edit>\n'
        '<tessera-file path="src/a.tsx">y</tessera-file><tessera-delete path="gone.ts"/>'
    )
    assert written_paths(text) == ["src/a.tsx", "src/b&c.css"]


def test_the_first_sentence_skips_code_and_tags() -> None:
    text = '<tessera-file path="a.ts">const a = 1. b</tessera-file>\n  Made it   green! Also x.'
    assert first_sentence(text) == "Made it green!"
    assert first_sentence("no full stop here") == "no full stop here"
    assert len(first_sentence("long " * 100)) == 200


def test_recent_messages_over_the_budget_join_the_summary() -> None:
    history = [user("a" * 400), assistant("b" * 400), user("c" * 400), assistant("d" * 400)]
    condensed = condense_history(history, keep_last=4, budget_tokens=400)
    assert total(condensed) <= 400
    assert condensed[1:] == history[-2:]
    assert condensed[0].role == "system"
    assert "The user asked: aaaa" in condensed[0].content
    assert "Tessera answered: bbbb" in condensed[0].content


def test_a_single_huge_message_is_shortened_with_a_marker() -> None:
    huge = "start " + "x" * 20_000 + " end"
    condensed = condense_history([user(huge)], keep_last=6, budget_tokens=500)
    assert len(condensed) == 1
    content = condensed[0].content
    assert content.startswith("start x")
    assert content.endswith("x end")
    assert "characters left out to fit the context" in content
    assert total(condensed) <= 500
    assert total(condensed) >= 450  # it uses the room it has


def test_shorten_keeps_text_that_fits_and_cuts_what_does_not() -> None:
    assert shorten("short", 100) == "short"
    cut = shorten("y" * 10_000, 200)
    assert "left out" in cut
    assert len(cut) < 1000
    assert shorten("y" * 10_000, 3) == ""


def test_the_summary_keeps_the_newest_requests_when_too_long() -> None:
    history = conversation(40)
    summary = summarise(history, budget_tokens=300)
    assert summary.startswith(SUMMARY_HEADING)
    assert "Request number 39" in summary
    assert "Request number 0:" not in summary
    lines = summary.splitlines()
    assert lines[1].startswith("- (") and lines[1].endswith("earlier requests left out)")
    kept = sum("The user asked" in line for line in lines)
    assert lines[1] == f"- ({40 - kept} earlier requests left out)"


def test_no_summary_when_not_even_its_heading_fits() -> None:
    assert summarise(conversation(3), budget_tokens=5) == ""
    assert summarise([], budget_tokens=1000) == ""


def test_answers_without_a_request_and_system_notes_are_summarised() -> None:
    history = [
        assistant("Welcome. Ask me anything."),
        ChatMessage("system", "The app was deployed."),
        user("thanks"),
    ]
    summary = summarise(history, 1000)
    assert "- (no request)\n  Tessera answered: Welcome.\n  Note: The app was deployed." in summary
    assert summary.endswith("- The user asked: thanks")


def test_keep_last_zero_summarises_everything() -> None:
    history = conversation(3)
    condensed = condense_history(history, keep_last=0, budget_tokens=2000)
    assert len(condensed) == 1
    assert "Request number 2" in condensed[0].content


def test_condensing_is_deterministic() -> None:
    history = conversation(12)
    first = condense_history(history, keep_last=6, budget_tokens=600)
    assert first == condense_history(list(history), keep_last=6, budget_tokens=600)
    assert first[0].role == "system"


_MESSAGE = st.builds(
    ChatMessage,
    st.sampled_from(["user", "assistant", "system"]),
    st.one_of(
        st.text(max_size=300),
        st.builds(
            lambda text, count: text * count, st.text(min_size=1, max_size=20), st.integers(1, 2000)
        ),
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    history=st.lists(_MESSAGE, max_size=30),
    keep_last=st.integers(0, 20),
    budget=st.integers(0, 5000),
)
def test_the_condensed_history_never_exceeds_the_budget(
    history: list[ChatMessage], keep_last: int, budget: int
) -> None:
    condensed = condense_history(history, keep_last=keep_last, budget_tokens=budget)
    assert total(condensed) <= budget
    summaries = [m for m in condensed if m.content.startswith(SUMMARY_HEADING)]
    kept = condensed[len(summaries) :]
    assert len(kept) <= keep_last
    # Kept messages are the newest ones, in order; only the newest may be shortened.
    if kept:
        assert kept[:-1] == history[len(history) - len(kept) : -1]
        if kept[-1] != history[-1]:
            assert "left out to fit the context" in kept[-1].content
    if budget >= 2000 and history and keep_last and total(history[-1:]) < budget // 2:
        assert kept and kept[-1] == history[-1]


def test_message_cost_counts_its_overhead() -> None:
    assert message_tokens(user("")) == MESSAGE_OVERHEAD_TOKENS
    assert message_tokens(user("x" * 35)) == MESSAGE_OVERHEAD_TOKENS + 10
