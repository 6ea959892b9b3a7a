import assert from 'node:assert/strict'
import { test } from 'node:test'

import type { VersionSummary } from '../api/history.js'
import { changedText, comparePair, CURRENT, kindLabel, newestFirst, refLabel, toggleSelection } from './history.js'

const version = (id: number, number: number): VersionSummary => ({
  id,
  number,
  message: `v${number}`,
  kind: 'assistant',
  created_at: '2026-01-01T00:00:00Z',
  changed: [],
})
const versions = [version(30, 3), version(10, 1), version(20, 2)]

test('at most two versions stay selected; a third replaces the older choice', () => {
  let selected = toggleSelection([], '10')
  selected = toggleSelection(selected, '20')
  assert.deepEqual(selected, ['10', '20'])
  assert.deepEqual(toggleSelection(selected, '30'), ['20', '30'])
  assert.deepEqual(toggleSelection(selected, '10'), ['20'])
})

test('two selections are compared older first, whatever the click order', () => {
  assert.deepEqual(comparePair(['30', '10'], versions), { from: '10', to: '30' })
  assert.deepEqual(comparePair(['10', '30'], versions), { from: '10', to: '30' })
})

test('"current" is always the newer side; one selection compares with the current files', () => {
  assert.deepEqual(comparePair([CURRENT, '20'], versions), { from: '20', to: CURRENT })
  assert.deepEqual(comparePair(['20'], versions), { from: '20', to: CURRENT })
})

test('nothing to compare: no selection, only "current", or an unknown version', () => {
  assert.equal(comparePair([], versions), null)
  assert.equal(comparePair([CURRENT], versions), null)
  assert.equal(comparePair(['99', '10'], versions), null)
})

test('labels and order', () => {
  assert.equal(refLabel('20', versions), 'Version 2')
  assert.equal(refLabel(CURRENT, versions), 'Current files')
  assert.equal(changedText(1), '1 file changed')
  assert.equal(changedText(3), '3 files changed')
  assert.equal(changedText(0), 'no file changed')
  assert.equal(kindLabel('assistant'), 'AI')
  assert.equal(kindLabel('other'), 'other')
  assert.deepEqual(
    newestFirst(versions).map((v) => v.number),
    [3, 2, 1],
  )
})
