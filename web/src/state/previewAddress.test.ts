import assert from 'node:assert/strict'
import { test } from 'node:test'

import { appPathOf, hostOf, normalizeAppPath, previewTarget } from './previewAddress.js'

test('a typed path gets its leading slash; empty is the root', () => {
  assert.equal(normalizeAppPath('about'), '/about')
  assert.equal(normalizeAppPath('  /todos?done=1#top '), '/todos?done=1#top')
  assert.equal(normalizeAppPath(''), '/')
})

test('a whole URL keeps only its path: the origin is always the preview', () => {
  assert.equal(normalizeAppPath('http://evil.example/steal?x=1'), '/steal?x=1')
  assert.equal(previewTarget('http://5173-abc.localhost:8000/', 'http://evil.example/x'), 'http://5173-abc.localhost:8000/x')
})

test('the iframe URL is the preview origin plus the path', () => {
  assert.equal(previewTarget('http://5173-abc.localhost:8000', '/about'), 'http://5173-abc.localhost:8000/about')
  assert.equal(previewTarget('http://5173-abc.localhost:8000/some/page', 'x'), 'http://5173-abc.localhost:8000/x')
  assert.equal(previewTarget('not a url', '/x'), 'not a url')
})

test('the address bar shows the path of the preview URL and its host', () => {
  assert.equal(appPathOf('http://5173-abc.localhost:8000'), '/')
  assert.equal(appPathOf('http://5173-abc.localhost:8000/a?b=1'), '/a?b=1')
  assert.equal(hostOf('http://5173-abc.localhost:8000/a'), '5173-abc.localhost:8000')
})
