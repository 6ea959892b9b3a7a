import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react'

import { ChatPanel } from '../components/ChatPanel'
import type { ChatInputHandle } from '../components/ChatInput'
import { ConsolePanel, type BottomView } from '../components/ConsolePanel'
import { DiffView, type DiffViewFile } from '../components/DiffView'
import { EditConflictBanner } from '../components/EditConflictBanner'
import { EditorTabs } from '../components/EditorTabs'
import { ExportMenu } from '../components/ExportMenu'
import { FileExplorer } from '../components/FileExplorer'
import { HistoryPanel } from '../components/HistoryPanel'
import { CloseIcon, HistoryIcon, LockIcon, UndoIcon } from '../components/icons'
import { Link } from '../components/Link'
import { PreviewPane } from '../components/PreviewPane'
import { ProjectSettingsPopover } from '../components/ProjectSettingsPopover'
import { SplitPane } from '../components/SplitPane'
import { TopBar } from '../components/TopBar'
import { WorkspaceHeader } from '../components/WorkspaceHeader'
import { turnDiffFiles } from '../state/turnDiff'
import { sortedPaths } from '../state/workspace'
import { useFileOps } from '../state/useFileOps'
import { useHistory } from '../state/useHistory'
import { useProjectSettings } from '../state/useProjectSettings'
import { useWorkspace } from '../state/useWorkspace'

// Monaco is large: it loads in its own chunk, in parallel with the project.
const CodeEditor = lazy(() => import('../editor/CodeEditor').then((m) => ({ default: m.CodeEditor })))
// The terminal (xterm.js) loads the first time it is shown. TerminalPanel.tsx is the terminal's own module.
const TerminalPanel = lazy(() => import('../components/TerminalPanel').then((m) => ({ default: m.TerminalPanel })))

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

/** Ctrl on Linux and Windows, Cmd on macOS. */
const isCtrlOrCmd = (event: KeyboardEvent) => event.ctrlKey || event.metaKey

