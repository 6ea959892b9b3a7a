/**
 * Everything the workspace page does with the server: loading the project and its files,
 * starting or attaching to the preview, streaming a run, deploying hand edits (two seconds
 * after the last keystroke, or at once with the Deploy button), and following the console.
 */

import { useCallback, useEffect, useReducer, useRef } from 'react'

import { api, errorMessage, isAbort, streamRun, type RunAction, type RunMode } from '../api/client'
import type { ConsoleAction } from './console'
import { byteLength, initialState, reducer, statusText } from './workspace'
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

const sleep = (ms: number) => new Promise<void>((resolve) => window.setTimeout(resolve, ms))

export function useWorkspace(projectId: string) {
  const [state, dispatch] = useReducer(reducer, initialState)
  const stateRef = useRef(state)
  useEffect(() => {
    stateRef.current = state
  })

  const alive = useRef(true)
  const runAbort = useRef<AbortController | null>(null)
  const polling = useRef(false)
  const deployTimer = useRef<number | null>(null)
  const deployInFlight = useRef<Promise<boolean> | null>(null)
  const loadingFiles = useRef(new Set<string>())
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
   * Sends every dirty file now. Resolves to false if the deploy failed. With `force`, deploys
   * even when nothing is dirty (the Deploy button: the server syncs its latest version).
   */
  const deployNow = useCallback(
    async (options: { keepalive?: boolean; force?: boolean } = {}): Promise<boolean> => {
      clearDeployTimer()
      if (deployInFlight.current) await deployInFlight.current
      const current = stateRef.current
      const sent: Record<string, string> = {}
      for (const path of Object.keys(current.dirty)) {
        const content = current.files[path]?.content
        if (typeof content === 'string') sent[path] = content
      }
      if (Object.keys(sent).length === 0 && !options.force) return true
      dispatch({ type: 'deployStarted' })
      const attempt = api.deploy(projectId, sent, { keepalive: options.keepalive }).then(
        (deployment) => {
          previewEpoch.current += 1
          dispatch({ type: 'deployed', sent, deployment })
          return true
        },
        (error: unknown) => {
          dispatch({ type: 'deployFailed', message: errorMessage(error) })
          return false
        },
      )
      deployInFlight.current = attempt
      try {
        return await attempt
      } finally {
        if (deployInFlight.current === attempt) deployInFlight.current = null
      }
    },
    [projectId],
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
    [projectId, deployNow, pollPreview],
  )

  /** Asks the model to fix the errors the app reported (the console's Fix button). */
  const fix = useCallback(() => send('', { action: 'fix' }), [send])

  /** A fuller version of the user's request, to review before sending. */
  const enhance = useCallback((prompt: string) => api.enhance(projectId, prompt), [projectId])

  // ---- console -----------------------------------------------------------------------------

  const consoleDispatch = useCallback((action: ConsoleAction) => dispatch({ type: 'console', action }), [])
  useConsoleStream(projectId, consoleDispatch)

  /** Clears the errors on the server (the stream then says so) and the lines shown here. */
  const clearConsole = useCallback(async () => {
    await api.clearErrors(projectId)
    if (alive.current) consoleDispatch({ type: 'clearedByUser' })
  }, [projectId, consoleDispatch])

  const warn = useCallback((text: string) => dispatch({ type: 'warn', text }), [])
  const modelChanged = useCallback((label: string) => dispatch({ type: 'modelChanged', label }), [])

  const openFile = useCallback((path: string) => {
    failedFiles.current.delete(path)
    dispatch({ type: 'open', path })
  }, [])

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
  }, [projectId, pollPreview, deployNow])

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
  }, [projectId, openPath, needsLoad])

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
    openFile,
    reloadPreview,
  }
}
