/**
 * Keeps the project's console stream open while the workspace is shown, and opens it again
 * when it drops (a server restart, a network change): the backlog that a new stream starts
 * with replaces what the panel showed.
 */

import { useEffect } from 'react'

import { isAbort } from '../api/client'
import { streamConsole } from '../api/console'
import type { ConsoleAction } from './console'

const FIRST_RETRY_MS = 1000
const LAST_RETRY_MS = 15_000
/** A stream that stayed open this long was healthy: the next retry starts quick again. */
const HEALTHY_MS = 10_000

export function useConsoleStream(projectId: string, dispatch: (action: ConsoleAction) => void): void {
  useEffect(() => {
    const controller = new AbortController()
    const { signal } = controller
    const wait = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = window.setTimeout(resolve, ms)
        signal.addEventListener('abort', () => {
          window.clearTimeout(timer)
          resolve()
        })
      })

    const follow = async () => {
      let retry = FIRST_RETRY_MS
      while (!signal.aborted) {
        const opened = Date.now()
        try {
          for await (const entry of streamConsole(projectId, signal, () => dispatch({ type: 'connected' }))) {
            dispatch({ type: 'entry', entry })
          }
        } catch (error) {
          if (isAbort(error) || signal.aborted) return
        }
        if (signal.aborted) return
        dispatch({ type: 'disconnected' })
        if (Date.now() - opened > HEALTHY_MS) retry = FIRST_RETRY_MS
        await wait(retry)
        retry = Math.min(retry * 2, LAST_RETRY_MS)
      }
    }
    void follow()
    return () => controller.abort()
  }, [projectId, dispatch])
}
