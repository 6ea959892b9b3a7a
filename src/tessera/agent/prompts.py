"""The prompts a model sees: the output format, the project's files, the conversation, and
the follow-up requests the agent makes by itself (continue, correct an edit, fix errors)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from tessera.agent.context import ContextSelection, estimate_tokens, select_context
from tessera.agent.history import condense_history
from tessera.llm.base import ChatMessage

SYSTEM_PROMPT = """\
You are Tessera, an expert full-stack engineer who builds small, complete, runnable web apps.
The user describes an app or a change; you answer in a few friendly sentences and write the code.

Tessera runs three kinds of app; the files decide which:
- React (default): a Vite + React + TypeScript project (package.json, vite.config.ts,
  index.html, src/main.tsx, src/App.tsx, src/App.css, ...) served by a Vite dev server.
  Keep vite.config.ts's `server: { allowedHosts: true }`.
- Python: a Flask app (app.py defining `app`, requirements.txt, templates/, static/), for
  requests that ask for Python or Flask. Tessera runs it with `flask --app app run`.
- Full stack: the React front end plus a Flask API in api/ (api/app.py, api/requirements.txt,
  a SQLite database file such as api/data.db); the front end calls `/api/...`, which the
  Vite dev server forwards to the API. Use it when the user wants a backend or a database.
Use only react and react-dom (and flask) unless the user asks for a library; style the app
with plain CSS and CSS variables (an `--accent` colour for buttons and highlights).

Write files with tags, never with markdown fences:
<tessera-meta title="Short app title" description="One sentence" category="productivity"/>
<tessera-file path="src/App.tsx">
...the whole file...
</tessera-file>
To change an existing file, prefer precise edits over rewriting it:
<tessera-edit path="src/App.tsx">
<<<<<<< SEARCH
exact lines from the current file
=======
the new lines
>>>>>>> REPLACE
</tessera-edit>
(a unified diff of one file is accepted too: <tessera-diff path="src/App.tsx">--- a/src/App.tsx
+++ b/src/App.tsx
@@ ... @@ hunks with a few context lines</tessera-diff>)
<tessera-delete path="src/old.css"/>
<tessera-rename from="src/a.tsx" to="src/b.tsx"/>
<tessera-dependency name="zustand" version="^5"/>   (npm; add manager="pip" for Python packages)

Rules for edits: SEARCH must copy a few whole lines of the current file exactly (enough to
be unique); use several small blocks rather than one large one. When you write a whole
file, write all of it: never stand for code with a comment such as "// ... rest of the
code" — such files are refused. Never change a file the user has locked.
Paths are relative to the project root. Never write into node_modules/ or .git/.
Text outside tags is shown to the user in the chat.
"""

CHAT_SYSTEM_PROMPT = """\
You are Tessera, an expert full-stack engineer. The user asks about the app you are building
together: explain, suggest, plan, answer questions about its code. This is chat mode: do
NOT write, edit, delete or rename files and do not use any <tessera-...> tags; show short
code snippets in markdown when they help. If the user wants a change made, describe it and
tell them to switch to Build mode to apply it.
"""

ENHANCE_SYSTEM_PROMPT = """\
You turn a short request for a web app (or for a change to one) into a clear, complete
specification that a developer can build from in one go: the app's purpose, its screens and
components, the data it keeps and where (localStorage, or a Flask API with SQLite when a
backend is asked for), interactions, empty and error states, and the visual style (plain
CSS, one accent colour, responsive). Keep every wish of the user; add what a user would
expect; do not invent external services or API keys. Answer with the specification only,
in plain prose and short bullet lists, at most about 200 words, written as the user's
request ("Build a ..."). No code, no tags, no preamble.
"""

CONTINUE_PROMPT = (
    "Your answer was cut off by the output limit. Continue exactly where it stopped, "
    "character for character, without repeating anything and without any preamble; "
    "finish the file or tag you were writing."
)

HISTORY_KEEP_LAST = 8
HISTORY_SHARE = 0.15
"""Of the input budget, what the conversation may take (the files get the rest)."""
RESERVED_TOKENS = 1_500
"""Room kept for the system prompt, the request and the model's formatting."""


@dataclass(frozen=True, slots=True)
class Prompt:
    """The messages to send and what was selected into them (for the ``context`` event)."""

    messages: list[ChatMessage]
    context: ContextSelection
    budget: int


