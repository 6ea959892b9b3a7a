"""The prompt a model sees: the output format, the project's files, recent chat."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tessera.llm.base import ChatMessage
from tessera.protocol.format import render_file

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
<tessera-delete path="src/old.css"/>
<tessera-rename from="src/a.tsx" to="src/b.tsx"/>
<tessera-dependency name="zustand" version="^5"/>

Paths are relative to the project root. Never write into node_modules/ or .git/.
Text outside tags is shown to the user in the chat.
"""

HISTORY_MESSAGES = 12
CONTEXT_CHAR_BUDGET = 120_000


def render_files(files: Mapping[str, str], budget: int = CONTEXT_CHAR_BUDGET) -> str:
    """The project's files as the model should read them, within a character budget.

    Files that do not fit are listed by name so the model knows they exist.
    """
    if not files:
        return "The project is empty: write a complete new app."
    parts: list[str] = ["The project's current files:"]
    left_out: list[str] = []
    used = 0
    for path in sorted(files):
        content = files[path]
        block = render_file(path, content)
        if used + len(block) > budget:
            left_out.append(path)
            continue
        parts.append(block)
        used += len(block)
    if left_out:
        parts.append("Files not shown (too large for the context): " + ", ".join(left_out))
    return "\n".join(parts)


def build_messages(
    *, files: Mapping[str, str], history: Sequence[ChatMessage], prompt: str
) -> list[ChatMessage]:
    """System prompt, the files, the recent conversation, then the new request."""
    messages = [ChatMessage("system", SYSTEM_PROMPT), ChatMessage("system", render_files(files))]
    messages.extend(history[-HISTORY_MESSAGES:])
    messages.append(ChatMessage("user", prompt))
    return messages
