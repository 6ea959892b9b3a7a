import assert from 'node:assert/strict'
import { test } from 'node:test'

import {
  MAX_FILES,
  mergeSkipped,
  normalizePath,
  skipReason,
  summariseSkipped,
  uploadEntries,
  uploadLimitProblem,
  type ChosenFile,
} from './uploads.js'

const file = (name: string, webkitRelativePath = '', size = 10): ChosenFile => ({ name, webkitRelativePath, size })

test('a folder keeps each file path inside it; single files keep their name', () => {
  const { entries, skipped } = uploadEntries([file('App.tsx', 'app/src/App.tsx'), file('notes.md')])
  assert.deepEqual(
    entries.map((e) => e.path),
    ['app/src/App.tsx', 'notes.md'],
  )
  assert.equal(entries[0].file.name, 'App.tsx')
  assert.deepEqual(skipped, [])
})

test('installed packages, build output and OS junk are left out with a reason', () => {
  const { entries, skipped } = uploadEntries([
    file('index.js', 'app/node_modules/react/index.js'),
    file('HEAD', 'app/.git/HEAD'),
    file('.DS_Store', 'app/.DS_Store'),
    file('x.pyc', 'app/api/__pycache__/x.pyc'),
    file('index.html', 'app/dist/index.html'),
    file('main.tsx', 'app/src/main.tsx'),
  ])
  assert.deepEqual(
    entries.map((e) => e.path),
    ['app/src/main.tsx'],
  )
  assert.equal(skipped.length, 5)
  assert.match(skipped[0].reason, /node_modules/)
  assert.equal(skipReason('src/node_modules.ts'), null, 'only a folder of that name is skipped')
  assert.equal(skipReason('distance/x.ts'), null)
})

test('paths are normalised: backslashes, "./" and leading slashes', () => {
  assert.equal(normalizePath('.\\src\\App.tsx'), 'src/App.tsx')
  assert.equal(normalizePath('/a//b/./c.ts'), 'a/b/c.ts')
})

test('over the limits nothing is sent and the message says why', () => {
  const big = uploadEntries([file('a.bin', '', 150 * 1024 * 1024), file('b.bin', '', 60 * 1024 * 1024)]).entries
  assert.match(uploadLimitProblem(big) ?? '', /210 MB.*200 MB/)
  const many = uploadEntries(Array.from({ length: MAX_FILES + 1 }, (_, i) => file(`f${i}.txt`))).entries
  assert.match(uploadLimitProblem(many) ?? '', /5,001 files/)
  assert.equal(uploadLimitProblem(uploadEntries([file('a.txt')]).entries), null)
  assert.match(uploadLimitProblem([]) ?? '', /no file/)
})

test('skipped lists merge without duplicates and summarise folders in one line', () => {
  const merged = mergeSkipped([{ path: 'b.png', reason: 'binary' }], [
    { path: 'b.png', reason: 'not text' },
    { path: 'a.bin', reason: 'binary' },
  ])
  assert.deepEqual(
    merged.map((s) => s.path),
    ['a.bin', 'b.png'],
  )
  const lines = summariseSkipped([
    { path: 'app/node_modules/a.js', reason: 'x' },
    { path: 'app/node_modules/b/c.js', reason: 'x' },
    { path: 'logo.png', reason: 'binary file' },
  ])
  assert.deepEqual(lines, ['app/node_modules/ — 2 files', 'logo.png — binary file'])
  assert.equal(summariseSkipped(Array.from({ length: 30 }, (_, i) => ({ path: `f${i}`, reason: 'r' })), 20).length, 21)
})
