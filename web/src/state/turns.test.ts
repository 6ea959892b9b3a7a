import assert from 'node:assert/strict'
import { test } from 'node:test'

import type { RunEvent } from '../api/events.js'
import { initialState, reducer, statusText, type Action, type ChatItem, type WorkspaceState } from './workspace.js'

const run = (state: WorkspaceState, ...actions: Action[]) => actions.reduce(reducer, state)
const ev = (event: RunEvent): Action => ({ type: 'event', event })
const custom = (name: string, value: object): Action => ev({ type: 'CUSTOM', name, value } as RunEvent)
const start = (id: string) => ev({ type: 'TEXT_MESSAGE_START', messageId: id, role: 'assistant' })
const say = (id: string, delta: string) => ev({ type: 'TEXT_MESSAGE_CONTENT', messageId: id, delta })
const end = (id: string) => ev({ type: 'TEXT_MESSAGE_END', messageId: id })
const usage = (input: number, output: number, cost: number | null) =>
  custom('usage', { input_tokens: input, output_tokens: output, provider: 'openai', model: 'gpt-x', cost_usd: cost })
const appError = (id: string, message: string) => ({
  id,
  source: 'browser',
  message,
  detail: null,
  file: 'src/App.tsx',
  line: 3,
  count: 1,
  first_seen: '2026-01-01T00:00:00Z',
  last_seen: '2026-01-01T00:00:00Z',
})

const message = (s: WorkspaceState, id: string) => {
  const item = s.chat.find((i) => i.id === id)
  assert.ok(item && item.kind === 'message', `no message ${id}`)
  return item
}
const kinds = (s: WorkspaceState) => s.chat.map((i) => i.kind)
const only = <K extends ChatItem['kind']>(s: WorkspaceState, kind: K) =>
  s.chat.filter((i): i is Extract<ChatItem, { kind: K }> => i.kind === kind)

test('usage of the calls of one turn adds up under its assistant message', () => {
  const s = run(
    initialState,
    { type: 'runStarted', prompt: 'make it' },
    start('a1'),
    say('a1', 'Done.'),
    usage(1000, 200, 0.001),
    custom('notice', { message: 'The model reached its output limit; continuing (1/2)' }),
    usage(234, 367, 0.0011),
    end('a1'),
    ev({ type: 'RUN_FINISHED', threadId: 'p', runId: 'r' }),
    { type: 'runEnded' },
  )
  const meta = message(s, 'a1').meta
  assert.ok(meta?.usage)
  assert.equal(meta.usage.input_tokens, 1234)
  assert.equal(meta.usage.output_tokens, 567)
  assert.equal(meta.usage.calls, 2)
  assert.ok(Math.abs((meta.usage.cost_usd ?? 0) - 0.0021) < 1e-12)
  assert.deepEqual(kinds(s), ['message', 'message', 'notice'])
  assert.equal(only(s, 'notice')[0].text, 'The model reached its output limit; continuing (1/2)')
})

test('one call of unknown price makes the turn cost unknown', () => {
  const s = run(initialState, { type: 'runStarted', prompt: 'x' }, start('a1'), usage(10, 5, 0.5), usage(10, 5, null))
  assert.equal(message(s, 'a1').meta?.usage?.cost_usd, null)
})

