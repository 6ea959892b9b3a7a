"""A full-stack todo list (the fullstack template): a React front end calling a Flask API
under ``/api/todos`` (GET, POST, PATCH, DELETE), which keeps the todos in SQLite
(``api/data.db``). Vite's dev server forwards ``/api`` to the API.

Follow-ups change it like the React apps: ``<h1>`` in ``src/App.tsx``, ``<title>`` in
``index.html``, the theme in ``src/App.css``.
"""

# The embedded Python, TypeScript and CSS keep their own line lengths.
# ruff: noqa: E501

from __future__ import annotations

from tessera.llm.offline.apps.base import AppInfo, AppSpec, jsx_text, marker
from tessera.llm.offline.apps.common import TODO_ROWS_CSS, scaffold, theme_css

INFO = AppInfo(
    kind="fullstack-todo",
    default_title="Full-Stack Todos",
    noun="a full-stack todo list",
    description="A todo list with a React front end and a Flask API that keeps the todos in SQLite.",
    category="productivity",
    pitch="with a React front end and a Python (Flask) API that keeps the todos in a SQLite database",
    tweaks='rename it, change its colour ("make it purple") or switch to dark mode',
)

VITE_CONFIG = """\
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// The API (api/app.py) listens on the port Tessera gives it in TESSERA_API_PORT;
// the dev server forwards every request under /api to it.
const apiPort = process.env.TESSERA_API_PORT ?? '5000'

// Served to the browser through Tessera's preview proxy, under its own host name.
export default defineConfig({
  plugins: [react()],
  server: {
    allowedHosts: true,
    proxy: { '/api': `http://127.0.0.1:${apiPort}` },
    watch: { ignored: ['**/api/**'] },
  },
})
"""

REQUIREMENTS = "flask\n"

DB_PY = '''\
"""The todos, kept in SQLite: api/data.db, created on first use."""

import sqlite3
from contextlib import closing
from pathlib import Path

DB_PATH = Path(__file__).resolve().parent / "data.db"


def connect() -> sqlite3.Connection:
    db = sqlite3.connect(DB_PATH)
    db.row_factory = sqlite3.Row
    return db


def init() -> None:
    with closing(connect()) as db, db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS todos ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " text TEXT NOT NULL,"
            " done INTEGER NOT NULL DEFAULT 0)"
        )


def _todo(row: sqlite3.Row) -> dict[str, object]:
    return {"id": row["id"], "text": row["text"], "done": bool(row["done"])}


def list_todos() -> list[dict[str, object]]:
    with closing(connect()) as db:
        return [_todo(row) for row in db.execute("SELECT * FROM todos ORDER BY id")]


def get_todo(todo_id: int) -> dict[str, object] | None:
    with closing(connect()) as db:
        row = db.execute("SELECT * FROM todos WHERE id = ?", (todo_id,)).fetchone()
    return None if row is None else _todo(row)


def add_todo(text: str) -> dict[str, object]:
    with closing(connect()) as db, db:
        cursor = db.execute("INSERT INTO todos (text) VALUES (?)", (text,))
        todo_id = cursor.lastrowid
    todo = get_todo(int(todo_id or 0))
    assert todo is not None
    return todo


def update_todo(todo_id: int, *, text: str | None = None, done: bool | None = None) -> dict[str, object] | None:
    with closing(connect()) as db, db:
        if text is not None:
            db.execute("UPDATE todos SET text = ? WHERE id = ?", (text, todo_id))
        if done is not None:
            db.execute("UPDATE todos SET done = ? WHERE id = ?", (int(done), todo_id))
    return get_todo(todo_id)


def delete_todo(todo_id: int) -> bool:
    with closing(connect()) as db, db:
        return db.execute("DELETE FROM todos WHERE id = ?", (todo_id,)).rowcount > 0
'''

APP_PY = '''\
"""The todo list's API, under /api (the front end's dev server forwards /api here)."""

from flask import Flask, jsonify, request

import db

MAX_TEXT = 200

app = Flask(__name__)
db.init()


def error(message: str, status: int):
    return jsonify(error=message), status


def read_text(body: dict) -> str | None:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return None
    return text.strip()[:MAX_TEXT]


@app.get("/api/health")
def health():
    return jsonify(status="ok")


@app.get("/api/todos")
def list_todos():
    return jsonify(db.list_todos())


@app.post("/api/todos")
def create_todo():
    text = read_text(request.get_json(silent=True) or {})
    if text is None:
        return error("Write what needs to be done.", 400)
    return jsonify(db.add_todo(text)), 201


@app.patch("/api/todos/<int:todo_id>")
def update_todo(todo_id: int):
    body = request.get_json(silent=True) or {}
    text = read_text(body) if "text" in body else None
    if "text" in body and text is None:
        return error("A todo needs some text.", 400)
    done = body.get("done")
    if done is not None and not isinstance(done, bool):
        return error("done must be true or false.", 400)
    todo = db.update_todo(todo_id, text=text, done=done)
    return jsonify(todo) if todo is not None else error("There is no such todo.", 404)


@app.delete("/api/todos/<int:todo_id>")
def delete_todo(todo_id: int):
    if not db.delete_todo(todo_id):
        return error("There is no such todo.", 404)
    return "", 204
'''

