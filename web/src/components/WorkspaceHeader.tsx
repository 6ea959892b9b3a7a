import type { ReactNode } from 'react'

import { RocketIcon } from './icons'

interface Props {
  title: string
  status: string
  dirtyCount: number
  deploying: boolean
  running: boolean
  onDeploy: () => void
  /** More actions, before Deploy (history, export, the project's settings). */
  children?: ReactNode
  /** A short message after the status (what a restore or an undo did). */
  notice?: ReactNode
}

function statusKind(status: string): string {
  if (status.startsWith('error')) return 'error'
  if (status.startsWith('Checking')) return 'checking'
  return status
}

export function WorkspaceHeader({ title, status, dirtyCount, deploying, running, onDeploy, children, notice }: Props) {
  const kind = statusKind(status)
  return (
    <div className="workspace-header">
      <h1 className="project-title" data-testid="project-title" title={title}>
        {title}
      </h1>
      <div className={`status status-${kind}`} title={status}>
        <span className="status-dot" />
        <span className="status-text" data-testid="status">
          {status}
        </span>
      </div>
      {notice}
      <div className="header-actions">
        {dirtyCount > 0 && (
          <span className="muted small">
            {deploying ? 'Deploying…' : `${dirtyCount} unsaved ${dirtyCount === 1 ? 'file' : 'files'}`}
          </span>
        )}
        {children}
        <button
          type="button"
          className="button"
          data-testid="deploy-button"
          disabled={deploying || running}
          onClick={onDeploy}
          title="Send your edits to the preview now"
        >
          <RocketIcon size={14} /> {deploying ? 'Deploying…' : 'Deploy'}
        </button>
      </div>
    </div>
  )
}
