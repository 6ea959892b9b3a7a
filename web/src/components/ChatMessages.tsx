import { useEffect, useRef } from 'react'

import type { ChatItem, FileActivity } from '../state/workspace'
import { AlertIcon, CheckIcon, FileIcon } from './icons'

interface Props {
  items: ChatItem[]
  running: boolean
  onOpenFile: (path: string) => void
}

export function ChatMessages({ items, running, onOpenFile }: Props) {
  const listRef = useRef<HTMLDivElement>(null)
  const pinned = useRef(true)

  // Stay at the bottom while content streams in, unless the user scrolled up to read.
  useEffect(() => {
    const list = listRef.current
    if (list && pinned.current) list.scrollTop = list.scrollHeight
  })

  // "Working" dots while a run shows no other sign of progress.
  const busy = items.some(
    (item) =>
      (item.kind === 'message' && item.streaming) ||
      (item.kind === 'files' && item.files.some((f) => f.state === 'writing')),
  )
  const waiting = running && !busy

  return (
    <div
      ref={listRef}
      className="chat-messages"
      data-testid="chat-messages"
      onScroll={(event) => {
        const el = event.currentTarget
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40
      }}
    >
      {items.length === 0 && !running && (
        <div className="chat-empty muted">Describe what to build, or ask for a change to the app.</div>
      )}
      {items.map((item) => (
        <ChatRow key={item.id} item={item} onOpenFile={onOpenFile} />
      ))}
      {waiting && (
        <div className="typing" aria-label="Working">
          <span />
          <span />
          <span />
        </div>
      )}
    </div>
  )
}

function ChatRow({ item, onOpenFile }: { item: ChatItem; onOpenFile: (path: string) => void }) {
  switch (item.kind) {
    case 'message':
      return (
        <div
          className={`message ${item.role}${item.streaming ? ' streaming' : ''}`}
          data-testid="message"
          data-role={item.role}
        >
          {(item.role === 'assistant' ? tidy(item.content) : item.content) ||
            (item.streaming ? <span className="cursor" /> : null)}
        </div>
      )
    case 'error':
      return (
        <div className="chat-error" data-testid="chat-error" role="alert">
          <AlertIcon size={14} /> <span>{item.text}</span>
        </div>
      )
    case 'warning':
      return (
        <div className="chat-warning" data-testid="chat-warning">
          <AlertIcon size={12} /> <span>{item.text}</span>
        </div>
      )
    case 'files':
      return <FileActivityList files={item.files} onOpenFile={onOpenFile} />
  }
}

/** The answer is the text between file blocks: collapse the blank runs they leave behind. */
function tidy(text: string): string {
  return text
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

const VERB: Record<FileActivity['state'], string> = {
  writing: 'Writing',
  written: 'Wrote',
  deleted: 'Deleted',
  renamed: 'Renamed',
}

function FileActivityList({ files, onOpenFile }: { files: FileActivity[]; onOpenFile: (path: string) => void }) {
  if (files.length === 0) return null
  return (
    <ul className="file-activity" data-testid="file-activity">
      {files.map((f) => (
        <li key={f.path} className={f.state}>
          {f.state === 'writing' ? <span className="spinner" /> : f.state === 'written' ? <CheckIcon size={12} /> : <FileIcon size={12} />}
          <span className="verb">{VERB[f.state]}</span>
          {f.state === 'deleted' ? (
            <code>{f.path}</code>
          ) : (
            <button type="button" className="link-button" onClick={() => onOpenFile(f.path)}>
              <code>{f.from ? `${f.from} → ${f.path}` : f.path}</code>
            </button>
          )}
        </li>
      ))}
    </ul>
  )
}
