import { useEffect, useRef, useState, type KeyboardEvent } from 'react'

import type { Project } from '../api/client'
import { projectPath } from '../router'
import { timeAgo } from '../time'
import { CopyIcon, PencilIcon, TrashIcon } from './icons'
import { Link } from './Link'

interface Props {
  projects: Project[] | null
  error: string | null
  /** The project whose action (rename, duplicate) is under way. */
  busyId: string | null
  onRename: (project: Project, name: string) => Promise<void>
  onDuplicate: (project: Project) => void
  onDelete: (project: Project) => void
}

export function ProjectList({ projects, error, busyId, onRename, onDuplicate, onDelete }: Props) {
  if (error && projects === null) return <p className="muted error-text">Could not load the projects: {error}</p>
  if (projects === null) return <p className="muted">Loading projects…</p>
  if (projects.length === 0) {
    return (
      <p className="muted" data-testid="project-list">
        No projects yet. Describe an app above, start from a template or import one.
      </p>
    )
  }
  return (
    <ul className="project-grid" data-testid="project-list">
      {projects.map((project) => (
        <ProjectCard
          key={project.id}
          project={project}
          busy={busyId === project.id}
          onRename={onRename}
          onDuplicate={onDuplicate}
          onDelete={onDelete}
        />
      ))}
    </ul>
  )
}

interface CardProps {
  project: Project
  busy: boolean
  onRename: (project: Project, name: string) => Promise<void>
  onDuplicate: (project: Project) => void
  onDelete: (project: Project) => void
}

/** One project: its preview's screenshot, name, template and last change; rename in place. */
function ProjectCard({ project, busy, onRename, onDuplicate, onDelete }: CardProps) {
  const [renaming, setRenaming] = useState(false)
  const [broken, setBroken] = useState(false)
  const href = projectPath(project.id)
  const thumbnail = project.thumbnail_url && !broken ? project.thumbnail_url : null
  return (
    <li className="project-card" data-testid="project-card" data-project-id={project.id} data-id={project.id}>
      <Link href={href} className="project-thumb" tabIndex={-1} aria-hidden="true">
        {thumbnail ? (
          <img data-testid="project-thumbnail" src={thumbnail} alt="" loading="lazy" onError={() => setBroken(true)} />
        ) : (
          <span className="thumb-placeholder" data-testid="project-thumbnail" data-placeholder="true">
            {(project.name.trim()[0] ?? '?').toUpperCase()}
          </span>
        )}
      </Link>
      <div className="project-card-body">
        {renaming ? (
          <RenameField
            initial={project.name}
            onDone={async (name) => {
              if (name && name !== project.name) await onRename(project, name)
              setRenaming(false)
            }}
            onCancel={() => setRenaming(false)}
          />
        ) : (
          <Link href={href} className="project-card-title" title={project.title ?? project.name}>
            {project.name}
          </Link>
        )}
        {project.description && <div className="project-card-description">{project.description}</div>}
        <div className="project-card-meta">
          <span className="badge" data-testid="project-template">
            {project.template}
          </span>
          <span data-testid="project-updated" title={project.updated_at}>
            {timeAgo(project.updated_at)}
          </span>
          <span className="project-card-actions">
            <button
              type="button"
              className="icon-button small"
              data-testid="project-rename"
              title="Rename"
              aria-label={`Rename ${project.name}`}
              disabled={busy}
              onClick={() => setRenaming(true)}
            >
              <PencilIcon size={13} />
            </button>
            <button
              type="button"
              className="icon-button small"
              data-testid="project-duplicate"
              title="Duplicate"
              aria-label={`Duplicate ${project.name}`}
              disabled={busy}
              onClick={() => onDuplicate(project)}
            >
              <CopyIcon size={13} />
            </button>
            <button
              type="button"
              className="icon-button small danger"
              data-testid="project-delete"
              title="Delete"
              aria-label={`Delete ${project.name}`}
              disabled={busy}
              onClick={() => onDelete(project)}
            >
              <TrashIcon size={13} />
            </button>
          </span>
        </div>
      </div>
    </li>
  )
}

/** Enter saves, Escape (or leaving the field) cancels. */
function RenameField({
  initial,
  onDone,
  onCancel,
}: {
  initial: string
  onDone: (name: string) => Promise<void>
  onCancel: () => void
}) {
  const [value, setValue] = useState(initial)
  const [saving, setSaving] = useState(false)
  const ref = useRef<HTMLInputElement>(null)
  useEffect(() => {
    ref.current?.select()
  }, [])
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault()
      setSaving(true)
      void onDone(value.trim()).finally(() => setSaving(false))
    } else if (event.key === 'Escape') {
      event.preventDefault()
      onCancel()
    }
  }
  return (
    <input
      ref={ref}
      className="project-rename-input"
      data-testid="project-rename-input"
      aria-label="Project name"
      value={value}
      maxLength={200}
      autoFocus
      disabled={saving}
      onChange={(event) => setValue(event.target.value)}
      onKeyDown={onKeyDown}
      onBlur={() => {
        if (!saving) onCancel()
      }}
    />
  )
}
