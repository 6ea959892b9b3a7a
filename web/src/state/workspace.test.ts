import assert from 'node:assert/strict'
import { test } from 'node:test'

import type { Deployment, ProjectDetail } from '../api/client.js'
import type { RunEvent } from '../api/events.js'
import { chatText, defaultOpenPath, initialState, reducer, statusText, type Action, type WorkspaceState } from './workspace.js'

const project: ProjectDetail = {
  id: 'p1',
  name: 'todo',
  title: null,
  description: null,
  template: 'react',
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  files: [
    { path: 'index.html', size: 10 },
    { path: 'src/App.tsx', size: 20 },
  ],
  messages: [{ id: 'm1', role: 'user', content: 'hi', created_at: '2026-01-01T00:00:00Z' }],
  versions: [],
  llm: { provider: 'offline', model: 'offline', label: 'offline demo model' },
}

const deployment = (url: string, status: Deployment['status'] = 'ready'): Deployment => ({
  sandbox_id: 's1',
  sandbox_url: url,
  preview_url: url,
  status,
  ready: status === 'ready',
  files: [],
  error: null,
  log: '',
})

const run = (state: WorkspaceState, ...actions: Action[]) => actions.reduce(reducer, state)
const ev = (event: RunEvent): Action => ({ type: 'event', event })
const custom = (name: string, value: object): Action => ev({ type: 'CUSTOM', name, value } as RunEvent)

test('loading opens src/App.tsx and keeps contents lazy', () => {
  const s = run(initialState, { type: 'loaded', project })
  assert.equal(s.openPath, 'src/App.tsx')
  assert.equal(s.files['src/App.tsx'].content, null)
  assert.equal(s.modelLabel, 'offline demo model')
  assert.equal(s.chat.length, 1)
  assert.equal(defaultOpenPath(['b.txt', 'a.txt']), 'a.txt')
})

test('a streamed file grows, is opened, and the status follows the run', () => {
  let s = run(initialState, { type: 'loaded', project }, { type: 'runStarted', prompt: 'make it' })
  assert.equal(statusText(s), 'generating')
  s = run(
    s,
    ev({ type: 'RUN_STARTED', threadId: 'p1', runId: 'r1' }),
    custom('file_started', { path: 'src/List.tsx' }),
    custom('file_delta', { path: 'src/List.tsx', delta: 'export ' }),
    custom('file_delta', { path: 'src/List.tsx', delta: 'const x = 1\n' }),
  )
  assert.equal(s.openPath, 'src/List.tsx')
  assert.equal(s.streamingPath, 'src/List.tsx')
  assert.equal(s.files['src/List.tsx'].content, 'export const x = 1\n')
  s = run(s, custom('file_ended', { path: 'src/List.tsx', size: 19 }), ev({ type: 'STEP_STARTED', stepName: 'deploying' }))
  assert.equal(s.streamingPath, null)
  assert.equal(statusText(s), 'starting')
  s = run(
    s,
    custom('e2b_preview', { sandbox_id: 's1', preview_url: 'http://5173-s1.localhost:8000', ready: true }),
    ev({ type: 'RUN_FINISHED', threadId: 'p1', runId: 'r1' }),
  )
  assert.equal(statusText(s), 'ready')
  assert.equal(s.preview.src, 'http://5173-s1.localhost:8000')
})

test('the chat answer streams into one assistant message', () => {
  const s = run(
    initialState,
    ev({ type: 'TEXT_MESSAGE_START', messageId: 'a1', role: 'assistant' }),
    ev({ type: 'TEXT_MESSAGE_CONTENT', messageId: 'a1', delta: 'Hel' }),
    ev({ type: 'TEXT_MESSAGE_CONTENT', messageId: 'a1', delta: 'lo' }),
    ev({ type: 'TEXT_MESSAGE_END', messageId: 'a1' }),
  )
  assert.deepEqual(s.chat, [{ kind: 'message', id: 'a1', role: 'assistant', content: 'Hello', streaming: false }])
})

