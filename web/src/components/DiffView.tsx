import { lazy, Suspense, useEffect, useState } from 'react'

import type { FileChange } from '../api/history'
import { CloseIcon } from './icons'

// Monaco's diff editor shares Monaco's chunk with the code editor; it loads on first use.
const DiffEditor = lazy(() => import('../editor/DiffEditor').then((m) => ({ default: m.DiffEditor })))

export interface DiffViewFile {
  path: string
  change: FileChange | (string & {})
  /** Null: absent before; undefined: still loading. */
  before: string | null | undefined
  after: string | null
}

interface Props {
  title: string
  /** A short line under the title (e.g. "live: updates while the run writes"). */
  subtitle?: string
  files: readonly DiffViewFile[]
  /** The file to show first (the list's first otherwise). */
  initialPath?: string | null
  onClose: () => void
}

const CHANGE_LABEL: Record<string, string> = { added: 'A', modified: 'M', deleted: 'D' }

/**
 * A comparison: the changed files on the left, the chosen one in Monaco's diff editor
 * (before on the left side, after on the right).
 */
export function DiffView({ title, subtitle, files, initialPath, onClose }: Props) {
  const [chosen, setChosen] = useState<string | null>(initialPath ?? null)
  useEffect(() => {
    if (initialPath) setChosen(initialPath)
  }, [initialPath])
  const current = files.find((f) => f.path === chosen) ?? files[0] ?? null

  return (
    <section className="diff-view" data-testid="diff-view" aria-label={title}>
      <div className="panel-header compact">
        <span className="diff-title">
          <strong>{title}</strong>
          {subtitle && <span className="muted small"> · {subtitle}</span>}
        </span>
        <button type="button" className="icon-button small" data-testid="diff-close" aria-label="Close the comparison" title="Close" onClick={onClose}>
          <CloseIcon size={13} />
        </button>
      </div>
      {files.length === 0 ? (
        <p className="muted diff-empty">No file differs.</p>
      ) : (
        <div className="diff-body">
          <ul className="diff-files" aria-label="Changed files">
            {files.map((file) => (
              <li key={file.path}>
                <button
                  type="button"
                  className={`diff-file${file.path === current?.path ? ' active' : ''}`}
                  data-testid="diff-file"
                  data-path={file.path}
                  data-change={file.change}
                  aria-current={file.path === current?.path ? 'true' : undefined}
                  title={file.path}
                  onClick={() => setChosen(file.path)}
                >
                  <span className={`change-tag ${file.change}`}>{CHANGE_LABEL[file.change] ?? '?'}</span>
                  <span className="diff-file-path">
                      <bdi>{file.path}</bdi>
                    </span>
                </button>
              </li>
            ))}
          </ul>
          <div className="diff-editor-host">
            {current && current.before === undefined ? (
              <div className="editor-overlay">Loading {current.path}…</div>
            ) : current ? (
              <Suspense fallback={<div className="editor-overlay">Loading the editor…</div>}>
                <DiffEditor path={current.path} before={current.before ?? null} after={current.after} />
              </Suspense>
            ) : null}
          </div>
        </div>
      )}
    </section>
  )
}
