/**
 * Everything the workspace page does with the server: loading the project and its files,
 * starting or attaching to the preview, streaming a run, deploying hand edits (two seconds
 * after the last keystroke, or at once with the Deploy button), saving one file at once
 * (Ctrl/Cmd+S) without overwriting a change made elsewhere, and following the console.
 *
 * Saves and deploys run one at a time (`exclusive`), each reading the state as the previous
 * one left it: `stateRef` is updated by `dispatch` itself, not after the next render.
 */

import { useCallback, useEffect, useReducer, useRef } from 'react'

import { ApiError, api, errorMessage, isAbort, streamRun, type RunAction, type RunMode } from '../api/client'
import { EDIT_CONFLICT, filesApi } from '../api/files'
import { historyApi } from '../api/history'
import { newestFirst } from './history'
import type { ConsoleAction } from './console'
import { sha256Hex } from './sha256'
import { needsBefore } from './turnDiff'
import { byteLength, initialState, reducer, statusText, type Action, type WorkspaceState } from './workspace'
import { takePendingPrompt } from './pendingPrompt'
import { useConsoleStream } from './useConsoleStream'

export const AUTO_DEPLOY_DELAY_MS = 2000
const PREVIEW_POLL_LIMIT = 120

/** What the chat shows as the user's message of a Fix run (its prompt is empty). */
export const FIX_REQUEST_TEXT = 'Fix the errors in the console'

export interface SendOptions {
  mode?: RunMode
  action?: RunAction
}

/** Files the editor's TypeScript service reads (imports between project files resolve). */
const LANGUAGE_SERVICE_FILE = /(^|\/)package\.json$|\.(tsx?|jsx?|mts|cts|mjs|cjs)$/
const LANGUAGE_SERVICE_MAX_BYTES = 512 * 1024
const BACKGROUND_LOADS = 4

/** The words of a save refused because the file changed elsewhere (as the server says it). */
export function conflictMessage(path: string): string {
  return `${path} was changed elsewhere (in another tab or by the AI) since you opened it; reload it or save again to overwrite.`
}

/** Code files not loaded yet, for the language service (small ones only). */
export function filesToPreload(state: Pick<WorkspaceState, 'files'>): string[] {
  return Object.values(state.files)
    .filter((f) => f.content === null && f.size <= LANGUAGE_SERVICE_MAX_BYTES && LANGUAGE_SERVICE_FILE.test(f.path))
    .map((f) => f.path)
    .sort((a, b) => a.localeCompare(b))
}

const sleep = (ms: number) => new Promise<void>((resolve) => window.setTimeout(resolve, ms))