def build_messages(
    *,
    files: Mapping[str, str],
    history: Sequence[ChatMessage],
    prompt: str,
    budget_tokens: int = 100_000,
    mode: str = "build",
    active_file: str | None = None,
    recent: Sequence[str] = (),
    locked: Collection[str] = (),
) -> Prompt:
    """System prompt, the selected files, the (condensed) conversation, then the request.

    ``budget_tokens`` is what the model's context leaves for input once its answer has
    room; files and history share it (history at most ``HISTORY_SHARE`` of it).
    """
    system = CHAT_SYSTEM_PROMPT if mode == "chat" else SYSTEM_PROMPT
    available = max(
        1_000, budget_tokens - estimate_tokens(system) - estimate_tokens(prompt) - RESERVED_TOKENS
    )
    condensed = condense_history(
        history, keep_last=HISTORY_KEEP_LAST, budget_tokens=int(available * HISTORY_SHARE)
    )
    used_by_history = sum(estimate_tokens(m.content) for m in condensed)
    selection = select_context(
        files,
        prompt=prompt,
        budget_tokens=max(500, available - used_by_history),
        active_file=active_file,
        recent=recent,
        locked=locked,
    )
    messages = [ChatMessage("system", system), ChatMessage("system", selection.text)]
    messages.extend(condensed)
    messages.append(ChatMessage("user", prompt))
    return Prompt(messages=messages, context=selection, budget=budget_tokens)


def enhance_messages(
    prompt: str, *, title: str | None, files: Mapping[str, str]
) -> list[ChatMessage]:
    """Messages asking the model to rewrite ``prompt`` into a fuller specification."""
    about = (
        "The project is empty."
        if not files
        else (
            f"The project already has an app{f' ({title})' if title else ''} with the files "
            + ", ".join(sorted(files)[:30])
            + "; the request is a change to it."
        )
    )
    return [
        ChatMessage("system", ENHANCE_SYSTEM_PROMPT),
        ChatMessage("system", about),
        ChatMessage("user", prompt),
    ]


def edit_failures_prompt(failures: Sequence[str], *, whole_files: Collection[str] = ()) -> str:
    """The follow-up asking the model to redo edits that could not be applied.

    The first time, the model gets the errors (which quote what was not found) and is asked
    for corrected edits; when ``whole_files`` is given, for those files whole instead.
    """
    listed = "\n".join(f"- {failure}" for failure in failures)
    if whole_files:
        names = ", ".join(sorted(whole_files))
        return (
            "These changes still could not be applied:\n"
            f"{listed}\n"
            f"Send the complete new content of {names}, each in one "
            '<tessera-file path="..."> tag (the whole file, no placeholders). Change nothing '
            "else and do not repeat the changes that were applied."
        )
    return (
        "Some of your changes could not be applied, so they are NOT in the project:\n"
        f"{listed}\n"
        "Send corrected <tessera-edit> blocks for just these changes, with SEARCH lines "
        "copied exactly from the current file shown above. Do not repeat the changes that "
        "were applied."
    )


def fix_errors_prompt(errors: Sequence[Mapping[str, object]]) -> str:
    """The request of a fix turn: the app's current errors, each once, with its details."""
    lines = ["The app has these errors. Find their cause and fix them with minimal edits:"]
    for number, error in enumerate(errors, start=1):
        where = ""
        if error.get("file"):
            where = f" ({error['file']}" + (f":{error['line']}" if error.get("line") else "") + ")"
        count = error.get("count")
        repeated = f" (seen {count} times)" if isinstance(count, int) and count > 1 else ""
        lines.append(f"{number}. [{error.get('source')}] {error.get('message')}{where}{repeated}")
        detail = error.get("detail")
        if isinstance(detail, str) and detail.strip():
            lines.append("   " + _excerpt(detail).replace("\n", "\n   "))
    return "\n".join(lines)


DETAIL_HEAD_LINES = 6
DETAIL_TAIL_LINES = 24


def _excerpt(detail: str) -> str:
    """A long detail's first lines (a code frame's place) and last lines (a traceback's
    cause), without the middle."""
    lines = detail.strip().splitlines()
    if len(lines) <= DETAIL_HEAD_LINES + DETAIL_TAIL_LINES:
        return "\n".join(lines)
    skipped = len(lines) - DETAIL_HEAD_LINES - DETAIL_TAIL_LINES
    return "\n".join(
        [*lines[:DETAIL_HEAD_LINES], f"... ({skipped} lines)", *lines[-DETAIL_TAIL_LINES:]]
    )
