import { useEffect, useRef, useState, type ChangeEvent, type KeyboardEvent } from 'react'

import { api, errorMessage, type Project } from '../api/client'
import { projectsApi, TEMPLATES, type ImportedProject, type TemplateName } from '../api/projects'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { ArrowUpIcon, FolderIcon, UploadIcon } from '../components/icons'
import { Link } from '../components/Link'
import { ProjectList } from '../components/ProjectList'
import { TopBar } from '../components/TopBar'
import { navigate, projectPath } from '../router'
import { setPendingPrompt } from '../state/pendingPrompt'
import { mergeSkipped, summariseSkipped, uploadEntries, uploadLimitProblem, type SkippedFile } from '../state/uploads'

const EXAMPLES = [
  'A todo app with local storage',
  'A kanban board',
  'A stopwatch with laps',
  'A markdown note editor',
  'A weather dashboard with mock data',
  'A pomodoro timer',
]

/** A project name from the first words of the prompt. */
export function nameFromPrompt(prompt: string, maxWords = 6, maxLength = 60): string {
  const words = prompt.trim().split(/\s+/).slice(0, maxWords).join(' ')
  const name = words.length > maxLength ? `${words.slice(0, maxLength).trimEnd()}…` : words
  return name || 'Untitled app'
}

/** "my-app.zip" → "my-app"; a folder's files → the folder's name. */
export function importName(files: readonly { name: string; webkitRelativePath?: string }[]): string | undefined {
  const first = files[0]
  if (!first) return undefined
  const folder = first.webkitRelativePath?.split('/')[0]
  if (folder && files.every((f) => f.webkitRelativePath?.startsWith(`${folder}/`))) return folder
  const name = first.name.replace(/\.zip$/i, '')
  return name || undefined
}

interface ImportOutcome {
  project: ImportedProject
  skipped: SkippedFile[]
}

