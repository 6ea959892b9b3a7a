/**
 * The state of the workspace page (`/p/{id}`) and its reducer: files and their buffers,
 * the open file, hand edits not yet deployed, the chat (with each turn's usage), the run,
 * the preview and the console.
 * Pure: every effect (HTTP, timers, the SSE stream) lives in `useWorkspace`.
 */

import { asAppErrors, type AppError } from '../api/appError'
import type { ChatMessage, Deployment, ProjectDetail } from '../api/client'
import type { AutofixStatus, RunEvent } from '../api/events'
import { consoleReducer, initialConsole, type ConsoleAction, type ConsoleState } from './console'
import { closeTab, isUnder, keepExisting, movedPath, openTab, removeFromTabs, renameInTabs } from './tabs'
import { addUsage, asTurnContext, emptyMeta, type TurnMeta } from './turnMeta'
import { startTurn, touch, withBefore, type TurnChanges } from './turnDiff'

export interface FileEntry {
  path: string
  /** Size on the server, in bytes (as last reported). */
  size: number
  /** The buffer; `null` until it is loaded from the server. */
  content: string | null
  /**
   * The content the server has, as last known (loaded, saved, deployed or written by a
   * run); null when unknown. Its sha is the `base_sha` of a save.
   */
  saved: string | null
}

/** A save refused because the file changed elsewhere (another tab, or the AI). */
export interface EditConflict {
  path: string
  message: string
}

export type FileActivityState = 'writing' | 'written' | 'deleted' | 'renamed'

export interface FileActivity {
  path: string
  state: FileActivityState
  /** For a rename: the old path. */
  from?: string
}

export type ChatItem =
  | {
      kind: 'message'
      id: string
      role: 'user' | 'assistant'
      content: string
      streaming: boolean
      /** An assistant turn's usage and context, once the server reported them. */
      meta?: TurnMeta
    }
  | { kind: 'error'; id: string; text: string }
  | { kind: 'warning'; id: string; text: string }
  | { kind: 'files'; id: string; files: FileActivity[] }
  /** A muted line from the server about what it does ("continuing (1/2)"). */
  | { kind: 'notice'; id: string; text: string }
  | { kind: 'autofix'; id: string; status: AutofixStatus | (string & {}); attempt: number; max: number; errors: number }
  | { kind: 'appErrors'; id: string; errors: AppError[] }
  /** Usage or context of model calls that wrote no chat text (only files). */
  | { kind: 'meta'; id: string; meta: TurnMeta }

/** `checking`: deployed; the server waits briefly for the app to report errors. */
export type RunPhase = 'idle' | 'generating' | 'deploying' | 'checking'

export interface PreviewState {
  status: 'idle' | 'starting' | 'ready' | 'error'
  /** The preview URL the server last reported. */
  url: string | null
  /** What the iframe shows; changes only when a new URL becomes ready, never on a hot reload. */
  src: string | null
  /** Bumped by the reload button: the iframe is recreated. */
  reloadKey: number
  error: string | null
}

export interface WorkspaceState {
  project: ProjectDetail | null
  loadError: string | null
  files: Record<string, FileEntry>
  openPath: string | null
  /** Files open as editor tabs, in the order they were opened (the open file is one). */
  tabs: string[]
  /** Files edited by hand and not deployed yet. */
  dirty: Record<string, true>
  /** The file a run is writing right now (the editor follows it). */
  streamingPath: string | null
  chat: ChatItem[]
  run: RunPhase
  /** The chat item collecting this run's file activity. */
  activityId: string | null
  /** Last run or deploy error; shown in the status line until the next success. */
  error: string | null
  deploying: boolean
  preview: PreviewState
  modelLabel: string | null
  /** The sandbox's last log line while it starts (shown under the preview's spinner). */
  lastLog: string | null
  /** The assistant message of the run's current turn: usage and context go under it. */
  turnId: string | null
  /**
   * Usage or context of a model call whose answer has not started yet (a `context` event
   * precedes its call). Given to the next assistant message, or shown alone at the run's end.
   */
  pendingMeta: TurnMeta | null
  console: ConsoleState
  /** A save that was refused because the file changed elsewhere: shown until resolved. */
  conflict: EditConflict | null
  /** What the current (or last) run changed, for the "Changes in this turn" view. */
  turn: TurnChanges | null
  seq: number
}

