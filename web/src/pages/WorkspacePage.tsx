import { lazy, Suspense, useEffect, useMemo } from 'react'

import { ChatPanel } from '../components/ChatPanel'
import { FileTree } from '../components/FileTree'
import { Link } from '../components/Link'
import { PreviewPane } from '../components/PreviewPane'
import { SplitPane } from '../components/SplitPane'
import { TopBar } from '../components/TopBar'
import { WorkspaceHeader } from '../components/WorkspaceHeader'
import { sortedPaths } from '../state/workspace'
import { useWorkspace } from '../state/useWorkspace'

// Monaco is large: it loads in its own chunk, in parallel with the project.
const CodeEditor = lazy(() => import('../editor/CodeEditor').then((m) => ({ default: m.CodeEditor })))

export function WorkspacePage({ projectId }: { projectId: string }) {
  const { state, status, running, send, edit, deployNow, openFile, reloadPreview } = useWorkspace(projectId)
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
        onOpen={openFile}
      />
      <div className="editor-column">
        <div className="editor-tabbar">
          <span className="editor-path">{openPath ?? ''}</span>
          {openPath && openPath in state.dirty && <span className="dirty-dot" title="Edited, not deployed yet" />}
        </div>
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
          onSend={(text) => void send(text)}
          onOpenFile={openFile}
        />
        <section className="work-area">
          <WorkspaceHeader
            title={project ? title : 'Loading…'}
            status={status}
            dirtyCount={dirtyCount}
            deploying={state.deploying}
            running={running}
            onDeploy={() => void deployNow({ force: true })}
          />
          <SplitPane
            storageKey="tessera.split"
            initial={0.5}
            first={code}
            second={<PreviewPane preview={state.preview} log={state.lastLog} onReload={reloadPreview} />}
          />
        </section>
      </div>
    </div>
  )
}
