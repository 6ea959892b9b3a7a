"""Notes: a searchable list of notes with a title and a body, saved in localStorage.

Tags are built in but hidden: ``SHOW_TAGS`` in ``src/App.tsx`` turns them on (the
"add a tags field" follow-up flips it).
"""

# The embedded TypeScript and CSS keep their own line lengths.
# ruff: noqa: E501

from __future__ import annotations

from tessera.llm.offline.apps.base import AppInfo, AppSpec, jsx_text, marker
from tessera.llm.offline.apps.common import scaffold, theme_css

INFO = AppInfo(
    kind="notes",
    default_title="Notes",
    noun="a notes app",
    description="Quick notes with search, saved in the browser.",
    category="productivity",
    pitch="where you can write, search and delete notes that stay saved in this browser",
    tweaks='rename it, change its colour ("make it teal"), switch to dark mode, '
    "or add a tags field",
)

NOTES_TS = """\
export type Note = {
  id: string
  title: string
  body: string
  tags: string[]
  updatedAt: number
}

const STORAGE_KEY = 'tessera.notes.items'

export function newNote(): Note {
  return {
    id: Date.now().toString(36) + Math.random().toString(36).slice(2),
    title: '',
    body: '',
    tags: [],
    updatedAt: Date.now(),
  }
}

function isNote(value: unknown): value is Note {
  if (typeof value !== 'object' || value === null) return false
  const note = value as Record<string, unknown>
  return (
    typeof note.id === 'string' &&
    typeof note.title === 'string' &&
    typeof note.body === 'string' &&
    typeof note.updatedAt === 'number'
  )
}

export function loadNotes(): Note[] {
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]')
    if (!Array.isArray(saved)) return []
    return saved.filter(isNote).map((note) => ({ ...note, tags: Array.isArray(note.tags) ? note.tags : [] }))
  } catch {
    return []
  }
}

export function saveNotes(notes: Note[]): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(notes))
}

export function noteTitle(note: Note): string {
  return note.title.trim() || note.body.trim().split('\\n')[0] || 'Untitled note'
}

export function formatTime(time: number): string {
  return new Date(time).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}
"""

NOTE_LIST_TSX = """\
import type { Note } from '../notes'
import { formatTime, noteTitle } from '../notes'

type Props = {
  notes: Note[]
  selectedId: string | null
  showTags: boolean
  onSelect: (id: string) => void
}

export default function NoteList({ notes, selectedId, showTags, onSelect }: Props) {
  if (notes.length === 0) {
    return <p className="empty">No notes found.</p>
  }
  return (
    <ul className="note-list">
      {notes.map((note) => (
        <li key={note.id}>
          <button
            type="button"
            className={note.id === selectedId ? 'note-link selected' : 'note-link'}
            onClick={() => onSelect(note.id)}
          >
            <strong>{noteTitle(note)}</strong>
            <small>{formatTime(note.updatedAt)}</small>
            {showTags && note.tags.length > 0 && (
              <span className="tags">
                {note.tags.map((tag) => (
                  <span key={tag} className="tag">
                    #{tag}
                  </span>
                ))}
              </span>
            )}
          </button>
        </li>
      ))}
    </ul>
  )
}
"""

NOTE_EDITOR_TSX = """\
import { useState } from 'react'
import type { Note } from '../notes'

type Props = {
  note: Note
  showTags: boolean
  onChange: (changes: Partial<Note>) => void
  onDelete: () => void
}

function parseTags(text: string): string[] {
  return text
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean)
}

export default function NoteEditor({ note, showTags, onChange, onDelete }: Props) {
  // The tags as typed (a trailing comma included); the note keeps the parsed list.
  const [tagText, setTagText] = useState(() => note.tags.join(', '))
  const words = note.body.trim() ? note.body.trim().split(/\\s+/).length : 0

  return (
    <div className="editor">
      <input
        className="title-input"
        value={note.title}
        onChange={(event) => onChange({ title: event.target.value })}
        placeholder="Title"
        aria-label="Note title"
      />
      {showTags && (
        <input
          value={tagText}
          onChange={(event) => {
            setTagText(event.target.value)
            onChange({ tags: parseTags(event.target.value) })
          }}
          placeholder="Tags, separated by commas"
          aria-label="Tags"
        />
      )}
      <textarea
        value={note.body}
        onChange={(event) => onChange({ body: event.target.value })}
        placeholder="Start writing…"
        aria-label="Note text"
        rows={14}
      />
      <div className="editor-actions">
        <span>
          {words} {words === 1 ? 'word' : 'words'}
        </span>
        <button type="button" className="secondary" onClick={onDelete}>
          Delete note
        </button>
      </div>
    </div>
  )
}
"""


