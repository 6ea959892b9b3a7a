import { Fragment, useEffect, useRef } from 'react'

import { errorLocation, type AppError } from '../api/appError'
import { appErrorsText, autofixText } from '../state/turnMeta'
import type { ChatItem, FileActivity } from '../state/workspace'
import { AlertIcon, CheckIcon, FileIcon, WrenchIcon } from './icons'
import { TurnMetaLine } from './TurnMetaLine'

interface Props {
  items: ChatItem[]
  running: boolean
  onOpenFile: (path: string) => void
  onShowConsole: () => void
}

export function ChatMessages({ items, running, onOpenFile, onShowConsole }: Props) {
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
  // The spinner of an automatic fix turns while that fix is the run's latest word on it.
  const lastAutofix = items.findLast((item) => item.kind === 'autofix')
  const fixingId = running && lastAutofix?.kind === 'autofix' && lastAutofix.status === 'started' ? lastAutofix.id : null

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
        <ChatRow
          key={item.id}
          item={item}
          fixing={item.id === fixingId}
          onOpenFile={onOpenFile}
          onShowConsole={onShowConsole}
        />
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

interface RowProps {
  item: ChatItem
  /** This automatic fix is under way. */
  fixing: boolean
  onOpenFile: (path: string) => void
  onShowConsole: () => void
}

function ChatRow({ item, fixing, onOpenFile, onShowConsole }: RowProps) {
  switch (item.kind) {
    case 'message':
      return (
        <Fragment>
          <div
            className={`message ${item.role}${item.streaming ? ' streaming' : ''}`}
            data-testid="message"
            data-role={item.role}
          >
            {(item.role === 'assistant' ? tidy(item.content) : item.content) ||
              (item.streaming ? <span className="cursor" /> : null)}
          </div>
          {item.meta && <TurnMetaLine meta={item.meta} />}
        </Fragment>
      )
    case 'meta':
      return <TurnMetaLine meta={item.meta} />
    case 'notice':
      return (
        <div className="chat-notice" data-testid="chat-notice">
          {item.text}
        </div>
      )
    case 'autofix':
      return (
        <div className={`autofix-status ${item.status}`} data-testid="autofix-status" data-status={item.status}>
          {fixing ? (
            <span className="spinner small" aria-hidden="true" />
          ) : item.status === 'fixed' ? (
            <CheckIcon size={12} />
          ) : item.status === 'gave_up' ? (
            <AlertIcon size={12} />
          ) : (
            <WrenchIcon size={12} />
          )}
          <span>{autofixText(item.status, item.attempt, item.max, item.errors)}</span>
          {item.status === 'gave_up' && (
            <button type="button" className="link-button inline" onClick={onShowConsole}>
              Open the console
            </button>
          )}
        </div>
      )
    case 'appErrors':
      return <AppErrorsNote errors={item.errors} onShowConsole={onShowConsole} />
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

function AppErrorsNote({ errors, onShowConsole }: { errors: AppError[]; onShowConsole: () => void }) {
  const first = errors[0]
  const where = first ? errorLocation(first) : null
  return (
    <div className="chat-app-errors" data-testid="chat-app-errors">
      <AlertIcon size={12} />
      <div>
        <div>
          {appErrorsText(errors)}{' '}
          <button type="button" className="link-button inline" onClick={onShowConsole}>
            Show the console
          </button>
        </div>
        {first && (
          <code className="chat-app-error-first">
            {where ? `${where}: ` : ''}
            {first.message}
          </code>
        )}
      </div>
    </div>
  )
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
