/**
 * An error the running app reported (a failed build, a crashed server, an uncaught error in
 * the browser). The server groups repeats of one error under one id and counts them; it
 * sends these in the console stream and in a run's `app_error` and `autofix` events.
 */

export type AppErrorSource = 'build' | 'server' | 'browser'

export interface AppError {
  id: string
  source: AppErrorSource | (string & {})
  message: string
  detail: string | null
  file: string | null
  line: number | null
  count: number
  first_seen: string | number | null
  last_seen: string | number | null
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null)
const stamp = (value: unknown): string | number | null =>
  typeof value === 'string' || typeof value === 'number' ? value : null

/**
 * Normalises one error from the server, or `null` when it has no message to show. A newer
 * or older server may leave fields out; the console must still render what it got.
 */
export function asAppError(data: unknown): AppError | null {
  if (typeof data !== 'object' || data === null) return null
  const raw = data as Record<string, unknown>
  const message = text(raw.message)
  if (message === null) return null
  const source = text(raw.source) ?? 'server'
  const file = text(raw.file)
  const line = typeof raw.line === 'number' && Number.isFinite(raw.line) ? raw.line : null
  const id =
    typeof raw.id === 'string' || typeof raw.id === 'number' ? String(raw.id) : `${source}|${file ?? ''}|${line ?? ''}|${message}`
  const count = typeof raw.count === 'number' && raw.count > 0 ? Math.floor(raw.count) : 1
  return {
    id,
    source,
    message,
    detail: text(raw.detail),
    file,
    line,
    count,
    first_seen: stamp(raw.first_seen),
    last_seen: stamp(raw.last_seen),
  }
}

/** The valid errors of a list that came over the wire (anything else gives none). */
export function asAppErrors(data: unknown): AppError[] {
  if (!Array.isArray(data)) return []
  const out: AppError[] = []
  for (const item of data) {
    const error = asAppError(item)
    if (error) out.push(error)
  }
  return out
}

/** "src/App.tsx:12", "src/App.tsx", or null when the error names no file. */
export function errorLocation(error: Pick<AppError, 'file' | 'line'>): string | null {
  if (!error.file) return null
  return error.line !== null ? `${error.file}:${error.line}` : error.file
}
