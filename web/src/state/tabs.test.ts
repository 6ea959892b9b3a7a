import assert from 'node:assert/strict'
import { test } from 'node:test'

import { locksAfterMove } from './locks.js'
import { closeTab, isUnder, movedPath, openTab, removeFromTabs, renameInTabs } from './tabs.js'

test('opening a file adds a tab once, at the end', () => {
  assert.deepEqual(openTab(['a.ts'], 'b.ts'), ['a.ts', 'b.ts'])
  assert.deepEqual(openTab(['a.ts', 'b.ts'], 'a.ts'), ['a.ts', 'b.ts'])
})

test('closing the active tab activates its right neighbour, else the left one', () => {
  assert.deepEqual(closeTab(['a', 'b', 'c'], 'b', 'b'), { tabs: ['a', 'c'], active: 'c' })
  assert.deepEqual(closeTab(['a', 'b', 'c'], 'c', 'c'), { tabs: ['a', 'b'], active: 'b' })
  assert.deepEqual(closeTab(['a'], 'a', 'a'), { tabs: [], active: null })
})

test('closing another tab keeps the active one', () => {
  assert.deepEqual(closeTab(['a', 'b', 'c'], 'c', 'a'), { tabs: ['b', 'c'], active: 'c' })
  assert.deepEqual(closeTab(['a'], 'a', 'zzz'), { tabs: ['a'], active: 'a' })
})

test('a renamed folder moves the tabs under it and only those', () => {
  assert.equal(movedPath('src/a/x.ts', 'src/a', 'lib'), 'lib/x.ts')
  assert.equal(movedPath('src/ab/x.ts', 'src/a', 'lib'), null)
  assert.deepEqual(renameInTabs(['src/a/x.ts', 'src/ab.ts', 'README.md'], 'src/a', 'lib'), ['lib/x.ts', 'src/ab.ts', 'README.md'])
  // Renaming onto an open path never yields two tabs of one file.
  assert.deepEqual(renameInTabs(['a.ts', 'b.ts'], 'a.ts', 'b.ts'), ['b.ts'])
})

test('deleting a folder closes every tab under it', () => {
  assert.ok(isUnder('src/a', 'src/a'))
  assert.ok(!isUnder('src/ab', 'src/a'))
  assert.deepEqual(removeFromTabs(['src/a/x.ts', 'src/a', 'src/ab.ts'], 'src/a'), ['src/ab.ts'])
})

test('locks follow a renamed folder and go with a deleted one', () => {
  const locked = ['src/a/x.ts', 'src/ab.ts', 'z.ts']
  assert.deepEqual(locksAfterMove(locked, 'src/a', 'lib'), ['lib/x.ts', 'src/ab.ts', 'z.ts'])
  assert.deepEqual(locksAfterMove(locked, 'src/a', null), ['src/ab.ts', 'z.ts'])
  assert.equal(locksAfterMove(locked, 'other', 'x'), locked, 'no lock affected: the same list')
})
