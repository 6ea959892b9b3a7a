import assert from 'node:assert/strict'
import { test } from 'node:test'

import { needsBefore, startTurn, touch, turnDiffFiles, withBefore } from './turnDiff.js'

const files = (record: Record<string, string | null>) =>
  Object.fromEntries(Object.entries(record).map(([path, content]) => [path, { content }]))

test('a run records what existed and the contents already loaded', () => {
  const turn = startTurn(files({ 'src/App.tsx': 'old', 'index.html': null }))
  assert.deepEqual(turn.existed, { 'src/App.tsx': true, 'index.html': true })
  assert.deepEqual(turn.before, { 'src/App.tsx': 'old' })
  assert.ok(needsBefore(turn, 'index.html'))
  assert.ok(!needsBefore(turn, 'src/App.tsx'))
  assert.ok(!needsBefore(turn, 'src/New.tsx'), 'a new file has no start content to load')
})

test('touched files diff live: modified, added, deleted; unchanged ones are left out', () => {
  let turn = startTurn(files({ 'src/App.tsx': 'old', 'src/gone.ts': 'x', 'same.ts': 's' }))
  for (const path of ['src/App.tsx', 'src/New.tsx', 'src/gone.ts', 'same.ts']) turn = touch(turn, path)
  const now = files({ 'src/App.tsx': 'ol', 'src/New.tsx': 'new', 'same.ts': 's' })
  assert.deepEqual(turnDiffFiles(turn, now), [
    { path: 'src/App.tsx', change: 'modified', before: 'old', after: 'ol' },
    { path: 'src/New.tsx', change: 'added', before: null, after: 'new' },
    { path: 'src/gone.ts', change: 'deleted', before: 'x', after: null },
  ])
})

test('a start content loaded later fills the diff; until then it is undefined (loading)', () => {
  let turn = touch(startTurn(files({ 'index.html': null })), 'index.html')
  const now = files({ 'index.html': '<p>new</p>' })
  assert.equal(turnDiffFiles(turn, now)[0].before, undefined)
  turn = withBefore(turn, 'index.html', '<p>old</p>')
  assert.equal(turnDiffFiles(turn, now)[0].before, '<p>old</p>')
  assert.equal(withBefore(turn, 'index.html', 'later'), turn, 'the first content known stays')
})

test('a file created and deleted within the turn is not listed; order is first touch', () => {
  let turn = startTurn(files({}))
  turn = touch(touch(touch(turn, 'b.ts'), 'tmp.ts'), 'b.ts')
  assert.deepEqual(turn.changed, ['b.ts', 'tmp.ts'])
  assert.deepEqual(
    turnDiffFiles(turn, files({ 'b.ts': '1' })).map((f) => f.path),
    ['b.ts'],
  )
})
