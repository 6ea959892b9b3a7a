"""A guestbook in Flask (the python template): visitors sign with their name and a message;
entries are kept in a SQLite file (``guestbook.db``) next to ``app.py``.

The page is ``templates/index.html`` (heading and title there), the theme
``static/style.css`` (the same ``:root`` variables as the React apps' ``App.css``).
"""

# The embedded Python, HTML and CSS keep their own line lengths.
# ruff: noqa: E501

from __future__ import annotations

from tessera.llm.offline.apps.base import FLASK_LAYOUT, AppInfo, AppSpec, jsx_text, marker
from tessera.llm.offline.apps.common import favicon, theme_css

INFO = AppInfo(
    kind="guestbook",
    default_title="Guestbook",
    noun="a Flask guestbook",
    description="A guestbook in Python and Flask that keeps every entry in a SQLite database.",
    category="social",
    pitch="in Python with Flask, where visitors sign with their name and a message, kept in a SQLite database",
    tweaks='rename it, change its colour ("make it teal") or switch to dark mode',
    layout=FLASK_LAYOUT,
)

REQUIREMENTS = "flask\n"

APP_PY = '''\
__MARKER__
"""A guestbook: visitors sign with their name and a message, kept in guestbook.db."""

import sqlite3
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask, jsonify, redirect, render_template, request, url_for

DB_PATH = Path(__file__).resolve().parent / "guestbook.db"
MAX_NAME = 60
MAX_MESSAGE = 500

app = Flask(__name__)


def connect() -> sqlite3.Connection:
    db = sqlite3.connect(DB_PATH)
    db.row_factory = sqlite3.Row
    return db


def init_db() -> None:
    with closing(connect()) as db, db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS entries ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " name TEXT NOT NULL,"
            " message TEXT NOT NULL,"
            " created_at TEXT NOT NULL)"
        )


def all_entries() -> list[sqlite3.Row]:
    with closing(connect()) as db:
        return db.execute(
            "SELECT id, name, message, created_at FROM entries ORDER BY id DESC"
        ).fetchall()


@app.get("/")
def index():
    return render_template("index.html", entries=all_entries(), error=None, name="", message="")


@app.post("/sign")
def sign():
    name = request.form.get("name", "").strip()[:MAX_NAME]
    message = request.form.get("message", "").strip()[:MAX_MESSAGE]
    if not name or not message:
        error = "Please write your name and a message."
        page = render_template(
            "index.html", entries=all_entries(), error=error, name=name, message=message
        )
        return page, 400
    signed_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with closing(connect()) as db, db:
        db.execute(
            "INSERT INTO entries (name, message, created_at) VALUES (?, ?, ?)",
            (name, message, signed_at),
        )
    # Back to the page (a reload then does not sign twice).
    return redirect(url_for("index"))


@app.get("/api/entries")
def entries_json():
    return jsonify([dict(entry) for entry in all_entries()])


init_db()
'''

INDEX_HTML = """\
<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <link rel="icon" href="__FAVICON__" />
    <title>__TITLE__</title>
    <link rel="stylesheet" href="{{ url_for('static', filename='style.css') }}" />
  </head>
  <body>
    <main class="app">
      <header class="app-header">
        <h1>__TITLE__</h1>
        <p>Leave a few words for the next visitor.</p>
      </header>

      <section class="card">
        <form class="sign-form" method="post" action="{{ url_for('sign') }}">
          {% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
          <label>
            <span>Name</span>
            <input name="name" value="{{ name }}" placeholder="Your name" aria-label="Your name" maxlength="60" required />
          </label>
          <label>
            <span>Message</span>
            <textarea name="message" rows="3" placeholder="Write a message…" aria-label="Message" maxlength="500" required>{{ message }}</textarea>
          </label>
          <button type="submit">Sign the guestbook</button>
        </form>
      </section>

      <section class="entries" aria-label="Entries">
        <h2>{{ entries|length }} {{ 'entry' if entries|length == 1 else 'entries' }}</h2>
        {% for entry in entries %}
        <article class="entry">
          <header>
            <strong class="entry-name">{{ entry.name }}</strong>
            <time datetime="{{ entry.created_at }}">{{ entry.created_at[:10] }}</time>
          </header>
          <p class="entry-message">{{ entry.message }}</p>
        </article>
        {% else %}
        <p class="empty">No entries yet. Be the first to sign!</p>
        {% endfor %}
      </section>
      <p class="made-with">Served by Flask; every entry is saved in guestbook.db.</p>
    </main>
  </body>
</html>
"""

STYLE_CSS = """
.sign-form {
  display: grid;
  gap: 14px;
}

.sign-form label {
  display: grid;
  gap: 6px;
  font-weight: 600;
}

.sign-form textarea {
  resize: vertical;
}

.sign-form button {
  justify-self: start;
}

.error {
  margin: 0;
  color: var(--danger);
  font-weight: 600;
}

.entries {
  margin-top: 28px;
  display: grid;
  gap: 12px;
}

.entries h2 {
  margin: 0;
  font-size: 1rem;
  color: var(--muted);
  font-weight: 600;
}

.entry {
  background: var(--surface);
  border: 1px solid var(--border);
  border-left: 4px solid var(--accent);
  border-radius: var(--radius);
  padding: 14px 18px;
}

.entry header {
  display: flex;
  justify-content: space-between;
  gap: 12px;
}

.entry time {
  color: var(--muted);
  font-size: 0.85rem;
}

.entry-message {
  margin: 6px 0 0;
  white-space: pre-wrap;
}

.empty {
  color: var(--muted);
  text-align: center;
  padding: 24px 0;
  margin: 0;
}
"""


def index_html(spec: AppSpec) -> str:
    return INDEX_HTML.replace("__FAVICON__", favicon(spec)).replace(
        "__TITLE__", jsx_text(spec.title)
    )


def files(spec: AppSpec) -> dict[str, str]:
    return {
        "requirements.txt": REQUIREMENTS,
        "static/style.css": theme_css(spec) + STYLE_CSS,
        "templates/index.html": index_html(spec),
        "app.py": APP_PY.replace("__MARKER__", marker("guestbook", comment="#")),
    }