API_TS = """\
// The API's todos: every call goes to /api, which the dev server forwards to Flask.
export type Todo = {
  id: number
  text: string
  done: boolean
}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`/api${path}`, {
    ...init,
    headers: { 'Content-Type': 'application/json', ...init.headers },
  })
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: string } | null
    throw new Error(body?.error ?? `The API answered ${response.status}`)
  }
  return (response.status === 204 ? undefined : await response.json()) as T
}

export function listTodos(): Promise<Todo[]> {
  return call<Todo[]>('/todos')
}

export function createTodo(text: string): Promise<Todo> {
  return call<Todo>('/todos', { method: 'POST', body: JSON.stringify({ text }) })
}

export function updateTodo(id: number, changes: Partial<Pick<Todo, 'text' | 'done'>>): Promise<Todo> {
  return call<Todo>(`/todos/${id}`, { method: 'PATCH', body: JSON.stringify(changes) })
}

export function deleteTodo(id: number): Promise<void> {
  return call<void>(`/todos/${id}`, { method: 'DELETE' })
}
"""

TODO_ITEM_TSX = """\
import type { Todo } from '../api'

type Props = {
  todo: Todo
  onToggle: (todo: Todo) => void
  onDelete: (todo: Todo) => void
}

export default function TodoItem({ todo, onToggle, onDelete }: Props) {
  return (
    <li className={todo.done ? 'todo done' : 'todo'}>
      <label>
        <input
          type="checkbox"
          checked={todo.done}
          onChange={() => onToggle(todo)}
          aria-label={`Mark "${todo.text}" as ${todo.done ? 'not done' : 'done'}`}
        />
        <span className="todo-text">{todo.text}</span>
      </label>
      <button type="button" className="ghost" onClick={() => onDelete(todo)} aria-label={`Delete "${todo.text}"`}>
        Delete
      </button>
    </li>
  )
}
"""


def app_tsx(spec: AppSpec) -> str:
    return f"""\
{marker("fullstack-todo")}
import {{ useEffect, useState }} from 'react'
import type {{ FormEvent }} from 'react'
import './App.css'
import TodoItem from './components/TodoItem'
import {{ createTodo, deleteTodo, listTodos, updateTodo }} from './api'
import type {{ Todo }} from './api'

export default function App() {{
  const [todos, setTodos] = useState<Todo[]>([])
  const [text, setText] = useState('')
  const [loading, setLoading] = useState(true)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {{
    listTodos()
      .then((loaded) => setTodos(loaded))
      .catch((reason: unknown) => setError(String(reason)))
      .finally(() => setLoading(false))
  }}, [])

  // Every change goes to the API first; the list shows what the API answered.
  async function run(change: () => Promise<void>) {{
    try {{
      setError(null)
      await change()
    }} catch (reason) {{
      setError(reason instanceof Error ? reason.message : String(reason))
    }}
  }}

  function addTodo(event: FormEvent<HTMLFormElement>) {{
    event.preventDefault()
    const value = text.trim()
    if (!value) return
    void run(async () => {{
      const created = await createTodo(value)
      setTodos((current) => [...current, created])
      setText('')
    }})
  }}

  function toggleTodo(todo: Todo) {{
    void run(async () => {{
      const updated = await updateTodo(todo.id, {{ done: !todo.done }})
      setTodos((current) => current.map((item) => (item.id === updated.id ? updated : item)))
    }})
  }}

  function removeTodo(todo: Todo) {{
    void run(async () => {{
      await deleteTodo(todo.id)
      setTodos((current) => current.filter((item) => item.id !== todo.id))
    }})
  }}

  const left = todos.filter((todo) => !todo.done).length

  return (
    <main className="app">
      <header className="app-header">
        <h1>{jsx_text(spec.title)}</h1>
        <p>Your list lives on the server, in a SQLite database.</p>
      </header>

      <section className="card">
        <form className="add-form" onSubmit={{addTodo}}>
          <input
            value={{text}}
            onChange={{(event) => setText(event.target.value)}}
            placeholder="What needs to be done?"
            aria-label="New todo"
            autoFocus
          />
          <button type="submit">Add</button>
        </form>

        {{error && (
          <p className="error" role="alert">
            {{error}}
          </p>
        )}}

        {{loading ? (
          <p className="empty">Loading…</p>
        ) : todos.length > 0 ? (
          <ul className="todo-list">
            {{todos.map((todo) => (
              <TodoItem key={{todo.id}} todo={{todo}} onToggle={{toggleTodo}} onDelete={{removeTodo}} />
            ))}}
          </ul>
        ) : (
          <p className="empty">Nothing to do yet. Add your first task above.</p>
        )}}

        <footer className="list-footer">
          <span>
            {{left}} {{left === 1 ? 'item' : 'items'}} left
          </span>
        </footer>
      </section>
      <p className="made-with">Saved by the Flask API in api/data.db.</p>
    </main>
  )
}}
"""


APP_CSS = (
    """
.add-form {
  display: flex;
  gap: 10px;
}

.error {
  margin: 14px 0 0;
  color: var(--danger);
  font-weight: 600;
}

.todo-list {
  list-style: none;
  margin: 12px 0 0;
  padding: 0;
}

"""
    + TODO_ROWS_CSS
    + """
.list-footer {
  margin-top: 12px;
  color: var(--muted);
  font-size: 0.9rem;
}
"""
)


def files(spec: AppSpec) -> dict[str, str]:
    return {
        **scaffold(spec),
        "vite.config.ts": VITE_CONFIG,
        "api/requirements.txt": REQUIREMENTS,
        "api/db.py": DB_PY,
        "api/app.py": APP_PY,
        "src/api.ts": API_TS,
        "src/components/TodoItem.tsx": TODO_ITEM_TSX,
        "src/App.css": theme_css(spec) + APP_CSS,
        "src/App.tsx": app_tsx(spec),
    }
