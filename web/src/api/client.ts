/**
 * The HTTP client for Tessera's API (docs/architecture.md, "HTTP API").
 * Every error answer is `{"error": {"code", "message"}}`; it becomes an `ApiError`
 * whose message is meant to be shown to the user as it is.
 */

import { asAppErrors, type AppError } from './appError'
import { asRunEvent, type DeploymentStatus, type RunEvent } from './events'
import { readSseJson } from './sse'

export interface Project {
  id: string
  name: string
  title: string | null
  description: string | null
  template: string
  created_at: string
  updated_at: string
  /** A screenshot of the running app (`/api/projects/{id}/thumbnail.png?v=…`), or null. */
  thumbnail_url?: string | null
}

export interface FileInfo {
  path: string
  size: number
}

export interface ChatMessage {
  id: number | string
  role: string
  content: string
  created_at: string
}

export interface Version {
  id: number | string
  number: number
  message: string
  kind: string
  created_at: string
}

export interface LlmInfo {
  provider: string
  model: string
  label: string
}

export interface ProjectDetail extends Project {
  files: FileInfo[]
  messages: ChatMessage[]
  versions: Version[]
  llm: LlmInfo | null
}

export interface Deployment {
  sandbox_id: string
  sandbox_url: string | null
  preview_url: string | null
  status: DeploymentStatus
  ready: boolean
  files: string[]
  error: string | null
  log: string
  /** The preview's server has no hot reload: an open preview must reload to show the change. */
  reload?: boolean
}

export interface ServerConfig {
  llm: LlmInfo
  sandbox: string
  /** "none": local sandboxes run without isolation, and the UI says so. */
  isolation?: 'bubblewrap' | 'none' | 'e2b'
  version: string
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  /** Everything else the server put in its `error` object (e.g. `current_sha` of an edit conflict). */
  readonly details: Readonly<Record<string, unknown>>

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }
}

/** A message for any error thrown by this module or by `fetch` itself. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message
  if (error instanceof TypeError) return `Cannot reach the Tessera server (${error.message})`
  if (error instanceof Error) return error.message
  return String(error)
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError'
}

export async function errorFrom(response: Response): Promise<ApiError> {
  const fallback = `${response.status} ${response.statusText || 'error'}`.trim()
  let body: unknown = null
  try {
    body = await response.json()
  } catch {
    return new ApiError(response.status, 'http_error', fallback)
  }
  if (typeof body === 'object' && body !== null) {
    const err = (body as { error?: unknown }).error
    if (typeof err === 'object' && err !== null) {
      const { code, message, ...details } = err as { code?: unknown; message?: unknown } & Record<string, unknown>
      return new ApiError(
        response.status,
        typeof code === 'string' ? code : 'error',
        typeof message === 'string' && message ? message : fallback,
        details,
      )
    }
    // A framework-level validation answer ({"detail": ...}) if one slips through.
    const detail = (body as { detail?: unknown }).detail
    if (typeof detail === 'string') return new ApiError(response.status, 'error', detail)
    if (Array.isArray(detail) && detail.length > 0) {
      const first = detail[0] as { msg?: unknown }
      if (typeof first.msg === 'string') return new ApiError(response.status, 'validation_error', first.msg)
    }
  }
  return new ApiError(response.status, 'http_error', fallback)
}

export interface RequestOptions {
  signal?: AbortSignal
  /** Lets the request outlive the page (sending hand edits when the tab closes). */
  keepalive?: boolean
}

export async function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const init: RequestInit = {
    method,
    signal: options.signal,
    keepalive: options.keepalive,
    headers: { Accept: 'application/json' },
  }
  if (body !== undefined) {
    init.headers = { ...init.headers, 'Content-Type': 'application/json' }
    init.body = JSON.stringify(body)
  }
  const response = await fetch(path, init)
  if (!response.ok) throw await errorFrom(response)
  if (response.status === 204) return undefined as T
  return (await response.json()) as T
}

/** A multipart request (uploads); the browser sets the boundary. */
export async function requestForm<T>(method: string, path: string, form: FormData, options: RequestOptions = {}): Promise<T> {
  const response = await fetch(path, { method, body: form, signal: options.signal, headers: { Accept: 'application/json' } })
  if (!response.ok) throw await errorFrom(response)
  return (await response.json()) as T
}

/** `src/App.tsx` → `src/App.tsx` with each segment escaped (the slashes stay). */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/')
}

/** The API path of one project, e.g. `/api/projects/abc`. */
export const projectUrl = (id: string) => `/api/projects/${encodeURIComponent(id)}`
const project = projectUrl

/** Build writes and runs code; chat only answers (the model changes no file). */
export type RunMode = 'build' | 'chat'
/** `fix`: the server asks the model to fix the app's current errors (the prompt may be empty). */
export type RunAction = 'message' | 'fix'

export interface RunRequest {
  prompt: string
  mode: RunMode
  action: RunAction
  /** The file open in the editor: the model is told what the user is looking at. */
  active_file: string | null
}

export const api = {
  config: (signal?: AbortSignal) => request<ServerConfig>('GET', '/api/config', undefined, { signal }),
  listProjects: (signal?: AbortSignal) => request<Project[]>('GET', '/api/projects', undefined, { signal }),
  createProject: (body: { name?: string; template?: string | null }) => request<Project>('POST', '/api/projects', body),
  getProject: (id: string, signal?: AbortSignal) => request<ProjectDetail>('GET', project(id), undefined, { signal }),
  deleteProject: (id: string) => request<void>('DELETE', project(id)),
  readFile: (id: string, path: string, signal?: AbortSignal) =>
    request<{ path: string; content: string }>('GET', `${project(id)}/files/${encodePath(path)}`, undefined, { signal }),
  /** Without files (none edited), the server deploys its latest version as it is. */
  deploy: (id: string, files: Record<string, string>, options: RequestOptions = {}) =>
    request<Deployment>('POST', `${project(id)}/deploy`, Object.keys(files).length > 0 ? { files } : {}, options),
  preview: (id: string, signal?: AbortSignal) => request<Deployment>('GET', `${project(id)}/preview`, undefined, { signal }),
  /** A fuller specification of what the user asked for; the model writes it (seconds). */
  enhance: async (id: string, prompt: string, signal?: AbortSignal): Promise<string> => {
    const answer = await request<{ prompt?: unknown }>('POST', `${project(id)}/enhance`, { prompt }, { signal })
    if (typeof answer.prompt !== 'string') throw new ApiError(502, 'bad_answer', 'The server sent no enhanced prompt')
    return answer.prompt
  },
  listErrors: async (id: string, signal?: AbortSignal): Promise<AppError[]> => {
    const answer = await request<{ errors?: unknown }>('GET', `${project(id)}/errors`, undefined, { signal })
    return asAppErrors(answer.errors)
  },
  clearErrors: (id: string) => request<void>('DELETE', `${project(id)}/errors`),
}

/**
 * Starts a run and yields its events until the stream ends. A refused start (non-2xx)
 * throws an `ApiError` before the first event; aborting `signal` ends the stream.
 */
export async function* streamRun(id: string, run: RunRequest, signal: AbortSignal): AsyncGenerator<RunEvent> {
  const response = await fetch(`${project(id)}/runs`, {
    method: 'POST',
    signal,
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    body: JSON.stringify(run),
  })
  if (!response.ok) throw await errorFrom(response)
  if (!response.body) throw new ApiError(response.status, 'no_body', 'The server sent no event stream')
  for await (const data of readSseJson(response.body)) {
    const event = asRunEvent(data)
    if (event) yield event
  }
}
