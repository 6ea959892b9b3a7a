"""A kanban board: columns To do / Doing / Done, cards you add and move, saved in localStorage.

The columns are data: the ``COLUMNS`` array in ``src/App.tsx``. A follow-up adds a
column by inserting one line there, just before "Done" (at the end when there is no
Done column). Cards whose column no longer exists show up in the first column.
"""

# The embedded TypeScript and CSS keep their own line lengths.
# ruff: noqa: E501

from __future__ import annotations

from tessera.llm.offline.apps.base import AppInfo, AppSpec, js_string, jsx_text, marker
from tessera.llm.offline.apps.common import scaffold, theme_css

INFO = AppInfo(
    kind="kanban",
    default_title="Kanban Board",
    noun="a kanban board",
    description="A kanban board with To do, Doing and Done columns, saved in the browser.",
    category="productivity",
    pitch="with To do, Doing and Done columns, cards you can add, move and delete, "
    "all saved in this browser",
    tweaks='rename it, change its colour ("make it purple"), switch to dark mode, '
    'or add a column ("add a column Review")',
)


def column_line(column_id: str, title: str) -> str:
    """One entry of the ``COLUMNS`` array."""
    return f"  {{ id: {js_string(column_id)}, title: {js_string(title)} }},"


BASE_COLUMNS = (("todo", "To do"), ("doing", "Doing"), ("done", "Done"))

BOARD_TS = """\
export type Column = {
  id: string
  title: string
}

export type Card = {
  id: string
  text: string
  column: string
}

const STORAGE_KEY = 'tessera.kanban.cards'

export function newCard(text: string, column: string): Card {
  return { id: Date.now().toString(36) + Math.random().toString(36).slice(2), text, column }
}

const STARTER_CARDS: [string, string][] = [
  ['Plan the week', 'todo'],
  ['Use the arrows to move a card', 'doing'],
  ['Open the board', 'done'],
]

function isCard(value: unknown): value is Card {
  if (typeof value !== 'object' || value === null) return false
  const card = value as Record<string, unknown>
  return typeof card.id === 'string' && typeof card.text === 'string' && typeof card.column === 'string'
}

// The saved cards; a board that was never saved starts with a few example cards.
export function loadCards(): Card[] {
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null')
    if (Array.isArray(saved)) return saved.filter(isCard)
  } catch {
    // Unreadable data: start again.
  }
  return STARTER_CARDS.map(([text, column]) => newCard(text, column))
}

export function saveCards(cards: Card[]): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(cards))
}
"""

COLUMN_TSX = """\
import type { Card, Column } from '../board'

type Props = {
  column: Column
  cards: Card[]
  previous: Column | undefined
  next: Column | undefined
  onMove: (id: string, column: string) => void
  onDelete: (id: string) => void
}

export default function BoardColumn({ column, cards, previous, next, onMove, onDelete }: Props) {
  return (
    <section className="column" aria-label={column.title}>
      <header>
        <h2>{column.title}</h2>
        <span className="count">{cards.length}</span>
      </header>
      <ul>
        {cards.map((card) => (
          <li key={card.id} className="kanban-card">
            <p>{card.text}</p>
            <div className="card-actions">
              <button
                type="button"
                className="ghost"
                disabled={!previous}
                onClick={() => previous && onMove(card.id, previous.id)}
                aria-label={previous ? `Move "${card.text}" to ${previous.title}` : 'Move left'}
              >
                ←
              </button>
              <button
                type="button"
                className="ghost"
                disabled={!next}
                onClick={() => next && onMove(card.id, next.id)}
                aria-label={next ? `Move "${card.text}" to ${next.title}` : 'Move right'}
              >
                →
              </button>
              <button type="button" className="ghost delete" onClick={() => onDelete(card.id)} aria-label={`Delete "${card.text}"`}>
                ✕
              </button>
            </div>
          </li>
        ))}
      </ul>
      {cards.length === 0 && <p className="empty">No cards</p>}
    </section>
  )
}
"""


