import assert from 'node:assert/strict'
import { test } from 'node:test'

import { buildTree, cleanPath, foldersOf, newPathProblem, parentFolder, pathPrefix } from './fileTree.js'

test('the tree lists folders first, then files, and shows empty folders made in the page', () => {
  const tree = buildTree(['src/main.tsx', 'index.html', 'src/components/List.tsx'], ['src/hooks', 'assets'])
  assert.deepEqual(
    tree.map((n) => n.path),
    ['assets', 'src', 'index.html'],
  )
  const src = tree.find((n) => n.path === 'src')
  assert.deepEqual(
    src?.children?.map((n) => [n.path, n.children === null]),
    [
      ['src/components', false],
      ['src/hooks', false],
      ['src/main.tsx', true],
    ],
  )
})

test('new files go into the folder chosen, with a slash', () => {
  assert.equal(parentFolder('src/components/List.tsx'), 'src/components')
  assert.equal(parentFolder('index.html'), '')
  assert.equal(pathPrefix('src'), 'src/')
  assert.equal(pathPrefix(''), '')
  assert.deepEqual([...foldersOf(['a/b/c.ts', 'a/d.ts'])].sort(), ['a', 'a/b'])
})

test('typed paths are cleaned', () => {
  assert.equal(cleanPath('  /src//components\\List.tsx/ '), 'src/components/List.tsx')
  assert.equal(cleanPath('./a/ b .ts'), 'a/b .ts')
})

test('a path that exists, climbs out, or goes under a file is refused before sending', () => {
  const files = ['src/App.tsx', 'README.md']
  const folders = foldersOf(files)
  assert.equal(newPathProblem('', files, folders), 'Type a name.')
  assert.match(newPathProblem('src/App.tsx', files, folders) ?? '', /already exists/)
  assert.match(newPathProblem('src', files, folders) ?? '', /folder src already exists/)
  assert.match(newPathProblem('../x', files, folders) ?? '', /\.\./)
  assert.match(newPathProblem('README.md/x.ts', files, folders) ?? '', /is a file/)
  assert.equal(newPathProblem('src/List.tsx', files, folders), null)
})

test('a rename may keep its own path but not move a folder into itself', () => {
  const files = ['src/App.tsx']
  const folders = foldersOf(files)
  assert.equal(newPathProblem('src', files, folders, { from: 'src' }), null)
  assert.match(newPathProblem('src/inner', files, folders, { from: 'src' }) ?? '', /into itself/)
  assert.equal(newPathProblem('app', files, folders, { from: 'src' }), null)
})
