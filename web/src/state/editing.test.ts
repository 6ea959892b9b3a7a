import assert from 'node:assert/strict'
import { test } from 'node:test'

import type { Deployment, ProjectDetail } from '../api/client.js'
import type { RunEvent } from '../api/events.js'
import { filesToPreload } from './useWorkspace.js'
import { initialState, reducer, type Action, type WorkspaceState } from './workspace.js'

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
    { path: 'src/App.tsx', size: 3 },
    { path: 'src/lib/a.ts', size: 1 },
    { path: 'src/lib/b.ts', size: 1 },
  ],
  messages: [],
  versions: [],
  llm: null,
}

const deployment: Deployment = {
  sandbox_id: 's1',
  sandbox_url: null,
  preview_url: 'http://5173-s1.localhost:8000',
  status: 'ready',
  ready: true,
  files: [],
  error: null,
  log: '',
}

const run = (state: WorkspaceState, ...actions: Action[]) => actions.reduce(reducer, state)
const custom = (name: string, value: object): Action => ({ type: 'event', event: { type: 'CUSTOM', name, value } as RunEvent })
const loaded = () => run(initialState, { type: 'loaded', project }, { type: 'fileLoaded', path: 'src/App.tsx', content: 'old' })

test('opening files adds tabs; closing the active one moves to its neighbour', () => {
  let s = loaded()
  assert.deepEqual(s.tabs, ['src/App.tsx'])
  s = run(s, { type: 'open', path: 'index.html' }, { type: 'open', path: 'src/lib/a.ts' }, { type: 'open', path: 'index.html' })
  assert.deepEqual(s.tabs, ['src/App.tsx', 'index.html', 'src/lib/a.ts'])
  assert.equal(s.openPath, 'index.html')
  s = run(s, { type: 'closeTab', path: 'index.html' })
  assert.deepEqual(s.tabs, ['src/App.tsx', 'src/lib/a.ts'])
  assert.equal(s.openPath, 'src/lib/a.ts')
})

test('closing a tab keeps its unsaved edit', () => {
  let s = run(loaded(), { type: 'edit', path: 'src/App.tsx', content: 'new' }, { type: 'closeTab', path: 'src/App.tsx' })
  assert.deepEqual(s.tabs, [])
  assert.equal(s.openPath, null)
  assert.ok('src/App.tsx' in s.dirty)
  assert.equal(s.files['src/App.tsx'].content, 'new')
  s = run(s, { type: 'open', path: 'src/App.tsx' })
  assert.equal(s.files['src/App.tsx'].content, 'new')
})

test('the server content is remembered: loaded, then what a save or a deploy sent', () => {
  let s = loaded()
  assert.equal(s.files['src/App.tsx'].saved, 'old')
  s = run(s, { type: 'edit', path: 'src/App.tsx', content: 'new' })
  assert.equal(s.files['src/App.tsx'].saved, 'old', 'an edit is not on the server yet')
  s = run(s, { type: 'saved', path: 'src/App.tsx', content: 'new', size: 3 })
  assert.equal(s.files['src/App.tsx'].saved, 'new')
  assert.ok(!('src/App.tsx' in s.dirty))
  s = run(s, { type: 'edit', path: 'src/App.tsx', content: 'newer' }, { type: 'deployed', sent: { 'src/App.tsx': 'newer' }, deployment })
  assert.equal(s.files['src/App.tsx'].saved, 'newer')
})

test('a save answered after more typing keeps the file dirty', () => {
  const s = run(
    loaded(),
    { type: 'edit', path: 'src/App.tsx', content: 'new' },
    { type: 'edit', path: 'src/App.tsx', content: 'new and more' },
    { type: 'saved', path: 'src/App.tsx', content: 'new', size: 3 },
  )
  assert.ok('src/App.tsx' in s.dirty)
  assert.equal(s.files['src/App.tsx'].saved, 'new')
})

test('a conflict stays until the server version is taken, which drops the edit', () => {
  let s = run(loaded(), { type: 'edit', path: 'src/App.tsx', content: 'mine' }, {
    type: 'conflict',
    conflict: { path: 'src/App.tsx', message: 'changed elsewhere' },
  })
  assert.equal(s.conflict?.path, 'src/App.tsx')
  s = run(s, { type: 'reloadedFile', path: 'src/App.tsx', content: 'theirs' })
  assert.equal(s.conflict, null)
  assert.equal(s.files['src/App.tsx'].content, 'theirs')
  assert.equal(s.files['src/App.tsx'].saved, 'theirs')
  assert.ok(!('src/App.tsx' in s.dirty))
})