def app_tsx(spec: AppSpec) -> str:
    columns = "\n".join(column_line(column_id, title) for column_id, title in BASE_COLUMNS)
    return f"""\
{marker("kanban")}
import {{ useEffect, useState }} from 'react'
import type {{ FormEvent }} from 'react'
import './App.css'
import BoardColumn from './components/BoardColumn'
import {{ loadCards, newCard, saveCards }} from './board'
import type {{ Card, Column }} from './board'

// The board's columns, left to right. Cards move between neighbours.
const COLUMNS: Column[] = [
{columns}
]

export default function App() {{
  const [cards, setCards] = useState<Card[]>(loadCards)
  const [text, setText] = useState('')

  useEffect(() => {{
    saveCards(cards)
  }}, [cards])

  const first = COLUMNS[0]?.id ?? 'todo'
  const columnOf = (card: Card) => (COLUMNS.some((column) => column.id === card.column) ? card.column : first)

  function addCard(event: FormEvent<HTMLFormElement>) {{
    event.preventDefault()
    const value = text.trim()
    if (!value) return
    setCards((current) => [...current, newCard(value, first)])
    setText('')
  }}

  function moveCard(id: string, column: string) {{
    setCards((current) => current.map((card) => (card.id === id ? {{ ...card, column }} : card)))
  }}

  function deleteCard(id: string) {{
    setCards((current) => current.filter((card) => card.id !== id))
  }}

  return (
    <main className="app board-app">
      <header className="app-header">
        <h1>{jsx_text(spec.title)}</h1>
        <p>Move cards along as the work moves on.</p>
      </header>

      <form className="add-form" onSubmit={{addCard}}>
        <input
          value={{text}}
          onChange={{(event) => setText(event.target.value)}}
          placeholder="Add a card…"
          aria-label="New card"
        />
        <button type="submit">Add card</button>
      </form>

      <div className="board">
        {{COLUMNS.map((column, index) => (
          <BoardColumn
            key={{column.id}}
            column={{column}}
            cards={{cards.filter((card) => columnOf(card) === column.id)}}
            previous={{COLUMNS[index - 1]}}
            next={{COLUMNS[index + 1]}}
            onMove={{moveCard}}
            onDelete={{deleteCard}}
          />
        ))}}
      </div>
    </main>
  )
}}
"""


APP_CSS = """
.app.board-app {
  max-width: 1100px;
}

.add-form {
  display: flex;
  gap: 10px;
  max-width: 520px;
  margin-bottom: 24px;
}

.add-form button {
  white-space: nowrap;
}

.board {
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(220px, 1fr));
  gap: 16px;
  align-items: start;
}

.column {
  background: color-mix(in srgb, var(--muted) 10%, var(--bg));
  border: 1px solid var(--border);
  border-radius: var(--radius);
  padding: 14px;
}

.column header {
  display: flex;
  align-items: center;
  justify-content: space-between;
  margin-bottom: 10px;
}

.column h2 {
  margin: 0;
  font-size: 0.95rem;
  text-transform: uppercase;
  letter-spacing: 0.06em;
  color: var(--muted);
}

.column .count {
  min-width: 24px;
  padding: 0 8px;
  border-radius: 999px;
  background: color-mix(in srgb, var(--accent) 15%, transparent);
  color: var(--accent);
  font-size: 0.8rem;
  font-weight: 700;
  text-align: center;
}

.column ul {
  list-style: none;
  margin: 0;
  padding: 0;
  display: flex;
  flex-direction: column;
  gap: 8px;
}

.kanban-card {
  background: var(--surface);
  border: 1px solid var(--border);
  border-left: 3px solid var(--accent);
  border-radius: 10px;
  padding: 10px 12px;
  box-shadow: var(--shadow);
}

.kanban-card p {
  margin: 0 0 6px;
  overflow-wrap: anywhere;
}

.card-actions {
  display: flex;
  justify-content: flex-end;
  gap: 2px;
}

.card-actions button {
  padding: 2px 8px;
}

.card-actions .delete:hover:not(:disabled) {
  color: var(--danger);
}

.empty {
  color: var(--muted);
  font-size: 0.9rem;
  text-align: center;
  margin: 8px 0 0;
}
"""


def files(spec: AppSpec) -> dict[str, str]:
    return {
        **scaffold(spec),
        "src/board.ts": BOARD_TS,
        "src/components/BoardColumn.tsx": COLUMN_TSX,
        "src/App.css": theme_css(spec) + APP_CSS,
        "src/App.tsx": app_tsx(spec),
    }
