import type { Project } from '../api/client'
import { projectPath } from '../router'
import { timeAgo } from '../time'
import { TrashIcon } from './icons'
import { Link } from './Link'

interface Props {
  projects: Project[] | null
  error: string | null
  onDelete: (project: Project) => void
}

export function ProjectList({ projects, error, onDelete }: Props) {
  if (error) return <p className="muted error-text">Could not load the projects: {error}</p>
  if (projects === null) return <p className="muted">Loading projects…</p>
  if (projects.length === 0) {
    return (
      <p className="muted" data-testid="project-list">
        No projects yet. Describe an app above to create the first one.
      </p>
    )
  }
  return (
    <ul className="project-grid" data-testid="project-list">
      {projects.map((project) => (
        <li key={project.id} className="project-card-wrap">
          <Link href={projectPath(project.id)} className="project-card" data-testid="project-card" data-id={project.id}>
            <div className="project-card-title">{project.title || project.name}</div>
            {project.description && <div className="project-card-description">{project.description}</div>}
            <div className="project-card-meta">
              <span className="badge">{project.template}</span>
              <span>{timeAgo(project.updated_at)}</span>
            </div>
          </Link>
          <button
            type="button"
            className="icon-button project-card-delete"
            title="Delete project"
            aria-label={`Delete ${project.title || project.name}`}
            onClick={() => onDelete(project)}
          >
            <TrashIcon size={14} />
          </button>
        </li>
      ))}
    </ul>
  )
}