test('an overwrite (a save without base) resolves the conflict with the edit kept', () => {
  const s = run(
    loaded(),
    { type: 'edit', path: 'src/App.tsx', content: 'mine' },
    { type: 'conflict', conflict: { path: 'src/App.tsx', message: 'x' } },
    { type: 'saved', path: 'src/App.tsx', content: 'mine', size: 4 },
  )
  assert.equal(s.conflict, null)
  assert.equal(s.files['src/App.tsx'].content, 'mine')
})

test('a renamed folder moves buffers, edits and tabs', () => {
  let s = run(
    loaded(),
    { type: 'open', path: 'src/lib/a.ts' },
    { type: 'fileLoaded', path: 'src/lib/a.ts', content: 'a' },
    { type: 'edit', path: 'src/lib/a.ts', content: 'a2' },
  )
  s = run(s, { type: 'pathRenamed', from: 'src/lib', to: 'src/util' })
  assert.deepEqual(Object.keys(s.files).sort(), ['index.html', 'src/App.tsx', 'src/util/a.ts', 'src/util/b.ts'])
  assert.equal(s.files['src/util/a.ts'].content, 'a2')
  assert.ok('src/util/a.ts' in s.dirty)
  assert.equal(s.openPath, 'src/util/a.ts')
  assert.deepEqual(s.tabs, ['src/App.tsx', 'src/util/a.ts'])
})

test('a deleted folder closes its tabs and opens another file', () => {
  let s = run(loaded(), { type: 'open', path: 'src/lib/a.ts' }, { type: 'open', path: 'src/lib/b.ts' })
  s = run(s, { type: 'pathRemoved', path: 'src/lib' })
  assert.deepEqual(Object.keys(s.files).sort(), ['index.html', 'src/App.tsx'])
  assert.deepEqual(s.tabs, ['src/App.tsx'])
  assert.equal(s.openPath, 'src/App.tsx')
})

test('a new file from the explorer is opened, known to be on the server', () => {
  const s = run(loaded(), { type: 'fileCreated', path: 'src/New.tsx', content: '' })
  assert.equal(s.openPath, 'src/New.tsx')
  assert.deepEqual(s.tabs, ['src/App.tsx', 'src/New.tsx'])
  assert.equal(s.files['src/New.tsx'].saved, '')
})

test('a run opens the file it writes as a tab and records the turn', () => {
  let s = run(loaded(), { type: 'runStarted', prompt: 'x' })
  assert.deepEqual(s.turn?.before, { 'src/App.tsx': 'old' })
  s = run(
    s,
    custom('file_started', { path: 'src/List.tsx' }),
    custom('file_ended', { path: 'src/List.tsx', size: 4, content: 'list' }),
    custom('file_started', { path: 'index.html' }),
    { type: 'turnBaseLoaded', path: 'index.html', content: '<p>old</p>' },
    custom('file_deleted', { path: 'src/lib/b.ts' }),
  )
  assert.deepEqual(s.tabs, ['src/App.tsx', 'src/List.tsx', 'index.html'])
  assert.deepEqual(s.turn?.changed, ['src/List.tsx', 'index.html', 'src/lib/b.ts'])
  assert.equal(s.turn?.before['index.html'], '<p>old</p>')
  assert.equal(s.files['src/List.tsx'].saved, 'list', 'file_ended carries the stored content')
})

test('a refresh after a restore drops tabs of files that no longer exist', () => {
  let s = run(loaded(), { type: 'open', path: 'src/lib/a.ts' })
  const restored = { ...project, files: [{ path: 'index.html', size: 10 }, { path: 'src/App.tsx', size: 3 }] }
  s = run(s, { type: 'refreshed', project: restored, stale: ['index.html', 'src/App.tsx'] })
  assert.deepEqual(s.tabs, ['src/App.tsx'])
  assert.equal(s.openPath, 'src/App.tsx')
  assert.equal(s.files['src/App.tsx'].content, null, 'read again from the server')
})

test('the language service reads code files in the background, not others or big ones', () => {
  const s = run(initialState, {
    type: 'loaded',
    project: {
      ...project,
      files: [
        { path: 'package.json', size: 100 },
        { path: 'src/App.tsx', size: 100 },
        { path: 'src/util.js', size: 100 },
        { path: 'src/big.ts', size: 10 * 1024 * 1024 },
        { path: 'src/index.css', size: 100 },
        { path: 'app.py', size: 100 },
      ],
    },
  })
  assert.deepEqual(filesToPreload(s), ['package.json', 'src/App.tsx', 'src/util.js'])
  assert.deepEqual(filesToPreload(run(s, { type: 'fileLoaded', path: 'src/App.tsx', content: 'x' })), ['package.json', 'src/util.js'])
})
