import assert from 'node:assert/strict'
import { test } from 'node:test'

import type { AppError } from '../api/appError.js'
import type { ConsoleEntry } from '../api/console.js'
import { CONSOLE_ERROR_LIMIT, CONSOLE_LOG_LIMIT, consoleReducer, initialConsole, type ConsoleAction, type ConsoleState } from './console.js'

const apply = (state: ConsoleState, ...actions: ConsoleAction[]) => actions.reduce(consoleReducer, state)
const entry = (e: ConsoleEntry): ConsoleAction => ({ type: 'entry', entry: e })
const log = (line: string) => entry({ type: 'log', line, at: null })
const error = (id: string, message: string, extra: Partial<AppError> = {}): AppError => ({
  id,
  source: 'browser',
  message,
  detail: null,
  file: 'src/App.tsx',
  line: 1,
  count: 1,
  first_seen: 1,
  last_seen: 1,
  ...extra,
})

test('log lines are kept in order, the last 500 only', () => {
  let s = apply(initialConsole, { type: 'connected' })
  for (let i = 0; i < CONSOLE_LOG_LIMIT + 20; i++) s = consoleReducer(s, log(`line ${i}`))
  assert.equal(s.lines.length, CONSOLE_LOG_LIMIT)
  assert.equal(s.lines[0].text, 'line 20')
  assert.equal(s.lines.at(-1)?.text, `line ${CONSOLE_LOG_LIMIT + 19}`)
  assert.equal(new Set(s.lines.map((l) => l.id)).size, CONSOLE_LOG_LIMIT, 'line ids stay unique')
})

test('the same error is one entry whose count grows', () => {
  const s = apply(
    initialConsole,
    entry({ type: 'error', error: error('e1', 'boom') }),
    entry({ type: 'error', error: error('e1', 'boom', { count: 3, last_seen: 5 }) }),
    // An older word on e1 (a run's event after the stream's) never lowers the count.
    { type: 'errors', errors: [error('e1', 'boom', { count: 2 })] },
    entry({ type: 'error', error: error('e2', 'other') }),
  )
  assert.deepEqual(
    s.errors.map((e) => [e.id, e.count]),
    [
      ['e1', 3],
      ['e2', 1],
    ],
  )
  assert.equal(s.errors[0].last_seen, 5, 'an older word changes nothing')
})

test('a repeat under another id is counted with the first one', () => {
  const s = apply(
    initialConsole,
    entry({ type: 'error', error: error('e1', 'boom') }),
    entry({ type: 'error', error: error('e9', 'boom', { count: 2, detail: 'stack' }) }),
    entry({ type: 'error', error: error('e3', 'boom', { line: 2 }) }),
  )
  assert.deepEqual(
    s.errors.map((e) => [e.id, e.count, e.detail]),
    [
      ['e1', 3, 'stack'],
      ['e3', 1, null],
    ],
  )
})

test('errors are capped, the oldest go first', () => {
  let s = initialConsole
  for (let i = 0; i < CONSOLE_ERROR_LIMIT + 5; i++) s = consoleReducer(s, entry({ type: 'error', error: error(`e${i}`, `m${i}`) }))
  assert.equal(s.errors.length, CONSOLE_ERROR_LIMIT)
  assert.equal(s.errors[0].id, 'e5')
})

test('cleared empties the errors and keeps the log; the user clears both', () => {
  let s = apply(initialConsole, log('hello'), entry({ type: 'error', error: error('e1', 'boom') }), entry({ type: 'cleared' }))
  assert.deepEqual(s.errors, [])
  assert.equal(s.lines.length, 1)
  s = apply(s, entry({ type: 'error', error: error('e2', 'again') }), { type: 'clearedByUser' })
  assert.deepEqual(s.errors, [])
  assert.deepEqual(s.lines, [])
})

test('skipped lines are noted; a new connection starts from its backlog', () => {
  let s = apply(initialConsole, { type: 'connected' }, log('a'), entry({ type: 'dropped', count: 12 }))
  assert.equal(s.lines[1].text, '… 12 lines skipped')
  assert.equal(s.lines[1].kind, 'dropped')
  assert.equal(s.connected, true)
  s = apply(s, { type: 'disconnected' })
  assert.equal(s.connected, false)
  assert.equal(s.lines.length, 2, 'a drop keeps what is shown')
  const lastId = s.lines[1].id
  s = apply(s, { type: 'connected' }, log('b'))
  assert.deepEqual(
    s.lines.map((l) => l.text),
    ['b'],
  )
  assert.ok(s.lines[0].id > lastId, 'ids never repeat across connections')
})
