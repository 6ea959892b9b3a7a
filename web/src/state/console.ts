/**
 * The console panel's state: the app's last log lines and its current errors. Pure; the
 * stream that feeds it lives in `useConsoleStream`, and a run's `app_error` events feed it
 * too. Repeats of one error are one entry with a count, as the server groups them.
 */

import type { AppError } from '../api/appError'
import type { ConsoleEntry } from '../api/console'

export const CONSOLE_LOG_LIMIT = 500
export const CONSOLE_ERROR_LIMIT = 100

export interface ConsoleLine {
  id: number
  text: string
  /** `dropped`: a note that the server skipped lines this page was too slow to take. */
  kind: 'log' | 'dropped'
}

export interface ConsoleState {
  lines: ConsoleLine[]
  errors: AppError[]
  /** The stream is open (the panel says "reconnecting…" otherwise). */
  connected: boolean
  nextLineId: number
}

export const initialConsole: ConsoleState = { lines: [], errors: [], connected: false, nextLineId: 1 }

export type ConsoleAction =
  /** A (re)connected stream: its backlog follows and replaces what is shown. */
  | { type: 'connected' }
  | { type: 'disconnected' }
  | { type: 'entry'; entry: ConsoleEntry }
  /** Errors from elsewhere (a run's `app_error`), merged like streamed ones. */
  | { type: 'errors'; errors: AppError[] }
  /** The user cleared the console: errors (on the server too) and the lines shown. */
  | { type: 'clearedByUser' }

const signature = (e: AppError) => `${e.source}\u0000${e.file ?? ''}\u0000${e.line ?? ''}\u0000${e.message}`

/**
 * One error into the list. The same id is the server's word on an error already shown: its
 * count only grows, so a lower count is an older word (a run's event read after the stream's)
 * and changes nothing. Another id with the same source, place and message is a repeat, counted.
 */
export function mergeError(errors: readonly AppError[], error: AppError): AppError[] {
  const sameId = errors.findIndex((e) => e.id === error.id)
  if (sameId !== -1) {
    const known = errors[sameId]
    if (error.count < known.count) return errors as AppError[]
    const merged = { ...error, first_seen: known.first_seen ?? error.first_seen }
    return errors.map((e, i) => (i === sameId ? merged : e))
  }
  const key = signature(error)
  const repeat = errors.findIndex((e) => signature(e) === key)
  if (repeat !== -1) {
    const known = errors[repeat]
    const merged = {
      ...known,
      detail: error.detail ?? known.detail,
      count: known.count + error.count,
      last_seen: error.last_seen ?? known.last_seen,
    }
    return errors.map((e, i) => (i === repeat ? merged : e))
  }
  const next = [...errors, error]
  return next.length > CONSOLE_ERROR_LIMIT ? next.slice(next.length - CONSOLE_ERROR_LIMIT) : next
}

function addLine(state: ConsoleState, text: string, kind: ConsoleLine['kind']): ConsoleState {
  const lines = [...state.lines, { id: state.nextLineId, text, kind }]
  return {
    ...state,
    nextLineId: state.nextLineId + 1,
    lines: lines.length > CONSOLE_LOG_LIMIT ? lines.slice(lines.length - CONSOLE_LOG_LIMIT) : lines,
  }
}

export function consoleReducer(state: ConsoleState, action: ConsoleAction): ConsoleState {
  switch (action.type) {
    case 'connected':
      return { ...initialConsole, connected: true, nextLineId: state.nextLineId }
    case 'disconnected':
      return state.connected ? { ...state, connected: false } : state
    case 'errors':
      return action.errors.length === 0 ? state : { ...state, errors: action.errors.reduce(mergeError, state.errors) }
    case 'clearedByUser':
      return { ...state, errors: [], lines: [] }
    case 'entry': {
      const { entry } = action
      switch (entry.type) {
        case 'log':
          return addLine(state, entry.line, 'log')
        case 'error':
          return { ...state, errors: mergeError(state.errors, entry.error) }
        case 'cleared':
          return state.errors.length === 0 ? state : { ...state, errors: [] }
        case 'dropped':
          return entry.count > 0
            ? addLine(state, `… ${entry.count} ${entry.count === 1 ? 'line' : 'lines'} skipped`, 'dropped')
            : state
      }
    }
  }
}
