"""A todo list: add, tick off, delete, filter; saved in the browser's localStorage.

Starter items live in ``STARTER_TODOS`` in ``src/App.tsx``. Each one is added to the
list once per browser (the ones already added are remembered under their own key), so
a starter added by a follow-up reaches both new and existing lists, and deleting it
keeps it deleted.
"""

# The embedded TypeScript and CSS keep their own line lengths.
# ruff: noqa: E501

from __future__ import annotations

from tessera.llm.offline.apps.base import AppInfo, AppSpec, jsx_text, marker
from tessera.llm.offline.apps.common import TODO_ROWS_CSS, scaffold, theme_css

INFO = AppInfo(
    kind="todo",
    default_title="Todo List",
    noun="a todo list",
    description="A todo list with filters that remembers your tasks in the browser.",
    category="productivity",
    pitch="where you can add tasks, tick them off, filter them and keep them between visits",
    tweaks='rename it, change its colour ("make it green"), switch to dark mode, '
    'or add a todo ("add a todo buy milk")',
)

TODOS_TS = """\
export type Todo = {
  id: string
  text: string
  done: boolean
}

export type Filter = 'all' | 'active' | 'done'

const STORAGE_KEY = 'tessera.todo.items'
const STARTERS_KEY = 'tessera.todo.starters'

export function newTodo(text: string): Todo {
  return { id: Date.now().toString(36) + Math.random().toString(36).slice(2), text, done: false }
}

function readJson(key: string): unknown {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null')
  } catch {
    return null
  }
}

function isTodo(value: unknown): value is Todo {
  if (typeof value !== 'object' || value === null) return false
  const item = value as Record<string, unknown>
  return typeof item.id === 'string' && typeof item.text === 'string' && typeof item.done === 'boolean'
}

export function saveTodos(todos: Todo[]): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(todos))
}

// The saved list, plus each starter this browser has not been given yet.
export function loadTodos(starters: string[]): Todo[] {
  const saved = readJson(STORAGE_KEY)
  const given = readJson(STARTERS_KEY)
  const todos = Array.isArray(saved) ? saved.filter(isTodo) : []
  const seen = Array.isArray(given) ? given.filter((text): text is string => typeof text === 'string') : []
  const fresh = starters.filter((text) => !seen.includes(text))
  if (fresh.length === 0) return todos
  const withStarters = [...todos, ...fresh.map(newTodo)]
  saveTodos(withStarters)
  localStorage.setItem(STARTERS_KEY, JSON.stringify([...seen, ...fresh]))
  return withStarters
}
"""

TODO_ITEM_TSX = """\
import type { Todo } from '../todos'

type Props = {
  todo: Todo
  onToggle: (id: string) => void
  onDelete: (id: string) => void
}

export default function TodoItem({ todo, onToggle, onDelete }: Props) {
  return (
    <li className={todo.done ? 'todo done' : 'todo'}>
      <label>
        <input
          type="checkbox"
          checked={todo.done}
          onChange={() => onToggle(todo.id)}
          aria-label={`Mark "${todo.text}" as ${todo.done ? 'not done' : 'done'}`}
        />
        <span className="todo-text">{todo.text}</span>
      </label>
      <button type="button" className="ghost" onClick={() => onDelete(todo.id)} aria-label={`Delete "${todo.text}"`}>
        Delete
      </button>
    </li>
  )
}
"""


def app_tsx(spec: AppSpec) -> str:
    return f"""\
{marker("todo")}
import {{ useEffect, useState }} from 'react'
import type {{ FormEvent }} from 'react'
import './App.css'
import TodoItem from './components/TodoItem'
import {{ loadTodos, newTodo, saveTodos }} from './todos'
import type {{ Filter, Todo }} from './todos'

// Items every list starts with. Each is added once per browser, so a starter added here
// later also reaches lists that already exist; deleting it keeps it deleted.
const STARTER_TODOS: string[] = [
]

const FILTERS: {{ value: Filter; label: string }}[] = [
  {{ value: 'all', label: 'All' }},
  {{ value: 'active', label: 'Active' }},
  {{ value: 'done', label: 'Done' }},
]

export default function App() {{
  const [todos, setTodos] = useState<Todo[]>(() => loadTodos(STARTER_TODOS))
  const [text, setText] = useState('')
  const [filter, setFilter] = useState<Filter>('all')

  useEffect(() => {{
    saveTodos(todos)
  }}, [todos])

  function addTodo(event: FormEvent<HTMLFormElement>) {{
    event.preventDefault()
    const value = text.trim()
    if (!value) return
    setTodos((current) => [...current, newTodo(value)])
    setText('')
  }}

  function toggleTodo(id: string) {{
    setTodos((current) => current.map((todo) => (todo.id === id ? {{ ...todo, done: !todo.done }} : todo)))
  }}

  function deleteTodo(id: string) {{
    setTodos((current) => current.filter((todo) => todo.id !== id))
  }}

  function clearDone() {{
    setTodos((current) => current.filter((todo) => !todo.done))
  }}

  const visible = todos.filter((todo) =>
    filter === 'all' ? true : filter === 'done' ? todo.done : !todo.done,
  )
  const left = todos.filter((todo) => !todo.done).length
  const doneCount = todos.length - left

  return (
    <main className="app">
      <header className="app-header">
        <h1>{jsx_text(spec.title)}</h1>
        <p>Write it down, tick it off.</p>
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

        <div className="filters" role="group" aria-label="Show">
          {{FILTERS.map((option) => (
            <button
              key={{option.value}}
              type="button"
              className={{filter === option.value ? 'chip active' : 'chip'}}
              aria-pressed={{filter === option.value}}
              onClick={{() => setFilter(option.value)}}
            >
              {{option.label}}
            </button>
          ))}}
        </div>

        {{visible.length > 0 ? (
          <ul className="todo-list">
            {{visible.map((todo) => (
              <TodoItem key={{todo.id}} todo={{todo}} onToggle={{toggleTodo}} onDelete={{deleteTodo}} />
            ))}}
          </ul>
        ) : (
          <p className="empty">
            {{todos.length === 0 ? 'Nothing to do yet. Add your first task above.' : 'Nothing here.'}}
          </p>
        )}}

        <footer className="list-footer">
          <span>
            {{left}} {{left === 1 ? 'item' : 'items'}} left
          </span>
          <button type="button" className="ghost" onClick={{clearDone}} disabled={{doneCount === 0}}>
            Clear done
          </button>
        </footer>
      </section>
      <p className="made-with">Saved in this browser.</p>
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

.filters {
  display: flex;
  gap: 6px;
  margin: 18px 0 8px;
}

button.chip {
  background: transparent;
  color: var(--muted);
  border-color: var(--border);
  padding: 4px 14px;
  border-radius: 999px;
  font-weight: 500;
}

button.chip.active {
  background: color-mix(in srgb, var(--accent) 14%, transparent);
  color: var(--accent);
  border-color: color-mix(in srgb, var(--accent) 40%, transparent);
}

.todo-list {
  list-style: none;
  margin: 0;
  padding: 0;
}

"""
    + TODO_ROWS_CSS
    + """
.list-footer {
  display: flex;
  justify-content: space-between;
  align-items: center;
  margin-top: 12px;
  color: var(--muted);
  font-size: 0.9rem;
}
"""
)


def files(spec: AppSpec) -> dict[str, str]:
    return {
        **scaffold(spec),
        "src/todos.ts": TODOS_TS,
        "src/components/TodoItem.tsx": TODO_ITEM_TSX,
        "src/App.css": theme_css(spec) + APP_CSS,
        "src/App.tsx": app_tsx(spec),
    }
