import { useEffect, useRef, useState, type KeyboardEvent } from 'react'

import { api, errorMessage, type Project } from '../api/client'
import { ArrowUpIcon } from '../components/icons'
import { ProjectList } from '../components/ProjectList'
import { TopBar } from '../components/TopBar'
import { navigate, projectPath } from '../router'
import { setPendingPrompt } from '../state/pendingPrompt'

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

export function HomePage() {
  const [prompt, setPrompt] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [projects, setProjects] = useState<Project[] | null>(null)
  const [listError, setListError] = useState<string | null>(null)
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

  const remove = async (project: Project) => {
    if (!window.confirm(`Delete “${project.title || project.name}”? This cannot be undone.`)) return
    try {
      await api.deleteProject(project.id)
      setProjects((list) => list?.filter((p) => p.id !== project.id) ?? null)
    } catch (e) {
      setListError(errorMessage(e))
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
          <ProjectList projects={projects} error={listError} onDelete={(p) => void remove(p)} />
        </section>
      </main>
    </div>
  )
}
