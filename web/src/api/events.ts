/**
 * The AG-UI events of a run, as they arrive on the SSE stream of
 * `POST /api/projects/{id}/runs` (camelCase JSON, one event per `data:` line).
 *
 * Mirrors `src/tessera/events.py` and docs/architecture.md ("Events of a run").
 * Tessera's own events are `CUSTOM` events; their `value` keeps the server's snake_case keys.
 */

import type { AppError } from './appError'

export interface RunStartedEvent {
  type: 'RUN_STARTED'
  threadId: string
  runId: string
}

export interface RunFinishedEvent {
  type: 'RUN_FINISHED'
  threadId: string
  runId: string
}

export interface RunErrorEvent {
  type: 'RUN_ERROR'
  message: string
  code?: string | null
}

/** `checking`: after deploying, the server waits briefly for the app to report errors. */
export type StepName = 'generating' | 'saving' | 'deploying' | 'checking'

export interface StepStartedEvent {
  type: 'STEP_STARTED'
  stepName: StepName | (string & {})
}

export interface StepFinishedEvent {
  type: 'STEP_FINISHED'
  stepName: StepName | (string & {})
}

export interface TextMessageStartEvent {
  type: 'TEXT_MESSAGE_START'
  messageId: string
  role?: string
}

export interface TextMessageContentEvent {
  type: 'TEXT_MESSAGE_CONTENT'
  messageId: string
  delta: string
}

export interface TextMessageEndEvent {
  type: 'TEXT_MESSAGE_END'
  messageId: string
}

/** The `value` of each CUSTOM event, by name. */
export interface CustomValues {
  file_started: { path: string }
  file_delta: { path: string; delta: string }
  /** `content` is authoritative: it replaces the buffer (an edit action sends no deltas). */
  file_ended: { path: string; size: number; content?: string }
  file_deleted: { path: string }
  file_renamed: { from: string; to: string }
  action_error: { path?: string | null; message: string }
  project_updated: { title?: string | null; description?: string | null }
  version_created: { id: number | string; number: number; message: string; kind: string }
  e2b_deployment: {
    sandbox_id: string
    sandbox_url?: string | null
    preview_url?: string | null
    status: DeploymentStatus
    files?: string[]
    error?: string | null
    reload?: boolean
  }
  e2b_preview: { sandbox_id: string; preview_url: string; ready: boolean }
  sandbox_log: { line: string }
  /** One model call; a run may make several (a continuation, an automatic fix). */
  usage: {
    input_tokens: number
    output_tokens: number
    provider: string
    model: string
    /** Null (or absent, from an older server): the price of this model is not known. */
    cost_usd?: number | null
  }
  /** What the next model call is sent: files in full, files summarised, and the token budget. */
  context: { files: string[]; summarised: string[]; tokens: number; budget: number }
  /** Something the server tells the user while it works ("continuing (1/2)"). */
  notice: { message: string }
  /** Errors the app reported after deploying; `errors` is checked with `asAppErrors`. */
  app_error: { errors: AppError[] }
  autofix: { attempt: number; max: number; status: AutofixStatus; errors: AppError[] }
}

export type AutofixStatus = 'started' | 'fixed' | 'gave_up'

export type CustomName = keyof CustomValues

export type CustomEvent = {
  [N in CustomName]: { type: 'CUSTOM'; name: N; value: CustomValues[N] }
}[CustomName]

/** A CUSTOM event this front end does not know (newer server): ignored. */
export interface UnknownCustomEvent {
  type: 'CUSTOM'
  name: string
  value: unknown
}

export type RunEvent =
  | RunStartedEvent
  | RunFinishedEvent
  | RunErrorEvent
  | StepStartedEvent
  | StepFinishedEvent
  | TextMessageStartEvent
  | TextMessageContentEvent
  | TextMessageEndEvent
  | CustomEvent

export type DeploymentStatus = 'starting' | 'ready' | 'error'

const CUSTOM_NAMES: ReadonlySet<string> = new Set<CustomName>([
  'file_started',
  'file_delta',
  'file_ended',
  'file_deleted',
  'file_renamed',
  'action_error',
  'project_updated',
  'version_created',
  'e2b_deployment',
  'e2b_preview',
  'sandbox_log',
  'usage',
  'context',
  'notice',
  'app_error',
  'autofix',
])

const KNOWN_TYPES: ReadonlySet<string> = new Set<RunEvent['type']>([
  'RUN_STARTED',
  'RUN_FINISHED',
  'RUN_ERROR',
  'STEP_STARTED',
  'STEP_FINISHED',
  'TEXT_MESSAGE_START',
  'TEXT_MESSAGE_CONTENT',
  'TEXT_MESSAGE_END',
  'CUSTOM',
])

/**
 * Narrows a parsed JSON object to a `RunEvent` this front end handles, or `null`
 * (other AG-UI event types, unknown custom names, malformed values).
 */
export function asRunEvent(data: unknown): RunEvent | null {
  if (typeof data !== 'object' || data === null) return null
  const type = (data as { type?: unknown }).type
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) return null
  if (type === 'CUSTOM') {
    const { name, value } = data as { name?: unknown; value?: unknown }
    if (typeof name !== 'string' || !CUSTOM_NAMES.has(name)) return null
    if (typeof value !== 'object' || value === null) return null
  }
  return data as RunEvent
}