test('RUN_ERROR goes to the chat and the status line; action_error is a warning', () => {
  const s = run(
    initialState,
    { type: 'runStarted', prompt: 'x' },
    custom('action_error', { path: '../x', message: 'outside the project' }),
    ev({ type: 'RUN_ERROR', message: 'model unavailable' }),
  )
  assert.equal(statusText(s), 'error: model unavailable')
  assert.deepEqual(
    s.chat.map((i) => i.kind),
    ['message', 'warning', 'error'],
  )
})

test('deleting and renaming files move the open file and the dirty marks', () => {
  let s = run(
    initialState,
    { type: 'loaded', project },
    { type: 'fileLoaded', path: 'src/App.tsx', content: 'a' },
    { type: 'edit', path: 'src/App.tsx', content: 'ab' },
  )
  assert.deepEqual(s.dirty, { 'src/App.tsx': true })
  s = run(s, custom('file_renamed', { from: 'src/App.tsx', to: 'src/Main.tsx' }))
  assert.equal(s.openPath, 'src/Main.tsx')
  assert.deepEqual(s.dirty, { 'src/Main.tsx': true })
  s = run(s, custom('file_deleted', { path: 'src/Main.tsx' }))
  assert.equal(s.openPath, 'index.html')
  assert.deepEqual(s.dirty, {})
})

test('a deploy clears only what it sent and never changes the iframe for the same URL', () => {
  const url = 'http://5173-s1.localhost:8000'
  let s = run(initialState, { type: 'loaded', project }, { type: 'preview', deployment: deployment(url) })
  assert.equal(s.preview.src, url)
  const key = s.preview.reloadKey
  s = run(
    s,
    { type: 'fileLoaded', path: 'src/App.tsx', content: 'a' },
    { type: 'edit', path: 'src/App.tsx', content: 'ab' },
    { type: 'deployStarted' },
    { type: 'edit', path: 'src/App.tsx', content: 'abc' },
    { type: 'deployed', sent: { 'src/App.tsx': 'ab' }, deployment: deployment(url) },
  )
  assert.deepEqual(s.dirty, { 'src/App.tsx': true }, 'typed during the deploy: still dirty')
  s = run(s, { type: 'deployed', sent: { 'src/App.tsx': 'abc' }, deployment: deployment(url) })
  assert.deepEqual(s.dirty, {})
  assert.equal(s.preview.src, url)
  assert.equal(s.preview.reloadKey, key)
  assert.equal(statusText(s), 'ready')
  s = run(s, { type: 'reloadPreview' })
  assert.equal(s.preview.reloadKey, key + 1)
})

test('a stream that arrives while a file loads wins over the loaded content', () => {
  const s = run(
    initialState,
    { type: 'loaded', project },
    custom('file_started', { path: 'src/App.tsx' }),
    custom('file_delta', { path: 'src/App.tsx', delta: 'new' }),
    { type: 'fileLoaded', path: 'src/App.tsx', content: 'old' },
  )
  assert.equal(s.files['src/App.tsx'].content, 'new')
})

test('history messages keep only the chat answer', () => {
  assert.equal(chatText('Done.\n<tessera-file path="a.ts">x</tessera-file>\n<tessera-delete path="b.ts"/>'), 'Done.')
})

test('a deploy to a server without hot reload reloads the preview once', () => {
  const url = 'http://5000-s1.localhost:8000'
  let s = run(initialState, { type: 'loaded', project }, { type: 'preview', deployment: deployment(url) })
  const key = s.preview.reloadKey
  s = run(s, { type: 'deployed', sent: {}, deployment: { ...deployment(url), reload: true } })
  assert.equal(s.preview.reloadKey, key + 1)
  s = run(s, custom('e2b_deployment', { sandbox_id: 's1', preview_url: url, status: 'ready', reload: true }))
  assert.equal(s.preview.reloadKey, key + 2)
  s = run(s, custom('e2b_deployment', { sandbox_id: 's1', preview_url: url, status: 'ready', reload: false }))
  assert.equal(s.preview.reloadKey, key + 2)
})