export function HomePage() {
  const [prompt, setPrompt] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [projects, setProjects] = useState<Project[] | null>(null)
  const [listError, setListError] = useState<string | null>(null)
  const [busyId, setBusyId] = useState<string | null>(null)
  const [deleting, setDeleting] = useState<Project | null>(null)
  const [deleteBusy, setDeleteBusy] = useState(false)
  const [deleteError, setDeleteError] = useState<string | null>(null)
  const [importing, setImporting] = useState(false)
  const [imported, setImported] = useState<ImportOutcome | null>(null)
  const [importError, setImportError] = useState<string | null>(null)
  const inputRef = useRef<HTMLTextAreaElement>(null)

  useEffect(() => {
    document.title = 'Tessera'
    const controller = new AbortController()
    api
      .listProjects(controller.signal)
      .then(setProjects)
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setListError(errorMessage(e))
      })
    return () => controller.abort()
  }, [])

  const submit = async () => {
    const text = prompt.trim()
    if (!text || busy) return
    setBusy(true)
    setError(null)
    try {
      const project = await api.createProject({ name: nameFromPrompt(text) })
      setPendingPrompt(project.id, text)
      navigate(projectPath(project.id))
    } catch (e) {
      setError(errorMessage(e))
      setBusy(false)
    }
  }

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault()
      void submit()
    }
  }

  const createFromTemplate = async (template: TemplateName, label: string) => {
    if (busy) return
    setBusy(true)
    setError(null)
    try {
      const project = await projectsApi.create({ name: `${label} app`, template })
      navigate(projectPath(project.id))
    } catch (e) {
      setError(errorMessage(e))
      setBusy(false)
    }
  }

  const confirmDelete = async () => {
    if (!deleting) return
    setDeleteBusy(true)
    setDeleteError(null)
    try {
      await api.deleteProject(deleting.id)
      setProjects((list) => list?.filter((p) => p.id !== deleting.id) ?? null)
      setDeleting(null)
    } catch (e) {
      setDeleteError(errorMessage(e))
    } finally {
      setDeleteBusy(false)
    }
  }

  const rename = async (project: Project, name: string) => {
    setBusyId(project.id)
    setListError(null)
    try {
      const renamed = await projectsApi.rename(project.id, name)
      setProjects((list) => list?.map((p) => (p.id === project.id ? { ...p, ...renamed } : p)) ?? null)
    } catch (e) {
      setListError(`Could not rename “${project.name}”: ${errorMessage(e)}`)
    } finally {
      setBusyId(null)
    }
  }

  const duplicate = async (project: Project) => {
    setBusyId(project.id)
    setListError(null)
    try {
      const copy = await projectsApi.duplicate(project.id)
      setProjects((list) => [copy, ...(list ?? [])])
    } catch (e) {
      setListError(`Could not duplicate “${project.name}”: ${errorMessage(e)}`)
    } finally {
      setBusyId(null)
    }
  }

  /** A zip (one file) or a folder (its files, each with its path inside the folder). */
  const importChosen = async (event: ChangeEvent<HTMLInputElement>, kind: 'zip' | 'folder') => {
    const input = event.currentTarget
    const chosen = Array.from(input.files ?? [])
    input.value = '' // the same choice can be imported again
    if (chosen.length === 0) return
    setImportError(null)
    setImported(null)
    const name = importName(chosen)
    let localSkipped: SkippedFile[] = []
    let request: () => Promise<ImportedProject>
    if (kind === 'zip') {
      request = () => projectsApi.importZip(chosen[0], name)
    } else {
      const { entries, skipped } = uploadEntries(chosen)
      const problem = uploadLimitProblem(entries)
      if (problem) {
        setImportError(problem)
        return
      }
      localSkipped = skipped
      request = () => projectsApi.importFiles(entries, name)
    }
    setImporting(true)
    try {
      const project = await request()
      setImported({ project, skipped: mergeSkipped(localSkipped, project.skipped) })
      setProjects((list) => [project, ...(list ?? []).filter((p) => p.id !== project.id)])
    } catch (e) {
      setImportError(errorMessage(e))
    } finally {
      setImporting(false)
    }
  }

  return (
    <div className="page">
      <TopBar />
      <main className="home">
        <section className="hero">
          <h1>What do you want to build?</h1>
          <p className="muted">Describe an app. Tessera writes the code and runs it live while you watch.</p>
          <form
            className="prompt-card"
            onSubmit={(event) => {
              event.preventDefault()
              void submit()
            }}
          >
            <textarea
              ref={inputRef}
              data-testid="home-prompt"
              className="prompt-input"
              placeholder="Describe the app you want"
              aria-label="Describe the app you want"
              value={prompt}
              rows={3}
              autoFocus
              disabled={busy}
              onChange={(event) => setPrompt(event.target.value)}
              onKeyDown={onKeyDown}
            />
            <div className="prompt-actions">
              <span className="hint">
                <kbd>Enter</kbd> to start · <kbd>Shift</kbd>+<kbd>Enter</kbd> for a new line
              </span>
              <button
                type="submit"
                className="button primary round"
                data-testid="home-submit"
                disabled={busy || !prompt.trim()}
                aria-label="Create the app"
                title="Create the app"
              >
                <ArrowUpIcon />
              </button>
            </div>
          </form>
          {error && <p className="error-text">{error}</p>}
          <div className="start-options">
            <div className="start-group" role="group" aria-label="Start from a template">
              <span className="start-label">Start from a template</span>
              {TEMPLATES.map((t) => (
                <button
                  key={t.name}
                  type="button"
                  className="button small"
                  data-testid={`new-from-template-${t.name}`}
                  title={t.description}
                  disabled={busy}
                  onClick={() => void createFromTemplate(t.name, t.label)}
                >
                  {t.label}
                </button>
              ))}
            </div>
            <div className="start-group" role="group" aria-label="Import a project">
              <span className="start-label">Import</span>
              <label className={`button small${importing ? ' disabled' : ''}`} title="A zip of a project's files">
                <UploadIcon size={13} /> Zip
                <input
                  type="file"
                  accept=".zip,application/zip"
                  className="visually-hidden"
                  data-testid="import-zip"
                  disabled={importing}
                  onChange={(event) => void importChosen(event, 'zip')}
                />
              </label>
              <label className={`button small${importing ? ' disabled' : ''}`} title="A folder with a project's files">
                <FolderIcon size={13} /> Folder
                <input
                  type="file"
                  multiple
                  className="visually-hidden"
                  data-testid="import-folder"
                  disabled={importing}
                  onChange={(event) => void importChosen(event, 'folder')}
                  {...{ webkitdirectory: '', directory: '' }}
                />
              </label>
              {importing && <span className="spinner small" aria-label="Importing" />}
            </div>
          </div>
          {importError && (
            <p className="error-text" data-testid="import-error" role="alert">
              {importError}
            </p>
          )}
          {imported && (
            <div className="import-result" data-testid="import-result">
              <p>
                Imported <strong>{imported.project.name}</strong>
                {imported.skipped.length > 0
                  ? `; ${imported.skipped.length} ${imported.skipped.length === 1 ? 'file was' : 'files were'} skipped:`
                  : '.'}{' '}
                <Link href={projectPath(imported.project.id)} className="link-button inline" data-testid="import-open">
                  Open it
                </Link>
              </p>
              {imported.skipped.length > 0 && (
                <ul className="import-skipped" data-testid="import-skipped">
                  {summariseSkipped(imported.skipped).map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
          <div className="chips">
            {EXAMPLES.map((example) => (
              <button
                key={example}
                type="button"
                className="chip"
                data-testid="example-chip"
                onClick={() => {
                  setPrompt(example)
                  inputRef.current?.focus()
                }}
              >
                {example}
              </button>
            ))}
          </div>
        </section>
        <section className="projects">
          <h2>Your projects</h2>
          {listError && projects !== null && (
            <p className="error-text" data-testid="project-error" role="alert">
              {listError}
            </p>
          )}
          <ProjectList
            projects={projects}
            error={listError}
            busyId={busyId}
            onRename={rename}
            onDuplicate={(p) => void duplicate(p)}
            onDelete={(p) => {
              setDeleteError(null)
              setDeleting(p)
            }}
          />
        </section>
        {deleting && (
          <ConfirmDialog
            title="Delete project"
            confirmLabel="Delete"
            busy={deleteBusy}
            error={deleteError}
            onConfirm={() => void confirmDelete()}
            onCancel={() => setDeleting(null)}
          >
            <p>
              Delete <strong>{deleting.name}</strong> with its files, history and chat? This cannot be undone.
            </p>
          </ConfirmDialog>
        )}
      </main>
    </div>
  )
}
