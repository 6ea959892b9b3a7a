/**
 * The project's console: `GET /api/projects/{id}/console` is an SSE stream of the app's log
 * lines and errors, its backlog first and then live entries, for as long as it stays open.
 */

import { asAppError, type AppError } from './appError'
import { errorFrom, projectUrl } from './client'
import { readSseJson } from './sse'

export type ConsoleEntry =
  | { type: 'log'; line: string; at: string | number | null }
  | { type: 'error'; error: AppError }
  /** The errors were cleared (by this page or another). */
  | { type: 'cleared' }
  /** The server skipped `count` entries this reader was too slow to take. */
  | { type: 'dropped'; count: number }

/** Narrows one parsed payload to an entry, or `null` for anything this page does not know. */
export function asConsoleEntry(data: unknown): ConsoleEntry | null {
  if (typeof data !== 'object' || data === null) return null
  const raw = data as Record<string, unknown>
  switch (raw.type) {
    case 'log':
      if (typeof raw.line !== 'string') return null
      return { type: 'log', line: raw.line, at: typeof raw.at === 'string' || typeof raw.at === 'number' ? raw.at : null }
    case 'error': {
      const error = asAppError(raw.error)
      return error ? { type: 'error', error } : null
    }
    case 'cleared':
      return { type: 'cleared' }
    case 'dropped':
      return { type: 'dropped', count: typeof raw.count === 'number' && raw.count > 0 ? raw.count : 0 }
    default:
      return null
  }
}

/**
 * Opens the console stream and yields its entries until the server closes it. `onOpen` runs
 * once the server accepted the stream, before the backlog: the view restarts from there.
 */
export async function* streamConsole(
  projectId: string,
  signal: AbortSignal,
  onOpen: () => void,
): AsyncGenerator<ConsoleEntry> {
  const response = await fetch(`${projectUrl(projectId)}/console`, {
    signal,
    headers: { Accept: 'text/event-stream' },
  })
  if (!response.ok) throw await errorFrom(response)
  if (!response.body) throw new Error('The server sent no console stream')
  onOpen()
  for await (const data of readSseJson(response.body)) {
    const entry = asConsoleEntry(data)
    if (entry) yield entry
  }
}
