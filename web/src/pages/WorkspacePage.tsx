import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react'

import { ChatPanel } from '../components/ChatPanel'
import { ConsolePanel } from '../components/ConsolePanel'
import { FileTree } from '../components/FileTree'
import { LockIcon } from '../components/icons'
import { Link } from '../components/Link'
import { PreviewPane } from '../components/PreviewPane'
import { ProjectSettingsPopover } from '../components/ProjectSettingsPopover'
import { SplitPane } from '../components/SplitPane'
import { TopBar } from '../components/TopBar'
import { WorkspaceHeader } from '../components/WorkspaceHeader'
import { sortedPaths } from '../state/workspace'
import { useProjectSettings } from '../state/useProjectSettings'
import { useWorkspace } from '../state/useWorkspace'

// Monaco is large: it loads in its own chunk, in parallel with the project.
const CodeEditor = lazy(() => import('../editor/CodeEditor').then((m) => ({ default: m.CodeEditor })))

const CONSOLE_OPEN_KEY = 'tessera.console.open'

/** The console's folded or unfolded state, remembered across pages and reloads. */
function useConsoleOpen(): [boolean, (open: boolean) => void] {
  const [open, setOpen] = useState(() => window.localStorage.getItem(CONSOLE_OPEN_KEY) === 'true')
  const change = useCallback((next: boolean) => {
    setOpen(next)
    window.localStorage.setItem(CONSOLE_OPEN_KEY, String(next))
  }, [])
  return [open, change]
}

export function WorkspacePage({ projectId }: { projectId: string }) {
  const workspace = useWorkspace(projectId)
  const { state, status, running, send, fix, enhance, clearConsole, warn, modelChanged } = workspace
  const { edit, deployNow, openFile, reloadPreview } = workspace
  const projectSettings = useProjectSettings(projectId, warn)
  const { locked, toggleLock } = projectSettings
  const [consoleOpen, setConsoleOpen] = useConsoleOpen()
  const { project, files, openPath } = state
  const title = project ? project.title || project.name : ''
  // Stable while only contents change (each streamed delta), so the tree is not rebuilt.
  const pathKey = sortedPaths(files).join('\n')
  const paths = useMemo(() => (pathKey ? pathKey.split('\n') : []), [pathKey])
  const openContent = openPath ? (files[openPath]?.content ?? null) : null
  const dirtyCount = Object.keys(state.dirty).length

  useEffect(() => {
    document.title = title ? `${title} · Tessera` : 'Tessera'
  }, [title])

  if (state.loadError) {
    return (
      <div className="page">
        <TopBar />
        <main className="centered">
          <h1>Project not available</h1>
          <p className="error-text">{state.loadError}</p>
          <Link href="/" className="button">
            Back to projects
          </Link>
        </main>
      </div>
    )
  }

  const code = (
    <div className="code-area">
      <FileTree
        paths={paths}
        openPath={openPath}
        dirty={state.dirty}
        streamingPath={state.streamingPath}
        locked={locked}
        onOpen={openFile}
        onToggleLock={toggleLock}
      />
      <div className="editor-column">
        <div className="editor-tabbar">
          <span className="editor-path">{openPath ?? ''}</span>
          {openPath && locked.has(openPath) && <LockIcon size={12} className="tab-lock" />}
          {openPath && openPath in state.dirty && <span className="dirty-dot" title="Edited, not deployed yet" />}
        </div>
        {openPath && locked.has(openPath) && (
          <div className="locked-banner" data-testid="locked-banner">
            <LockIcon size={12} />
            <span>Locked: the AI will not change this file</span>
            <button type="button" className="link-button inline" onClick={() => toggleLock(openPath)}>
              Unlock
            </button>
          </div>
        )}
        <Suspense fallback={<div className="editor-host"><div className="editor-overlay">Loading the editor…</div></div>}>
          <CodeEditor
            path={openPath}
            content={openContent}
            paths={paths}
            readOnly={running}
            follow={state.streamingPath !== null && state.streamingPath === openPath}
            onChange={edit}
          />
        </Suspense>
      </div>
    </div>
  )

  return (
    <div className="page workspace-page">
      <TopBar>
        {project && <span className="crumb">{title}</span>}
      </TopBar>
      <div className="workspace">
        <ChatPanel
          items={state.chat}
          running={running}
          modelLabel={state.modelLabel}
          onSend={(text, mode) => void send(text, { mode })}
          onEnhance={enhance}
          onOpenFile={openFile}
          onShowConsole={() => setConsoleOpen(true)}
        />
        <section className="work-area">
          <WorkspaceHeader
            title={project ? title : 'Loading…'}
            status={status}
            dirtyCount={dirtyCount}
            deploying={state.deploying}
            running={running}
            onDeploy={() => void deployNow({ force: true })}
          >
            <ProjectSettingsPopover
              settings={projectSettings.settings}
              onSave={projectSettings.save}
              onSaved={modelChanged}
            />
          </WorkspaceHeader>
          <SplitPane
            storageKey="tessera.split"
            initial={0.5}
            first={code}
            second={<PreviewPane preview={state.preview} log={state.lastLog} onReload={reloadPreview} />}
          />
          <ConsolePanel
            console={state.console}
            open={consoleOpen}
            running={running}
            onToggle={() => setConsoleOpen(!consoleOpen)}
            onFix={() => void fix()}
            onClear={clearConsole}
            onOpenFile={openFile}
          />
        </section>
      </div>
    </div>
  )
}