def app_tsx(spec: AppSpec) -> str:
    return f"""\
{marker("notes")}
import {{ useEffect, useState }} from 'react'
import './App.css'
import NoteEditor from './components/NoteEditor'
import NoteList from './components/NoteList'
import {{ loadNotes, newNote, noteTitle, saveNotes }} from './notes'
import type {{ Note }} from './notes'

// Set to true to give every note a comma-separated list of tags.
const SHOW_TAGS = false

export default function App() {{
  const [notes, setNotes] = useState<Note[]>(loadNotes)
  const [selectedId, setSelectedId] = useState<string | null>(() => notes[0]?.id ?? null)
  const [query, setQuery] = useState('')

  useEffect(() => {{
    saveNotes(notes)
  }}, [notes])

  const selected = notes.find((note) => note.id === selectedId) ?? null
  const needle = query.trim().toLowerCase()
  const visible = notes
    .filter((note) =>
      [noteTitle(note), note.body, ...note.tags].some((text) => text.toLowerCase().includes(needle)),
    )
    .sort((a, b) => b.updatedAt - a.updatedAt)

  function addNote() {{
    const note = newNote()
    setNotes((current) => [note, ...current])
    setSelectedId(note.id)
    setQuery('')
  }}

  function updateNote(changes: Partial<Note>) {{
    setNotes((current) =>
      current.map((note) => (note.id === selectedId ? {{ ...note, ...changes, updatedAt: Date.now() }} : note)),
    )
  }}

  function deleteNote() {{
    const remaining = notes.filter((note) => note.id !== selectedId)
    setNotes(remaining)
    setSelectedId(remaining[0]?.id ?? null)
  }}

  return (
    <main className="app wide">
      <header className="app-header">
        <h1>{jsx_text(spec.title)}</h1>
        <p>Everything you write is saved in this browser as you type.</p>
      </header>

      <div className="notes-layout">
        <aside className="card sidebar">
          <button type="button" onClick={{addNote}}>
            New note
          </button>
          <input
            type="search"
            value={{query}}
            onChange={{(event) => setQuery(event.target.value)}}
            placeholder="Search notes"
            aria-label="Search notes"
          />
          <NoteList notes={{visible}} selectedId={{selectedId}} showTags={{SHOW_TAGS}} onSelect={{setSelectedId}} />
        </aside>

        <section className="card">
          {{selected ? (
            <NoteEditor key={{selected.id}} note={{selected}} showTags={{SHOW_TAGS}} onChange={{updateNote}} onDelete={{deleteNote}} />
          ) : (
            <div className="empty">
              <p>No note selected.</p>
              <button type="button" onClick={{addNote}}>
                Write a note
              </button>
            </div>
          )}}
        </section>
      </div>
    </main>
  )
}}
"""


APP_CSS = """
.app.wide {
  max-width: 960px;
}

.notes-layout {
  display: grid;
  grid-template-columns: 280px 1fr;
  gap: 20px;
  align-items: start;
}

@media (max-width: 720px) {
  .notes-layout {
    grid-template-columns: 1fr;
  }
}

.sidebar {
  display: flex;
  flex-direction: column;
  gap: 12px;
  padding: 16px;
}

.note-list {
  list-style: none;
  margin: 0;
  padding: 0;
  display: flex;
  flex-direction: column;
  gap: 4px;
}

button.note-link {
  width: 100%;
  display: flex;
  flex-direction: column;
  align-items: flex-start;
  gap: 2px;
  text-align: left;
  background: transparent;
  color: var(--text);
  font-weight: 400;
  padding: 10px 12px;
}

button.note-link:hover {
  background: color-mix(in srgb, var(--accent) 8%, transparent);
}

button.note-link.selected {
  background: color-mix(in srgb, var(--accent) 14%, transparent);
  border-color: color-mix(in srgb, var(--accent) 35%, transparent);
}

.note-link strong {
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
  max-width: 100%;
}

.note-link small {
  color: var(--muted);
}

.tags {
  display: flex;
  flex-wrap: wrap;
  gap: 4px;
}

.tag {
  font-size: 0.75rem;
  color: var(--accent);
}

.editor {
  display: flex;
  flex-direction: column;
  gap: 12px;
}

.title-input {
  font-size: 1.3rem;
  font-weight: 700;
}

textarea {
  resize: vertical;
  min-height: 240px;
}

.editor-actions {
  display: flex;
  justify-content: space-between;
  align-items: center;
  color: var(--muted);
  font-size: 0.9rem;
}

.empty {
  color: var(--muted);
  text-align: center;
  padding: 24px 0;
  margin: 0;
}
"""


def files(spec: AppSpec) -> dict[str, str]:
    return {
        **scaffold(spec),
        "src/notes.ts": NOTES_TS,
        "src/components/NoteList.tsx": NOTE_LIST_TSX,
        "src/components/NoteEditor.tsx": NOTE_EDITOR_TSX,
        "src/App.css": theme_css(spec) + APP_CSS,
        "src/App.tsx": app_tsx(spec),
    }
