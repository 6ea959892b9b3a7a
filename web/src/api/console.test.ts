import assert from 'node:assert/strict'
import { test } from 'node:test'

import { asAppError, errorLocation } from './appError.js'
import { asConsoleEntry } from './console.js'
import { asRunEvent } from './events.js'

test('console entries are checked and normalised', () => {
  assert.deepEqual(asConsoleEntry({ type: 'log', line: 'ready', at: '2026-01-01T00:00:00Z' }), {
    type: 'log',
    line: 'ready',
    at: '2026-01-01T00:00:00Z',
  })
  assert.deepEqual(asConsoleEntry({ type: 'cleared' }), { type: 'cleared' })
  assert.deepEqual(asConsoleEntry({ type: 'dropped', count: 4 }), { type: 'dropped', count: 4 })
  assert.equal(asConsoleEntry({ type: 'log' }), null)
  assert.equal(asConsoleEntry({ type: 'error', error: { id: 'e' } }), null)
  assert.equal(asConsoleEntry({ type: 'mystery' }), null)
  const entry = asConsoleEntry({ type: 'error', error: { id: 7, source: 'build', message: 'Unexpected token', file: 'src/App.tsx', line: 4 } })
  assert.ok(entry?.type === 'error')
  assert.equal(entry.error.id, '7')
  assert.equal(entry.error.count, 1)
  assert.equal(entry.error.detail, null)
  assert.equal(errorLocation(entry.error), 'src/App.tsx:4')
})

test('an error without an id gets one from what it says', () => {
  const a = asAppError({ source: 'server', message: 'boom' })
  const b = asAppError({ source: 'server', message: 'boom' })
  assert.ok(a && b)
  assert.equal(a.id, b.id)
  assert.equal(errorLocation(a), null)
})

test('the new run events are recognised', () => {
  for (const name of ['context', 'notice', 'app_error', 'autofix', 'usage']) {
    assert.ok(asRunEvent({ type: 'CUSTOM', name, value: {} }), name)
  }
  assert.equal(asRunEvent({ type: 'CUSTOM', name: 'unknown_thing', value: {} }), null)
})
