"""The offline demo model: writes a few small apps, and edits them, with no network.

It is what Tessera uses when no model is configured, so that the whole experience (code
streaming into the editor, the app running in the preview, follow-up changes) works out
of the box. It understands keywords, not prose; everything it understands is below.

New apps (when the project has no app the offline model wrote, any message naming a
kind; when it has one, only a request like "build / create / make / write ... a <kind>",
which replaces it and deletes the files of the old app that the new one lacks; the react
template's starter ``src/index.css`` is deleted too):

- todo list: "todo", "to-do", "task list", "checklist", "shopping list", "grocery list"
- kanban board: "kanban", "board", "trello", "scrum"
- stopwatch and countdown timer: "stopwatch", "timer", "countdown", "pomodoro"
  ("timer" and "countdown" open the countdown tab first)
- calculator: "calculator", "calc"
- notes: "notes", "notepad", "notebook", "journal", "diary"
- contact form: "contact form", "form", "signup", "registration", "newsletter"
- counter: "counter", "click counter", "clicker", "tally"
- guestbook, in Python with Flask (the python template; entries in SQLite): "guestbook",
  "guest book", "flask", "python"
- full-stack todo list (the fullstack template: React front end, Flask API under
  ``/api/todos``, SQLite): "full stack", "full-stack", "fullstack", or a todo list named
  with "backend", "database", "sqlite", "api", "flask" or "python" (a todo list "with
  local storage" stays the React one)

When several kinds are named, the first one mentioned wins. The title is the text after
"called", "named" or "titled" (up to "with", "that", ..., or the end of the clause; quotes
keep it exact), else the kind's default ("Todo List"). A colour name and "dark mode" in
the same message style the new app.

Follow-ups (when ``context.files["src/App.tsx"]`` starts with the offline model's marker
``// Made with Tessera's offline demo model (kind: todo)``, or ``app.py`` with
``# Made with …(kind: guestbook)``). A message is cut into clauses
at ".", ";", new lines, and at "," / "and" / "then" before a request word ("call it
Groceries and make it green" is two requests); each clause is one of:

- title: "change the title to X", "rename it (to) X", "rename to X", "call it X",
  "title: X", "the title should be X" → the ``<h1>`` text in ``src/App.tsx``, the
  ``<title>`` in ``index.html``, and the project's title (a ``<tessera-meta>`` tag); for
  the guestbook both are in ``templates/index.html``.
- colour: any of red, orange, amber, yellow, green, teal, cyan, blue, indigo, purple,
  violet, pink, gray/grey, black ("make the buttons green", "use a blue theme") → the
  ``--accent`` (and ``--accent-contrast``) line of ``src/App.css`` (the guestbook's
  ``static/style.css``).
- "dark mode" / "dark theme" / "make it dark", and "light mode" / "turn off dark mode" →
  ``color-scheme`` and the ``--bg --surface --text --muted --border`` lines of App.css.
- "add ..." (also create, insert, append, include):
  contact form: "add a phone field", "add a field for company" → an optional input in
  ``FIELDS`` before the message (its type guessed from the name: phone → tel, website →
  url, age → number, birthday → date, ...);
  kanban: "add a column Review", "add a Review column" → a column in ``COLUMNS`` just
  before Done;
  todo: "add a todo buy milk", "add an item X", "add 'X' to the list" → X in
  ``STARTER_TODOS``, which every browser gets once: new lists start with it and existing
  lists get it appended on their next load (deleting it afterwards keeps it deleted);
  notes: "add a tags field" / "add tags" → ``SHOW_TAGS = true``.

Every edit is computed against the current files, so hand edits elsewhere are kept. What
it cannot find any more (a deleted ``<h1>``), or does not understand, it says in chat and
leaves alone. A message it does not understand at all gets an answer that lists what the
offline model can do and how to connect a real model, and no file is written.
"""

from tessera.llm.offline.provider import OfflineProvider

__all__ = ["OfflineProvider"]
