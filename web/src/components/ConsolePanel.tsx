import { useEffect, useRef, useState, type ReactNode } from 'react'

import { errorLocation, type AppError } from '../api/appError'
import { errorMessage } from '../api/client'
import type { ConsoleState } from '../state/console'
import { ChevronIcon, TerminalIcon, WrenchIcon } from './icons'

export type BottomView = 'console' | 'terminal'

interface Props {
  console: ConsoleState
  open: boolean
  /** The console, or the terminal beside it. */
  view: BottomView
  running: boolean
  onToggle: () => void
  /** Shows the terminal (or folds the panel when the terminal is shown). */
  onToggleTerminal: () => void
  /**
   * The terminal, once it was first shown: it stays mounted (hidden) while the console is
   * shown, so its shell keeps running.
   */
  terminal: ReactNode
  /** Starts a run that asks the model to fix the errors shown. */
  onFix: () => void
  onClear: () => Promise<void>
  onOpenFile: (path: string) => void
}

/**
 * The app's console under the editor and preview: its errors (grouped, with where they come
 * from) and its last log lines; beside it, a terminal into the sandbox. The bar stays
 * visible when the panel is folded, with the error count and the Fix button.
 */
export function ConsolePanel(props: Props) {
  const { console: state, open, view, running, onToggle, onToggleTerminal, terminal, onFix, onClear, onOpenFile } = props
  const { errors, lines, connected } = state
  const [clearing, setClearing] = useState(false)
  const [clearError, setClearError] = useState<string | null>(null)
  const logRef = useRef<HTMLDivElement>(null)
  const pinned = useRef(true)

  // Follow new lines, unless the user scrolled up to read.
  useEffect(() => {
    const log = logRef.current
    if (log && pinned.current) log.scrollTop = log.scrollHeight
  }, [lines, open, view])

  const clear = async () => {
    setClearing(true)
    setClearError(null)
    try {
      await onClear()
    } catch (error) {
      setClearError(`Could not clear the errors: ${errorMessage(error)}`)
    } finally {
      setClearing(false)
    }
  }

  const count = errors.length
  const consoleShown = open && view === 'console'
  const terminalShown = open && view === 'terminal'
  return (
    <section className={`console-panel${open ? ' open' : ''}`} data-testid="console-panel" aria-label="Console">
      <div className="console-bar">
        <button
          type="button"
          className={`console-toggle${consoleShown ? ' current' : ''}`}
          data-testid="console-toggle"
          aria-expanded={consoleShown}
          aria-controls="console-body"
          onClick={onToggle}
        >
          <ChevronIcon size={12} className={`chevron${consoleShown ? ' open' : ''}`} />
          <span>Console</span>
          <span
            className={`console-count${count > 0 ? ' has-errors' : ''}`}
            data-testid="console-error-count"
            title={`${count} ${count === 1 ? 'error' : 'errors'}`}
          >
            {count}
          </span>
        </button>
        <button
          type="button"
          className={`console-toggle${terminalShown ? ' current' : ''}`}
          data-testid="terminal-tab"
          aria-expanded={terminalShown}
          aria-controls="terminal-body"
          title="A shell in the app's sandbox"
          onClick={onToggleTerminal}
        >
          <TerminalIcon size={13} />
          <span>Terminal</span>
        </button>
        {!connected && <span className="muted small">connecting…</span>}
        {clearError && (
          <span className="error-text small console-message" data-testid="console-message" role="alert">
            {clearError}
          </span>
        )}
        <div className="console-actions">
          <button
            type="button"
            className="button small"
            data-testid="console-fix"
            disabled={count === 0 || running}
            title={running ? 'Wait for the current run to finish' : 'Ask the model to fix these errors'}
            onClick={onFix}
          >
            <WrenchIcon size={12} /> Fix
          </button>
          <button
            type="button"
            className="button ghost small"
            data-testid="console-clear"
            disabled={clearing}
            title="Clear the errors and the log"
            onClick={() => void clear()}
          >
            Clear
          </button>
        </div>
      </div>
      {terminal !== null && (
        <div className="console-body terminal-body" id="terminal-body" hidden={!terminalShown}>
          {terminal}
        </div>
      )}
      {consoleShown && (
        <div className="console-body" id="console-body">
          {count > 0 && (
            <ul className="console-errors">
              {errors.map((error) => (
                <ConsoleErrorRow key={error.id} error={error} onOpenFile={onOpenFile} />
              ))}
            </ul>
          )}
          {lines.length === 0 && count === 0 && <p className="console-empty muted">The app&apos;s output appears here.</p>}
          <div
            ref={logRef}
            className="console-log"
            data-testid="console-log"
            onScroll={(event) => {
              const el = event.currentTarget
              pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24
            }}
          >
            {lines.map((line) => (
              <div key={line.id} className={`console-line ${line.kind}`}>
                {line.text}
              </div>
            ))}
          </div>
        </div>
      )}
    </section>
  )
}

function ConsoleErrorRow({ error, onOpenFile }: { error: AppError; onOpenFile: (path: string) => void }) {
  const where = errorLocation(error)
  const file = error.file
  return (
    <li className="console-error" data-testid="console-error" data-source={error.source} data-id={error.id}>
      <div className="console-error-head">
        <span className={`source-tag ${error.source}`}>{error.source}</span>
        <span className="console-error-message">{error.message}</span>
        {error.count > 1 && (
          <span className="console-repeat" title={`Reported ${error.count} times`}>
            ×{error.count}
          </span>
        )}
        {where && file && (
          <button type="button" className="link-button console-where" onClick={() => onOpenFile(file)}>
            <code>{where}</code>
          </button>
        )}
      </div>
      {error.detail && (
        <details className="console-detail">
          <summary>Details</summary>
          <pre>{error.detail}</pre>
        </details>
      )}
    </li>
  )
}