export function useWorkspace(projectId: string) {
  const [state, rawDispatch] = useReducer(reducer, initialState)
  const stateRef = useRef<WorkspaceState>(initialState)
  /** Applies the action to `stateRef` at once (the reducer is pure), then to React's state. */
  const dispatch = useCallback((action: Action) => {
    stateRef.current = reducer(stateRef.current, action)
    rawDispatch(action)
  }, [])

  const alive = useRef(true)
  const runAbort = useRef<AbortController | null>(null)
  const polling = useRef(false)
  const deployTimer = useRef<number | null>(null)
  /** The tail of the queue of saves and deploys: each waits for the one before. */
  const syncQueue = useRef<Promise<unknown>>(Promise.resolve())
  const loadingFiles = useRef(new Set<string>())
  /** The version the current run started from, and the start contents asked for. */
  const turnVersion = useRef<number | string | null>(null)
  const turnBaseLoads = useRef(new Set<string>())
  /** Bumped whenever a run or a deploy says where the preview is: an answer to a preview
   * request sent before that is stale (its sandbox may since have been replaced). */
  const previewEpoch = useRef(0)
  const failedFiles = useRef(new Set<string>())

  // ---- preview -------------------------------------------------------------------------

  /** Asks for the preview (starting the sandbox if needed) until it is ready or failed. */
  const pollPreview = useCallback(async () => {
    if (polling.current) return
    polling.current = true
    dispatch({ type: 'previewRequested' })
    try {
      for (let attempt = 0; attempt < PREVIEW_POLL_LIMIT && alive.current; attempt++) {
        try {
          const epoch = previewEpoch.current
          const deployment = await api.preview(projectId)
          if (!alive.current) return
          if (epoch !== previewEpoch.current) return // a run or deploy has newer news
          dispatch({ type: 'preview', deployment })
          if (deployment.status !== 'starting') return
        } catch (error) {
          if (alive.current) dispatch({ type: 'previewFailed', message: errorMessage(error) })
          return
        }
        await sleep(attempt < 10 ? 1000 : 2000)
      }
    } finally {
      polling.current = false
    }
  }, [projectId])

  const reloadPreview = useCallback(() => dispatch({ type: 'reloadPreview' }), [])

  // ---- hand edits and deploys -------------------------------------------------------------

  const clearDeployTimer = () => {
    if (deployTimer.current !== null) {
      window.clearTimeout(deployTimer.current)
      deployTimer.current = null
    }
  }

  /**
   * The content at the run's start of a file the run touched and that was not loaded then:
   * read from the version the run started from (or, without one, from the working copy,
   * which the run changes only at its end). Content that cannot be read shows as empty.
   */
  const loadTurnBase = useCallback(
    (path: string) => {
      const turn = stateRef.current.turn
      if (!turn || !needsBefore(turn, path) || turnBaseLoads.current.has(path)) return
      turnBaseLoads.current.add(path)
      const version = turnVersion.current
      const read = version === null ? api.readFile(projectId, path) : historyApi.file(projectId, String(version), path)
      read.then(
        (file) => dispatch({ type: 'turnBaseLoaded', path, content: file.content }),
        () => dispatch({ type: 'turnBaseLoaded', path, content: null }),
      )
    },
    [projectId, dispatch],
  )

  /** Runs `task` after every save or deploy queued before it. */
  const exclusive = useCallback(<T,>(task: () => Promise<T>): Promise<T> => {
    const result = syncQueue.current.then(task, task)
    syncQueue.current = result.catch(() => undefined)
    return result
  }, [])

  /**
   * Leaves out of `sent` the files the server changed since this page last had them
   * (another tab saved, or the AI wrote them): the first becomes the conflict shown.
   */
  const withoutConflicts = useCallback(
    async (sent: Record<string, string>): Promise<Record<string, string>> => {
      const current = stateRef.current
      const checks = Object.entries(sent).map(async ([path, content]): Promise<[string, string, boolean]> => {
        const saved = current.files[path]?.saved ?? null
        if (current.conflict?.path === path) return [path, content, true]
        if (saved === null) return [path, content, false]
        try {
          const server = await api.readFile(projectId, path)
          return [path, content, server.content !== saved && server.content !== content]
        } catch {
          return [path, content, false] // gone or unreadable: the deploy says what is wrong
        }
      })
      const kept: Record<string, string> = {}
      for (const [path, content, conflicting] of await Promise.all(checks)) {
        if (!conflicting) kept[path] = content
        else if (stateRef.current.conflict === null) {
          dispatch({ type: 'conflict', conflict: { path, message: conflictMessage(path) } })
        }
      }
      return kept
    },
    [projectId, dispatch],
  )

  /**
   * Sends every dirty file now. Resolves to false if the deploy failed. With `force`, deploys
   * even when nothing is dirty (the Deploy button: the server syncs its latest version).
   * A file changed elsewhere since it was loaded is held back and shown as a conflict.
   */
  const deployNow = useCallback(
    (options: { keepalive?: boolean; force?: boolean } = {}): Promise<boolean> => {
      clearDeployTimer()
      return exclusive(async () => {
        const current = stateRef.current
        let sent: Record<string, string> = {}
        for (const path of Object.keys(current.dirty)) {
          const content = current.files[path]?.content
          if (typeof content === 'string') sent[path] = content
        }
        if (Object.keys(sent).length === 0 && !options.force) return true
        // A page being closed has no time to ask first.
        if (!options.keepalive && Object.keys(sent).length > 0) sent = await withoutConflicts(sent)
        if (Object.keys(sent).length === 0 && !options.force) return true
        dispatch({ type: 'deployStarted' })
        try {
          const deployment = await api.deploy(projectId, sent, { keepalive: options.keepalive })
          previewEpoch.current += 1
          dispatch({ type: 'deployed', sent, deployment })
          return true
        } catch (error) {
          dispatch({ type: 'deployFailed', message: errorMessage(error) })
          return false
        }
      })
    },
    [projectId, exclusive, withoutConflicts, dispatch],
  )

  /**
   * Saves one file at once (Ctrl/Cmd+S; the open file by default), telling the server which
   * content it was based on: a file changed elsewhere meanwhile is not overwritten, the
   * conflict is shown instead. Other edited files keep waiting for the auto-deploy.
   */
  const save = useCallback(
    (path?: string): Promise<void> =>
      exclusive(async () => {
        const current = stateRef.current
        const target = path ?? current.openPath
        const entry = target ? current.files[target] : undefined
        if (!target || !entry || entry.content === null || !(target in current.dirty)) return
        const content = entry.content
        try {
          const result = await filesApi.write(projectId, target, content, entry.saved === null ? null : sha256Hex(entry.saved))
          dispatch({ type: 'saved', path: target, content, size: result.size })
        } catch (error) {
          if (error instanceof ApiError && error.code === EDIT_CONFLICT) {
            dispatch({ type: 'conflict', conflict: { path: target, message: error.message } })
          } else {
            dispatch({ type: 'deployFailed', message: `Could not save ${target}: ${errorMessage(error)}` })
          }
        }
      }),
    [projectId, exclusive, dispatch],
  )

  /** The conflict resolved by taking the server's content: the edit made here is dropped. */
  const reloadConflict = useCallback(
    (): Promise<void> =>
      exclusive(async () => {
        const conflict = stateRef.current.conflict
        if (!conflict) return
        try {
          const file = await api.readFile(projectId, conflict.path)
          dispatch({ type: 'reloadedFile', path: conflict.path, content: file.content })
        } catch (error) {
          dispatch({ type: 'conflict', conflict: { ...conflict, message: `Could not reload ${conflict.path}: ${errorMessage(error)}` } })
        }
      }),
    [projectId, exclusive, dispatch],
  )

  /** The conflict resolved by saving this page's content over the server's. */
  const overwriteConflict = useCallback(
    (): Promise<void> =>
      exclusive(async () => {
        const conflict = stateRef.current.conflict
        const content = conflict ? stateRef.current.files[conflict.path]?.content : null
        if (!conflict || typeof content !== 'string') return
        try {
          const result = await filesApi.write(projectId, conflict.path, content)
          dispatch({ type: 'saved', path: conflict.path, content, size: result.size })
        } catch (error) {
          dispatch({ type: 'conflict', conflict: { ...conflict, message: `Could not save ${conflict.path}: ${errorMessage(error)}` } })
        }
      }),
    [projectId, exclusive, dispatch],
  )

  /**
   * Re-reads the project's files from the server (after a rename, an upload, a restore…).
   * `reload`: true reads every buffer again (a restore changed contents, not only paths),
   * or the paths to read again (uploaded files).
   */
  const refresh = useCallback(
    async (reload: boolean | readonly string[] = false): Promise<void> => {
      const project = await api.getProject(projectId)
      if (!alive.current) return
      const stale = reload === true ? Object.keys(stateRef.current.files) : reload === false ? [] : [...reload]
      for (const path of stale) failedFiles.current.delete(path)
      dispatch({ type: 'refreshed', project, stale })
    },
    [projectId, dispatch],
  )

  const edit = useCallback(
    (path: string, content: string) => {
      dispatch({ type: 'edit', path, content })
      clearDeployTimer()
      deployTimer.current = window.setTimeout(() => {
        deployTimer.current = null
        void deployNow()
      }, AUTO_DEPLOY_DELAY_MS)
    },
    [deployNow],
  )

  // ---- runs ------------------------------------------------------------------------------

  const send = useCallback(
    async (prompt: string, options: SendOptions = {}) => {
      const text = prompt.trim()
      const action = options.action ?? 'message'
      if ((!text && action !== 'fix') || runAbort.current) return
      const controller = new AbortController()
      runAbort.current = controller
      dispatch({ type: 'runStarted', prompt: text || FIX_REQUEST_TEXT })

      // Hand edits first, so that the run starts from what the user sees.
      if (deployTimer.current !== null || Object.keys(stateRef.current.dirty).length > 0) await deployNow()
      // The version the run starts from: the "before" side of the turn's diff.
      turnBaseLoads.current.clear()
      turnVersion.current = await historyApi.list(projectId).then(
        (versions) => newestFirst(versions)[0]?.id ?? null,
        () => null,
      )

      // Files a run changed without streaming their whole content (edits): reloaded after.
      const written = new Map<string, string>()
      const stale = new Set<string>()
      let outcome: 'finished' | 'error' | null = null
      try {
        const request = { prompt: text, mode: options.mode ?? 'build', action, active_file: stateRef.current.openPath }
        for await (const event of streamRun(projectId, request, controller.signal)) {
          if (event.type === 'CUSTOM' && (event.name === 'e2b_deployment' || event.name === 'e2b_preview')) {
            previewEpoch.current += 1
          }
          if (event.type === 'CUSTOM') {
            if (event.name === 'file_started' || event.name === 'file_deleted') loadTurnBase(event.value.path)
            else if (event.name === 'file_renamed') loadTurnBase(event.value.from)
          }
          dispatch({ type: 'event', event })
          if (event.type === 'RUN_FINISHED') outcome = 'finished'
          else if (event.type === 'RUN_ERROR') outcome = 'error'
          else if (event.type === 'CUSTOM') {
            if (event.name === 'file_started') written.set(event.value.path, '')
            else if (event.name === 'file_delta') {
              written.set(event.value.path, (written.get(event.value.path) ?? '') + event.value.delta)
            } else if (event.name === 'file_ended' && typeof event.value.content !== 'string') {
              const body = written.get(event.value.path)
              if (body === undefined || byteLength(body) !== event.value.size) stale.add(event.value.path)
            }
          }
        }
        if (outcome === null && !controller.signal.aborted) {
          dispatch({ type: 'runFailed', message: 'The connection to the server closed before the run finished' })
          outcome = 'error'
        }
      } catch (error) {
        if (!isAbort(error)) {
          dispatch({ type: 'runFailed', message: errorMessage(error) })
          outcome = 'error'
        }
      } finally {
        runAbort.current = null
        dispatch({ type: 'runEnded' })
      }
      if (controller.signal.aborted || !alive.current) return

      try {
        const project = await api.getProject(projectId)
        if (alive.current) dispatch({ type: 'refreshed', project, stale: [...stale] })
      } catch {
        // The view stays as streamed; the next page load shows the server's state.
      }
      if (alive.current && stateRef.current.preview.status !== 'ready') void pollPreview()
    },
    [projectId, deployNow, pollPreview, dispatch, loadTurnBase],
  )

  /** Asks the model to fix the errors the app reported (the console's Fix button). */
  const fix = useCallback(() => send('', { action: 'fix' }), [send])

  /** A fuller version of the user's request, to review before sending. */
  const enhance = useCallback((prompt: string) => api.enhance(projectId, prompt), [projectId])

  // ---- console -----------------------------------------------------------------------------

  const consoleDispatch = useCallback((action: ConsoleAction) => dispatch({ type: 'console', action }), [dispatch])
  useConsoleStream(projectId, consoleDispatch)

  /** Clears the errors on the server (the stream then says so) and the lines shown here. */
  const clearConsole = useCallback(async () => {
    await api.clearErrors(projectId)
    if (alive.current) consoleDispatch({ type: 'clearedByUser' })
  }, [projectId, consoleDispatch])

  const warn = useCallback((text: string) => dispatch({ type: 'warn', text }), [dispatch])
  const modelChanged = useCallback((label: string) => dispatch({ type: 'modelChanged', label }), [dispatch])

  const openFile = useCallback(
    (path: string) => {
      failedFiles.current.delete(path)
      dispatch({ type: 'open', path })
    },
    [dispatch],
  )

  /** Closing a tab keeps its edits: they are still deployed (or saved) as usual. */
  const closeTab = useCallback((path: string) => dispatch({ type: 'closeTab', path }), [dispatch])
  const dismissConflict = useCallback(() => dispatch({ type: 'conflictDismissed' }), [dispatch])

  // ---- lifecycle ---------------------------------------------------------------------------

  useEffect(() => {
    alive.current = true
    const controller = new AbortController()
    api
      .getProject(projectId, controller.signal)
      .then((project) => {
        dispatch({ type: 'loaded', project })
        if (!project.llm?.label) {
          api
            .config(controller.signal)
            .then((config) => dispatch({ type: 'modelLabel', label: config.llm.label }))
            .catch(() => undefined)
        }
      })
      .catch((error: unknown) => {
        if (!isAbort(error)) dispatch({ type: 'loadFailed', message: errorMessage(error) })
      })
    // Start or attach to the sandbox at once, in parallel with loading the project.
    void pollPreview()
    return () => {
      alive.current = false
      controller.abort()
      runAbort.current?.abort()
      runAbort.current = null
      // Leaving the page with edits still waiting: send them now.
      if (deployTimer.current !== null) void deployNow({ keepalive: true })
    }
  }, [projectId, pollPreview, deployNow, dispatch])

  // Closing the tab with edits still waiting: best effort.
  useEffect(() => {
    const onPageHide = () => {
      if (Object.keys(stateRef.current.dirty).length > 0) void deployNow({ keepalive: true })
    }
    window.addEventListener('pagehide', onPageHide)
    return () => window.removeEventListener('pagehide', onPageHide)
  }, [deployNow])

  // The prompt typed on the home page starts the first run once the project is loaded.
  const loadedId = state.project?.id
  useEffect(() => {
    if (!loadedId) return
    const prompt = takePendingPrompt(projectId)
    if (prompt) void send(prompt)
  }, [loadedId, projectId, send])

  // Load the open file's content the first time it is shown.
  const openPath = state.openPath
  const openEntry = openPath ? state.files[openPath] : undefined
  const needsLoad = openEntry !== undefined && openEntry.content === null
  useEffect(() => {
    if (!openPath || !needsLoad) return
    if (loadingFiles.current.has(openPath) || failedFiles.current.has(openPath)) return
    loadingFiles.current.add(openPath)
    api
      .readFile(projectId, openPath)
      .then((file) => dispatch({ type: 'fileLoaded', path: openPath, content: file.content }))
      .catch((error: unknown) => {
        failedFiles.current.add(openPath)
        dispatch({ type: 'fileLoadFailed', path: openPath, message: errorMessage(error) })
      })
      .finally(() => loadingFiles.current.delete(openPath))
  }, [projectId, openPath, needsLoad, dispatch])

  // The project's code files, read in the background a few at a time, so that the editor's
  // TypeScript service sees them all (imports resolve, errors show across files).
  const preloadKey = filesToPreload(state).join('\n')
  const preloading = useRef(false)
  useEffect(() => {
    if (!preloadKey || preloading.current) return
    preloading.current = true
    const load = async (path: string) => {
      loadingFiles.current.add(path)
      try {
        const file = await api.readFile(projectId, path)
        if (alive.current) dispatch({ type: 'fileLoaded', path, content: file.content })
      } catch {
        failedFiles.current.add(path) // read again when opened; no warning for a background read
      } finally {
        loadingFiles.current.delete(path)
      }
    }
    void (async () => {
      try {
        while (alive.current) {
          const next = filesToPreload(stateRef.current).filter(
            (p) => !loadingFiles.current.has(p) && !failedFiles.current.has(p),
          )
          if (next.length === 0) break
          await Promise.all(next.slice(0, BACKGROUND_LOADS).map(load))
        }
      } finally {
        preloading.current = false
      }
    })()
  }, [projectId, preloadKey, dispatch])

  return {
    state,
    status: statusText(state),
    running: state.run !== 'idle',
    send,
    fix,
    enhance,
    clearConsole,
    warn,
    modelChanged,
    edit,
    deployNow,
    save,
    reloadConflict,
    overwriteConflict,
    dismissConflict,
    openFile,
    closeTab,
    refresh,
    loadTurnBase,
    reloadPreview,
    dispatch,
  }
}
