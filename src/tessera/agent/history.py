"""The chat history a model sees: recent messages verbatim, older ones condensed.

The summary of older messages is built here, by rules, not asked of a model: it is free,
instant and cannot fail or invent anything, and what a model most needs from old turns is
what was asked and which files were touched, which the messages themselves say. The
result is deterministic, so the same history always gives the same prompt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tessera.agent.context import estimate_tokens
from tessera.llm.base import ChatMessage
from tessera.protocol.markup import decode_entities

SUMMARY_HEADING = "Summary of the earlier conversation:"
MESSAGE_OVERHEAD_TOKENS = 4
"""What a message costs beyond its text (role and separators in the provider's format)."""

REQUEST_CHARS = 160
ANSWER_CHARS = 200
SUMMARY_SHARE = 4
"""When some messages will be summarised (older than ``keep_last``, or recent ones that do
not fit), 1/SUMMARY_SHARE of the budget is kept for their summary."""

_FILE_TAG_RE = re.compile(
    r"""<tessera-(?:file|edit)\b[^>]*?\bpath\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I
)
_TAG_BLOCK_RE = re.compile(r"<tessera-(file|edit)\b.*?(?:</tessera-\1\s*>|\Z)", re.S | re.I)
_TAG_RE = re.compile(r"</?tessera-[^>]*>", re.I)
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s")


def message_tokens(message: ChatMessage) -> int:
    """What one message costs in a prompt (estimated)."""
    return estimate_tokens(message.content) + MESSAGE_OVERHEAD_TOKENS


def condense_history(
    history: Sequence[ChatMessage], *, keep_last: int, budget_tokens: int
) -> list[ChatMessage]:
    """The history within ``budget_tokens``: a summary of the older messages, then the
    last ``keep_last`` messages verbatim.

    When the recent messages alone exceed the budget, the oldest of them join the summary;
    the newest message is kept, shortened with a marker when it alone is too long.
    The summary is one system message ("Summary of the earlier conversation:") listing each
    earlier request and what the answer did; the oldest entries go first when it does not
    fit. Every message returned counts ``message_tokens``; their sum is within the budget.
    """
    if budget_tokens <= MESSAGE_OVERHEAD_TOKENS or not history:
        return []
    recent = list(history[-keep_last:]) if keep_last > 0 else []
    older = list(history[: len(history) - len(recent)])
    share = budget_tokens // SUMMARY_SHARE
    kept = _keep_recent(recent, budget_tokens - share if older else budget_tokens)
    if not older and len(kept) < len(recent):  # some recent ones will be summarised after all
        kept = _keep_recent(recent, budget_tokens - share)
    older += recent[: len(recent) - len(kept)]
    used = sum(message_tokens(message) for message in kept)
    summary = summarise(older, budget_tokens - used - MESSAGE_OVERHEAD_TOKENS)
    return ([ChatMessage("system", summary)] if summary else []) + kept


def _keep_recent(recent: list[ChatMessage], budget: int) -> list[ChatMessage]:
    """The newest messages that fit, oldest first; the newest one shortened if needed."""
    kept: list[ChatMessage] = []
    used = 0
    for message in reversed(recent):
        cost = message_tokens(message)
        if used + cost <= budget:
            kept.append(message)
            used += cost
        elif not kept:
            content = shorten(message.content, budget - MESSAGE_OVERHEAD_TOKENS)
            if content:
                kept.append(ChatMessage(message.role, content))
            break
        else:
            break
    kept.reverse()
    return kept


def shorten(text: str, budget_tokens: int) -> str:
    """``text`` cut in the middle to fit ``budget_tokens``, with a marker saying how much
    was left out; its beginning (usually the request or explanation) gets two thirds."""
    if estimate_tokens(text) <= budget_tokens:
        return text
    low, high = 0, len(text)
    best = ""
    while low <= high:  # the most characters kept whose text fits
        middle = (low + high) // 2
        candidate = _cut(text, middle)
        if estimate_tokens(candidate) <= budget_tokens:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def _cut(text: str, keep: int) -> str:
    head = keep * 2 // 3
    tail = keep - head
    marker = f"\n[... {len(text) - keep:,} characters left out to fit the context ...]\n"
    return text[:head] + marker + (text[len(text) - tail :] if tail else "")


# --- the summary -------------------------------------------------------------------------


@dataclass
class _Exchange:
    request: str | None = None
    answer: str | None = None
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts: list[str] = []
        if self.request is not None:
            parts.append(f"- The user asked: {self.request}")
        else:
            parts.append("- (no request)")
        if self.answer:
            parts.append(f"  Tessera answered: {self.answer}")
        if self.files:
            parts.append(f"  Files written: {', '.join(self.files)}")
        parts.extend(f"  Note: {note}" for note in self.notes)
        return "\n".join(parts)


def summarise(messages: Sequence[ChatMessage], budget_tokens: int) -> str:
    """A summary of ``messages`` within ``budget_tokens`` (estimated), or "" when there is
    nothing to summarise or not even its heading fits. Newer exchanges are kept first."""
    if not messages:
        return ""
    lines = [exchange.line() for exchange in _exchanges(messages)]
    chosen: list[str] = []
    used = estimate_tokens(SUMMARY_HEADING)
    for index in range(len(lines) - 1, -1, -1):
        omitted = _omitted_line(index)  # the count of the exchanges older than this one
        cost = estimate_tokens(lines[index]) + 1
        room = estimate_tokens(omitted) + 1 if index else 0
        if used + cost + room > budget_tokens:
            if used + estimate_tokens(_omitted_line(index + 1)) + 1 <= budget_tokens:
                chosen.append(_omitted_line(index + 1))
            elif not chosen:
                return ""
            break
        chosen.append(lines[index])
        used += cost
    chosen.reverse()
    return "\n".join([SUMMARY_HEADING, *chosen])


def _omitted_line(count: int) -> str:
    return f"- ({count} earlier request{'' if count == 1 else 's'} left out)"


def _exchanges(messages: Sequence[ChatMessage]) -> list[_Exchange]:
    """Each user request with the answers that followed it."""
    exchanges: list[_Exchange] = []
    for message in messages:
        if message.role == "user":
            exchanges.append(_Exchange(request=_clip(message.content, REQUEST_CHARS)))
            continue
        if not exchanges:
            exchanges.append(_Exchange())
        current = exchanges[-1]
        if message.role == "system":
            current.notes.append(_clip(message.content, REQUEST_CHARS))
            continue
        answer = first_sentence(message.content)
        if answer and current.answer is None:
            current.answer = answer
        current.files.extend(
            path for path in written_paths(message.content) if path not in current.files
        )
    return exchanges


def written_paths(text: str) -> list[str]:
    """Paths of the ``<tessera-file>`` and ``<tessera-edit>`` tags in ``text``, in order."""
    found = (decode_entities(double or single) for double, single in _FILE_TAG_RE.findall(text))
    return list(dict.fromkeys(path for path in found if path))


def first_sentence(text: str) -> str:
    """The first sentence of an answer's prose (file tags removed), at most
    ``ANSWER_CHARS`` characters."""
    prose = " ".join(_TAG_RE.sub(" ", _TAG_BLOCK_RE.sub(" ", text)).split())
    end = _SENTENCE_END_RE.search(prose)
    return _clip(prose[: end.start()] if end else prose, ANSWER_CHARS)


def _clip(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."