export function WorkspacePage({ projectId }: { projectId: string }) {
  const workspace = useWorkspace(projectId)
  const { state, status, running, send, fix, enhance, clearConsole, warn, modelChanged } = workspace
  const { edit, deployNow, save, openFile, closeTab, refresh, reloadPreview, dispatch } = workspace
  const projectSettings = useProjectSettings(projectId, warn)
  const { locked, toggleLock } = projectSettings
  const [consoleOpen, setConsoleOpen] = useConsoleOpen()
  const [bottomView, setBottomView] = useState<BottomView>('console')
  const [terminalMounted, setTerminalMounted] = useState(false)
  const [historyOpen, setHistoryOpen] = useState(false)
  /** The file whose live diff ("Changes in this turn") is shown, or null. */
  const [turnDiffPath, setTurnDiffPath] = useState<string | null>(null)
  const chatInput = useRef<ChatInputHandle>(null)
  const { project, files, openPath } = state
  const title = project ? project.title || project.name : ''
  // Stable while only contents change (each streamed delta), so the tree is not rebuilt.
  const pathKey = sortedPaths(files).join('\n')
  const paths = useMemo(() => (pathKey ? pathKey.split('\n') : []), [pathKey])
  const dirtyCount = Object.keys(state.dirty).length

  const fileOps = useFileOps(projectId, { state, dispatch, deployNow, refresh, moveLocks: projectSettings.moveLocks })
  const flush = useCallback(() => deployNow(), [deployNow])
  const reloadFiles = useCallback(() => refresh(true), [refresh])
  const history = useHistory(projectId, {
    open: historyOpen,
    // A run or a deploy ended, a save or a file change happened: maybe a new version.
    changeKey: `${running}:${state.deploying}:${dirtyCount}:${paths.length}:${project?.updated_at ?? ''}`,
    flush,
    reloadFiles,
  })

  useEffect(() => {
    document.title = title ? `${title} · Tessera` : 'Tessera'
  }, [title])

  // Ctrl/Cmd+S saves the open file at once; Ctrl/Cmd+Enter sends the message from anywhere
  // in the workspace (the message box handles its own keys).
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (!isCtrlOrCmd(event) || event.altKey || event.isComposing) return
      if (event.key === 's' || event.key === 'S') {
        event.preventDefault()
        void save()
      } else if (event.key === 'Enter') {
        const target = event.target as HTMLElement | null
        if (target?.closest('.chat-input')) return
        event.preventDefault()
        event.stopPropagation()
        chatInput.current?.send()
      }
    }
    window.addEventListener('keydown', onKeyDown, true)
    return () => window.removeEventListener('keydown', onKeyDown, true)
  }, [save])

  const turnFiles = useMemo(() => (state.turn ? turnDiffFiles(state.turn, files) : null), [state.turn, files])
  const { loadTurnBase } = workspace
  // The live diff needs each file's content at the run's start; read the ones not known yet.
  useEffect(() => {
    if (turnDiffPath === null || !turnFiles) return
    for (const file of turnFiles) if (file.before === undefined) loadTurnBase(file.path)
  }, [turnDiffPath, turnFiles, loadTurnBase])

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

  const toggleConsole = () => {
    if (consoleOpen && bottomView === 'terminal') setBottomView('console')
    else setConsoleOpen(!consoleOpen)
  }
  const toggleTerminal = () => {
    if (consoleOpen && bottomView === 'terminal') {
      setConsoleOpen(false)
      return
    }
    setTerminalMounted(true)
    setBottomView('terminal')
    setConsoleOpen(true)
  }

  // The comparison chosen in the history, or the live diff of the run's changes.
  let diff: { title: string; subtitle?: string; files: DiffViewFile[]; initialPath: string | null; onClose: () => void } | null = null
  if (history.comparison) {
    diff = {
      title: history.comparison.title,
      files: history.comparison.files,
      initialPath: null,
      onClose: history.closeComparison,
    }
  } else if (turnDiffPath !== null && turnFiles !== null) {
    diff = {
      title: running ? 'Changes in this turn' : 'Changes in the last turn',
      subtitle: running ? 'live' : undefined,
      files: turnFiles,
      initialPath: turnDiffPath,
      onClose: () => setTurnDiffPath(null),
    }
  }

  const code = (
    <div className="code-area" hidden={diff !== null}>
      <FileExplorer
        paths={paths}
        openPath={openPath}
        dirty={state.dirty}
        streamingPath={state.streamingPath}
        locked={locked}
        ops={fileOps}
        onOpen={openFile}
        onToggleLock={toggleLock}
      />
      <div className="editor-column">
        <EditorTabs
          tabs={state.tabs}
          active={openPath}
          dirty={state.dirty}
          locked={locked}
          onSelect={openFile}
          onClose={closeTab}
        />
        {state.conflict && (
          <EditConflictBanner
            conflict={state.conflict}
            onOpen={openFile}
            onReload={() => void workspace.reloadConflict()}
            onOverwrite={() => void workspace.overwriteConflict()}
          />
        )}
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
            files={files}
            readOnly={running}
            follow={state.streamingPath !== null && state.streamingPath === openPath}
            onChange={edit}
          />
        </Suspense>
      </div>
    </div>
  )

  const codePane = (
    <div className="code-pane">
      {code}
      {diff && (
        <DiffView
          key={diff.title}
          title={diff.title}
          subtitle={diff.subtitle}
          files={diff.files}
          initialPath={diff.initialPath}
          onClose={diff.onClose}
        />
      )}
    </div>
  )

  const notice = history.message && (
    <span
      className={`header-notice ${history.message.kind}`}
      data-testid="history-message"
      data-kind={history.message.kind}
      role={history.message.kind === 'error' ? 'alert' : 'status'}
      title={history.message.text}
    >
      {history.message.text}
      <button type="button" className="icon-button tiny" aria-label="Dismiss" onClick={history.dismissMessage}>
        <CloseIcon size={10} />
      </button>
    </span>
  )

  return (
    <div className="page workspace-page">
      <TopBar>
        {project && <span className="crumb">{title}</span>}
      </TopBar>
      <div className="workspace">
        <ChatPanel
          inputRef={chatInput}
          items={state.chat}
          running={running}
          loading={project === null}
          modelLabel={state.modelLabel}
          onSend={(text, mode) => void send(text, { mode })}
          onEnhance={enhance}
          onOpenFile={openFile}
          onShowConsole={() => {
            setBottomView('console')
            setConsoleOpen(true)
          }}
        />
        <section className="work-area">
          <WorkspaceHeader
            title={project ? title : 'Loading…'}
            status={status}
            dirtyCount={dirtyCount}
            deploying={state.deploying}
            running={running}
            onDeploy={() => void deployNow({ force: true })}
            notice={notice}
          >
            <button
              type="button"
              className="button ghost"
              data-testid="undo-turn"
              aria-label="Undo the last turn"
              disabled={history.busy !== null}
              title="Undo the last AI turn (recorded as a new version; nothing is lost)"
              onClick={() => void history.undo()}
            >
              <UndoIcon size={14} />
              <span className="label-text">{history.busy === 'undo' ? 'Undoing…' : 'Undo turn'}</span>
            </button>
            <button
              type="button"
              className={`button ghost${historyOpen ? ' pressed' : ''}`}
              data-testid="history-toggle"
              aria-label="History"
              aria-expanded={historyOpen}
              aria-pressed={historyOpen}
              title="Versions: compare, restore"
              onClick={() => setHistoryOpen(!historyOpen)}
            >
              <HistoryIcon size={14} />
              <span className="label-text">History</span>
              {running && turnFiles && turnFiles.length > 0 && <span className="count-badge">{turnFiles.length}</span>}
            </button>
            <ExportMenu projectId={projectId} onBeforeExport={flush} />
            <ProjectSettingsPopover
              settings={projectSettings.settings}
              onSave={projectSettings.save}
              onSaved={modelChanged}
            />
          </WorkspaceHeader>
          <div className="work-body">
            <SplitPane
              storageKey="tessera.split"
              initial={0.5}
              first={codePane}
              second={<PreviewPane preview={state.preview} log={state.lastLog} onReload={reloadPreview} />}
            />
            {historyOpen && (
              <HistoryPanel
                versions={history.versions}
                loadError={history.loadError}
                selected={history.selected}
                canCompare={history.canCompare}
                comparing={history.comparing}
                busy={history.busy}
                running={running}
                turnFiles={turnFiles}
                onToggle={history.toggle}
                onCompare={() => {
                  setTurnDiffPath(null)
                  void history.compare()
                }}
                onRestore={(version) => void history.restore(version)}
                onShowTurnFile={(path) => {
                  history.closeComparison()
                  setTurnDiffPath(path)
                }}
                onClose={() => setHistoryOpen(false)}
              />
            )}
          </div>
          <ConsolePanel
            console={state.console}
            open={consoleOpen}
            view={bottomView}
            running={running}
            onToggle={toggleConsole}
            onToggleTerminal={toggleTerminal}
            terminal={
              terminalMounted ? (
                <Suspense fallback={<p className="muted small console-empty">Loading the terminal…</p>}>
                  <TerminalPanel projectId={projectId} />
                </Suspense>
              ) : null
            }
            onFix={() => void fix()}
            onClear={clearConsole}
            onOpenFile={openFile}
          />
        </section>
      </div>
    </div>
  )
}