test('a second assistant message in one run is a new turn with its own usage and context', () => {
  const s = run(
    initialState,
    { type: 'runStarted', prompt: 'make it' },
    custom('context', { files: ['src/App.tsx'], summarised: [], tokens: 900, budget: 128000 }),
    start('a1'),
    say('a1', 'Here it is.'),
    end('a1'),
    usage(900, 100, 0.002),
    ev({ type: 'STEP_STARTED', stepName: 'checking' }),
    custom('app_error', { errors: [appError('e1', 'x is not defined')] }),
    custom('autofix', { attempt: 1, max: 2, status: 'started', errors: [appError('e1', 'x is not defined')] }),
    custom('context', { files: ['src/App.tsx', 'src/x.ts'], summarised: ['README.md'], tokens: 1500, budget: 128000 }),
    start('a2'),
    say('a2', 'Fixed the import.'),
    end('a2'),
    usage(1500, 50, 0.003),
    custom('autofix', { attempt: 1, max: 2, status: 'fixed', errors: [] }),
    ev({ type: 'RUN_FINISHED', threadId: 'p', runId: 'r' }),
    { type: 'runEnded' },
  )
  assert.deepEqual(kinds(s), ['message', 'message', 'appErrors', 'autofix', 'message', 'autofix'])
  const first = message(s, 'a1')
  const second = message(s, 'a2')
  assert.equal(first.content, 'Here it is.')
  assert.equal(second.content, 'Fixed the import.')
  assert.equal(first.meta?.usage?.input_tokens, 900)
  assert.deepEqual(first.meta?.context?.files, ['src/App.tsx'])
  assert.equal(second.meta?.usage?.input_tokens, 1500)
  assert.deepEqual(second.meta?.context?.summarised, ['README.md'])
  assert.deepEqual(
    only(s, 'autofix').map((a) => [a.status, a.attempt, a.max, a.errors]),
    [
      ['started', 1, 2, 1],
      ['fixed', 1, 2, 0],
    ],
  )
  // The errors reported during the run are in the console too.
  assert.deepEqual(
    s.console.errors.map((e) => e.message),
    ['x is not defined'],
  )
  assert.equal(s.pendingMeta, null)
})

test('usage of a call that wrote no chat text gets its own line at the end of the run', () => {
  const s = run(
    initialState,
    { type: 'runStarted', prompt: 'x' },
    custom('context', { files: ['a.ts'], summarised: [], tokens: 10, budget: 100 }),
    usage(10, 20, 0),
    ev({ type: 'RUN_FINISHED', threadId: 'p', runId: 'r' }),
  )
  const metas = only(s, 'meta')
  assert.equal(metas.length, 1)
  assert.equal(metas[0].meta.usage?.output_tokens, 20)
  assert.deepEqual(metas[0].meta.context?.files, ['a.ts'])
  assert.equal(s.pendingMeta, null)
})

test('a context sent before the first answer goes to that answer, not to the last run', () => {
  let s = run(initialState, { type: 'runStarted', prompt: 'one' }, start('a1'), end('a1'), usage(1, 1, 0), { type: 'runEnded' })
  s = run(
    s,
    { type: 'runStarted', prompt: 'two' },
    custom('context', { files: ['b.ts'], summarised: [], tokens: 5, budget: 50 }),
    start('b1'),
  )
  assert.equal(message(s, 'a1').meta?.context, null)
  assert.deepEqual(message(s, 'b1').meta?.context?.files, ['b.ts'])
})

test('the checking step has its own status line; app errors without errors add nothing', () => {
  let s = run(initialState, { type: 'runStarted', prompt: 'x' }, ev({ type: 'STEP_STARTED', stepName: 'deploying' }))
  assert.equal(statusText(s), 'starting')
  s = run(s, ev({ type: 'STEP_STARTED', stepName: 'checking' }))
  assert.equal(statusText(s), 'Checking the app…')
  const before = s.chat.length
  s = run(s, custom('app_error', { errors: [] }), custom('notice', { message: '' }))
  assert.equal(s.chat.length, before)
  s = run(s, ev({ type: 'RUN_FINISHED', threadId: 'p', runId: 'r' }))
  assert.notEqual(statusText(s), 'Checking the app…')
})

test('giving up after the last attempt is its own chat line', () => {
  const s = run(
    initialState,
    { type: 'runStarted', prompt: 'x' },
    custom('autofix', { attempt: 2, max: 2, status: 'gave_up', errors: [appError('e1', 'boom')] }),
  )
  const [line] = only(s, 'autofix')
  assert.equal(line.status, 'gave_up')
  assert.equal(line.attempt, 2)
})

test('a fix that starts after the check shows the model at work again', () => {
  let s = run(initialState, { type: 'runStarted', prompt: 'x' }, ev({ type: 'STEP_STARTED', stepName: 'checking' }))
  s = run(s, custom('autofix', { attempt: 1, max: 2, status: 'started', errors: [appError('e1', 'boom')] }))
  assert.equal(statusText(s), 'generating')
})