export const initialState: WorkspaceState = {
  project: null,
  loadError: null,
  files: {},
  openPath: null,
  tabs: [],
  dirty: {},
  streamingPath: null,
  chat: [],
  run: 'idle',
  activityId: null,
  error: null,
  deploying: false,
  preview: { status: 'idle', url: null, src: null, reloadKey: 0, error: null },
  modelLabel: null,
  lastLog: null,
  turnId: null,
  pendingMeta: null,
  console: initialConsole,
  conflict: null,
  turn: null,
  seq: 0,
}

export type Action =
  | { type: 'loaded'; project: ProjectDetail }
  | { type: 'loadFailed'; message: string }
  | { type: 'refreshed'; project: ProjectDetail; stale: string[] }
  | { type: 'modelLabel'; label: string }
  /** The project's model changed (its settings were saved): the label follows. */
  | { type: 'modelChanged'; label: string }
  | { type: 'open'; path: string }
  | { type: 'fileLoaded'; path: string; content: string }
  | { type: 'fileLoadFailed'; path: string; message: string }
  | { type: 'edit'; path: string; content: string }
  | { type: 'deployStarted' }
  | { type: 'deployed'; sent: Record<string, string>; deployment: Deployment }
  | { type: 'deployFailed'; message: string }
  | { type: 'previewRequested' }
  | { type: 'preview'; deployment: Deployment }
  | { type: 'previewFailed'; message: string }
  | { type: 'reloadPreview' }
  | { type: 'runStarted'; prompt: string }
  | { type: 'event'; event: RunEvent }
  | { type: 'runFailed'; message: string }
  | { type: 'runEnded' }
  | { type: 'console'; action: ConsoleAction }
  /** A problem outside a run worth a line in the chat (a lock that could not be saved). */
  | { type: 'warn'; text: string }
  | { type: 'closeTab'; path: string }
  /** The server now has `content` for `path` (a save or an overwrite succeeded). */
  | { type: 'saved'; path: string; content: string; size: number }
  | { type: 'conflict'; conflict: EditConflict }
  | { type: 'conflictDismissed' }
  /** The server's content replaces the buffer ("Reload" after a conflict): the edit is dropped. */
  | { type: 'reloadedFile'; path: string; content: string }
  /** A file created from the explorer (it is opened). */
  | { type: 'fileCreated'; path: string; content: string }
  /** A file or a folder renamed from the explorer: buffers, edits and tabs follow. */
  | { type: 'pathRenamed'; from: string; to: string }
  /** A file or a folder deleted from the explorer. */
  | { type: 'pathRemoved'; path: string }
  /** The start content of a file the run touched, fetched because it had not been loaded. */
  | { type: 'turnBaseLoaded'; path: string; content: string | null }

/** The text of the status line: idle / generating / starting / Checking the app… / ready / error: <reason>. */
export function statusText(state: WorkspaceState): string {
  if (state.run === 'generating') return 'generating'
  if (state.run === 'deploying') return 'starting'
  if (state.run === 'checking') return 'Checking the app…'
  if (state.error) return `error: ${state.error}`
  switch (state.preview.status) {
    case 'ready':
      return 'ready'
    case 'starting':
      return 'starting'
    case 'error':
      return `error: ${state.preview.error ?? 'the preview failed'}`
    default:
      return 'idle'
  }
}

export function sortedPaths(files: Record<string, FileEntry>): string[] {
  return Object.keys(files).sort((a, b) => a.localeCompare(b))
}

/** The file to show when none is chosen: src/App.tsx if present, else the first one. */
export function defaultOpenPath(paths: readonly string[]): string | null {
  for (const preferred of ['src/App.tsx', 'src/App.jsx', 'app.py', 'index.html']) {
    if (paths.includes(preferred)) return preferred
  }
  return paths.length > 0 ? [...paths].sort((a, b) => a.localeCompare(b))[0] : null
}

const encoder = new TextEncoder()
export function byteLength(text: string): number {
  return encoder.encode(text).length
}

/** History messages may hold the model's raw output: keep only the chat answer. */
export function chatText(content: string): string {
  return content
    .replace(/<tessera-(file|edit)\b[^>]*>[\s\S]*?<\/tessera-\1>/g, '')
    .replace(/<tessera-[a-z]+\b[^>]*\/>/g, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

function historyItems(messages: ChatMessage[]): ChatItem[] {
  const items: ChatItem[] = []
  for (const m of messages) {
    if (m.role !== 'user' && m.role !== 'assistant') continue
    const content = m.role === 'assistant' ? chatText(m.content) : m.content
    items.push({ kind: 'message', id: `history-${m.id}`, role: m.role, content, streaming: false })
  }
  return items
}

function omit<T>(record: Record<string, T>, key: string): Record<string, T> {
  if (!(key in record)) return record
  const next = { ...record }
  delete next[key]
  return next
}

function previewFromDeployment(preview: PreviewState, d: Deployment): PreviewState {
  const url = d.preview_url ?? preview.url
  if (d.status === 'error') {
    return { ...preview, status: 'error', url, error: d.error ?? 'the preview failed to start' }
  }
  if (d.status === 'ready' || d.ready) {
    // Same URL as shown: leave the iframe alone (the dev server hot-reloads it), unless
    // the server has no hot reload (Flask), when the page is reloaded to show the change.
    const src = url && url !== preview.src ? url : preview.src
    const reloadKey = d.reload && src === preview.src ? preview.reloadKey + 1 : preview.reloadKey
    return { ...preview, status: url ? 'ready' : 'starting', url, src, reloadKey, error: null }
  }
  return { ...preview, status: 'starting', url, error: null }
}

function updateActivity(state: WorkspaceState, activity: FileActivity): WorkspaceState {
  let id = state.activityId
  let chat = state.chat
  let seq = state.seq
  if (id === null || !chat.some((item) => item.id === id)) {
    seq += 1
    id = `files-${seq}`
    chat = [...chat, { kind: 'files', id, files: [] }]
  }
  chat = chat.map((item) => {
    if (item.id !== id || item.kind !== 'files') return item
    const rest = item.files.filter((f) => f.path !== activity.path)
    return { ...item, files: [...rest, activity] }
  })
  return { ...state, chat, activityId: id, seq }
}

function appendChat(state: WorkspaceState, make: (id: string) => ChatItem): WorkspaceState {
  const seq = state.seq + 1
  return { ...state, seq, chat: [...state.chat, make(`item-${seq}`)] }
}

function withFile(state: WorkspaceState, path: string, update: (entry: FileEntry) => FileEntry): WorkspaceState {
  const entry = state.files[path] ?? { path, size: 0, content: '', saved: null }
  return { ...state, files: { ...state.files, [path]: update(entry) } }
}

function afterRemoval(state: WorkspaceState, removed: string, replacement: string | null): WorkspaceState {
  const tabs = replacement === null ? removeFromTabs(state.tabs, removed) : renameInTabs(state.tabs, removed, replacement)
  if (state.openPath === null || !isUnder(state.openPath, removed)) return { ...state, tabs }
  if (replacement !== null) return { ...state, tabs, openPath: movedPath(state.openPath, removed, replacement) }
  // The open file is gone: its neighbour tab, else the default file.
  const { active } = closeTab(state.tabs, state.openPath, state.openPath)
  const next = active !== null && state.files[active] ? active : (tabs[tabs.length - 1] ?? defaultOpenPath(Object.keys(state.files)))
  return { ...state, tabs: next ? openTab(tabs, next) : tabs, openPath: next }
}

/** Records a file the run touched, for the turn's diff. */
function touched(state: WorkspaceState, path: string): WorkspaceState {
  return state.turn ? { ...state, turn: touch(state.turn, path) } : state
}

/** The assistant message of the run's current turn, if one has started. */
function turnMessage(state: WorkspaceState): Extract<ChatItem, { kind: 'message' }> | null {
  if (state.turnId === null) return null
  for (const item of state.chat) if (item.id === state.turnId && item.kind === 'message') return item
  return null
}

function updateMeta(state: WorkspaceState, id: string, update: (meta: TurnMeta) => TurnMeta): WorkspaceState {
  return {
    ...state,
    chat: state.chat.map((item) =>
      item.id === id && item.kind === 'message' ? { ...item, meta: update(item.meta ?? emptyMeta) } : item,
    ),
  }
}

/** A new assistant message (a run may hold several: the answer, then an automatic fix). */
function startAssistant(state: WorkspaceState, id: string, content: string): WorkspaceState {
  const message: ChatItem = { kind: 'message', id, role: 'assistant', content, streaming: true }
  if (state.pendingMeta !== null) message.meta = state.pendingMeta
  return { ...state, chat: [...state.chat, message], turnId: id, pendingMeta: null }
}

/** Usage that no assistant message took (a call that only wrote files) gets its own line. */
function flushPendingMeta(state: WorkspaceState): WorkspaceState {
  const meta = state.pendingMeta
  if (meta === null) return state
  const next = { ...state, pendingMeta: null }
  return meta.usage === null ? next : appendChat(next, (id) => ({ kind: 'meta', id, meta }))
}

function handleEvent(state: WorkspaceState, event: RunEvent): WorkspaceState {
  switch (event.type) {
    case 'RUN_STARTED':
      return { ...state, run: 'generating', error: null }
    case 'STEP_STARTED':
      if (event.stepName === 'deploying') return { ...state, run: 'deploying', streamingPath: null }
      if (event.stepName === 'generating') return { ...state, run: 'generating' }
      if (event.stepName === 'checking') return { ...state, run: 'checking', streamingPath: null }
      return state
    case 'STEP_FINISHED':
      if (event.stepName === 'generating') return { ...state, streamingPath: null }
      return state
    case 'RUN_FINISHED':
      return flushPendingMeta({ ...state, run: 'idle', streamingPath: null, lastLog: null })
    case 'RUN_ERROR':
      return appendChat(flushPendingMeta({ ...state, run: 'idle', streamingPath: null, error: event.message }), (id) => ({
        kind: 'error',
        id,
        text: event.message,
      }))
    case 'TEXT_MESSAGE_START': {
      // A repeated start is the same message: it stays the current turn.
      if (state.chat.some((item) => item.id === event.messageId)) return { ...state, turnId: event.messageId }
      return startAssistant(state, event.messageId, '')
    }
    case 'TEXT_MESSAGE_CONTENT': {
      if (!state.chat.some((item) => item.id === event.messageId)) return startAssistant(state, event.messageId, event.delta)
      return {
        ...state,
        chat: state.chat.map((item) =>
          item.id === event.messageId && item.kind === 'message' ? { ...item, content: item.content + event.delta } : item,
        ),
      }
    }
    case 'TEXT_MESSAGE_END':
      return {
        ...state,
        chat: state.chat.map((item) =>
          item.id === event.messageId && item.kind === 'message' ? { ...item, streaming: false } : item,
        ),
      }
    case 'CUSTOM':
      return handleCustom(state, event)
  }
}

function handleCustom(state: WorkspaceState, event: Extract<RunEvent, { type: 'CUSTOM' }>): WorkspaceState {
  switch (event.name) {
    case 'file_started': {
      const { path } = event.value
      const next = touched(withFile(state, path, (e) => ({ ...e, content: '' })), path)
      return updateActivity(
        { ...next, openPath: path, tabs: openTab(state.tabs, path), streamingPath: path, dirty: omit(state.dirty, path) },
        { path, state: 'writing' },
      )
    }
    case 'file_delta': {
      const { path, delta } = event.value
      return withFile(state, path, (e) => ({ ...e, content: (e.content ?? '') + delta }))
    }
    case 'file_ended': {
      const { path, size, content } = event.value
      const authoritative = typeof content === 'string'
      const next = touched(
        withFile(state, path, (e) => ({
          ...e,
          size,
          content: authoritative ? content : (e.content ?? ''),
          saved: authoritative ? content : null,
        })),
        path,
      )
      return updateActivity(
        { ...next, streamingPath: state.streamingPath === path ? null : state.streamingPath },
        { path, state: 'written' },
      )
    }
    case 'file_deleted': {
      const { path } = event.value
      const next = touched({ ...state, files: omit(state.files, path), dirty: omit(state.dirty, path) }, path)
      return updateActivity(afterRemoval(next, path, null), { path, state: 'deleted' })
    }
    case 'file_renamed': {
      const { from, to } = event.value
      const entry = state.files[from]
      if (!entry) return state
      const files = { ...omit(state.files, from), [to]: { ...entry, path: to } }
      const dirty = from in state.dirty ? { ...omit(state.dirty, from), [to]: true as const } : state.dirty
      const next = touched(touched(afterRemoval({ ...state, files, dirty }, from, to), from), to)
      return updateActivity(next, { path: to, from, state: 'renamed' })
    }
    case 'action_error': {
      const { path, message } = event.value
      return appendChat(state, (id) => ({ kind: 'warning', id, text: path ? `${path}: ${message}` : message }))
    }
    case 'project_updated': {
      if (!state.project) return state
      const { title, description } = event.value
      return {
        ...state,
        project: {
          ...state.project,
          title: title ?? state.project.title,
          description: description ?? state.project.description,
        },
      }
    }
    case 'e2b_deployment': {
      const v = event.value
      if (v.status === 'error') {
        return { ...state, preview: { ...state.preview, status: 'error', error: v.error ?? 'the sandbox failed to start' } }
      }
      const url = v.preview_url ?? state.preview.url
      const reloadKey = v.reload && url === state.preview.src ? state.preview.reloadKey + 1 : state.preview.reloadKey
      return { ...state, preview: { ...state.preview, url, reloadKey, status: v.status === 'ready' && url ? 'ready' : 'starting' } }
    }
    case 'e2b_preview': {
      const { preview_url: url, ready } = event.value
      const preview = state.preview
      if (!ready) return { ...state, preview: { ...preview, url, status: 'starting', error: null } }
      const src = url !== preview.src ? url : preview.src
      return { ...state, preview: { ...preview, url, src, status: 'ready', error: null } }
    }
    case 'sandbox_log':
      return { ...state, lastLog: event.value.line }
    case 'usage': {
      // A call whose answer has not started yet keeps its usage pending; otherwise the
      // usage is the current turn's (several calls of one turn add up).
      const turn = state.pendingMeta === null ? turnMessage(state) : null
      if (turn) return updateMeta(state, turn.id, (meta) => ({ ...meta, usage: addUsage(meta.usage, event.value) }))
      const pending = state.pendingMeta ?? emptyMeta
      return { ...state, pendingMeta: { ...pending, usage: addUsage(pending.usage, event.value) } }
    }
    case 'context': {
      // Sent before a model call: while the turn's message still streams it is that
      // message's next call (a continuation); otherwise a new turn is about to start.
      const context = asTurnContext(event.value)
      const turn = state.pendingMeta === null ? turnMessage(state) : null
      if (turn?.streaming) return updateMeta(state, turn.id, (meta) => ({ ...meta, context }))
      const next = state.pendingMeta?.usage ? flushPendingMeta(state) : state
      return { ...next, pendingMeta: { ...(next.pendingMeta ?? emptyMeta), context } }
    }
    case 'notice': {
      const { message } = event.value
      if (typeof message !== 'string' || !message) return state
      return appendChat(state, (id) => ({ kind: 'notice', id, text: message }))
    }
    case 'app_error': {
      const errors = asAppErrors(event.value.errors)
      if (errors.length === 0) return state
      const next = { ...state, console: consoleReducer(state.console, { type: 'errors', errors }) }
      return appendChat(next, (id) => ({ kind: 'appErrors', id, errors }))
    }
    case 'autofix': {
      const { attempt, max, status } = event.value
      const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0)
      // A fix that starts is the model at work again (the status line leaves "Checking").
      const next: WorkspaceState = status === 'started' && state.run !== 'idle' ? { ...state, run: 'generating' } : state
      return appendChat(next, (id) => ({
        kind: 'autofix',
        id,
        status: typeof status === 'string' ? status : 'started',
        attempt: number(attempt),
        max: number(max),
        errors: asAppErrors(event.value.errors).length,
      }))
    }
    case 'version_created':
      return state
  }
}

export function reducer(state: WorkspaceState, action: Action): WorkspaceState {
  switch (action.type) {
    case 'loaded': {
      const { project } = action
      const files: Record<string, FileEntry> = {}
      for (const f of project.files) files[f.path] = { path: f.path, size: f.size, content: null, saved: null }
      const openPath = defaultOpenPath(project.files.map((f) => f.path))
      return {
        ...state,
        project,
        loadError: null,
        files,
        openPath,
        tabs: openPath ? [openPath] : [],
        dirty: {},
        chat: historyItems(project.messages),
        modelLabel: project.llm?.label ?? state.modelLabel,
      }
    }
    case 'loadFailed':
      return { ...state, loadError: action.message }
    case 'refreshed': {
      // After a run: the server's file list is the truth; buffers whose size no longer
      // matches (or that a run changed without streaming them) are reloaded on demand.
      const stale = new Set(action.stale)
      const files: Record<string, FileEntry> = {}
      for (const f of action.project.files) {
        const local = state.files[f.path]
        const keep =
          local &&
          local.content !== null &&
          (f.path in state.dirty || (!stale.has(f.path) && byteLength(local.content) === f.size))
        files[f.path] = keep ? { ...local, size: f.size } : { path: f.path, size: f.size, content: null, saved: null }
      }
      for (const path of Object.keys(state.dirty)) if (!files[path] && state.files[path]) files[path] = state.files[path]
      const paths = Object.keys(files)
      const tabs = keepExisting(state.tabs, (path) => path in files)
      const openPath =
        state.openPath && files[state.openPath] ? state.openPath : (tabs[tabs.length - 1] ?? defaultOpenPath(paths))
      return { ...state, project: action.project, files, openPath, tabs: openPath ? openTab(tabs, openPath) : tabs }
    }
    case 'modelLabel':
      return state.modelLabel ? state : { ...state, modelLabel: action.label }
    case 'modelChanged':
      return action.label ? { ...state, modelLabel: action.label } : state
    case 'open':
      return state.files[action.path] ? { ...state, openPath: action.path, tabs: openTab(state.tabs, action.path) } : state
    case 'fileLoaded': {
      const entry = state.files[action.path]
      // A run may have started streaming this file meanwhile: the stream wins.
      if (!entry || entry.content !== null) return state
      return {
        ...state,
        files: { ...state.files, [action.path]: { ...entry, content: action.content, saved: action.content } },
      }
    }
    case 'fileLoadFailed':
      return appendChat(state, (id) => ({ kind: 'warning', id, text: `Could not load ${action.path}: ${action.message}` }))
    case 'edit': {
      const entry = state.files[action.path]
      if (!entry || entry.content === action.content) return state
      return {
        ...state,
        files: { ...state.files, [action.path]: { ...entry, content: action.content } },
        dirty: action.path in state.dirty ? state.dirty : { ...state.dirty, [action.path]: true },
      }
    }
    case 'deployStarted':
      return { ...state, deploying: true }
    case 'deployed': {
      // Clear only the files whose buffer is still what was sent.
      const dirty = { ...state.dirty }
      for (const [path, content] of Object.entries(action.sent)) {
        if (state.files[path]?.content === content) delete dirty[path]
      }
      const files = { ...state.files }
      for (const [path, content] of Object.entries(action.sent)) {
        if (files[path]) files[path] = { ...files[path], size: byteLength(content), saved: content }
      }
      return {
        ...state,
        deploying: false,
        dirty,
        files,
        error: null,
        preview: previewFromDeployment(state.preview, action.deployment),
      }
    }
    case 'deployFailed':
      return { ...state, deploying: false, error: action.message }
    case 'previewRequested':
      return state.preview.status === 'ready' ? state : { ...state, preview: { ...state.preview, status: 'starting', error: null } }
    case 'preview':
      return { ...state, preview: previewFromDeployment(state.preview, action.deployment) }
    case 'previewFailed':
      return { ...state, preview: { ...state.preview, status: 'error', error: action.message } }
    case 'reloadPreview': {
      const preview = state.preview
      return { ...state, preview: { ...preview, src: preview.src ?? preview.url, reloadKey: preview.reloadKey + 1 } }
    }
    case 'runStarted': {
      const seq = state.seq + 1
      return {
        ...state,
        seq,
        turn: startTurn(state.files),
        run: 'generating',
        error: null,
        activityId: null,
        turnId: null,
        pendingMeta: null,
        chat: [...state.chat, { kind: 'message', id: `user-${seq}`, role: 'user', content: action.prompt, streaming: false }],
      }
    }
    case 'event':
      return handleEvent(state, action.event)
    case 'runFailed':
      return appendChat(flushPendingMeta({ ...state, run: 'idle', streamingPath: null, error: action.message }), (id) => ({
        kind: 'error',
        id,
        text: action.message,
      }))
    case 'runEnded': {
      const flushed = flushPendingMeta(state)
      return {
        ...flushed,
        run: 'idle',
        streamingPath: null,
        chat: flushed.chat.map((item) => (item.kind === 'message' && item.streaming ? { ...item, streaming: false } : item)),
        activityId: null,
      }
    }
    case 'console':
      return { ...state, console: consoleReducer(state.console, action.action) }
    case 'warn':
      return appendChat(state, (id) => ({ kind: 'warning', id, text: action.text }))
    case 'closeTab': {
      const { tabs, active } = closeTab(state.tabs, state.openPath, action.path)
      return { ...state, tabs, openPath: active }
    }
    case 'saved': {
      const entry = state.files[action.path]
      if (!entry) return state
      const unchanged = entry.content === action.content
      return {
        ...state,
        files: { ...state.files, [action.path]: { ...entry, size: action.size, saved: action.content } },
        dirty: unchanged ? omit(state.dirty, action.path) : state.dirty,
        conflict: state.conflict?.path === action.path ? null : state.conflict,
      }
    }
    case 'conflict':
      return { ...state, conflict: action.conflict }
    case 'conflictDismissed':
      return { ...state, conflict: null }
    case 'reloadedFile': {
      const entry = state.files[action.path] ?? { path: action.path, size: 0, content: null, saved: null }
      return {
        ...state,
        files: {
          ...state.files,
          [action.path]: { ...entry, content: action.content, saved: action.content, size: byteLength(action.content) },
        },
        dirty: omit(state.dirty, action.path),
        conflict: state.conflict?.path === action.path ? null : state.conflict,
      }
    }
    case 'fileCreated': {
      const { path, content } = action
      const entry: FileEntry = { path, size: byteLength(content), content, saved: content }
      return { ...state, files: { ...state.files, [path]: entry }, openPath: path, tabs: openTab(state.tabs, path) }
    }
    case 'pathRenamed': {
      const { from, to } = action
      const files: Record<string, FileEntry> = {}
      const dirty: Record<string, true> = {}
      for (const [path, entry] of Object.entries(state.files)) {
        const next = movedPath(path, from, to) ?? path
        files[next] = next === path ? entry : { ...entry, path: next }
        if (path in state.dirty) dirty[next] = true
      }
      const conflict = state.conflict && { ...state.conflict, path: movedPath(state.conflict.path, from, to) ?? state.conflict.path }
      return afterRemoval({ ...state, files, dirty, conflict }, from, to)
    }
    case 'pathRemoved': {
      const files: Record<string, FileEntry> = {}
      for (const [path, entry] of Object.entries(state.files)) if (!isUnder(path, action.path)) files[path] = entry
      const dirty: Record<string, true> = {}
      for (const path of Object.keys(state.dirty)) if (!isUnder(path, action.path)) dirty[path] = true
      const conflict = state.conflict && isUnder(state.conflict.path, action.path) ? null : state.conflict
      return afterRemoval({ ...state, files, dirty, conflict }, action.path, null)
    }
    case 'turnBaseLoaded':
      return state.turn ? { ...state, turn: withBefore(state.turn, action.path, action.content) } : state
  }
}
